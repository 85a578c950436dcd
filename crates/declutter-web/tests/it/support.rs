//! Test server, clients and form helpers.

use std::sync::{Arc, Mutex};

use clap::Parser as _;
use declutter_web::cloud::Revoker;
use declutter_web::config::{Args, Config, OidcSettings};
use declutter_web::state::AppState;
use futures_util::future::BoxFuture;
use platform_db::pg::testing::FreshDb;
use platform_db::sql::Conn;
use reqwest::header::{HeaderMap, HeaderValue, ORIGIN};
use secrecy::SecretString;
use tokio::net::TcpListener;

/// Whether the apps of this run keep their data in PostgreSQL (`DECLUTTER_TEST_BACKEND=postgres`,
/// the second pass of `make test`), a fresh database per app; SQLite files otherwise.
pub fn on_postgres() -> bool {
    std::env::var("DECLUTTER_TEST_BACKEND").is_ok_and(|v| v == "postgres")
}

/// Where an app keeps its data, shared with its other instances.
#[derive(Clone)]
struct Store {
    db: std::path::PathBuf,
    pg: Option<Arc<FreshDb>>,
}

/// Every log line of this test binary, as JSON text, for the secrets-in-logs test.
pub static LOGS: std::sync::LazyLock<Arc<Mutex<Vec<u8>>>> = std::sync::LazyLock::new(|| {
    let buf = Arc::new(Mutex::new(Vec::new()));
    let writer = buf.clone();
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(tracing_subscriber::EnvFilter::new(
            "debug,hyper=info,h2=info,reqwest=info",
        ))
        .with_writer(move || LogWriter(writer.clone()))
        .try_init();
    buf
});

/// Appends to the shared log buffer.
pub struct LogWriter(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogWriter {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The captured logs so far.
pub fn logs() -> String {
    String::from_utf8_lossy(
        &LOGS
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
    )
    .into_owned()
}

pub type TestResult<T = ()> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// Records revocations instead of calling a provider.
#[derive(Debug, Default)]
pub struct RecordingRevoker(pub Mutex<Vec<(String, String)>>);

impl Revoker for RecordingRevoker {
    fn revoke(
        &self,
        provider: &str,
        token: SecretString,
    ) -> BoxFuture<'static, Result<(), String>> {
        use secrecy::ExposeSecret as _;
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push((provider.to_owned(), token.expose_secret().to_owned()));
        Box::pin(async { Ok(()) })
    }
}

/// A running app.
pub struct TestApp {
    pub base: String,
    pub state: AppState,
    pub revoked: Arc<RecordingRevoker>,
    pub dir: tempfile::TempDir,
    /// The one allow-listed local root (`DECLUTTER_LOCAL_ROOTS`).
    pub roots: std::path::PathBuf,
    /// The token keyring's key, so a second instance can share the data.
    pub token_key: String,
    /// The PostgreSQL database of this app and its other instances, on the PostgreSQL pass.
    pub pg: Option<Arc<FreshDb>>,
    ca: Option<platform::testkit::Minted>,
    _stop: tokio::sync::oneshot::Sender<()>,
}

/// Knobs for [`TestApp::start_with`].
#[derive(Default)]
pub struct Options {
    pub google: Option<OidcSettings>,
    pub microsoft: Option<OidcSettings>,
    pub onedrive: Option<declutter_web::config::OAuthClient>,
    pub gdrive: Option<declutter_web::config::OAuthClient>,
    /// Graph and Drive API base URLs (fake servers).
    pub graph_url: Option<String>,
    pub drive_url: Option<String>,
    pub login_rate: Option<u32>,
    pub signup_rate: Option<u32>,
    /// API requests per minute per client (default 10,000, i.e. out of the way).
    pub api_rate: Option<u32>,
    /// First sign-in backoff step (default: the configured 1 s).
    pub lockout_base: Option<std::time::Duration>,
    pub public_url: Option<String>,
    pub trusted_proxy: Option<std::net::IpAddr>,
    pub tls: bool,
    /// Run after each item of a clean-up job (holds a job between two items).
    pub item_hook: Option<declutter_core::engine::jobs::ItemHook>,
    /// Scan workers of this instance (default 2; 0 is `serve --no-worker`).
    pub scan_workers: Option<usize>,
    /// The allowed local roots, instead of this instance's own `roots` folder.
    pub local_roots: Option<Vec<std::path::PathBuf>>,
}

impl TestApp {
    pub async fn start() -> TestResult<Self> {
        Self::start_with(Options::default()).await
    }

    pub async fn start_with(o: Options) -> TestResult<Self> {
        Self::start_on(o, None).await
    }

    /// Another instance on this one's database and token key (as several `declutter serve`
    /// processes behind a load balancer), with its own address; `o.public_url` defaults to
    /// this instance's (the address the provider redirects back to), and `o.local_roots` to
    /// this instance's roots (the same folders mounted).
    pub async fn second_instance(&self, mut o: Options) -> TestResult<Self> {
        o.public_url.get_or_insert_with(|| self.base.clone());
        o.local_roots
            .get_or_insert_with(|| self.state.config.local_roots.clone());
        let store = Store {
            db: self.state.config.db.clone(),
            pg: self.pg.clone(),
        };
        Self::start_on(o, Some((store, self.token_key.clone()))).await
    }

    async fn start_on(o: Options, shared: Option<(Store, String)>) -> TestResult<Self> {
        std::sync::LazyLock::force(&LOGS);
        let dir = tempfile::tempdir()?;
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        let (base, ca, tls) = if o.tls {
            let ca = platform::testkit::TestCa::new("declutter test CA")?;
            let (cert, key) = ca.server()?.write(dir.path(), "server")?;
            let files = platform::tls::TlsFiles {
                cert,
                key,
                client_ca: None,
                require_client_cert: false,
            };
            (
                format!("https://localhost:{port}"),
                Some(ca.ca.clone()),
                Some(platform::tls::server_config(&files)?),
            )
        } else {
            (format!("http://127.0.0.1:{port}"), None, None)
        };
        let (store, token_key) = match shared {
            Some(shared) => shared,
            None => {
                let pg = if on_postgres() {
                    let fresh = FreshDb::create().await?.ok_or(
                        "DECLUTTER_TEST_BACKEND=postgres needs PLATFORM_TEST_POSTGRES (a server URL)",
                    )?;
                    Some(Arc::new(fresh))
                } else {
                    None
                };
                let store = Store {
                    db: dir.path().join("declutter.db"),
                    pg,
                };
                (store, declutter_web::crypto::generate_key())
            }
        };
        let args = Args::try_parse_from(["declutter-serve", "--token-key", &token_key])?;
        let mut config = Config::from_args(args)?;
        config.db = store.db;
        config.database_url = store.pg.as_ref().map(|pg| pg.url.clone().into());
        config.public_url = o.public_url.clone().unwrap_or_else(|| base.clone());
        config.trusted_proxy = o.trusted_proxy;
        config.argon2_memory_kib = 64;
        config.rates = (
            o.login_rate.unwrap_or(1000),
            o.signup_rate.unwrap_or(1000),
            o.api_rate.unwrap_or(10_000),
        );
        if let Some(base) = o.lockout_base {
            config.lockout_base = base;
        }
        let roots = dir.path().join("roots");
        std::fs::create_dir_all(&roots)?;
        config.local_roots = o.local_roots.unwrap_or_else(|| vec![roots.clone()]);
        let roots = config.local_roots.first().cloned().unwrap_or(roots);
        if let Some(n) = o.scan_workers {
            config.scan_workers = n;
        }
        config.google = o.google;
        config.microsoft = o.microsoft;
        config.onedrive = o.onedrive;
        config.gdrive = o.gdrive;
        if let Some(u) = o.graph_url {
            config.graph_url = u;
        }
        if let Some(u) = o.drive_url {
            config.drive_url = u;
        }
        let mut state = declutter_web::build_state(config).await?;
        let revoked = Arc::new(RecordingRevoker::default());
        state.make_mut().revoker = revoked.clone();
        state.make_mut().item_hook = declutter_web::services::cleanup::Hook(o.item_hook);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(declutter_web::serve_state(
            state.clone(),
            listener,
            tls,
            async move {
                let _ = stopped.await;
            },
        ));
        Ok(Self {
            base,
            state,
            revoked,
            dir,
            roots,
            token_key,
            pg: store.pg,
            ca,
            _stop: stop,
        })
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A connection of its own to the app's database (the SQLite file, or the PostgreSQL
    /// database), outside the app's pool.
    pub fn db(&self) -> TestResult<Box<dyn Conn>> {
        match &self.pg {
            Some(pg) => Ok(Box::new(
                platform_db::sql::pg::BlockingPool::connect(
                    &pg.url,
                    1,
                    &platform_db::pg::PgTls::default(),
                )?
                .get()?,
            )),
            None => Ok(Box::new(platform_db::open(&self.state.config.db)?)),
        }
    }

    /// What the app keeps at rest, for the no-plaintext-secret checks: on SQLite, the files'
    /// bytes with the fresh rows still in the WAL and again once checkpointed into the main
    /// file; on PostgreSQL, every row of every table as text, and the sealed columns' raw bytes.
    pub fn stored_bytes(&self) -> TestResult<Vec<Vec<u8>>> {
        let mut out = Vec::new();
        if self.pg.is_some() {
            use platform_db::sql::DbExt as _;
            let db = self.db()?;
            let tables: Vec<String> = db.rows(
                "SELECT table_name::text FROM information_schema.tables
                 WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
                &[],
                |r| r.get(0),
            )?;
            for table in tables {
                let rows: Vec<String> = db.rows(
                    &format!("SELECT CAST(t AS TEXT) FROM \"{table}\" t"),
                    &[],
                    |r| r.get(0),
                )?;
                out.extend(rows.into_iter().map(String::into_bytes));
            }
            for (table, column) in [
                ("oauth_connections", "token_sealed"),
                ("oauth_flows", "sealed"),
            ] {
                out.extend(db.rows(&format!("SELECT {column} FROM {table}"), &[], |r| {
                    r.get::<_, Vec<u8>>(0)
                })?);
            }
            return Ok(out);
        }
        let read = |out: &mut Vec<Vec<u8>>| -> TestResult {
            for entry in std::fs::read_dir(self.dir.path())? {
                let path = entry?.path();
                if path.is_file() {
                    out.push(std::fs::read(path)?);
                }
            }
            Ok(())
        };
        read(&mut out)?;
        let conn = platform_db::open(&self.state.config.db)?;
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        drop(conn);
        read(&mut out)?;
        Ok(out)
    }

    /// The handle on stored connections, as the app's handlers take it.
    pub fn vault(&self) -> declutter_web::cloud::Vault {
        axum::extract::FromRef::from_ref(&self.state)
    }

    /// A browser-like client: cookie store, no automatic redirects.
    pub fn browser(&self) -> TestResult<Browser> {
        let mut headers = HeaderMap::new();
        headers.insert(ORIGIN, HeaderValue::from_str(&self.base)?);
        let client = self
            .builder()?
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .default_headers(headers)
            .build()?;
        Ok(Browser {
            client,
            base: self.base.clone(),
        })
    }

    /// A plain client (no cookies, no Origin).
    pub fn plain(&self) -> TestResult<reqwest::Client> {
        Ok(self
            .builder()?
            .redirect(reqwest::redirect::Policy::none())
            .build()?)
    }

    fn builder(&self) -> TestResult<reqwest::ClientBuilder> {
        let mut b = reqwest::Client::builder();
        if let Some(ca) = &self.ca {
            b = b
                .use_rustls_tls()
                .tls_built_in_root_certs(false)
                .add_root_certificate(reqwest::Certificate::from_pem(ca.cert_pem.as_bytes())?);
        }
        Ok(b)
    }

    /// Signs up a new browser; returns it.
    pub async fn user(&self, email: &str, name: &str) -> TestResult<Browser> {
        let b = self.browser()?;
        let res = b.signup(email, name, PASSWORD).await?;
        assert_eq!(res.status(), 303, "signup of {email}");
        Ok(b)
    }
}

pub const PASSWORD: &str = "correct horse battery staple";

/// Whether this run is CI (`CI` set to anything but empty, `0` or `false`), where every tool
/// the tests use is installed (.ci/install-packages).
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !matches!(v.trim(), "" | "0" | "false"))
}

/// A test's tool is missing: a failure in CI, a loud skip (`Ok`) on a workstation.
pub fn tool_missing(what: &str) -> TestResult {
    if in_ci() {
        return Err(format!("{what} missing in CI (.ci/install-packages installs it)").into());
    }
    eprintln!("SKIPPED: {what} not installed (apt-get install chromium chromium-driver)");
    Ok(())
}

/// A client that behaves like a browser tab.
pub struct Browser {
    pub client: reqwest::Client,
    pub base: String,
}

impl Browser {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get(&self, path: &str) -> TestResult<reqwest::Response> {
        Ok(self.client.get(self.url(path)).send().await?)
    }

    pub async fn text(&self, path: &str) -> TestResult<String> {
        Ok(self.get(path).await?.text().await?)
    }

    /// The CSRF token rendered in `page`.
    pub async fn csrf(&self, page: &str) -> TestResult<String> {
        let html = self.text(page).await?;
        csrf_in(&html).ok_or_else(|| format!("no csrf field in {page}").into())
    }

    /// Posts a form with the token taken from `page`.
    pub async fn submit(
        &self,
        page: &str,
        action: &str,
        fields: &[(&str, &str)],
    ) -> TestResult<reqwest::Response> {
        let token = self.csrf(page).await?;
        let mut form: Vec<(&str, &str)> = fields.to_vec();
        form.push(("csrf", &token));
        Ok(self
            .client
            .post(self.url(action))
            .form(&form)
            .send()
            .await?)
    }

    pub async fn signup(
        &self,
        email: &str,
        name: &str,
        password: &str,
    ) -> TestResult<reqwest::Response> {
        self.submit(
            "/signup",
            "/signup",
            &[
                ("email", email),
                ("display_name", name),
                ("password", password),
            ],
        )
        .await
    }

    pub async fn login(
        &self,
        email: &str,
        password: &str,
        next: Option<&str>,
    ) -> TestResult<reqwest::Response> {
        let mut f = vec![("email", email), ("password", password)];
        if let Some(n) = next {
            f.push(("next", n));
        }
        self.submit("/login", "/login", &f).await
    }

    pub async fn logout(&self) -> TestResult<reqwest::Response> {
        self.submit("/account", "/logout", &[]).await
    }
}

pub fn csrf_in(html: &str) -> Option<String> {
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker)? + marker.len();
    let end = html[start..].find('"')?;
    Some(html[start..start + end].to_owned())
}

pub fn location(res: &reqwest::Response) -> String {
    res.headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// The `name=value` of a Set-Cookie named `name`.
pub fn set_cookie(res: &reqwest::Response, name: &str) -> Option<String> {
    res.headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

/// Client settings pointing at a fake authorization server.
pub fn oauth_client(f: &declutter_fakes::FakeOAuth) -> declutter_web::config::OAuthClient {
    declutter_web::config::OAuthClient {
        client_id: f.client_id().into(),
        client_secret: f.client_secret().to_owned().into(),
        auth_url: f.auth_url(),
        token_url: f.token_url(),
        revoke_url: Some(f.revoke_url()),
    }
}
