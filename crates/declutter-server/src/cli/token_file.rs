//! Cloud token files: a plain access token, or JSON with `access_token`, `refresh_token`,
//! `token_url`, `client_id` and optionally `client_secret`. With a refresh token, a refused
//! access token is refreshed once, and the new tokens are written back to the file (atomically,
//! owner-only) because Microsoft rotates refresh tokens: a file that kept the old one would
//! stop working once the old one expires.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use declutter_core::cloud::{OAuthRefresh, OnRotate, StaticToken, TokenSource};
use secrecy::SecretString;

/// The JSON form of a token file.
#[derive(serde::Deserialize, serde::Serialize)]
struct TokenFile {
    access_token: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    token_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    client_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    client_secret: Option<String>,
}

/// Reads `text` (the content of `path`) as a token source.
pub fn parse(path: &Path, text: &str) -> Result<Arc<dyn TokenSource>, serde_json::Error> {
    if !text.trim_start().starts_with('{') {
        return Ok(Arc::new(StaticToken::new(text.trim())));
    }
    let file: TokenFile = serde_json::from_str(text)?;
    let (Some(refresh), Some(url)) = (&file.refresh_token, &file.token_url) else {
        return Ok(Arc::new(StaticToken::new(file.access_token)));
    };
    let mut source = OAuthRefresh::new(
        url,
        file.client_id.as_deref().unwrap_or_default(),
        refresh,
        &file.access_token,
    );
    if let Some(secret) = &file.client_secret {
        source = source.with_client_secret(SecretString::from(secret.clone()));
    }
    let path = path.to_owned();
    let hook: OnRotate = Arc::new(move |access, refresh| {
        let mut fresh = serde_json::from_str::<TokenFile>(
            &std::fs::read_to_string(&path).map_err(|e| e.to_string())?,
        )
        .map_err(|e| e.to_string())?;
        access.clone_into(&mut fresh.access_token);
        fresh.refresh_token = Some(refresh.to_owned());
        write_atomically(&path, &fresh).map_err(|e| format!("{}: {e}", path.display()))
    });
    Ok(Arc::new(source.on_rotate(hook)))
}

/// Writes `file` beside `path` (owner-only), syncs it, then renames it over `path`: a crash
/// leaves the old file or the new one, never half of one.
fn write_atomically(path: &Path, file: &TokenFile) -> std::io::Result<()> {
    let dir = path
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_owned);
    // tempfile creates the file readable by its owner only (0600 on Unix).
    let mut tmp = tempfile::Builder::new()
        .prefix(".declutter-token")
        .tempfile_in(&dir)?;
    serde_json::to_writer_pretty(&mut tmp, file)?;
    tmp.write_all(b"\n")?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}
