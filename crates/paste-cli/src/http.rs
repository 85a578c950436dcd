//! The HTTP side: a blocking reqwest client with rustls (custom CA, mTLS identity, optional
//! certificate pinning) and one method per API call, mapping failures to [`CliError`]s.

use std::io::Read;
use std::sync::Arc;
use std::time::Duration;

use paste_api::{Challenge, PasteCreated, ServerInfo, headers};
use reqwest::blocking::{Client, RequestBuilder, Response};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use url::Url;

use crate::config::{Secret, Settings};
use crate::error::{CliError, Result};
use crate::link::endpoint;
use crate::pin::PinnedVerifier;

/// Longest error body read from a refusing server.
const ERROR_BODY_MAX: u64 = 64 * 1024;

/// A connection to one fpasted.
#[derive(Debug, Clone)]
pub struct Api {
    client: Client,
    base: Url,
}

fn read_pem(path: &std::path::Path, what: &str) -> Result<Vec<u8>> {
    std::fs::read(path)
        .map_err(|e| CliError::Local(format!("cannot read {what} {}: {e}", path.display())))
}

/// Builds the rustls configuration used when a server fingerprint is pinned.
fn pinned_tls(settings: &Settings, fingerprint: &str) -> Result<rustls::ClientConfig> {
    let bad = |e: String| CliError::Usage(format!("TLS setup: {e}"));
    let pin: [u8; 32] = hex::decode(fingerprint)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| bad("invalid fingerprint".into()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .map_err(|e| bad(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(PinnedVerifier::new(pin, &provider)));
    let mut config = match (&settings.client_cert, &settings.client_key) {
        (Some(cert), Some(key)) => {
            let certs =
                CertificateDer::pem_slice_iter(&read_pem(&cert.value, "client certificate")?)
                    .collect::<std::result::Result<Vec<_>, _>>()
                    .map_err(|e| bad(format!("client certificate: {e}")))?;
            let key = PrivateKeyDer::from_pem_slice(&read_pem(&key.value, "client key")?)
                .map_err(|e| bad(format!("client key: {e}")))?;
            builder
                .with_client_auth_cert(certs, key)
                .map_err(|e| bad(e.to_string()))?
        }
        _ => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// Builds the HTTP client from the effective settings.
pub fn client(settings: &Settings) -> Result<Client> {
    let bad = |e: reqwest::Error| CliError::Usage(format!("TLS setup: {e}"));
    let mut builder = Client::builder()
        .user_agent(concat!("fpaste/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(Duration::from_secs(15))
        // Uploads of hundreds of MiB take longer than any fixed total timeout.
        .timeout(None::<Duration>)
        .use_rustls_tls();
    if let Some(fp) = &settings.server_fingerprint {
        builder = builder.use_preconfigured_tls(pinned_tls(settings, &fp.value)?);
    } else {
        if let Some(ca) = &settings.ca_file {
            for cert in reqwest::Certificate::from_pem_bundle(&read_pem(&ca.value, "CA file")?)
                .map_err(bad)?
            {
                builder = builder.add_root_certificate(cert);
            }
        }
        if let (Some(cert), Some(key)) = (&settings.client_cert, &settings.client_key) {
            let mut pem = read_pem(&cert.value, "client certificate")?;
            pem.push(b'\n');
            pem.extend(read_pem(&key.value, "client key")?);
            builder = builder.identity(reqwest::Identity::from_pem(&pem).map_err(bad)?);
        }
    }
    builder.build().map_err(bad)
}

/// Describes a transport failure, including its causes (TLS errors hide there).
pub fn network_error(err: &reqwest::Error) -> CliError {
    let mut text = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    CliError::Network(text)
}

/// Turns a non-success response into [`CliError::Server`] with the server's own message.
fn refused(response: Response) -> CliError {
    let status = response.status();
    let mut body = String::new();
    let _ = response.take(ERROR_BODY_MAX).read_to_string(&mut body);
    let json: Option<serde_json::Value> = serde_json::from_str(&body).ok();
    let field = |name: &str| {
        json.as_ref()
            .and_then(|j| j.get(name))
            .and_then(|v| v.as_str())
            .map(str::to_owned)
    };
    let mut message = field("error")
        .or_else(|| field("detail"))
        .or_else(|| field("title"))
        .unwrap_or_else(|| status.canonical_reason().unwrap_or("error").to_owned());
    if let Some(hint) = field("hint") {
        message.push_str(&format!(" ({hint})"));
    }
    // The server speaks in headers; a person at the CLI needs the flag.
    match field("code").as_deref() {
        Some("password_required") => {
            message = "this paste is password protected: pass --password (it prompts when \
                       given no value) or set FPASTE_PASSWORD"
                .to_owned();
        }
        Some("password_invalid") => message = "wrong password (--password)".to_owned(),
        Some("paste_not_found") => {
            message = "not found: no such paste, or it expired, was burned or deleted".to_owned();
        }
        _ => {}
    }
    CliError::Server {
        status: status.as_u16(),
        message,
    }
}

/// Sends a request, mapping transport failures and error statuses.
pub fn send(request: RequestBuilder) -> Result<Response> {
    let response = request.send().map_err(|e| network_error(&e))?;
    if response.status().is_success() {
        Ok(response)
    } else {
        Err(refused(response))
    }
}

fn json<T: serde::de::DeserializeOwned>(response: Response) -> Result<T> {
    response
        .json()
        .map_err(|e| CliError::Network(format!("unexpected response from server: {e}")))
}

impl Api {
    /// An API handle for the server at `base`.
    pub fn new(client: Client, base: Url) -> Self {
        Self { client, base }
    }

    /// The server base URL.
    pub fn base(&self) -> &Url {
        &self.base
    }

    /// `GET /`: what the server accepts.
    pub fn info(&self) -> Result<ServerInfo> {
        json(send(self.client.get(endpoint(&self.base, "")))?)
    }

    /// `GET /challenge`: the current proof-of-work puzzle.
    pub fn challenge(&self) -> Result<Challenge> {
        json(send(self.client.get(endpoint(&self.base, "challenge")))?)
    }

    /// `POST /`: starts a create request; the caller adds headers and the body.
    pub fn create(&self) -> RequestBuilder {
        self.client
            .post(endpoint(&self.base, ""))
            .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
    }

    /// Sends a create request built by [`Api::create`].
    pub fn send_create(&self, request: RequestBuilder) -> Result<PasteCreated> {
        json(send(request)?)
    }

    /// `GET /{id}`: metadata as the server sent it.
    pub fn metadata(&self, id: &str, password: Option<&Secret>) -> Result<serde_json::Value> {
        json(send(with_password(
            self.client.get(endpoint(&self.base, id)),
            password,
        ))?)
    }

    /// `GET /{id}/raw`: the content as a streaming response. Running `get` is the person's
    /// own read, so it confirms it: a paste that counts only confirmed reads counts this one.
    pub fn raw(&self, id: &str, password: Option<&Secret>) -> Result<Response> {
        send(with_password(
            self.client
                .get(endpoint(&self.base, &format!("{id}/raw")))
                .header(headers::BURN_CONFIRM, "true"),
            password,
        ))
    }

    /// `GET {path}?{query}` answered with JSON.
    pub fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<T> {
        json(send(
            self.client.get(endpoint(&self.base, path)).query(query),
        )?)
    }

    /// `GET {path}`: the caller sends it (with [`send`]) and reads the answer.
    pub fn get(&self, path: &str) -> RequestBuilder {
        self.client.get(endpoint(&self.base, path))
    }

    /// `POST {path}`: the caller adds headers and the body.
    pub fn post(&self, path: &str) -> RequestBuilder {
        self.client.post(endpoint(&self.base, path))
    }

    /// `PUT {path}`: the caller adds headers and the body.
    pub fn put(&self, path: &str) -> RequestBuilder {
        self.client.put(endpoint(&self.base, path))
    }

    /// Sends a request and reads its JSON answer.
    pub fn send_json<T: serde::de::DeserializeOwned>(&self, request: RequestBuilder) -> Result<T> {
        json(send(request)?)
    }

    /// `DELETE /{id}`, with the delete token when there is one.
    pub fn delete(&self, id: &str, token: Option<&str>) -> Result<()> {
        let mut request = self.client.delete(endpoint(&self.base, id));
        if let Some(token) = token {
            request = request.header(headers::DELETE_TOKEN, token);
        }
        send(request).map(drop)
    }
}

/// Adds the paste password header when a password is set.
pub fn with_password(request: RequestBuilder, password: Option<&Secret>) -> RequestBuilder {
    match password {
        Some(pw) => request.header(headers::PASTE_PASSWORD, pw.expose()),
        None => request,
    }
}
