//! Thumbnails of images in the caller's connected drives, fetched from the provider with the
//! caller's own sealed token (through [`ConnectionTokens`], so a refused token is refreshed
//! once and resealed, as during scans): Graph's `thumbnails/0/small/content`, or Drive's
//! `thumbnailLink`. The provider's bytes are untrusted input: the body is bounded
//! ([`MAX_PROVIDER_BYTES`]) and the wait too ([`REQUEST_TIMEOUT`], [`FETCH_DEADLINE`]); the
//! caller then decodes and re-encodes them with [`crate::thumbnail::render`], so the browser
//! only ever receives our own PNG or JPEG.

use std::sync::Arc;
use std::time::Duration;

use declutter_core::cloud::{HttpClient, HttpError, RetryPolicy};
use declutter_core::ids::ProviderKind;
use reqwest::Url;

use crate::connect::ACCOUNT;
use crate::connection_tokens::ConnectionTokens;
use crate::error::Internal;
use crate::work::CloudApis;

/// Largest thumbnail body accepted from a provider (theirs are a few KiB).
pub const MAX_PROVIDER_BYTES: u64 = 2 * 1024 * 1024;
/// Longest wait for one provider request, from connect to the last byte.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest wait for the whole fetch (metadata, thumbnail, a token refresh, a short retry).
pub const FETCH_DEADLINE: Duration = Duration::from_secs(20);

/// Provider thumbnail fetches in flight at once, whoever asks (a page shows up to 20).
const SLOTS: usize = 4;

/// What every thumbnail fetch shares: one connection pool (Graph answers with a redirect to a
/// pre-authenticated URL, which reqwest follows without the bearer token when the host changes)
/// and a bound on fetches in flight across all requests.
#[derive(Debug)]
pub struct Fetcher {
    http: reqwest::Client,
    slots: tokio::sync::Semaphore,
}

impl Fetcher {
    /// The shared pool and bound.
    pub fn new() -> reqwest::Result<Self> {
        Ok(Self {
            http: reqwest::Client::builder()
                .connect_timeout(REQUEST_TIMEOUT)
                .timeout(REQUEST_TIMEOUT)
                .build()?,
            slots: tokio::sync::Semaphore::new(SLOTS),
        })
    }
}

/// Why a provider gave no thumbnail.
#[derive(Debug, thiserror::Error)]
pub enum CloudThumbError {
    /// The drive is not configured here, the item is gone, or it has no thumbnail.
    #[error("the drive has no thumbnail for this file")]
    NoThumbnail,
    /// The provider sent more than [`MAX_PROVIDER_BYTES`].
    #[error("the drive's thumbnail is larger than {} MiB", MAX_PROVIDER_BYTES / (1024 * 1024))]
    TooLarge,
    /// No stored connection, or its token was refused even after a refresh.
    #[error("the connection to this drive is missing or has expired")]
    Connection,
    /// The provider failed, timed out or answered out of protocol; logged, never shown.
    #[error(transparent)]
    Provider(Internal),
}

impl From<HttpError> for CloudThumbError {
    fn from(e: HttpError) -> Self {
        match e {
            HttpError::Status { status: 404, .. } => Self::NoThumbnail,
            HttpError::Token(_) | HttpError::Unauthorized => Self::Connection,
            // Without the URL: Graph redirects to a pre-authenticated one (`tempauth=`).
            HttpError::Network(e) => {
                Self::Provider(Internal::new(HttpError::Network(e.without_url())))
            }
            // The texts hold a status and the API's message, never a token.
            other => Self::Provider(Internal::new(other)),
        }
    }
}

/// Thumbnails are a nicety: a short retry on throttling, never a long wait.
fn policy() -> RetryPolicy {
    RetryPolicy {
        max_retries: 1,
        base_delay: Duration::from_millis(250),
        max_delay: Duration::from_secs(2),
        max_retry_after: Duration::from_secs(2),
        concurrency: 2,
    }
}

/// The provider's thumbnail bytes of `user_id`'s item `item_id` in drive `kind`.
pub async fn fetch(
    apis: &CloudApis,
    fetcher: &Fetcher,
    user_id: &str,
    kind: ProviderKind,
    item_id: &str,
) -> Result<Vec<u8>, CloudThumbError> {
    let provider = kind.as_str();
    if kind == ProviderKind::Local || !apis.vault.connector.enabled(provider) {
        return Err(CloudThumbError::NoThumbnail);
    }
    let tokens = Arc::new(ConnectionTokens::new(
        apis.vault.clone(),
        user_id,
        provider,
        ACCOUNT,
    ));
    let client = HttpClient::with_http(fetcher.http.clone(), tokens, policy());
    let work = async {
        let _slot = fetcher
            .slots
            .acquire()
            .await
            .map_err(|e| CloudThumbError::Provider(Internal::new(e)))?;
        match kind {
            ProviderKind::OneDrive => graph(&client, &apis.graph_url, item_id).await,
            _ => drive(&client, &apis.drive_url, item_id).await,
        }
    };
    tokio::time::timeout(FETCH_DEADLINE, work)
        .await
        .map_err(|_| {
            CloudThumbError::Provider(Internal::new(format!("{provider} thumbnail timed out")))
        })?
}

/// `base` with `segments` appended, each percent-encoded (ids are the provider's, not ours).
fn endpoint(base: &str, segments: &[&str]) -> Result<Url, CloudThumbError> {
    let mut url = Url::parse(base).map_err(|e| CloudThumbError::Provider(Internal::new(e)))?;
    url.path_segments_mut()
        .map_err(|()| CloudThumbError::Provider(Internal::new("base URL cannot have a path")))?
        .pop_if_empty()
        .extend(segments);
    Ok(url)
}

/// Graph: the small thumbnail's content (a redirect to a pre-authenticated URL, which the
/// client follows without the bearer token), or 404 when the item has none.
async fn graph(client: &HttpClient, base: &str, id: &str) -> Result<Vec<u8>, CloudThumbError> {
    let url = endpoint(
        base,
        &[
            "me",
            "drive",
            "items",
            id,
            "thumbnails",
            "0",
            "small",
            "content",
        ],
    )?;
    bounded(client, &url).await
}

#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct ThumbnailLink {
    thumbnail_link: Option<String>,
}

/// Drive: the file's `thumbnailLink` (absent when Drive made none), fetched with the token.
async fn drive(client: &HttpClient, base: &str, id: &str) -> Result<Vec<u8>, CloudThumbError> {
    let mut meta = endpoint(base, &["files", id])?;
    meta.query_pairs_mut()
        .append_pair("fields", "thumbnailLink");
    let found: Option<ThumbnailLink> = client
        .json_opt(|c| c.get(meta.clone()).timeout(REQUEST_TIMEOUT))
        .await?;
    let link = found
        .and_then(|f| f.thumbnail_link)
        .ok_or(CloudThumbError::NoThumbnail)?;
    let link = Url::parse(&link)
        .map_err(|_| CloudThumbError::Provider(Internal::new("thumbnailLink is not a URL")))?;
    if !trusted_link(&link, base) {
        // The bearer token goes only to Google's thumbnail hosts (or the configured API).
        return Err(CloudThumbError::Provider(Internal::new(format!(
            "thumbnailLink on an unexpected host {:?}",
            link.host_str().unwrap_or_default()
        ))));
    }
    bounded(client, &link).await
}

/// Whether the token may be sent to `link`: HTTPS on Google's thumbnail hosts, or the origin
/// of the configured Drive API (a test fake, or a proxy in front of Google).
fn trusted_link(link: &Url, api_base: &str) -> bool {
    let google = link.scheme() == "https"
        && link
            .host_str()
            .is_some_and(|h| h.ends_with(".googleusercontent.com"));
    let same_origin =
        Url::parse(api_base).is_ok_and(|api| api.origin() == link.origin() && api.has_host());
    google || same_origin
}

/// GETs `url` with the token and reads at most [`MAX_PROVIDER_BYTES`] of the body.
async fn bounded(client: &HttpClient, url: &Url) -> Result<Vec<u8>, CloudThumbError> {
    let mut resp = client
        .send(|c| c.get(url.clone()).timeout(REQUEST_TIMEOUT))
        .await?;
    if resp
        .content_length()
        .is_some_and(|n| n > MAX_PROVIDER_BYTES)
    {
        return Err(CloudThumbError::TooLarge);
    }
    let mut bytes = Vec::new();
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|e| CloudThumbError::from(HttpError::from(e)))?
    {
        if (bytes.len() + chunk.len()) as u64 > MAX_PROVIDER_BYTES {
            return Err(CloudThumbError::TooLarge);
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_escaped_into_one_segment() -> Result<(), CloudThumbError> {
        let url = endpoint("http://h/v1.0", &["me", "items", "a/../b?c", "content"])?;
        assert_eq!(
            url.as_str(),
            "http://h/v1.0/me/items/a%2F..%2Fb%3Fc/content"
        );
        Ok(())
    }

    #[test]
    fn the_token_goes_only_to_trusted_thumbnail_hosts() -> Result<(), Box<dyn std::error::Error>> {
        let api = "http://127.0.0.1:9/drive/v3";
        let ok = |s: &str| Url::parse(s).map(|u| trusted_link(&u, api));
        assert!(ok("https://lh3.googleusercontent.com/abc=s220")?);
        assert!(ok("http://127.0.0.1:9/thumbnail/F1")?);
        assert!(!ok("http://lh3.googleusercontent.com/abc")?);
        assert!(!ok("https://googleusercontent.com.evil.example/abc")?);
        assert!(!ok("http://127.0.0.1:10/thumbnail/F1")?);
        assert!(!ok("https://evil.example/x")?);
        Ok(())
    }
}
