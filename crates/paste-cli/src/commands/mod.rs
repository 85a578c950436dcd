//! One module per subcommand, sharing a [`Context`] built once from the effective settings.

mod certfiles;
mod config;
mod create;
mod delete;
mod export;
mod extras;
mod get;
mod info;
mod mine;
mod pki;
mod register;
mod search;
mod update;

use std::io::{self, IsTerminal, Write};

use url::Url;

use crate::cli::{Cli, Command, CreateArgs, GlobalArgs};
use crate::config::{Overrides, Secret, Settings, load_file, resolve};
use crate::error::{CliError, Result};
use crate::http::{Api, client};

/// What every command needs: settings, output mode and how to get a password.
#[derive(Debug)]
pub struct Context {
    /// The effective settings.
    pub settings: Settings,
    /// `--json` output.
    pub json: bool,
    /// `--password` without a value: ask on the terminal.
    prompt_password: bool,
}

impl Context {
    /// An API handle for the configured server.
    pub fn api(&self) -> Result<Api> {
        self.api_for(self.settings.server.value.clone())
    }

    /// An API handle for `base` with the configured TLS settings.
    pub fn api_for(&self, base: Url) -> Result<Api> {
        Ok(Api::new(client(&self.settings)?, base))
    }

    /// The paste password: prompted, or from flag, environment or file.
    pub fn password(&self) -> Result<Option<Secret>> {
        if self.prompt_password {
            return self.prompt();
        }
        Ok(self.settings.password.as_ref().map(|s| s.value.clone()))
    }

    /// Asks for the paste password on the terminal (not stdin, which may carry the content).
    pub fn prompt(&self) -> Result<Option<Secret>> {
        let pw = rpassword::prompt_password("Paste password: ")
            .map_err(|e| CliError::Usage(format!("cannot prompt for a password: {e}")))?;
        Ok(Some(Secret::new(pw)))
    }
}

/// Writes data to stdout, the only place data goes.
pub fn emit(bytes: &[u8]) -> Result<()> {
    let mut out = io::stdout().lock();
    out.write_all(bytes)
        .and_then(|()| out.flush())
        .map_err(|e| CliError::io("writing to stdout", e))
}

/// Writes a JSON value and a newline to stdout.
pub fn emit_json(value: &serde_json::Value) -> Result<()> {
    let mut text =
        serde_json::to_string_pretty(value).map_err(|e| CliError::Local(e.to_string()))?;
    text.push('\n');
    emit(text.as_bytes())
}

/// The common settings a subcommand was given, merged over those given before it.
fn settings_of(cli: &Cli) -> GlobalArgs {
    let g = &cli.global;
    match &cli.command {
        Some(Command::Create(c)) => g.merged(Some(&c.conn), Some(&c.password), Some(c.json)),
        Some(Command::Get(c)) => g.merged(Some(&c.conn), Some(&c.password), Some(c.json)),
        Some(Command::Update(c)) => g.merged(Some(&c.conn), Some(&c.password), Some(c.json)),
        Some(Command::Export(c)) => g.merged(Some(&c.conn), Some(&c.password), Some(c.json)),
        Some(Command::Config(c)) => g.merged(Some(&c.conn), Some(&c.password), Some(c.json)),
        Some(Command::Delete(c)) => g.merged(Some(&c.conn), None, Some(c.json)),
        Some(Command::Info(c)) => g.merged(Some(&c.conn), None, Some(c.json)),
        Some(Command::List(c)) => g.merged(Some(&c.conn), None, Some(c.json)),
        Some(Command::Search(c)) => g.merged(Some(&c.conn), None, Some(c.json)),
        Some(Command::Shorten(c)) => g.merged(Some(&c.conn), None, Some(c.json)),
        Some(Command::Register(c)) => g.merged(Some(&c.conn), None, Some(c.json)),
        Some(Command::Pki(c)) => {
            let (conn, json) = c.action.common();
            g.merged(Some(conn), None, Some(json))
        }
        _ => g.clone(),
    }
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> Result<()> {
    let g = settings_of(&cli);
    let flags = Overrides {
        config: g.conn.config.clone(),
        server: g.conn.server.clone(),
        client_cert: g.conn.client_cert.clone(),
        client_key: g.conn.client_key.clone(),
        ca_file: g.conn.ca_file.clone(),
        server_fingerprint: g.conn.server_fingerprint.clone(),
        password: g.password.password.clone().flatten(),
    };
    if cli.command.is_some() && cli.create.is_set() {
        return Err(CliError::Usage(
            "create options and FILE go after `create` (or use the short form without a command)"
                .into(),
        ));
    }
    // Commands that need no settings work even with a broken config file.
    match &cli.command {
        Some(Command::Completions { shell }) => return extras::completions(*shell),
        Some(Command::Manpage) => return extras::manpage(),
        Some(Command::EncryptBench {
            file,
            output,
            in_memory,
        }) => {
            return extras::encrypt_bench(file, output.as_deref(), *in_memory);
        }
        Some(Command::DecryptBench { file }) => return extras::decrypt_bench(file),
        Some(Command::PowBench { difficulty, runs }) => {
            return extras::pow_bench(*difficulty, *runs);
        }
        _ => {}
    }
    let env = |name: &str| std::env::var(name).ok();
    let settings = resolve(&flags, &env, load_file(&flags, &env)?)?;
    let ctx = Context {
        settings,
        json: g.json.json,
        prompt_password: matches!(g.password.password, Some(None)),
    };
    match cli.command {
        Some(Command::Create(c)) => create::run(&ctx, &c.args),
        Some(Command::Get(c)) => get::run(&ctx, &c.args),
        Some(Command::Update(c)) => update::run(&ctx, &c.args),
        Some(Command::Delete(c)) => delete::run(&ctx, &c.args),
        Some(Command::Info(_)) => info::run(&ctx),
        Some(Command::List(c)) => mine::list(&ctx, &c.args),
        Some(Command::Search(c)) => search::run(&ctx, &c.args),
        Some(Command::Export(c)) => export::run(&ctx, &c.args),
        Some(Command::Shorten(c)) => mine::shorten(&ctx, &c.args),
        Some(Command::Register(c)) => register::run(&ctx, &c.args),
        Some(Command::Pki(c)) => pki::run(&ctx, &c.action),
        Some(Command::Config(_)) => config::run(&ctx),
        // Handled above, before any settings were read.
        Some(
            Command::Completions { .. }
            | Command::Manpage
            | Command::EncryptBench { .. }
            | Command::DecryptBench { .. }
            | Command::PowBench { .. },
        ) => Ok(()),
        None => short_form(&ctx, &cli.create),
    }
}

/// `fpaste FILE` or `cmd | fpaste`; a bare `fpaste` on a terminal is a usage error.
fn short_form(ctx: &Context, args: &CreateArgs) -> Result<()> {
    if args.file.is_none() && io::stdin().is_terminal() {
        return Err(CliError::Usage(
            "nothing to paste: give a FILE, pipe data in, or see `fpaste --help`".into(),
        ));
    }
    create::run(ctx, args)
}
