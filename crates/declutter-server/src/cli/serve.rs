//! `declutter serve`: the web app on embedded defaults; `declutter worker`: its scan workers
//! alone. The one decision made here is the token key: an instance reachable only from this
//! machine may run on a generated development key (with a loud warning); any other instance
//! refuses to start without a real key.

use std::net::IpAddr;

use declutter_web::Args;

use super::output;

/// Why `serve` refused to start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// No key, and the instance is not loopback-only.
    #[error(
        "no token encryption key: set DECLUTTER_TOKEN_KEY or DECLUTTER_TOKEN_KEY_FILE (base64 of 32 bytes); \
         a generated development key is only used when the listen address and public URL are loopback \
         and no proxy is trusted"
    )]
    NoKey,
    /// Several instances share a PostgreSQL database, and API tokens would be signed with a
    /// secret of each instance's own.
    #[error(
        "DECLUTTER_DATABASE_URL is set but DECLUTTER_JWT_SECRET is not: instances sharing a database \
         must share the secret API tokens are signed with (set it to the same random value of at \
         least 32 bytes on each)"
    )]
    NoSharedJwtSecret,
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: std::net::SocketAddr,
        /// The error.
        source: std::io::Error,
    },
}

const DEV_BANNER: &str = "declutter: WARNING: DEVELOPMENT MODE: no DECLUTTER_TOKEN_KEY(_FILE) is set, so cloud tokens \
are sealed with a generated key kept beside the database (token-key.dev). Fine on your own machine; \
never for a shared or public instance.";

/// Whether a URL's host is this machine (`localhost`, 127.0.0.0/8, `[::1]`).
fn url_is_loopback(url: &str) -> bool {
    let Some((_, rest)) = url.split_once("://") else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => authority.rsplit_once(':').map_or(authority, |(h, _)| h),
    };
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Whether nobody but this machine can reach the instance: loopback listen address, loopback
/// (or default) public URL, and no reverse proxy in front.
pub fn loopback_only(a: &Args) -> bool {
    a.listen.ip().is_loopback()
        && a.trusted_proxy.is_none()
        && a.public_url.as_deref().is_none_or(url_is_loopback)
}

/// On a shared PostgreSQL database, an API token made by one instance must verify on the
/// others: refuses a secret generated per start there (development mode aside).
fn check_shared_secrets(a: &Args) -> Result<(), ServeError> {
    if a.names_postgres() && !a.has_jwt_secret() && !a.dev {
        return Err(ServeError::NoSharedJwtSecret);
    }
    Ok(())
}

/// Development mode exactly when no key is configured and the instance is loopback-only; a
/// configured key always wins, and an explicit `DECLUTTER_DEV=1` elsewhere is refused.
pub fn decide_dev(mut a: Args) -> Result<Args, ServeError> {
    let has_key = a.token_key.is_some() || a.token_key_file.is_some();
    a.dev = !has_key && loopback_only(&a);
    if !has_key && !a.dev {
        return Err(ServeError::NoKey);
    }
    Ok(a)
}

/// Runs `serve` until SIGINT or SIGTERM.
pub async fn run(a: Args) -> anyhow::Result<()> {
    platform::telemetry::init(a.log_format);
    let mut a = decide_dev(a)?;
    check_shared_secrets(&a)?;
    if a.dev {
        output::note(DEV_BANNER);
    }
    let listener = platform::serve::bind(a.listen).map_err(|source| ServeError::Bind {
        addr: a.listen,
        source,
    })?;
    // With port 0 the default public URL (CSRF origin) must name the port actually bound.
    a.listen = listener.local_addr()?;
    let config = declutter_web::Config::from_args(a)?;
    declutter_web::serve(config, listener, platform::shutdown::signal()).await
}

/// Runs `worker` until SIGINT or SIGTERM: the same key rules as `serve`, no listener.
pub async fn work(a: Args) -> anyhow::Result<()> {
    platform::telemetry::init(a.log_format);
    let a = decide_dev(a)?;
    check_shared_secrets(&a)?;
    if a.dev {
        output::note(DEV_BANNER);
    }
    let config = declutter_web::Config::from_args(a)?;
    declutter_web::work(config, platform::shutdown::signal()).await
}

#[cfg(test)]
mod tests {
    use clap::Parser as _;

    use super::*;

    fn args(extra: &[&str]) -> Result<Args, clap::Error> {
        let mut v = vec!["declutter-serve"];
        v.extend_from_slice(extra);
        Args::try_parse_from(v)
    }

    #[test]
    fn loopback_urls() {
        for u in [
            "http://127.0.0.1:8080",
            "http://localhost",
            "https://[::1]:9/x",
            "http://127.9.9.9/",
        ] {
            assert!(url_is_loopback(u), "{u}");
        }
        for u in [
            "https://declutter.example.com",
            "http://10.0.0.1:80",
            "http://[2001:db8::1]/",
            "127.0.0.1",
        ] {
            assert!(!url_is_loopback(u), "{u}");
        }
    }

    #[test]
    fn dev_mode_only_when_loopback_only_and_keyless() -> Result<(), Box<dyn std::error::Error>> {
        assert!(decide_dev(args(&["--listen", "127.0.0.1:0"])?)?.dev);
        assert!(decide_dev(args(&["--listen", "[::1]:0"])?)?.dev);
        let key = declutter_web::crypto::generate_key();
        assert!(!decide_dev(args(&["--listen", "127.0.0.1:0", "--token-key", &key])?)?.dev);
        assert!(!decide_dev(args(&["--listen", "192.0.2.1:80", "--token-key", &key])?)?.dev);
        for refused in [
            vec!["--listen", "192.0.2.1:80"],
            vec!["--listen", "192.0.2.1:80", "--dev"],
            vec![
                "--listen",
                "127.0.0.1:0",
                "--public-url",
                "https://declutter.example.com",
            ],
            vec!["--listen", "127.0.0.1:0", "--trusted-proxy", "127.0.0.1"],
        ] {
            assert!(
                matches!(decide_dev(args(&refused)?), Err(ServeError::NoKey)),
                "{refused:?}"
            );
        }
        Ok(())
    }
}
