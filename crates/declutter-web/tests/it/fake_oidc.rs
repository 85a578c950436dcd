//! A fake OpenID Connect provider on 127.0.0.1:0: discovery, JWKS, an authorization endpoint
//! that consents at once, and a token endpoint that checks the PKCE verifier and signs ES256
//! ID tokens with a key generated per run. Knobs bend one claim at a time for negative tests.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use serde::Deserialize;
use serde_json::json;

use crate::support::TestResult;

/// Claim and signature overrides for negative tests.
#[derive(Debug, Default, Clone)]
pub struct Knobs {
    pub nonce: Option<String>,
    pub issuer: Option<String>,
    pub tid: Option<String>,
    /// `aud` other than the client id.
    pub audience: Option<String>,
    /// Seconds from now to `exp` (default 300; negative for an expired token).
    pub expires_in: Option<i64>,
    /// Sign with a key the JWKS does not hold, under the published key's `kid`.
    pub rogue_key: bool,
    /// Sign with EdDSA, by an Ed25519 key the JWKS does publish (as `k2`): a sound signature
    /// in an algorithm outside the allow-list.
    pub eddsa: bool,
}

struct Inner {
    base: String,
    microsoft: bool,
    tid: String,
    enc: jsonwebtoken::EncodingKey,
    rogue: jsonwebtoken::EncodingKey,
    ed: jsonwebtoken::EncodingKey,
    jwks: Vec<serde_json::Value>,
    codes: HashMap<String, (String, String, String)>,
    knobs: Knobs,
    pkce_checked: usize,
}

/// A running fake provider.
#[derive(Clone)]
pub struct FakeOidc {
    inner: Arc<Mutex<Inner>>,
}

impl FakeOidc {
    /// Starts a Google-like (`microsoft = false`) or Microsoft-like multi-tenant provider.
    pub async fn start(microsoft: bool) -> TestResult<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let base = format!("http://{}", listener.local_addr()?);
        let key = rcgen::KeyPair::generate()?;
        let raw = key.public_key_raw();
        let jwk = json!({"kty": "EC", "crv": "P-256", "alg": "ES256", "use": "sig", "kid": "k1",
            "x": B64.encode(&raw[1..33]), "y": B64.encode(&raw[33..65])});
        let rogue = rcgen::KeyPair::generate()?;
        let ed = rcgen::KeyPair::generate_for(&rcgen::PKCS_ED25519)?;
        let ed_jwk = json!({"kty": "OKP", "crv": "Ed25519", "use": "sig", "kid": "k2",
            "x": B64.encode(ed.public_key_raw())});
        let inner = Arc::new(Mutex::new(Inner {
            base: base.clone(),
            microsoft,
            tid: "9188040d-6c67-4c5b-b112-36a304b66dad".into(),
            enc: jsonwebtoken::EncodingKey::from_ec_der(&key.serialize_der()),
            rogue: jsonwebtoken::EncodingKey::from_ec_der(&rogue.serialize_der()),
            ed: jsonwebtoken::EncodingKey::from_ed_der(&ed.serialize_der()),
            jwks: vec![jwk, ed_jwk],
            codes: HashMap::new(),
            knobs: Knobs::default(),
            pkce_checked: 0,
        }));
        let app = Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route(
                "/common/v2.0/.well-known/openid-configuration",
                get(discovery),
            )
            .route("/authorize", get(authorize))
            .route("/token", post(token))
            .route("/jwks", get(jwks))
            .with_state(inner.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Ok(Self { inner })
    }

    /// The issuer our app is configured with (Microsoft: the `common` authority).
    pub fn configured_issuer(&self) -> String {
        let i = self.lock();
        if i.microsoft {
            format!("{}/common/v2.0", i.base)
        } else {
            i.base.clone()
        }
    }

    pub fn set(&self, knobs: Knobs) {
        self.lock().knobs = knobs;
    }

    pub fn pkce_checked(&self) -> usize {
        self.lock().pkce_checked
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

type S = State<Arc<Mutex<Inner>>>;

fn guard(s: &Arc<Mutex<Inner>>) -> std::sync::MutexGuard<'_, Inner> {
    s.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

async fn discovery(State(s): S) -> Json<serde_json::Value> {
    let i = guard(&s);
    let issuer = if i.microsoft {
        format!("{}/{{tenantid}}/v2.0", i.base)
    } else {
        i.base.clone()
    };
    Json(json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{}/authorize", i.base),
        "token_endpoint": format!("{}/token", i.base),
        "jwks_uri": format!("{}/jwks", i.base),
    }))
}

async fn jwks(State(s): S) -> Json<serde_json::Value> {
    Json(json!({"keys": guard(&s).jwks.clone()}))
}

#[derive(Deserialize)]
struct AuthorizeQuery {
    client_id: String,
    redirect_uri: String,
    state: String,
    nonce: String,
    code_challenge: String,
    code_challenge_method: String,
    response_type: String,
}

async fn authorize(State(s): S, Query(q): Query<AuthorizeQuery>) -> Response {
    if q.response_type != "code" || q.code_challenge_method != "S256" {
        return (axum::http::StatusCode::BAD_REQUEST, "bad request").into_response();
    }
    let code = uuid::Uuid::new_v4().to_string();
    guard(&s)
        .codes
        .insert(code.clone(), (q.nonce, q.code_challenge, q.client_id));
    let mut url = match reqwest::Url::parse(&q.redirect_uri) {
        Ok(u) => u,
        Err(_) => return (axum::http::StatusCode::BAD_REQUEST, "bad redirect").into_response(),
    };
    url.query_pairs_mut()
        .append_pair("code", &code)
        .append_pair("state", &q.state);
    Redirect::to(url.as_str()).into_response()
}

#[derive(Deserialize)]
struct TokenForm {
    code: String,
    code_verifier: String,
    client_id: String,
    client_secret: String,
}

async fn token(State(s): S, Form(f): Form<TokenForm>) -> Response {
    let mut i = guard(&s);
    let Some((nonce, challenge, client_id)) = i.codes.remove(&f.code) else {
        return (
            axum::http::StatusCode::BAD_REQUEST,
            Json(json!({"error": "invalid_grant"})),
        )
            .into_response();
    };
    if declutter_web::oidc::pkce_challenge(&f.code_verifier) != challenge
        || f.client_id != client_id
        || f.client_secret != "test-secret"
    {
        return (
            axum::http::StatusCode::BAD_REQUEST,
            Json(json!({"error": "invalid_grant"})),
        )
            .into_response();
    }
    i.pkce_checked += 1;
    let tid = i.knobs.tid.clone().unwrap_or_else(|| i.tid.clone());
    let iss = i.knobs.issuer.clone().unwrap_or_else(|| {
        if i.microsoft {
            format!("{}/{}/v2.0", i.base, i.tid)
        } else {
            i.base.clone()
        }
    });
    let now = declutter_web::db::now();
    let aud = i.knobs.audience.clone().unwrap_or(client_id);
    let exp = now + i.knobs.expires_in.unwrap_or(300);
    let claims = json!({
        "iss": iss, "sub": "subject-123", "aud": aud, "iat": now, "exp": exp,
        "nonce": i.knobs.nonce.clone().unwrap_or(nonce), "tid": tid,
        "email": "fed@example.com", "name": "Fed <i>User</i>",
    });
    let (alg, kid, key) = if i.knobs.eddsa {
        (jsonwebtoken::Algorithm::EdDSA, "k2", &i.ed)
    } else if i.knobs.rogue_key {
        (jsonwebtoken::Algorithm::ES256, "k1", &i.rogue)
    } else {
        (jsonwebtoken::Algorithm::ES256, "k1", &i.enc)
    };
    let mut header = jsonwebtoken::Header::new(alg);
    header.kid = Some(kid.into());
    match jsonwebtoken::encode(&header, &claims, key) {
        Ok(t) => Json(json!({"access_token": "at", "token_type": "Bearer", "id_token": t}))
            .into_response(),
        Err(_) => axum::http::StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}
