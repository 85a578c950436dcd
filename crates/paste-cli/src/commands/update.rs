//! `fpaste update`: `PUT /{id}` as the paste's owner. New content is sealed under the key the
//! link carries (or the one this client recorded), so the link people already have keeps
//! working; without either, under a fresh key and a new link is printed. `-E` uploads
//! plaintext.

use std::io::Read;

use paste_api::{PasteInfo, headers};
use reqwest::blocking::Body;
use serde_json::json;

use super::create::{Input, name_header, open_input, warn_if_capped};
use super::mine::require_cert;
use super::{Context, emit, emit_json};
use crate::cli::UpdateArgs;
use crate::config::Secret;
use crate::envelope::{CHUNK_LOG2, Key, SealingReader, sealed_len};
use crate::error::{CliError, Result};
use crate::http::with_password;
use crate::link::{endpoint, parse_target, with_key};
use crate::tokens::Tokens;

/// `X-New-Password`: sets or replaces the password on update.
const NEW_PASSWORD: &str = "x-new-password";
/// `X-Remove-Password: true` removes it.
const REMOVE_PASSWORD: &str = "x-remove-password";

/// Runs `update`.
pub fn run(ctx: &Context, args: &UpdateArgs) -> Result<()> {
    if args.file.is_none()
        && args.expiry.is_none()
        && args.name.is_none()
        && !args.no_name
        && args.new_password.is_none()
        && !args.remove_password
    {
        return Err(CliError::Usage(
            "nothing to update: give a FILE (or - for standard input), --expiry, --name, \
             --no-name, --new-password or --remove-password"
                .into(),
        ));
    }
    let target = parse_target(&args.target, &ctx.settings.server.value)?;
    let api = ctx.api_for(target.base.clone())?;
    require_cert(ctx, "updating a paste")?;
    let base = api.base().as_str().to_owned();
    let store = Tokens::default_location();
    let mut request = with_password(api.put(&target.id), ctx.password()?.as_ref());
    if let Some(expiry) = args.expiry {
        warn_if_capped(expiry, api.info()?.limits.max_expiry);
        request = request.header(headers::EXPIRY, expiry.to_string());
    }
    if let Some(name) = &args.name {
        request = request.header(headers::DISPLAY_NAME, name_header(name)?);
    } else if args.no_name {
        request = request.header(headers::DISPLAY_NAME, "");
    }
    match &args.new_password {
        Some(Some(pw)) => request = request.header(NEW_PASSWORD, pw),
        Some(None) => {
            let pw = rpassword::prompt_password("New paste password: ")
                .map_err(|e| CliError::Usage(format!("cannot prompt for a password: {e}")))?;
            request = request.header(NEW_PASSWORD, Secret::new(pw).expose());
        }
        None => {}
    }
    if args.remove_password {
        request = request.header(REMOVE_PASSWORD, "true");
    }
    let mut key = None;
    let mut fresh = false;
    if let Some(file) = &args.file {
        let Input { reader, len } = open_input(Some(file))?;
        if len == 0 {
            return Err(CliError::Usage(
                "nothing to paste: the input is empty".into(),
            ));
        }
        if !args.no_encrypt {
            let known = match (&target.key, &store) {
                (Some(k), _) => Some(k.clone()),
                (None, Some(store)) => store.key(&base, &target.id)?,
                (None, None) => None,
            };
            fresh = known.is_none();
            key = Some(known.unwrap_or_else(Key::generate));
        }
        let (body, upload_len): (Box<dyn Read + Send>, u64) = match &key {
            Some(k) => (
                Box::new(SealingReader::new(reader, k)),
                sealed_len(len, CHUNK_LOG2),
            ),
            None => (reader, len),
        };
        request = request
            .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
            .body(Body::sized(body, upload_len));
    }
    let info: PasteInfo = api.send_json(request)?;
    if let (Some(k), Some(store)) = (&key, &store)
        && let Err(e) = store.put_key(&base, &info.id, k)
    {
        eprintln!("fpaste: warning: key not stored ({e})");
    }
    let mut url = endpoint(api.base(), &info.id);
    if let Some(k) = &key {
        url = with_key(url, k);
    }
    if ctx.json {
        let mut value = serde_json::to_value(&info).unwrap_or_default();
        value["url"] = json!(url.as_str());
        value["encrypted"] = json!(key.is_some());
        return emit_json(&value);
    }
    if fresh {
        eprintln!("fpaste: the new content has a new key; the old link no longer opens it");
    }
    match &info.display_name {
        Some(name) => eprintln!("fpaste: updated {} ({name})", info.id),
        None => eprintln!("fpaste: updated {}", info.id),
    }
    emit(format!("{url}\n").as_bytes())
}
