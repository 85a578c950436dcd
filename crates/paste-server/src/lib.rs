//! fpasted: a secure, minimal pastebin HTTP API, wire-compatible with FlaskPaste.
//!
//! [`router`] builds the route table over an [`state::AppState`]; [`serve`] opens storage,
//! puts the in-memory read path ([`hot_raw`]) in front of the router, wraps both in the platform
//! middleware and serves an already bound listener until shutdown.

pub mod admission;
pub mod client_dist;
pub mod config;
pub mod download;
pub mod error;
pub mod handlers;
pub mod hot_raw;
pub mod identity;
pub mod metrics;
pub mod openapi;
pub mod pki;
pub mod quota;
pub mod router;
pub mod scanner;
pub mod state;
pub mod sweeper;
pub mod upload;
pub mod webhooks;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use paste_core::pow::{PowPolicy, ProofOfWork};
use paste_core::store::PasteStore;
use platform::layers::{LayerConfig, layers, routes, stack};
use platform::metrics::{HttpMetrics, MetricsRegistry};
use platform::serve::ServeOptions;
use secrecy::ExposeSecret;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};

pub use config::Config;
pub use router::router;

/// Read connections to SQLite; reads are short, so a few cover two cores.
const READERS: usize = 4;
/// Concurrent Argon2 computations.
const HASHING_SLOTS: usize = 4;
/// Room for JSON framing around the largest content.
const JSON_OVERHEAD: u64 = 64 * 1024;

/// Builds the state: opens the store, keys the proof of work, registers metrics.
pub async fn build_state(config: Config) -> anyhow::Result<state::AppState> {
    build_state_with(config, None).await
}

/// As [`build_state`], with the native-mTLS verifier the PKI keeps current.
pub async fn build_state_with(
    config: Config,
    trust: Option<pki::boot::Trust>,
) -> anyhow::Result<state::AppState> {
    if config.trust_proxy && config.proxy_secret.is_none() {
        tracing::warn!(
            "proxy trust is enabled without TRUSTED_PROXY_SECRET: any client that reaches this \
             port directly can claim any certificate identity"
        );
    }
    let store = PasteStore::open(&config.db, READERS, config.cache_bytes)
        .with_context(|| format!("opening database {}", config.db.display()))?;
    let secret = match &config.pow_secret {
        Some(s) => s.expose_secret().as_bytes().to_vec(),
        None => paste_core::id::random_hex::<32>()?.into_bytes(),
    };
    let pow = ProofOfWork::new(
        &secret,
        PowPolicy {
            base_difficulty: config.pow_difficulty,
            ttl_secs: i64::try_from(config.pow_ttl).unwrap_or(i64::MAX),
            flood_threshold: config.pow_flood,
        },
    )?;
    let config_budget = (config.body_budget, config.body_wait);
    let spool_budget = admission::BodyBudget::new(config.spool_budget, config.body_wait);
    let spool_dir = match config.db.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_owned(),
        _ => std::path::PathBuf::from("."),
    };
    let registry = MetricsRegistry::new("flaskpaste");
    let metrics = metrics::PasteMetrics::new(&registry);
    store
        .set_webhook_endpoints(config.webhook_urls.clone())
        .await?;
    let pki = pki::boot::open(&config, &store, trust).await?;
    Ok(state::AppState::new(state::Shared {
        rate: platform::rate_limit::RateLimiter::new(
            config.rate_limit,
            config.rate_cert_multiplier,
            config.rate_max_clients,
        ),
        client: Arc::new(client_dist::ClientDist::load(
            config.client_binary.as_deref(),
        )),
        config: Arc::new(config),
        store,
        pow: Arc::new(pow),
        hashing: Arc::new(Semaphore::new(HASHING_SLOTS)),
        metrics,
        registry,
        webhooks: webhooks::Webhooks::default(),
        budget: admission::BodyBudget::new(config_budget.0, config_budget.1),
        pki,
        spool: spool_budget,
        spool_dir,
    }))
}

/// Serves the API on `listener` until `shutdown` resolves.
pub async fn serve(
    config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let trust = pki::boot::trust(&config)?;
    let tls = match &config.tls {
        Some(files) => Some(platform::tls::server_config_with_trust(
            files,
            trust.as_ref().map(|(t, _)| t.clone()),
        )?),
        None => None,
    };
    let state = build_state_with(config, trust).await?;
    let cfg = Arc::clone(&state.config);
    let http_metrics = HttpMetrics::new(&state.registry);
    let app = stack(
        hot_raw::HotRaw::new(routes(router(state.clone())), state.clone()),
        LayerConfig {
            request_timeout: cfg.request_timeout,
            body_idle_timeout: cfg.body_timeout,
            max_body_bytes: cfg.max_anon.max(cfg.max_auth) + JSON_OVERHEAD,
            hsts: tls.is_some() || cfg.trust_proxy,
            metrics: Some(http_metrics),
            ..LayerConfig::default()
        },
    );

    let (stop_tx, stop_rx) = watch::channel(false);
    tokio::spawn(async move {
        shutdown.await;
        let _ = stop_tx.send(true);
    });
    let sweeper = tokio::spawn(sweeper::run(
        state.clone(),
        cfg.purge_interval,
        stop_rx.clone(),
    ));
    let dispatcher = cfg
        .webhook_secret
        .clone()
        .filter(|_| !cfg.webhook_urls.is_empty())
        .map(|secret| {
            let dispatcher = webhooks::Dispatcher {
                store: state.store.clone(),
                secret,
                retry_base: cfg.webhook_retry_base,
                max_attempts: cfg.webhook_max_attempts,
            };
            tokio::spawn(dispatcher.run(state.webhooks.clone(), stop_rx.clone()))
        });
    let metrics_server = match cfg.metrics_listen {
        Some(addr) => Some(spawn_metrics_listener(addr, state.clone(), stop_rx.clone()).await?),
        None => None,
    };

    let mut main_stop = stop_rx;
    platform::serve::serve(
        listener,
        app,
        ServeOptions {
            tls,
            header_read_timeout: cfg.header_timeout,
            drain_timeout: Duration::from_secs(10),
            max_buffer_bytes: upload::READ_BUFFER,
            ..ServeOptions::default()
        },
        async move {
            let _ = main_stop.changed().await;
        },
    )
    .await?;
    sweeper.abort();
    if let Some(task) = dispatcher {
        task.abort();
    }
    if let Some(task) = metrics_server {
        task.abort();
    }
    Ok(())
}

async fn spawn_metrics_listener(
    addr: std::net::SocketAddr,
    state: state::AppState,
    mut stop: watch::Receiver<bool>,
) -> anyhow::Result<tokio::task::JoinHandle<std::io::Result<()>>> {
    let listener = TcpListener::bind(addr)
        .await
        .with_context(|| format!("binding metrics listener {addr}"))?;
    let app = axum::Router::new().route(
        "/metrics",
        axum::routing::get(move || {
            let state = state.clone();
            async move { handlers::ops::scrape(&state).await }
        }),
    );
    let app = layers(app, LayerConfig::default());
    Ok(tokio::spawn(platform::serve::serve(
        listener,
        app,
        ServeOptions::default(),
        async move {
            let _ = stop.changed().await;
        },
    )))
}
