//! Certificate files on disk for `register` and `pki issue`: PEM encoding, unpacking the
//! registration's PKCS#12 bundle, writing keys readable by their owner only, and pointing the
//! config file at them (`--configure`).

use std::io::Write;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use p12_keystore::{KeyStore, Pkcs12ImportPolicy};

use crate::config::{Settings, default_config_path};
use crate::error::{CliError, Result};

/// PEM-encodes DER under `label`.
pub fn pem(label: &str, der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// Key, certificate and CA certificate (all PEM) from the server's PKCS#12 bundle (its
/// password is empty).
pub fn unpack_p12(bytes: &[u8]) -> Result<(String, String, Option<String>)> {
    let bad = |e: String| CliError::Network(format!("the server sent an unreadable bundle: {e}"));
    let store = KeyStore::from_pkcs12(bytes, "", Pkcs12ImportPolicy::Relaxed)
        .map_err(|e| bad(e.to_string()))?;
    let (_, chain) = store
        .private_key_chain()
        .ok_or_else(|| bad("no private key".into()))?;
    let leaf = chain
        .certs()
        .first()
        .ok_or_else(|| bad("no certificate".into()))?;
    let ca = chain.certs().get(1).map(|c| pem("CERTIFICATE", c.as_der()));
    Ok((
        pem("PRIVATE KEY", chain.key().as_der()),
        pem("CERTIFICATE", leaf.as_der()),
        ca,
    ))
}

/// The directory of the config file in use, or of the default one.
pub fn config_dir(settings: &Settings) -> Result<PathBuf> {
    settings
        .config_file
        .clone()
        .or_else(default_config_path)
        .and_then(|p| p.parent().map(Path::to_path_buf))
        .ok_or_else(|| CliError::Local("no config directory (is HOME set?)".into()))
}

/// Writes `files` (name, content, private) into `dir`, refusing to replace any that exists
/// unless `force`; private files are created readable by their owner only.
pub fn write_all(dir: &Path, files: &[(&str, &[u8], bool)], force: bool) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)
        .map_err(|e| CliError::io(format!("creating {}", dir.display()), e))?;
    if !force && let Some((name, _, _)) = files.iter().find(|(n, _, _)| dir.join(n).exists()) {
        return Err(CliError::Usage(format!(
            "{} exists; pass --force to replace it, or --output DIR to write elsewhere",
            dir.join(name).display()
        )));
    }
    let mut written = Vec::new();
    for (name, content, private) in files {
        let path = dir.join(name);
        write_file(&path, content, *private)
            .map_err(|e| CliError::io(format!("writing {}", path.display()), e))?;
        written.push(path);
    }
    Ok(written)
}

fn write_file(path: &Path, content: &[u8], private: bool) -> std::io::Result<()> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    if private {
        options.mode(0o600);
    }

    let mut file = options.open(path)?;
    if private {
        // A file that existed keeps its mode through open; narrow it.
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    file.write_all(content)?;
    file.sync_all()
}

/// Points the config file at the certificate and key (`--configure`): the TOML file in use or
/// the default one, or the original client's `key = value` file when that is the one in use.
pub fn configure(settings: &Settings, cert: &Path, key: &Path) -> Result<PathBuf> {
    let path = settings
        .config_file
        .clone()
        .or_else(default_config_path)
        .ok_or_else(|| CliError::Local("no config file location (is HOME set?)".into()))?;
    let old = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(CliError::io(format!("reading {}", path.display()), e)),
    };
    let pairs = [("client_cert", cert), ("client_key", key)];
    let text = if path.extension().is_some_and(|e| e == "toml") {
        let mut table: toml::Table = toml::from_str(&old)
            .map_err(|e| CliError::Local(format!("invalid config {}: {e}", path.display())))?;
        for (k, v) in pairs {
            table.insert(k.into(), toml::Value::String(v.display().to_string()));
        }
        toml::to_string(&table).map_err(|e| CliError::Local(e.to_string()))?
    } else {
        let mut lines: Vec<String> = old
            .lines()
            .filter(|l| {
                let key = l.split('=').next().unwrap_or_default().trim();
                !pairs.iter().any(|(k, _)| *k == key)
            })
            .map(str::to_owned)
            .collect();
        for (k, v) in pairs {
            lines.push(format!("{k} = {}", v.display()));
        }
        lines.join("\n") + "\n"
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| CliError::io(format!("creating {}", dir.display()), e))?;
    }
    write_file(&path, text.as_bytes(), true)
        .map_err(|e| CliError::io(format!("writing {}", path.display()), e))?;
    Ok(path)
}
