//! `fpaste export DIR`: one's own pastes into a folder. Pastes whose key this client recorded
//! at create time are verified and decrypted; other encrypted pastes are saved as ciphertext
//! (`ID.fpe`). Reading would destroy burn-after-read and max-views pastes, so those are
//! skipped (and said so). Files are written beside their final name and renamed without
//! replacing anything already there.

use std::fs;
use std::io::{self, Read, Seek, Write};
use std::path::{Path, PathBuf};

use serde_json::json;
use tempfile::{NamedTempFile, SpooledTempFile};

use super::mine::require_cert;
use super::search::scan;
use super::{Context, emit, emit_json};
use crate::cli::ExportArgs;
use crate::config::Secret;
use crate::envelope::{self, Key};
use crate::error::{CliError, Result};
use crate::http::Api;
use crate::tokens::Tokens;

/// Ciphertext kept in memory up to this size before spilling to a private temp file.
const SPOOL_IN_MEMORY: usize = 4 << 20;

/// What became of one paste.
enum Outcome {
    /// Written to this file; whether it was decrypted.
    Saved(PathBuf, &'static str),
    /// Not read, on purpose.
    Skipped(String),
    /// Could not be exported.
    Failed(String),
}

/// A file extension for a plaintext paste's type, so the folder opens with the right tools.
fn extension(mime: &str) -> &'static str {
    match mime.split(';').next().unwrap_or_default().trim() {
        "text/plain" => ".txt",
        "text/html" => ".html",
        "application/json" => ".json",
        "application/pdf" => ".pdf",
        "application/zip" => ".zip",
        "application/gzip" => ".gz",
        "image/png" => ".png",
        "image/jpeg" => ".jpg",
        "image/gif" => ".gif",
        "image/webp" => ".webp",
        _ => ".bin",
    }
}

/// Moves `tmp` to `dir/name` unless something already has that name.
fn place(tmp: NamedTempFile, dir: &Path, name: &str) -> Result<PathBuf> {
    let path = dir.join(name);
    tmp.persist_noclobber(&path).map_err(|e| {
        CliError::io(
            format!("cannot write {} (kept what was there)", path.display()),
            e.error,
        )
    })?;
    Ok(path)
}

/// Downloads one paste into `dir`.
fn export_one(
    api: &Api,
    password: Option<&Secret>,
    dir: &Path,
    key: Option<&Key>,
    id: &str,
) -> Result<Outcome> {
    let meta = api.metadata(id, password)?;
    if meta
        .get("burn_after_read")
        .and_then(serde_json::Value::as_bool)
        == Some(true)
    {
        return Ok(Outcome::Skipped(
            "burn after read: reading it would delete it".into(),
        ));
    }
    if meta.get("views_left").is_some_and(|v| !v.is_null()) {
        return Ok(Outcome::Skipped(
            "limited views: reading it would use one up".into(),
        ));
    }
    let mut body = api.raw(id, password)?;
    let mut head = Vec::with_capacity(envelope::HEADER_LEN);
    (&mut body)
        .take(envelope::HEADER_LEN as u64)
        .read_to_end(&mut head)
        .map_err(|e| CliError::Network(format!("download failed: {e}")))?;
    let mut body = io::Cursor::new(head.clone()).chain(body);
    let encrypted = head.starts_with(envelope::MAGIC);
    let mut tmp = NamedTempFile::new_in(dir).map_err(|e| CliError::io(dir.display(), e))?;
    let net = |e: io::Error| CliError::Network(format!("download failed: {e}"));
    match (encrypted, key) {
        (true, Some(key)) => {
            let mut spool = SpooledTempFile::new(SPOOL_IN_MEMORY);
            io::copy(&mut body, &mut spool).map_err(net)?;
            let rewind =
                |s: &mut SpooledTempFile| s.rewind().map_err(|e| CliError::io("temp file", e));
            rewind(&mut spool)?;
            // Authenticate everything before a byte of plaintext reaches the folder.
            envelope::open(key, &mut spool, &mut io::sink())?;
            rewind(&mut spool)?;
            envelope::open(key, &mut spool, &mut tmp)?;
            tmp.flush().map_err(|e| CliError::io("writing", e))?;
            Ok(Outcome::Saved(place(tmp, dir, id)?, "decrypted"))
        }
        (true, None) => {
            io::copy(&mut body, &mut tmp).map_err(net)?;
            Ok(Outcome::Saved(
                place(tmp, dir, &format!("{id}.fpe"))?,
                "encrypted, no key recorded: ciphertext",
            ))
        }
        (false, _) => {
            io::copy(&mut body, &mut tmp).map_err(net)?;
            let mime = meta
                .get("mime_type")
                .and_then(serde_json::Value::as_str)
                .unwrap_or("");
            Ok(Outcome::Saved(
                place(tmp, dir, &format!("{id}{}", extension(mime)))?,
                "plaintext",
            ))
        }
    }
}

/// Runs `export`.
pub fn run(ctx: &Context, args: &ExportArgs) -> Result<()> {
    let api = ctx.api()?;
    require_cert(ctx, "exporting your pastes")?;
    fs::create_dir_all(&args.dir)
        .map_err(|e| CliError::io(format!("cannot create {}", args.dir.display()), e))?;
    let mut ids = Vec::new();
    scan(&api, args.mime.as_deref(), None, None, |p| {
        ids.push(p.id);
        true
    })?;
    // Asked once (a prompt, when --password has no value), tried on every protected paste.
    let password = ctx.password()?;
    let store = Tokens::default_location();
    let base = api.base().as_str().to_owned();
    let mut report = Vec::new();
    let (mut saved, mut failed) = (0usize, 0usize);
    for id in &ids {
        let key = match &store {
            Some(store) => store.key(&base, id)?,
            None => None,
        };
        let outcome = export_one(&api, password.as_ref(), &args.dir, key.as_ref(), id)
            .unwrap_or_else(|e| Outcome::Failed(e.to_string()));
        let (file, state) = match outcome {
            Outcome::Saved(path, how) => {
                saved += 1;
                (Some(path.display().to_string()), how.to_owned())
            }
            Outcome::Skipped(why) => (None, format!("skipped: {why}")),
            Outcome::Failed(why) => {
                failed += 1;
                (None, format!("failed: {why}"))
            }
        };
        report.push((id.clone(), file, state));
    }
    if ctx.json {
        emit_json(&json!({
            "dir": args.dir.display().to_string(),
            "pastes": report.iter().map(|(id, file, state)| json!({
                "id": id, "file": file, "result": state,
            })).collect::<Vec<_>>(),
            "failed": failed,
        }))?;
    } else {
        let mut out = String::new();
        for (id, file, state) in &report {
            match file {
                Some(f) => out.push_str(&format!("{id}  {f}  ({state})\n")),
                None => out.push_str(&format!("{id}  {state}\n")),
            }
        }
        out.push_str(&format!(
            "{saved} of {} paste{} saved into {}\n",
            report.len(),
            if report.len() == 1 { "" } else { "s" },
            args.dir.display()
        ));
        emit(out.as_bytes())?;
    }
    if failed > 0 {
        return Err(CliError::Local(format!(
            "{failed} of {} pastes could not be exported (see above)",
            report.len()
        )));
    }
    Ok(())
}
