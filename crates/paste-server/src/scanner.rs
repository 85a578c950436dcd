//! Optional malware scanning of uploads through a ClamAV daemon (clamd's INSTREAM command).
//!
//! Fail closed: when scanning is enabled and the scanner cannot give a verdict (down, timed out,
//! over its stream limit), the upload is refused rather than stored unscanned. Content that looks
//! like ciphertext is skipped, since no scanner can see inside it, and the skip is recorded in
//! the paste's metadata.

use std::path::PathBuf;
use std::time::Duration;

use clamav_client::tokio::{Socket, Tcp, TransportProtocol, scan_buffer, scan_file};

/// Entropy above which unrecognised bytes are taken for ciphertext.
const CIPHERTEXT_ENTROPY: f64 = 7.5;

/// Where clamd listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClamdAddr {
    /// `host:port`.
    Tcp(String),
    /// A Unix socket path.
    Unix(PathBuf),
}

impl std::str::FromStr for ClamdAddr {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if let Some(path) = s.strip_prefix("unix://") {
            return Ok(Self::Unix(PathBuf::from(path)));
        }
        if s.starts_with('/') {
            return Ok(Self::Unix(PathBuf::from(s)));
        }
        let hostport = s.strip_prefix("tcp://").unwrap_or(s);
        match hostport.rsplit_once(':') {
            Some((host, port)) if !host.is_empty() && port.parse::<u16>().is_ok() => {
                Ok(Self::Tcp(hostport.to_owned()))
            }
            _ => Err(format!("{s:?} is neither host:port nor a socket path")),
        }
    }
}

/// What the scanner concluded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// No signature matched.
    Clean,
    /// A signature matched.
    Infected(String),
    /// Not scanned, and why.
    Skipped(&'static str),
}

impl Verdict {
    /// The text stored in the paste's `scan` metadata.
    pub fn label(&self) -> String {
        match self {
            Self::Clean => "clean".to_owned(),
            Self::Infected(name) => format!("infected: {name}"),
            Self::Skipped(why) => format!("skipped: {why}"),
        }
    }
}

/// The scanner could not give a verdict.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    /// Connecting or talking to clamd failed.
    #[error("clamd unreachable: {0}")]
    Io(#[from] std::io::Error),
    /// No answer within the time limit.
    #[error("clamd did not answer in time")]
    Timeout,
    /// clamd answered with an error (e.g. its stream size limit).
    #[error("clamd error: {0}")]
    Daemon(String),
}

/// What to scan: bytes in memory, or an upload spooled to a file.
#[derive(Debug, Clone, Copy)]
pub enum Target<'a> {
    /// Content held whole.
    Bytes(&'a [u8]),
    /// A spool file, streamed to clamd from its start.
    File(&'a std::fs::File),
}

/// A configured scanner.
#[derive(Debug, Clone)]
pub struct Scanner {
    /// Where clamd listens.
    pub addr: ClamdAddr,
    /// Longest wait for a verdict.
    pub timeout: Duration,
}

impl Scanner {
    /// Scans `target` whose entropy and detected MIME type are given.
    pub async fn scan(
        &self,
        target: Target<'_>,
        entropy: f64,
        mime: &str,
    ) -> Result<Verdict, ScanError> {
        if entropy >= CIPHERTEXT_ENTROPY && mime == "application/octet-stream" {
            return Ok(Verdict::Skipped("encrypted"));
        }
        let request = async {
            match &self.addr {
                ClamdAddr::Tcp(host_address) => {
                    send(
                        target,
                        Tcp {
                            host_address: host_address.as_str(),
                        },
                    )
                    .await
                }
                ClamdAddr::Unix(socket_path) => {
                    send(
                        target,
                        Socket {
                            socket_path: socket_path.as_path(),
                        },
                    )
                    .await
                }
            }
        };
        let reply = tokio::time::timeout(self.timeout, request)
            .await
            .map_err(|_| ScanError::Timeout)??;
        parse_reply(&reply)
    }
}

async fn send<T: TransportProtocol>(target: Target<'_>, connection: T) -> std::io::Result<Vec<u8>> {
    match target {
        Target::Bytes(content) => scan_buffer(content, connection, None).await,
        Target::File(file) => {
            // The spool file has no name; Linux reopens it through its descriptor (a fresh
            // offset, so concurrent readers of the same file cannot disturb each other).
            use std::os::fd::AsRawFd;
            let path = format!("/proc/self/fd/{}", file.as_raw_fd());
            scan_file(path, connection, None).await
        }
    }
}

/// Reads clamd's `stream: OK`, `stream: <name> FOUND` or `... ERROR` reply.
fn parse_reply(reply: &[u8]) -> Result<Verdict, ScanError> {
    let text = String::from_utf8_lossy(reply);
    let text = text.trim_end_matches('\0').trim();
    let body = text.strip_prefix("stream:").unwrap_or(text).trim();
    if body == "OK" {
        Ok(Verdict::Clean)
    } else if let Some(name) = body.strip_suffix("FOUND") {
        Ok(Verdict::Infected(name.trim().to_owned()))
    } else {
        Err(ScanError::Daemon(body.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_parse() {
        assert_eq!(parse_reply(b"stream: OK\0").ok(), Some(Verdict::Clean));
        assert_eq!(
            parse_reply(b"stream: Win.Test.EICAR_HDB-1 FOUND\0").ok(),
            Some(Verdict::Infected("Win.Test.EICAR_HDB-1".into()))
        );
        assert!(parse_reply(b"INSTREAM size limit exceeded. ERROR\0").is_err());
        assert!(parse_reply(b"").is_err());
    }

    #[test]
    fn addresses_parse() {
        assert_eq!(
            "127.0.0.1:3310".parse(),
            Ok(ClamdAddr::Tcp("127.0.0.1:3310".into()))
        );
        assert_eq!(
            "tcp://clamd:3310".parse(),
            Ok(ClamdAddr::Tcp("clamd:3310".into()))
        );
        assert_eq!(
            "/run/clamav/clamd.ctl".parse(),
            Ok(ClamdAddr::Unix("/run/clamav/clamd.ctl".into()))
        );
        assert!("nonsense".parse::<ClamdAddr>().is_err());
    }
}
