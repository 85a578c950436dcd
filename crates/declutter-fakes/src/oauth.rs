//! A fake OAuth 2.0 authorization server for drive connections on 127.0.0.1:0: `/authorize`
//! consents at once and redirects back with a code, `/token` checks the PKCE verifier and
//! client secret and grants the requested scope (plus earlier grants when the request said
//! `include_granted_scopes=true`, as Google does), `/revoke` records revoked tokens.
//!
//! [`FakeOAuth::backed`] fronts a fake drive ([`crate::FakeGraph`], [`crate::FakeDrive`]):
//! codes are exchanged for the drive's initial access token, and the refresh-token grant fetches
//! a new access token from the drive's own `/token` while rotating the refresh token it hands
//! out. It checks what the providers' authorization servers check: PKCE (S256), the client id
//! and secret, and the redirect URI of the code.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use base64::Engine as _;
use serde::Deserialize;
use serde_json::json;
use sha2::Digest as _;

use crate::server::{FakeError, Running, serve};

/// The client id the fake expects.
const CLIENT_ID: &str = "drive-client";
/// The client secret the fake expects.
const SECRET: &str = "drive-secret";

#[derive(Default)]
struct Inner {
    /// code → (challenge, client id, redirect uri, granted scope)
    codes: HashMap<String, (String, String, String, String)>,
    granted: Vec<String>,
    /// Every authorize request's query, in order.
    authorize: Vec<HashMap<String, String>>,
    issued: Vec<String>,
    revoked: Vec<String>,
    pkce_checked: usize,
    /// The backing drive: (its token URL, its refresh token, its initial access token).
    upstream: Option<(String, String, String)>,
    /// Refresh tokens currently accepted (rotated on every refresh).
    live_refresh: Vec<String>,
    refreshes: usize,
}

/// A running fake authorization server (stopped when the last clone drops).
#[derive(Clone)]
pub struct FakeOAuth {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    inner: Arc<Mutex<Inner>>,
    _running: Arc<Running>,
}

impl std::fmt::Debug for FakeOAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeOAuth")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

impl FakeOAuth {
    /// An authorization server backed by no drive (plain tokens, no refresh).
    pub async fn start() -> Result<Self, FakeError> {
        Self::start_inner(None).await
    }

    /// Fronts a fake drive with token endpoint `token_url`, refresh token `refresh` and
    /// initial access token `access`.
    pub async fn backed(token_url: String, refresh: &str, access: &str) -> Result<Self, FakeError> {
        Self::start_inner(Some((token_url, refresh.to_owned(), access.to_owned()))).await
    }

    async fn start_inner(upstream: Option<(String, String, String)>) -> Result<Self, FakeError> {
        let inner = Arc::new(Mutex::new(Inner {
            upstream,
            ..Inner::default()
        }));
        let app = Router::new()
            .route("/authorize", get(authorize))
            .route("/token", post(token))
            .route("/revoke", post(revoke))
            .with_state(inner.clone());
        let running = serve(app).await?;
        Ok(Self {
            base: format!("http://{}", running.addr),
            inner,
            _running: Arc::new(running),
        })
    }

    /// The client id a relying party must present.
    pub fn client_id(&self) -> &'static str {
        CLIENT_ID
    }

    /// The client secret a relying party must present.
    pub fn client_secret(&self) -> &'static str {
        SECRET
    }

    /// The authorization endpoint.
    pub fn auth_url(&self) -> String {
        format!("{}/authorize", self.base)
    }

    /// The token endpoint.
    pub fn token_url(&self) -> String {
        format!("{}/token", self.base)
    }

    /// The revocation endpoint.
    pub fn revoke_url(&self) -> String {
        format!("{}/revoke", self.base)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The query of the last authorize request.
    pub fn last_authorize(&self) -> HashMap<String, String> {
        self.lock().authorize.last().cloned().unwrap_or_default()
    }

    /// Every access and refresh token handed out.
    pub fn issued(&self) -> Vec<String> {
        self.lock().issued.clone()
    }

    /// Tokens revoked, in order.
    pub fn revoked(&self) -> Vec<String> {
        self.lock().revoked.clone()
    }

    /// Code exchanges whose PKCE verifier matched.
    pub fn pkce_checked(&self) -> usize {
        self.lock().pkce_checked
    }

    /// Successful refresh-token grants.
    pub fn refreshes(&self) -> usize {
        self.lock().refreshes
    }
}

type S = State<Arc<Mutex<Inner>>>;

fn guard(s: &Arc<Mutex<Inner>>) -> std::sync::MutexGuard<'_, Inner> {
    s.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn bad(what: &str) -> Response {
    (
        axum::http::StatusCode::BAD_REQUEST,
        Json(json!({"error": what})),
    )
        .into_response()
}

async fn authorize(State(s): S, Query(q): Query<HashMap<String, String>>) -> Response {
    let get = |k: &str| q.get(k).cloned().unwrap_or_default();
    if get("response_type") != "code" || get("code_challenge_method") != "S256" {
        return bad("invalid_request");
    }
    let mut i = guard(&s);
    i.authorize.push(q.clone());
    let mut scope: Vec<String> = get("scope").split(' ').map(str::to_owned).collect();
    if get("include_granted_scopes") == "true" {
        scope.extend(i.granted.iter().cloned());
    }
    scope.sort();
    scope.dedup();
    let code = uuid::Uuid::new_v4().to_string();
    i.codes.insert(
        code.clone(),
        (
            get("code_challenge"),
            get("client_id"),
            get("redirect_uri"),
            scope.join(" "),
        ),
    );
    let Ok(mut url) = reqwest::Url::parse(&get("redirect_uri")) else {
        return bad("invalid_redirect");
    };
    url.query_pairs_mut()
        .append_pair("code", &code)
        .append_pair("state", &get("state"));
    Redirect::to(url.as_str()).into_response()
}

#[derive(Deserialize)]
struct TokenForm {
    grant_type: String,
    code: Option<String>,
    code_verifier: Option<String>,
    client_id: String,
    client_secret: String,
    redirect_uri: Option<String>,
    refresh_token: Option<String>,
}

async fn token(State(s): S, Form(f): Form<TokenForm>) -> Response {
    if f.grant_type == "refresh_token" {
        return refresh(s, f).await;
    }
    let mut i = guard(&s);
    let Some((challenge, client_id, redirect_uri, scope)) =
        i.codes.remove(f.code.as_deref().unwrap_or_default())
    else {
        return bad("invalid_grant");
    };
    if f.grant_type != "authorization_code"
        || pkce_challenge(f.code_verifier.as_deref().unwrap_or_default()) != challenge
        || f.client_id != client_id
        || f.client_secret != SECRET
        || f.redirect_uri.as_deref() != Some(redirect_uri.as_str())
    {
        return bad("invalid_grant");
    }
    i.pkce_checked += 1;
    i.granted = scope.split(' ').map(str::to_owned).collect();
    let access = match &i.upstream {
        Some((_, _, initial)) => initial.clone(),
        None => format!("AT-plain-{}", uuid::Uuid::new_v4()),
    };
    let refresh = format!("RT-plain-{}", uuid::Uuid::new_v4());
    i.issued.push(access.clone());
    i.issued.push(refresh.clone());
    i.live_refresh.push(refresh.clone());
    Json(
        json!({"access_token": access, "refresh_token": refresh, "token_type": "Bearer",
        "expires_in": 3600, "scope": scope}),
    )
    .into_response()
}

/// The refresh-token grant: a rotated refresh token, the access token from the backing drive.
async fn refresh(s: Arc<Mutex<Inner>>, f: TokenForm) -> Response {
    let upstream = {
        let i = guard(&s);
        let presented = f.refresh_token.clone().unwrap_or_default();
        if f.client_secret != SECRET || !i.live_refresh.contains(&presented) {
            return bad("invalid_grant");
        }
        i.upstream.clone()
    };
    let Some((url, upstream_refresh, _)) = upstream else {
        return bad("unsupported_grant_type");
    };
    let answer = reqwest::Client::new()
        .post(url)
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", upstream_refresh.as_str()),
        ])
        .send()
        .await;
    let body: serde_json::Value = match answer {
        Ok(r) if r.status().is_success() => match r.json().await {
            Ok(b) => b,
            Err(_) => return bad("upstream"),
        },
        _ => return bad("upstream"),
    };
    let Some(access) = body["access_token"].as_str().map(str::to_owned) else {
        return bad("upstream");
    };
    let rotated = format!("RT-plain-{}", uuid::Uuid::new_v4());
    let mut i = guard(&s);
    let old = f.refresh_token.unwrap_or_default();
    i.live_refresh.retain(|t| *t != old);
    i.live_refresh.push(rotated.clone());
    i.issued.push(access.clone());
    i.issued.push(rotated.clone());
    i.refreshes += 1;
    Json(
        json!({"access_token": access, "refresh_token": rotated, "token_type": "Bearer",
        "expires_in": 3600}),
    )
    .into_response()
}

#[derive(Deserialize)]
struct RevokeForm {
    token: String,
}

async fn revoke(State(s): S, Form(f): Form<RevokeForm>) -> Response {
    guard(&s).revoked.push(f.token);
    axum::http::StatusCode::OK.into_response()
}

/// RFC 7636 S256: base64url (no padding) of the SHA-256 of the verifier.
fn pkce_challenge(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier))
}
