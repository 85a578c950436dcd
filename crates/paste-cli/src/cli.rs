//! The command line, as clap derive definitions; completions and the man page are generated
//! from these.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::expiry::Expiry;

const AFTER_HELP: &str = "\
Short forms: `fpaste FILE` and `cmd | fpaste` create a paste.

Environment (flags override these; these override ~/.config/fpaste/config.toml):
  FPASTE_SERVER              server URL, URL prefix included
  FPASTE_CLIENT_CERT         PEM client certificate (mTLS identity)
  FPASTE_CLIENT_KEY          PEM private key of the client certificate
  FPASTE_CA_FILE             PEM CA bundle trusted for the server
  FPASTE_SERVER_FINGERPRINT  SHA-256 of the server certificate to pin
  FPASTE_PASSWORD            paste password
  FPASTE_CONFIG              config file path

Exit codes: 0 ok, 1 local error, 2 usage, 3 network/TLS, 4 refused by the server,
5 decryption failed (wrong key, tampered or truncated paste), 6 encrypted paste without its key.";

/// fpaste: create, fetch and delete pastes on an fpasted server.
#[derive(Debug, Parser)]
#[command(
    name = "fpaste",
    version,
    about = "Create, fetch and delete pastes on an fpasted server, end-to-end encrypted.",
    after_help = AFTER_HELP
)]
pub struct Cli {
    /// Settings of the short form; each subcommand carries its own copy of those that apply to
    /// it, so its `--help` lists only those. Given here, before a subcommand, they still count.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// What to do; none means create from FILE or standard input.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Create options of the short form.
    #[command(flatten)]
    pub create: CreateArgs,
}

/// Where the server is and how to reach it.
#[derive(Debug, Args, Default, Clone)]
#[command(next_help_heading = "Connection")]
pub struct ConnArgs {
    /// Server URL with its URL prefix, e.g. https://paste.example/p [env: FPASTE_SERVER]
    #[arg(short, long, value_name = "URL")]
    pub server: Option<String>,
    /// PEM client certificate for mTLS [env: FPASTE_CLIENT_CERT]
    #[arg(long, value_name = "FILE")]
    pub client_cert: Option<PathBuf>,
    /// PEM private key of the client certificate [env: FPASTE_CLIENT_KEY]
    #[arg(long, value_name = "FILE")]
    pub client_key: Option<PathBuf>,
    /// PEM CA bundle to trust for the server [env: FPASTE_CA_FILE]
    #[arg(long, value_name = "FILE")]
    pub ca_file: Option<PathBuf>,
    /// Accept only the server certificate with this SHA-256 [env: FPASTE_SERVER_FINGERPRINT]
    #[arg(long, value_name = "SHA256")]
    pub server_fingerprint: Option<String>,
    /// Config file instead of $XDG_CONFIG_HOME/fpaste/config.toml [env: FPASTE_CONFIG]
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// The paste password.
#[derive(Debug, Args, Default, Clone)]
pub struct PasswordArgs {
    /// Paste password; `--password` alone prompts on the terminal [env: FPASTE_PASSWORD]
    #[arg(short, long, num_args = 0..=1, require_equals = true, value_name = "PASSWORD")]
    pub password: Option<Option<String>>,
}

/// Output format.
#[derive(Debug, Args, Default, Clone, Copy)]
pub struct JsonArgs {
    /// Machine-readable JSON on stdout (exact values: Unix times, seconds, bytes)
    #[arg(long)]
    pub json: bool,
}

/// Every common setting, as the top level (the short form) takes them.
#[derive(Debug, Args, Default, Clone)]
pub struct GlobalArgs {
    /// Connection settings.
    #[command(flatten)]
    pub conn: ConnArgs,
    /// The paste password.
    #[command(flatten)]
    pub password: PasswordArgs,
    /// Output format.
    #[command(flatten)]
    pub json: JsonArgs,
}

impl GlobalArgs {
    /// These settings with those given after the subcommand taking precedence.
    pub fn merged(
        &self,
        conn: Option<&ConnArgs>,
        password: Option<&PasswordArgs>,
        json: Option<JsonArgs>,
    ) -> Self {
        let mut out = self.clone();
        if let Some(c) = conn {
            let o = &mut out.conn;
            pick(&c.server, &mut o.server);
            pick(&c.client_cert, &mut o.client_cert);
            pick(&c.client_key, &mut o.client_key);
            pick(&c.ca_file, &mut o.ca_file);
            pick(&c.server_fingerprint, &mut o.server_fingerprint);
            pick(&c.config, &mut o.config);
        }
        if let Some(p) = password.filter(|p| p.password.is_some()) {
            out.password = p.clone();
        }
        out.json.json |= json.is_some_and(|j| j.json);
        out
    }
}

/// `b` replaced by `a` when `a` is set.
fn pick<T: Clone>(a: &Option<T>, b: &mut Option<T>) {
    if a.is_some() {
        b.clone_from(a);
    }
}

/// Options of `create` (and of the short form).
#[derive(Debug, Args, Default)]
pub struct CreateArgs {
    /// File to paste; `-` or none reads standard input
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// Encrypt end to end (the default; kept for scripts that pass it)
    #[arg(short, long, conflicts_with = "no_encrypt")]
    pub encrypt: bool,
    /// Upload plaintext, readable by anyone with the link (and by the server)
    #[arg(short = 'E', long)]
    pub no_encrypt: bool,
    /// Lifetime: seconds or 30m, 1h, 2d, 1w (capped by the server)
    #[arg(short = 'x', long, value_name = "DURATION")]
    pub expiry: Option<Expiry>,
    /// Delete the paste after its first read
    #[arg(short, long)]
    pub burn: bool,
    /// A label shown in listings and metadata (at most 128 characters)
    #[arg(short = 'n', long, value_name = "NAME")]
    pub name: Option<String>,
}

impl CreateArgs {
    /// Whether any create option or file was given.
    pub fn is_set(&self) -> bool {
        self.file.is_some()
            || self.encrypt
            || self.no_encrypt
            || self.expiry.is_some()
            || self.burn
            || self.name.is_some()
    }
}

/// `create`: its options and the settings it uses.
#[derive(Debug, Args)]
pub struct CreateCmd {
    /// What to create.
    #[command(flatten)]
    pub args: CreateArgs,
    /// The paste password.
    #[command(flatten)]
    pub password: PasswordArgs,
    /// Output format.
    #[command(flatten)]
    pub json: JsonArgs,
    /// Connection settings.
    #[command(flatten)]
    pub conn: ConnArgs,
}

/// A subcommand that only talks to the server: its arguments, output format and connection.
#[derive(Debug, Args)]
pub struct Remote<T: Args> {
    /// The subcommand's own arguments.
    #[command(flatten)]
    pub args: T,
    /// Output format.
    #[command(flatten)]
    pub json: JsonArgs,
    /// Connection settings.
    #[command(flatten)]
    pub conn: ConnArgs,
}

/// A subcommand that may need a paste password as well.
#[derive(Debug, Args)]
pub struct Locked<T: Args> {
    /// The subcommand's own arguments.
    #[command(flatten)]
    pub args: T,
    /// The paste password.
    #[command(flatten)]
    pub password: PasswordArgs,
    /// Output format.
    #[command(flatten)]
    pub json: JsonArgs,
    /// Connection settings.
    #[command(flatten)]
    pub conn: ConnArgs,
}

/// No arguments of its own.
#[derive(Debug, Args)]
pub struct NoArgs {}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a paste from FILE or standard input; prints its URL
    Create(CreateCmd),
    /// Print a paste's content (decrypting when the URL carries a key)
    Get(Locked<GetArgs>),
    /// Replace a paste's content, or change its expiry, password or name (owner only)
    Update(Locked<UpdateArgs>),
    /// Delete a paste (with its stored delete token, --token, or your client certificate)
    Delete(Remote<DeleteArgs>),
    /// Show the server's limits and proof-of-work status
    Info(Remote<NoArgs>),
    /// List your own pastes, newest first (needs a client certificate)
    List(Remote<ListArgs>),
    /// Find your own pastes by id, name, type or date (needs a client certificate)
    Search(Remote<SearchArgs>),
    /// Download your own pastes into a folder, decrypting those whose keys fpaste recorded
    Export(Locked<ExportArgs>),
    /// Shorten a http(s) URL; prints the short link
    Shorten(Remote<ShortenArgs>),
    /// Get a client certificate from the server's PKI (solves its proof of work)
    Register(Remote<RegisterArgs>),
    /// The server's built-in PKI: status, CA certificate, issuing (admins)
    Pki(PkiArgs),
    /// Show the effective settings and where each comes from (secrets masked)
    Config(Locked<NoArgs>),
    /// Print a shell completion script
    Completions {
        /// Target shell
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff)
    Manpage,
    /// Encrypt FILE to --output (or nowhere) and report throughput on stderr
    #[command(hide = true)]
    EncryptBench {
        /// File to encrypt
        file: PathBuf,
        /// Where to write the envelope
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Read FILE into memory first (untimed), as decrypt-bench does, so that only sealing
        /// is timed and not the kernel's copy out of the page cache
        #[arg(long)]
        in_memory: bool,
    },
    /// Seal FILE in memory, then open it into nowhere and report the opening throughput
    #[command(hide = true)]
    DecryptBench {
        /// File to seal, then open
        file: PathBuf,
    },
    /// Solve random puzzles at --difficulty and print the median solve time
    #[command(hide = true)]
    PowBench {
        /// Leading zero bits
        #[arg(long, default_value_t = 20)]
        difficulty: u32,
        /// Puzzles to solve
        #[arg(long, default_value_t = 10)]
        runs: u32,
    },
}

/// Arguments of `get`.
#[derive(Debug, Args)]
pub struct GetArgs {
    /// Paste id, `id#key`, or URL (its #fragment is the decryption key)
    // Ids are URL-safe base64, so one in 64 starts with `-`: it is a value, not a flag.
    #[arg(allow_hyphen_values = true)]
    pub target: String,
    /// Print metadata instead of content (dates for people; exact with --json); never burns
    #[arg(short, long)]
    pub meta: bool,
    /// Write the content to FILE instead of stdout
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Write an encrypted paste's ciphertext as it is when the link has no #key
    #[arg(long)]
    pub raw: bool,
}

/// Arguments of `update`.
#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// Paste id, `id#key`, or URL; new content is sealed under its key so the link still works
    // Ids are URL-safe base64, so one in 64 starts with `-`: it is a value, not a flag.
    #[arg(allow_hyphen_values = true)]
    pub target: String,
    /// New content from FILE (`-` reads standard input); none keeps the content
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// Upload the new content as plaintext
    #[arg(short = 'E', long)]
    pub no_encrypt: bool,
    /// New lifetime from now: seconds or 30m, 1h, 2d, 1w (capped by the server)
    #[arg(short = 'x', long, value_name = "DURATION")]
    pub expiry: Option<Expiry>,
    /// New label (at most 128 characters)
    #[arg(short = 'n', long, value_name = "NAME", conflicts_with = "no_name")]
    pub name: Option<String>,
    /// Remove the label
    #[arg(long)]
    pub no_name: bool,
    /// Set or replace the password (--password gives the current one); alone, it prompts
    #[arg(long, num_args = 0..=1, require_equals = true, value_name = "PASSWORD")]
    pub new_password: Option<Option<String>>,
    /// Remove the password
    #[arg(long, conflicts_with = "new_password")]
    pub remove_password: bool,
}

/// Arguments of `list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Pastes per page (the server allows at most 200)
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=200))]
    pub limit: u32,
    /// Pastes to skip
    #[arg(long, default_value_t = 0)]
    pub offset: u32,
    /// Only this MIME type, or a family such as image/*
    #[arg(long = "type", value_name = "MIME")]
    pub mime: Option<String>,
}

/// Arguments of `search`.
#[derive(Debug, Args)]
pub struct SearchArgs {
    /// Words to find in the paste's id or display name (case-insensitive; all must match)
    #[arg(value_name = "WORD")]
    pub words: Vec<String>,
    /// Only this MIME type, or a family such as image/*
    #[arg(long = "type", value_name = "MIME")]
    pub mime: Option<String>,
    /// Created on or after: YYYY-MM-DD, a Unix time, or a span ago such as 2d
    #[arg(long, value_name = "WHEN", value_parser = crate::when::parse_when)]
    pub after: Option<i64>,
    /// Created before: YYYY-MM-DD, a Unix time, or a span ago such as 1w
    #[arg(long, value_name = "WHEN", value_parser = crate::when::parse_when)]
    pub before: Option<i64>,
    /// Most matches to show
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub limit: u32,
}

/// Arguments of `export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Folder to write into (created when missing); existing files are never overwritten
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// Only this MIME type, or a family such as image/*
    #[arg(long = "type", value_name = "MIME")]
    pub mime: Option<String>,
}

/// Arguments of `shorten`.
#[derive(Debug, Args)]
pub struct ShortenArgs {
    /// The http or https URL to shorten
    pub url: String,
    /// Lifetime: seconds or 30m, 1h, 2d, 1w (capped by the server)
    #[arg(short = 'x', long, value_name = "DURATION")]
    pub expiry: Option<crate::expiry::Expiry>,
}

/// Arguments of `register`.
#[derive(Debug, Args)]
pub struct RegisterArgs {
    /// Common name for the certificate (default: chosen by the server)
    #[arg(short, long, value_name = "NAME")]
    pub name: Option<String>,
    /// Point the config file at the new certificate and key
    #[arg(long)]
    pub configure: bool,
    /// Write the files into DIR instead of the config directory
    #[arg(short, long, value_name = "DIR")]
    pub output: Option<PathBuf>,
    /// Replace existing certificate files
    #[arg(long)]
    pub force: bool,
}

/// `pki`: which action.
#[derive(Debug, Args)]
pub struct PkiArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: PkiCommand,
}

/// Subcommands of `pki`.
#[derive(Debug, Subcommand)]
pub enum PkiCommand {
    /// Show whether the server has a CA, its fingerprint and how many certificates it issued
    Status(Remote<NoArgs>),
    /// Print the CA certificate (PEM), or write it to --output
    Download(Remote<PkiDownloadArgs>),
    /// Issue a certificate and key for someone (admin certificate required)
    Issue(Remote<PkiIssueArgs>),
    /// Revoke a certificate by serial (admin certificate required)
    Revoke(Remote<PkiRevokeArgs>),
}

impl PkiCommand {
    /// The connection settings and output format given to the action.
    pub fn common(&self) -> (&ConnArgs, JsonArgs) {
        match self {
            Self::Status(r) => (&r.conn, r.json),
            Self::Download(r) => (&r.conn, r.json),
            Self::Issue(r) => (&r.conn, r.json),
            Self::Revoke(r) => (&r.conn, r.json),
        }
    }
}

/// `pki download`.
#[derive(Debug, Args)]
pub struct PkiDownloadArgs {
    /// File to write the CA certificate to
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// `pki issue`.
#[derive(Debug, Args)]
pub struct PkiIssueArgs {
    /// Common name of the new certificate
    #[arg(short, long, value_name = "NAME")]
    pub name: String,
    /// Give the new certificate admin rights
    #[arg(long)]
    pub admin: bool,
    /// Directory for NAME.crt, NAME.key and ca.crt (default: the current one)
    #[arg(short, long, value_name = "DIR")]
    pub output: Option<PathBuf>,
    /// Replace existing files
    #[arg(long)]
    pub force: bool,
}

/// `pki revoke`.
#[derive(Debug, Args)]
pub struct PkiRevokeArgs {
    /// Serial of the certificate, hex (as `pki issue` printed it; colons allowed)
    #[arg(value_name = "SERIAL", value_parser = parse_serial)]
    pub serial: String,
}

/// A serial as the server accepts it, checked before anything is sent.
fn parse_serial(raw: &str) -> Result<String, String> {
    paste_api::pki::normalise_serial(raw)
        .ok_or_else(|| "a serial is 2 to 40 hex digits, an even number of them".into())
}

/// Arguments of `delete`.
#[derive(Debug, Args)]
pub struct DeleteArgs {
    /// Paste id or URL
    // Ids are URL-safe base64, so one in 64 starts with `-`: it is a value, not a flag.
    #[arg(allow_hyphen_values = true)]
    pub target: String,
    /// Delete token from the create response (default: the stored one)
    // Tokens are URL-safe base64, so one in 64 starts with `-`: it is a value, not a flag.
    #[arg(long, value_name = "TOKEN", allow_hyphen_values = true)]
    pub token: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_delete_token_may_start_with_a_dash() -> Result<(), clap::Error> {
        use clap::Parser as _;
        let cli = Cli::try_parse_from(["fpaste", "delete", "abc", "--token", "-Dx_y"])?;
        let Some(Command::Delete(delete)) = cli.command else {
            return Err(clap::Error::new(clap::error::ErrorKind::InvalidSubcommand));
        };
        assert_eq!(delete.args.token.as_deref(), Some("-Dx_y"));
        Ok(())
    }
    #[test]
    fn a_paste_id_may_start_with_a_dash_and_flags_still_parse() -> Result<(), clap::Error> {
        use clap::Parser as _;
        let cli = Cli::try_parse_from(["fpaste", "get", "--server", "http://x", "-Iab#k", "-m"])?;
        let Some(Command::Get(get)) = cli.command else {
            return Err(clap::Error::new(clap::error::ErrorKind::InvalidSubcommand));
        };
        assert_eq!(get.args.target, "-Iab#k");
        assert!(get.args.meta);
        assert_eq!(get.conn.server.as_deref(), Some("http://x"));
        let cli = Cli::try_parse_from(["fpaste", "delete", "-Dx", "--token", "t"])?;
        let Some(Command::Delete(delete)) = cli.command else {
            return Err(clap::Error::new(clap::error::ErrorKind::InvalidSubcommand));
        };
        assert_eq!(delete.args.target, "-Dx");
        assert_eq!(delete.args.token.as_deref(), Some("t"));
        let cli = Cli::try_parse_from(["fpaste", "update", "-Ux", "-n", "label"])?;
        let Some(Command::Update(update)) = cli.command else {
            return Err(clap::Error::new(clap::error::ErrorKind::InvalidSubcommand));
        };
        assert_eq!(update.args.target, "-Ux");
        // Help is still help.
        let help = Cli::try_parse_from(["fpaste", "get", "-h"]).map(|_| ());
        assert_eq!(
            help.map_err(|e| e.kind()),
            Err(clap::error::ErrorKind::DisplayHelp)
        );
        Ok(())
    }

    use clap::CommandFactory;

    #[test]
    fn definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn short_forms_and_globals_parse() {
        let cli = Cli::try_parse_from(["fpaste", "-e", "--burn", "notes.txt"]).unwrap();
        assert!(cli.command.is_none() && cli.create.encrypt && cli.create.burn);
        let cli =
            Cli::try_parse_from(["fpaste", "get", "abc", "--server", "http://x", "-m"]).unwrap();
        let Some(Command::Get(get)) = &cli.command else {
            panic!("not get: {cli:?}");
        };
        assert!(get.args.meta);
        assert_eq!(get.conn.server.as_deref(), Some("http://x"));
        let cli = Cli::try_parse_from(["fpaste", "--password", "create", "f"]).unwrap();
        assert_eq!(cli.global.password.password, Some(None));
        let cli = Cli::try_parse_from(["fpaste", "--password=pw", "get", "x"]).unwrap();
        assert_eq!(cli.global.password.password, Some(Some("pw".into())));
        assert!(Cli::try_parse_from(["fpaste", "create", "-x", "soon"]).is_err());
        assert!(Cli::try_parse_from(["fpaste", "-e", "--no-encrypt"]).is_err());
        let cli = Cli::try_parse_from(["fpaste", "-e", "get", "x"]).unwrap();
        assert!(cli.command.is_some() && cli.create.is_set());
    }
}
