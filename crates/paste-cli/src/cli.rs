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
5 decryption failed (wrong key, tampered or truncated paste).";

/// fpaste: create, fetch and delete pastes on an fpasted server.
#[derive(Debug, Parser)]
#[command(
    name = "fpaste",
    version,
    about = "Create, fetch and delete pastes on an fpasted server, end-to-end encrypted.",
    after_help = AFTER_HELP
)]
pub struct Cli {
    /// Settings shared by every command.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// What to do; none means create from FILE or standard input.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Create options of the short form.
    #[command(flatten)]
    pub create: CreateArgs,
}

/// Connection and output settings, valid before or after the subcommand.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Server URL with its URL prefix, e.g. https://paste.example/p [env: FPASTE_SERVER]
    #[arg(short, long, global = true, value_name = "URL")]
    pub server: Option<String>,
    /// PEM client certificate for mTLS [env: FPASTE_CLIENT_CERT]
    #[arg(long, global = true, value_name = "FILE")]
    pub client_cert: Option<PathBuf>,
    /// PEM private key of the client certificate [env: FPASTE_CLIENT_KEY]
    #[arg(long, global = true, value_name = "FILE")]
    pub client_key: Option<PathBuf>,
    /// PEM CA bundle to trust for the server [env: FPASTE_CA_FILE]
    #[arg(long, global = true, value_name = "FILE")]
    pub ca_file: Option<PathBuf>,
    /// Accept only the server certificate with this SHA-256 [env: FPASTE_SERVER_FINGERPRINT]
    #[arg(long, global = true, value_name = "SHA256")]
    pub server_fingerprint: Option<String>,
    /// Config file instead of $XDG_CONFIG_HOME/fpaste/config.toml [env: FPASTE_CONFIG]
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Paste password; `--password` alone prompts on the terminal [env: FPASTE_PASSWORD]
    #[arg(
        short,
        long,
        global = true,
        num_args = 0..=1,
        require_equals = true,
        value_name = "PASSWORD"
    )]
    pub password: Option<Option<String>>,
    /// Machine-readable JSON on stdout
    #[arg(long, global = true)]
    pub json: bool,
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
}

impl CreateArgs {
    /// Whether any create option or file was given.
    pub fn is_set(&self) -> bool {
        self.file.is_some() || self.encrypt || self.no_encrypt || self.expiry.is_some() || self.burn
    }
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a paste from FILE or standard input; prints its URL
    Create(CreateArgs),
    /// Print a paste's content (decrypting when the URL carries a key)
    Get(GetArgs),
    /// Delete a paste (with its stored delete token, --token, or your client certificate)
    Delete(DeleteArgs),
    /// Show the server's limits and proof-of-work status
    Info,
    /// List your own pastes, newest first (needs a client certificate)
    List(ListArgs),
    /// Shorten a http(s) URL; prints the short link
    Shorten(ShortenArgs),
    /// Show the effective settings and where each comes from (secrets masked)
    Config,
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
    pub target: String,
    /// Print metadata (JSON) instead of content; never burns a paste
    #[arg(short, long)]
    pub meta: bool,
    /// Write the content to FILE instead of stdout
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Write an encrypted paste's ciphertext as it is when the link has no #key
    #[arg(long)]
    pub raw: bool,
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

/// Arguments of `shorten`.
#[derive(Debug, Args)]
pub struct ShortenArgs {
    /// The http or https URL to shorten
    pub url: String,
    /// Lifetime: seconds or 30m, 1h, 2d, 1w (capped by the server)
    #[arg(short = 'x', long, value_name = "DURATION")]
    pub expiry: Option<crate::expiry::Expiry>,
}

/// Arguments of `delete`.
#[derive(Debug, Args)]
pub struct DeleteArgs {
    /// Paste id or URL
    pub target: String,
    /// Delete token from the create response (default: the stored one)
    #[arg(long, value_name = "TOKEN")]
    pub token: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
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
        assert_eq!(cli.global.server.as_deref(), Some("http://x"));
        assert!(matches!(
            cli.command,
            Some(Command::Get(GetArgs { meta: true, .. }))
        ));
        let cli = Cli::try_parse_from(["fpaste", "--password", "create", "f"]).unwrap();
        assert_eq!(cli.global.password, Some(None));
        let cli = Cli::try_parse_from(["fpaste", "--password=pw", "get", "x"]).unwrap();
        assert_eq!(cli.global.password, Some(Some("pw".into())));
        assert!(Cli::try_parse_from(["fpaste", "create", "-x", "soon"]).is_err());
        assert!(Cli::try_parse_from(["fpaste", "-e", "--no-encrypt"]).is_err());
        let cli = Cli::try_parse_from(["fpaste", "-e", "get", "x"]).unwrap();
        assert!(cli.command.is_some() && cli.create.is_set());
    }
}
