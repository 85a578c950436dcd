//! `fpaste create`: read a file or stdin, optionally encrypt it on the fly, solve the proof of
//! work, stream the upload with a known `Content-Length`, print the URL (key in the fragment).

use std::fs::File;
use std::io::{self, Read, Seek};
use std::path::Path;

use paste_api::{PasteCreated, headers};
use reqwest::blocking::Body;
use serde_json::json;
use tempfile::SpooledTempFile;

use super::{Context, emit, emit_json};
use crate::cli::CreateArgs;
use crate::envelope::{CHUNK_LOG2, Key, SealingReader, sealed_len};
use crate::error::{CliError, Result};
use crate::expiry::Expiry;
use crate::http::with_password;
use crate::link::{absolute, with_key};
use crate::pow;
use crate::progress::{self, ProgressReader};
use crate::tokens::Tokens;
use crate::when::human_span;

/// Standard input held in memory up to this size, then spilled to a private temp file.
const SPOOL_IN_MEMORY: usize = 4 << 20;

/// The content to upload and its length.
pub(super) struct Input {
    /// The bytes.
    pub reader: Box<dyn Read + Send>,
    /// How many.
    pub len: u64,
}

/// Opens the file, or spools stdin so its length is known before the upload starts.
pub(super) fn open_input(file: Option<&Path>) -> Result<Input> {
    match file {
        Some(path) if path != Path::new("-") => {
            if path.is_dir() {
                return Err(CliError::Usage(format!(
                    "{} is a directory: fpaste uploads one file (or standard input)",
                    path.display()
                )));
            }
            let f = File::open(path).map_err(|e| match e.kind() {
                // A bare word that is no file was most likely meant as a command.
                io::ErrorKind::NotFound
                    if path.components().count() == 1 && path.extension().is_none() =>
                {
                    CliError::Usage(format!(
                        "{}: no such file, and not a command (commands: create, get, update, \
                         delete, list, search, export, shorten, info, config; see fpaste --help)",
                        path.display()
                    ))
                }
                _ => CliError::io(format!("cannot open {}", path.display()), e),
            })?;
            let len = f
                .metadata()
                .map_err(|e| CliError::io(path.display(), e))?
                .len();
            Ok(Input {
                reader: Box::new(f),
                len,
            })
        }
        _ => {
            let mut spool = SpooledTempFile::new(SPOOL_IN_MEMORY);
            let len = io::copy(&mut io::stdin().lock(), &mut spool)
                .map_err(|e| CliError::io("reading stdin", e))?;
            spool
                .rewind()
                .map_err(|e| CliError::io("reading stdin", e))?;
            Ok(Input {
                reader: Box::new(spool),
                len,
            })
        }
    }
}

/// Runs `create`.
pub fn run(ctx: &Context, args: &CreateArgs) -> Result<()> {
    let api = ctx.api()?;
    let info = api.info()?;
    // Encrypted unless asked otherwise, as later FlaskPaste clients do.
    let encrypt = args.encrypt || !args.no_encrypt;
    let input = open_input(args.file.as_deref())?;
    if input.len == 0 {
        // Sealed, nothing would still be a paste of some bytes; refuse it here instead.
        return Err(CliError::Usage(
            "nothing to paste: the input is empty".into(),
        ));
    }
    let upload_len = if encrypt {
        sealed_len(input.len, CHUNK_LOG2)
    } else {
        input.len
    };
    let limit = if ctx.settings.client_cert.is_some() {
        info.limits.max_auth_size
    } else {
        info.limits.max_anon_size
    };
    if limit > 0 && upload_len > limit {
        return Err(CliError::Server {
            status: 413,
            message: format!(
                "paste of {upload_len} bytes exceeds the server limit of {limit} bytes"
            ),
        });
    }
    let password = ctx.password()?;
    let mut request = with_password(api.create(), password.as_ref());
    if let Some(expiry) = args.expiry {
        warn_if_capped(expiry, info.limits.max_expiry);
        request = request.header(headers::EXPIRY, expiry.to_string());
    }
    if args.burn {
        request = request.header(headers::BURN_AFTER_READ, "true");
    }
    if let Some(name) = &args.name {
        request = request.header(headers::DISPLAY_NAME, name_header(name)?);
    }
    if let Some((token, solution)) = pow::answer(&api.challenge()?)? {
        request = request
            .header(headers::POW_TOKEN, token)
            .header(headers::POW_SOLUTION, solution);
    }
    let key = encrypt.then(Key::generate);
    let plain = input.reader;
    let reader: Box<dyn Read + Send> = match &key {
        Some(key) => Box::new(SealingReader::new(plain, key)),
        None => plain,
    };
    let bar = progress::bytes(Some(upload_len), "uploading");
    let body = Body::sized(ProgressReader::new(reader, bar.clone()), upload_len);
    let created = api.send_create(request.body(body));
    bar.finish_and_clear();
    let created = created?;
    remember(api.base().as_str(), &created, key.as_ref());
    report(
        ctx,
        api.base(),
        &created,
        key.as_ref(),
        args.name.as_deref(),
    )
}

/// Warns that the server will cap `expiry` at `max` seconds: it caps silently, so say so
/// before the upload, not after.
pub(super) fn warn_if_capped(expiry: Expiry, max: u64) {
    if max > 0 && expiry.seconds() > max {
        eprintln!(
            "fpaste: expiry {} is more than this server allows; the paste expires in {} \
             (the server maximum)",
            human_span(i64::try_from(expiry.seconds()).unwrap_or(i64::MAX)),
            human_span(i64::try_from(max).unwrap_or(i64::MAX))
        );
    }
}

/// The `X-Display-Name` value, refused here when a header cannot carry it.
pub(super) fn name_header(name: &str) -> Result<reqwest::header::HeaderValue> {
    if name.chars().any(char::is_control) {
        return Err(CliError::Usage(
            "the name must not contain control characters (newlines, tabs, ...)".into(),
        ));
    }
    reqwest::header::HeaderValue::from_str(name)
        .map_err(|_| CliError::Usage(format!("{name:?} cannot be sent as a name")))
}

/// Stores the delete token and the key; failing to store them is a warning, not a failed
/// paste (the printed link is still the way back to it).
fn remember(base: &str, created: &PasteCreated, key: Option<&Key>) {
    let Some(store) = Tokens::default_location() else {
        eprintln!("fpaste: warning: no home directory; delete token and key not stored");
        return;
    };
    if let Some(token) = &created.delete_token
        && let Err(e) = store.put(base, &created.id, token)
    {
        eprintln!("fpaste: warning: delete token not stored ({e}); it is {token}");
    }
    if let Some(key) = key
        && let Err(e) = store.put_key(base, &created.id, key)
    {
        eprintln!("fpaste: warning: key not stored ({e}); `fpaste export` cannot decrypt it");
    }
}

/// Prints the URL, or the JSON summary.
fn report(
    ctx: &Context,
    base: &url::Url,
    created: &PasteCreated,
    key: Option<&Key>,
    name: Option<&str>,
) -> Result<()> {
    let mut url = absolute(base, &created.url);
    if let Some(key) = key {
        url = with_key(url, key);
    }
    if ctx.json {
        emit_json(&json!({
            "id": created.id,
            "url": url.as_str(),
            "raw": absolute(base, &created.raw).as_str(),
            "encrypted": key.is_some(),
            "mime_type": created.mime_type,
            "created_at": created.created_at,
            "expires_at": created.expires_at,
            "owner": created.owner,
            "burn_after_read": created.burn_after_read.unwrap_or(false),
            "password_protected": created.password_protected.unwrap_or(false),
            "delete_token": created.delete_token,
            "display_name": name,
        }))
    } else {
        emit(format!("{url}\n").as_bytes())
    }
}
