//! `fpaste get`: metadata, or content; encrypted content is downloaded to a spool, verified in
//! full, and only then decrypted to the output, so a failed check writes nothing.

use std::fs::File;
use std::io::{self, IsTerminal, Read, Seek, Write};
use std::path::Path;

use tempfile::SpooledTempFile;

use super::{Context, emit, emit_json};
use crate::cli::GetArgs;
use crate::envelope::{self, Key};
use crate::error::{CliError, Result};
use crate::link::parse_target;
use crate::progress::{self, ProgressReader};
use crate::when::{human_time_from, now};

/// Ciphertext kept in memory up to this size before spilling to a private temp file.
const SPOOL_IN_MEMORY: usize = 4 << 20;

/// Runs `get`.
pub fn run(ctx: &Context, args: &GetArgs) -> Result<()> {
    let target = parse_target(&args.target, &ctx.settings.server.value)?;
    let api = ctx.api_for(target.base.clone())?;
    let mut password = ctx.password()?;
    if args.meta {
        let meta = api.metadata(&target.id, password.as_ref())?;
        return if ctx.json {
            emit_json(&meta)
        } else {
            emit(human_meta(&meta, now()).as_bytes())
        };
    }
    let response = match api.raw(&target.id, password.as_ref()) {
        // A protected paste and no password given: ask once, when someone is at a terminal.
        Err(CliError::Server { status: 401, .. })
            if password.is_none() && io::stdin().is_terminal() && io::stderr().is_terminal() =>
        {
            password = ctx.prompt()?;
            api.raw(&target.id, password.as_ref())?
        }
        other => other?,
    };
    // The bar shares the terminal with the content unless the content goes elsewhere.
    let to_terminal = args.output.is_none() && io::stdout().is_terminal();
    let bar = if to_terminal && target.key.is_none() {
        indicatif::ProgressBar::hidden()
    } else {
        progress::bytes(response.content_length(), "downloading")
    };
    let mut body = ProgressReader::new(response, bar.clone());
    match &target.key {
        None => {
            // Peek at the start: ciphertext printed to a terminal helps nobody.
            let mut head = Vec::with_capacity(envelope::HEADER_LEN);
            (&mut body)
                .take(envelope::HEADER_LEN as u64)
                .read_to_end(&mut head)
                .map_err(|e| CliError::Network(format!("download failed: {e}")))?;
            if !args.raw && head.starts_with(envelope::MAGIC) {
                bar.finish_and_clear();
                return Err(CliError::KeyMissing(format!(
                    "{} is encrypted and the link has no #key: use the full link printed at \
                     create time (…/{}#KEY), or --raw for the ciphertext",
                    target.id, target.id
                )));
            }
            let mut body = io::Cursor::new(head).chain(body);
            let result = write_plain(&mut body, args.output.as_deref());
            bar.finish_and_clear();
            result
        }
        Some(key) => write_decrypted(key, &mut body, &bar, args.output.as_deref()),
    }
}

/// Paste metadata for people: dates and spans instead of Unix seconds, sizes in units.
fn human_meta(meta: &serde_json::Value, now: i64) -> String {
    let text = |k: &str| meta.get(k).and_then(serde_json::Value::as_str);
    let num = |k: &str| meta.get(k).and_then(serde_json::Value::as_i64);
    let yes = |k: &str| meta.get(k).and_then(serde_json::Value::as_bool) == Some(true);
    let mut lines: Vec<(&str, String)> = Vec::new();
    if let Some(id) = text("id") {
        lines.push(("id", id.to_owned()));
    }
    if let Some(name) = text("display_name") {
        lines.push(("name", name.to_owned()));
    }
    if let Some(mime) = text("mime_type") {
        lines.push(("type", mime.to_owned()));
    }
    if let Some(size) = num("size") {
        lines.push(("size", super::info::size(u64::try_from(size).unwrap_or(0))));
    }
    if let Some(t) = num("created_at") {
        lines.push(("created", human_time_from(t, now)));
    }
    lines.push((
        "expires",
        num("expires_at").map_or_else(|| "never".to_owned(), |t| human_time_from(t, now)),
    ));
    let mut flags = Vec::new();
    if yes("burn_after_read") {
        flags.push("burn after read".to_owned());
    }
    if yes("password_protected") {
        flags.push("password protected".to_owned());
    }
    if let Some(left) = num("views_left") {
        flags.push(format!("{left} views left"));
    }
    if !flags.is_empty() {
        lines.push(("flags", flags.join(", ")));
    }
    if let Some(owner) = text("owner") {
        lines.push(("owner", owner.to_owned()));
    }
    if let Some(scan) = text("scan") {
        lines.push(("scan", scan.to_owned()));
    }
    lines
        .into_iter()
        .map(|(k, v)| format!("{:<9}{v}\n", format!("{k}:")))
        .collect()
}

/// Where content goes: stdout, or a file created only once there is something to write.
fn with_output(
    output: Option<&Path>,
    write: impl FnOnce(&mut dyn Write) -> Result<()>,
) -> Result<()> {
    match output {
        None => {
            let mut out = io::stdout().lock();
            write(&mut out)?;
            out.flush()
                .map_err(|e| CliError::io("writing to stdout", e))
        }
        Some(path) => {
            let mut file = File::create(path)
                .map_err(|e| CliError::io(format!("cannot create {}", path.display()), e))?;
            write(&mut file)?;
            file.sync_all().map_err(|e| CliError::io(path.display(), e))
        }
    }
}

fn write_plain(body: &mut impl Read, output: Option<&Path>) -> Result<()> {
    with_output(output, |out| {
        io::copy(body, out).map(drop).map_err(|e| match e.kind() {
            io::ErrorKind::BrokenPipe => CliError::io("writing output", e),
            _ => CliError::Network(format!("download failed: {e}")),
        })
    })
}

fn write_decrypted(
    key: &Key,
    body: &mut impl Read,
    bar: &indicatif::ProgressBar,
    output: Option<&Path>,
) -> Result<()> {
    let mut spool = SpooledTempFile::new(SPOOL_IN_MEMORY);
    let downloaded = io::copy(body, &mut spool);
    bar.finish_and_clear();
    downloaded.map_err(|e| CliError::Network(format!("download failed: {e}")))?;
    let rewind =
        |spool: &mut SpooledTempFile| spool.rewind().map_err(|e| CliError::io("temp file", e));
    rewind(&mut spool)?;
    // First pass authenticates every chunk and discards the plaintext.
    envelope::open(key, &mut spool, &mut io::sink())?;
    rewind(&mut spool)?;
    with_output(output, |out| {
        envelope::open(key, &mut spool, &mut WriteRef(out))
            .map(drop)
            .map_err(CliError::from)
    })
}

/// Adapts `&mut dyn Write` to the `impl Write` parameter of [`envelope::open`].
struct WriteRef<'a>(&'a mut dyn Write);

impl Write for WriteRef<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}
