//! The typed failures of the client and the exit code each one maps to.

use std::process::ExitCode;

/// Exit code of a success.
pub const EXIT_OK: u8 = 0;
/// Exit code of a local failure: a file that cannot be read, a broken configuration file.
pub const EXIT_LOCAL: u8 = 1;
/// Exit code of a usage error (the same code clap uses for bad arguments).
pub const EXIT_USAGE: u8 = 2;
/// Exit code when the server could not be reached (DNS, connect, TLS, pin mismatch, cut transfer).
pub const EXIT_NETWORK: u8 = 3;
/// Exit code when the server answered with an error status (4xx/5xx).
pub const EXIT_SERVER: u8 = 4;
/// Exit code when an encrypted paste does not decrypt: wrong key, tampering or truncation.
pub const EXIT_DECRYPT: u8 = 5;
/// Exit code when a paste is encrypted and its link carries no `#key` (see `get --raw`).
pub const EXIT_KEY_MISSING: u8 = 6;

/// Every way a command can fail, each with its own exit code.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Bad arguments or an invalid value given by the user.
    #[error("{0}")]
    Usage(String),
    /// Local I/O or configuration failure.
    #[error("{0}")]
    Local(String),
    /// The server could not be reached or the transfer broke.
    #[error("network error: {0}")]
    Network(String),
    /// The server refused the request.
    #[error("server refused ({status}): {message}")]
    Server {
        /// HTTP status code.
        status: u16,
        /// The server's `error`/`detail` text, or the reason phrase.
        message: String,
    },
    /// An encrypted paste failed to decrypt.
    #[error("decryption failed: {0}")]
    Decrypt(String),
    /// An encrypted paste was asked for without its key.
    #[error("{0}")]
    KeyMissing(String),
}

impl CliError {
    /// The process exit code of this failure.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Usage(_) => EXIT_USAGE,
            Self::Local(_) => EXIT_LOCAL,
            Self::Network(_) => EXIT_NETWORK,
            Self::Server { .. } => EXIT_SERVER,
            Self::Decrypt(_) => EXIT_DECRYPT,
            Self::KeyMissing(_) => EXIT_KEY_MISSING,
        }
    }

    /// Wraps an I/O error with what was being done.
    pub fn io(what: impl std::fmt::Display, err: std::io::Error) -> Self {
        Self::Local(format!("{what}: {err}"))
    }
}

impl From<crate::envelope::EnvelopeError> for CliError {
    fn from(err: crate::envelope::EnvelopeError) -> Self {
        match err {
            crate::envelope::EnvelopeError::Io(e) => Self::Local(format!("I/O error: {e}")),
            other => Self::Decrypt(other.to_string()),
        }
    }
}

/// Maps an error that reached `main` to an exit code: typed errors keep theirs.
pub fn exit_code_of(err: &anyhow::Error) -> ExitCode {
    let code = err
        .downcast_ref::<CliError>()
        .map_or(EXIT_LOCAL, CliError::exit_code);
    ExitCode::from(code)
}

/// Result alias of the client.
pub type Result<T, E = CliError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_failure_class_has_its_own_exit_code() {
        let errors = [
            CliError::Local("x".into()),
            CliError::Usage("x".into()),
            CliError::Network("x".into()),
            CliError::Server {
                status: 404,
                message: "x".into(),
            },
            CliError::Decrypt("x".into()),
        ];
        let codes: Vec<u8> = errors.iter().map(CliError::exit_code).collect();
        assert_eq!(
            codes,
            [
                EXIT_LOCAL,
                EXIT_USAGE,
                EXIT_NETWORK,
                EXIT_SERVER,
                EXIT_DECRYPT
            ]
        );
        assert_eq!(codes, [1, 2, 3, 4, 5]);
        let wrapped = anyhow::Error::from(CliError::Decrypt("bad".into()));
        assert_eq!(exit_code_of(&wrapped), ExitCode::from(EXIT_DECRYPT));
        assert_eq!(
            exit_code_of(&anyhow::anyhow!("other")),
            ExitCode::from(EXIT_LOCAL)
        );
        assert_eq!(EXIT_OK, 0);
    }

    #[test]
    fn envelope_failures_are_decryption_failures_but_io_is_local() {
        let auth = CliError::from(crate::envelope::EnvelopeError::Auth);
        assert_eq!(auth.exit_code(), EXIT_DECRYPT);
        let io = CliError::from(crate::envelope::EnvelopeError::Io(std::io::Error::other(
            "disk",
        )));
        assert_eq!(io.exit_code(), EXIT_LOCAL);
    }
}
