//! Declutter Cloud, the web app: accounts (email + password, Google, Microsoft), server-side
//! sessions, API access tokens, roles enforced from one route table, CSRF defences, an
//! append-only audit log, sealed cloud tokens, and server-rendered pages, on the shared
//! platform crate and the engine's database (a SQLite file, or PostgreSQL shared by several
//! instances).
//!
//! [`router`] builds the routes over an [`state::AppState`] (no I/O); [`serve`] opens the
//! database, loads keys, assembles the platform middleware and serves an already bound
//! listener until shutdown. `declutter serve` calls [`serve`].

pub mod assets;
pub mod auth;
pub mod cloud;
pub mod cloud_thumbnail;
pub mod config;
pub mod connect;
pub mod connection_tokens;
pub mod crypto;
pub mod db;
pub mod error;
pub mod extract;
pub mod handlers;
pub mod local_roots;
pub mod metrics;
pub mod model;
pub mod oauth_flow;
pub mod oidc;
pub mod pages;
pub mod path_id;
pub mod proxy;
pub mod review;
pub mod router;
pub mod services;
pub mod state;
pub mod thumbnail;
pub mod user_data;
pub mod views;
pub mod work;

use std::future::Future;
use std::sync::Arc;

use anyhow::Context as _;
use axum::extract::FromRef as _;
use http::HeaderValue;
use oauth_flow::PendingFlows;
use platform::error_reporting::{ErrorReporter, ReporterOptions};
use platform::layers::{LayerConfig, layers, stack};
use platform::metrics::{HttpMetrics, MetricsRegistry};
use platform::rate_limit::RateLimiter;
use platform::serve::ServeOptions;
use secrecy::ExposeSecret as _;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

pub use config::{Args, Config};
pub use router::router;

/// Concurrent Argon2 computations (each holds ~19 MiB).
const HASHING_SLOTS: usize = 4;

/// Concurrent thumbnail decodes (each bounded by `thumbnail::MAX_ALLOC_BYTES`).
const THUMBNAIL_SLOTS: usize = 2;

/// How often a serving instance looks for jobs whose run is gone (a job on another machine is
/// failed once silent for the lease, `engine::lease::LEASE_SECS`).
const JOB_SWEEP: std::time::Duration = std::time::Duration::from_secs(60);
/// Expired sessions are swept every this many job sweeps (10 minutes).
const SESSION_SWEEP_ROUNDS: u64 = 10;

/// Puts back into the queue the scans and clean-up jobs whose run is gone (the next run of a
/// clean-up resumes it where its journal says it stopped).
async fn sweep_jobs(
    pool: &platform_db::sql::AnyPool,
    scan_queue: &dyn db::scan_jobs::ScanQueue,
) -> anyhow::Result<()> {
    let scans = scan_queue.recover().await?;
    let cleanups = pool
        .write(|c| declutter_core::engine::jobs::recover(c))
        .await??;
    if scans != db::scan_jobs::Recovered::default()
        || cleanups != declutter_core::engine::jobs::Recovered::default()
    {
        tracing::info!(
            scans_requeued = scans.requeued,
            scans_failed = scans.failed,
            cleanups_requeued = cleanups.requeued,
            cleanups_failed = cleanups.failed,
            "jobs whose run is gone recovered"
        );
    }
    Ok(())
}

/// Sweeps jobs every [`JOB_SWEEP`], and expired sessions and the trash entries whose retention
/// is over every [`SESSION_SWEEP_ROUNDS`] of those, until aborted.
fn spawn_sweeper(state: &state::AppState) -> tokio::task::JoinHandle<()> {
    let pool = state.pool.clone();
    let scan_queue = Arc::clone(&state.scan_queue);
    let cleanup = services::cleanup::Cleanup::from_ref(state);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(JOB_SWEEP);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await;
        for round in 1u64.. {
            tick.tick().await;
            if let Err(error) = sweep_jobs(&pool, &*scan_queue).await {
                tracing::warn!(%error, "job sweep failed");
            }
            if round % SESSION_SWEEP_ROUNDS == 0 {
                if let Ok(Err(error)) = pool.write(|c| db::sessions::sweep(c)).await {
                    tracing::warn!(%error, "session sweep failed");
                }
                if let Err(error) = cleanup.sweep_retention().await {
                    tracing::warn!(%error, "retention sweep failed");
                }
            }
        }
    })
}

/// Runs scan workers and the sweeps without the web UI (`declutter worker`) until `shutdown`.
pub async fn work(
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let workers = config.scan_workers.max(1);
    let state = build_state(config).await?;
    let scans = services::scans::Scans::from_ref(&state);
    let mut tasks = scans.spawn_workers(workers);
    tasks.extend(services::cleanup::Cleanup::from_ref(&state).spawn_workers(workers));
    tasks.push(spawn_sweeper(&state));
    tracing::info!(workers, "declutter worker running");
    shutdown.await;
    for t in tasks {
        t.abort();
    }
    Ok(())
}

/// Refuses a token key other than the installation's (recording this one if none is yet), so
/// an instance started with another key never seals tokens the others cannot open.
async fn check_token_key(
    pool: &platform_db::sql::AnyPool,
    keyring: &crypto::Keyring,
) -> anyhow::Result<()> {
    let current = keyring.current_id().to_owned();
    let recorded = {
        let current = current.clone();
        pool.write(move |c| db::token_key::adopt(c, &current))
            .await??
    };
    if recorded != current {
        return Err(crypto::CryptoError::WrongKey { recorded, current }.into());
    }
    Ok(())
}

/// Opens and migrates the configured database: PostgreSQL when `DECLUTTER_DATABASE_URL` names
/// one, else the SQLite file.
pub async fn open_store(config: &Config) -> anyhow::Result<platform_db::sql::AnyPool> {
    Ok(match &config.database_url {
        Some(url) => db::open_postgres(url.expose_secret(), config.db_pool, &config.database_tls)
            .await
            .context("opening the PostgreSQL database (DECLUTTER_DATABASE_URL)")?,
        None => db::open(&config.db)
            .await
            .with_context(|| format!("opening database {}", config.db.display()))?,
    })
}

/// Builds the state: opens and migrates the database, loads the token key, registers metrics.
pub async fn build_state(config: Config) -> anyhow::Result<state::AppState> {
    let pool = open_store(&config).await?;
    let data_dir = config
        .db
        .parent()
        .map(std::path::Path::to_path_buf)
        .unwrap_or_default();
    let keyring = crypto::Keyring::load(
        config.token_key.as_ref(),
        config.token_key_file.as_deref(),
        config.dev,
        &data_dir,
    )?;
    let keyring = Arc::new(keyring);
    check_token_key(&pool, &keyring).await?;
    let jwt_secret = match &config.jwt_secret {
        Some(s) => s.expose_secret().as_bytes().to_vec(),
        None => auth::random_token().into_bytes(),
    };
    // Jobs whose run is gone (its process ended) go back into their queue; a job another live
    // instance runs on this database is left alone. The sweep repeats while serving.
    let scan_queue = db::scan_jobs::for_pool(&pool);
    sweep_jobs(&pool, &*scan_queue).await?;
    let registry = MetricsRegistry::new("declutter");
    let origin = reqwest::Url::parse(&config.public_url)?
        .origin()
        .ascii_serialization();
    let (login, signup, api) = config.rates;
    let connector = Arc::new(connect::Connector::new(
        config.onedrive.clone(),
        config.gdrive.clone(),
        PendingFlows::new("connect", pool.clone(), keyring.clone()),
    )?);
    let error_reporter = ErrorReporter::from_dsn(
        config.sentry_dsn.as_ref().map(|d| d.expose_secret()),
        ReporterOptions {
            release: Some(format!("declutter@{}", env!("CARGO_PKG_VERSION"))),
            environment: config.sentry_environment.clone(),
        },
    )
    .with_context(|| {
        format!(
            "{} / {}",
            config::env::SENTRY_DSN,
            config::env::SENTRY_DSN_CONVENTIONAL
        )
    })?;
    if error_reporter.is_some() {
        tracing::info!("error reporting to Sentry is on");
    }
    Ok(state::AppState::new(state::Shared {
        error_reporter,
        thumbnailing: Arc::new(Semaphore::new(THUMBNAIL_SLOTS)),
        review: Arc::default(),
        thumbnail_fetcher: Arc::new(
            cloud_thumbnail::Fetcher::new().context("building the thumbnail HTTP client")?,
        ),
        origin: origin.into(),
        cookies: Arc::new(auth::session::CookiePolicy::for_public_url(
            &config.public_url,
        )),
        hasher: auth::password::Hasher::new(config.argon2_memory_kib),
        hashing: Arc::new(Semaphore::new(HASHING_SLOTS)),
        signer: auth::jwt::TokenSigner::new(&jwt_secret),
        oidc: Arc::new(oidc::Providers::new(
            config.google.clone(),
            config.microsoft.clone(),
            PendingFlows::new("sign_in", pool.clone(), keyring.clone()),
        )?),
        keyring,
        connector: connector.clone(),
        rates: state::Rates {
            login: RateLimiter::per_minute(login),
            signup: RateLimiter::per_minute(signup),
            api: RateLimiter::per_minute(api),
        },
        assets: Arc::new(assets::Assets::new()),
        revoker: Arc::new(connect::HttpRevoker(connector)),
        metrics: metrics::WebMetrics::new(&registry),
        registry,
        scan_queue,
        scan_wake: Arc::new(tokio::sync::Notify::new()),
        scan_workers_alive: Arc::default(),
        cleanup_wake: Arc::new(tokio::sync::Notify::new()),
        cleanup_workers_alive: Arc::default(),
        item_hook: services::cleanup::Hook::default(),
        pool,
        config: Arc::new(config),
    }))
}

/// The router wrapped in the platform middleware stack.
pub fn app(state: state::AppState) -> platform::layers::App {
    let cfg = Arc::clone(&state.config);
    let http_metrics = HttpMetrics::new(&state.registry);
    let error_reporter = state.error_reporter.clone();
    // `router` already carries the platform's fallbacks (inside the HTML error pages).
    stack(
        router(state),
        LayerConfig {
            hsts: cfg.https(),
            cors_origins: cfg
                .cors_origins
                .iter()
                .filter_map(|o| HeaderValue::from_str(o).ok())
                .collect(),
            max_body_bytes: 1024 * 1024,
            metrics: Some(http_metrics),
            error_reporter,
            ..LayerConfig::default()
        },
    )
}

/// Serves the web app on `listener` until `shutdown` resolves.
pub async fn serve(
    config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let tls = match &config.tls {
        Some(files) => Some(platform::tls::server_config(files)?),
        None => None,
    };
    let state = build_state(config).await?;
    serve_state(state, listener, tls, shutdown).await
}

/// Serves an already built state (tests swap in fakes, e.g. a recording [`cloud::Revoker`]).
pub async fn serve_state(
    state: state::AppState,
    listener: TcpListener,
    tls: Option<Arc<rustls::ServerConfig>>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown.await;
        let _ = stop_tx.send(true);
    });
    let metrics = match state.config.metrics_listen {
        Some(addr) => {
            let l = TcpListener::bind(addr)
                .await
                .with_context(|| format!("binding metrics listener {addr}"))?;
            let registry = state.registry.clone();
            let app = layers(
                axum::Router::new().route(
                    "/metrics",
                    axum::routing::get(move || {
                        let r = registry.clone();
                        async move { r.response() }
                    }),
                ),
                LayerConfig::default(),
            );
            let mut stop = stop_rx.clone();
            Some(tokio::spawn(platform::serve::serve(
                l,
                app,
                ServeOptions::default(),
                async move {
                    let _ = stop.changed().await;
                },
            )))
        }
        None => None,
    };
    let sweeper = spawn_sweeper(&state);
    let mut workers =
        services::scans::Scans::from_ref(&state).spawn_workers(state.config.scan_workers);
    workers.extend(
        services::cleanup::Cleanup::from_ref(&state).spawn_workers(state.config.scan_workers),
    );
    let mut stop = stop_rx;
    let reporter = state.error_reporter.clone();
    platform::serve::serve(
        listener,
        app(state),
        ServeOptions {
            tls,
            ..ServeOptions::default()
        },
        async move {
            let _ = stop.changed().await;
        },
    )
    .await?;
    sweeper.abort();
    for w in workers {
        w.abort();
    }
    if let Some(m) = metrics {
        m.abort();
    }
    if let Some(r) = reporter {
        // Send what is queued; the sender joins on the blocking pool, not the runtime.
        let _ =
            tokio::task::spawn_blocking(move || r.close(std::time::Duration::from_secs(2))).await;
    }
    Ok(())
}

/// Creates an account from the command line (for `declutter user add`); CLI-created accounts
/// are admins unless `role` says otherwise.
pub async fn create_user(
    config: &Config,
    email: &str,
    name: &str,
    password: &str,
    role: auth::role::Role,
) -> anyhow::Result<db::users::User> {
    auth::password::check_policy(password, email)?;
    let pool = open_store(config).await?;
    let phc = auth::password::Hasher::new(config.argon2_memory_kib).hash(password)?;
    let (e, n) = (email.to_owned(), name.to_owned());
    Ok(pool
        .write(move |c| db::users::create(c, &e, &n, Some(&phc), Some(role)))
        .await??)
}

/// Re-encrypts every stored cloud token under `keyring`'s current key (for
/// `declutter rotate-token-key`); returns the number of records changed.
pub async fn reseal_tokens(config: &Config, keyring: crypto::Keyring) -> anyhow::Result<usize> {
    let pool = open_store(config).await?;
    Ok(pool.write(move |c| keyring.reseal_all(c)).await??)
}
