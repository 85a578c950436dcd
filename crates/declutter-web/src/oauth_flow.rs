//! What the two OAuth code flows share (signing in with OIDC, connecting a drive): the
//! authorization request with PKCE S256, the outbound HTTP client, and the store of flows in
//! progress (in the database, so any instance finishes what another started), keyed by
//! `state`, bounded in number and age, taken at most once.

use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use platform_db::sql::AnyPool;
use reqwest::Url;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::crypto::Keyring;
use crate::db::flows;

/// How long a flow may take from redirect to callback.
pub const FLOW_TTL_SECS: i64 = 600;
/// `Retry-After` when too many flows are pending: the oldest expire within a flow's life.
pub const FLOW_RETRY_SECS: u64 = 60;
/// Most flows of one purpose pending at once; anyone can start a sign-in, so the rows they
/// cost are bounded.
const MAX_PENDING: u64 = 10_000;

/// The parameters of an authorization request.
#[derive(Debug)]
pub struct Authorize<'a> {
    /// The provider's authorization endpoint.
    pub endpoint: &'a str,
    /// Our client id.
    pub client_id: &'a str,
    /// Our callback.
    pub redirect_uri: &'a str,
    /// Space-separated scopes.
    pub scope: &'a str,
    /// The flow's `state`.
    pub state: &'a str,
    /// The PKCE verifier (only its S256 challenge is sent).
    pub verifier: &'a str,
}

impl Authorize<'_> {
    /// The authorization URL; add provider-specific parameters to its query afterwards.
    pub fn url(&self) -> Result<Url, String> {
        let mut url = Url::parse(self.endpoint).map_err(|e| e.to_string())?;
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", self.client_id)
            .append_pair("redirect_uri", self.redirect_uri)
            .append_pair("scope", self.scope)
            .append_pair("state", self.state)
            .append_pair("code_challenge", &pkce_challenge(self.verifier))
            .append_pair("code_challenge_method", "S256");
        Ok(url)
    }
}

/// `BASE64URL(SHA256(verifier))` (RFC 7636 S256).
pub fn pkce_challenge(verifier: &str) -> String {
    use base64::Engine as _;
    use sha2::Digest as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(sha2::Sha256::digest(verifier.as_bytes()))
}

/// The client for token, JWKS and revoke requests: no redirects followed, bounded wait.
pub fn outbound_client() -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
}

/// Storing or taking a flow failed.
#[derive(Debug, thiserror::Error)]
pub enum FlowError {
    /// Too many flows are in progress.
    #[error("too many flows in progress")]
    Full,
    /// The database failed.
    #[error(transparent)]
    Db(#[from] crate::db::DbError),
    /// The payload could not be sealed or encoded.
    #[error("sealing a flow: {0}")]
    Seal(String),
}

/// Flows in progress for one purpose, keyed by `state`, in the database so any instance can
/// finish a flow another started. The payload is sealed with the token keyring and bound to
/// the purpose and the state's hash, so a row cannot be read, edited or moved to another state.
#[derive(Debug, Clone)]
pub struct PendingFlows<T> {
    purpose: &'static str,
    pool: AnyPool,
    keyring: Arc<Keyring>,
    kind: PhantomData<fn() -> T>,
}

impl<T: Serialize + DeserializeOwned> PendingFlows<T> {
    /// The flows of `purpose` (`sign_in` or `connect`, as the table's check allows).
    pub fn new(purpose: &'static str, pool: AnyPool, keyring: Arc<Keyring>) -> Self {
        Self {
            purpose,
            pool,
            keyring,
            kind: PhantomData,
        }
    }

    /// Remembers `flow` under `state`, started at `now`; forgets expired flows first.
    pub async fn insert(&self, state: &str, flow: &T, now: i64) -> Result<(), FlowError> {
        let hash = state_hash(state);
        let json = serde_json::to_vec(flow).map_err(|e| FlowError::Seal(e.to_string()))?;
        let (key_id, sealed) = self
            .keyring
            .seal(self.purpose, &hex::encode(hash), &json)
            .map_err(|e| FlowError::Seal(e.to_string()))?;
        let stored = flows::StoredFlow {
            created_at: now,
            key_id,
            sealed,
        };
        let purpose = self.purpose;
        let fits = self
            .pool
            .write(move |c| {
                flows::insert(c, purpose, &hash, &stored, now - FLOW_TTL_SECS, MAX_PENDING)
            })
            .await
            .map_err(crate::db::DbError::from)??;
        if fits { Ok(()) } else { Err(FlowError::Full) }
    }

    /// Removes the flow for `state`; `None` when unknown, already taken, expired at `now`, or
    /// not one this keyring sealed.
    pub async fn take(&self, state: &str, now: i64) -> Result<Option<T>, FlowError> {
        let hash = state_hash(state);
        let purpose = self.purpose;
        let Some(stored) = self
            .pool
            .write(move |c| flows::take(c, purpose, &hash))
            .await
            .map_err(crate::db::DbError::from)??
        else {
            return Ok(None);
        };
        if now - stored.created_at >= FLOW_TTL_SECS {
            return Ok(None);
        }
        let Ok(json) = self.keyring.open(
            &stored.key_id,
            self.purpose,
            &hex::encode(hash),
            &stored.sealed,
        ) else {
            tracing::warn!(purpose, "a pending flow did not open with the keyring");
            return Ok(None);
        };
        Ok(serde_json::from_slice(&json).ok())
    }
}

/// SHA-256 of a flow's `state`, its key in the table.
fn state_hash(state: &str) -> [u8; 32] {
    use sha2::Digest as _;
    sha2::Sha256::digest(state.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn flows(dir: &std::path::Path) -> (PendingFlows<u32>, PendingFlows<u32>) {
        let pool = crate::db::open(&dir.join("d.db")).await.expect("open");
        let keyring = Arc::new(Keyring::new(&[7; 32], &[]));
        (
            PendingFlows::new("sign_in", pool.clone(), keyring.clone()),
            PendingFlows::new("connect", pool, keyring),
        )
    }

    #[tokio::test]
    async fn flows_are_taken_once_and_expire() -> Result<(), FlowError> {
        let dir = tempfile::tempdir().expect("tempdir");
        let (sign_in, connect) = flows(dir.path()).await;
        sign_in.insert("a", &1, 100).await?;
        sign_in.insert("b", &2, 100).await?;
        assert_eq!(
            connect.take("a", 101).await?,
            None,
            "another purpose's flow"
        );
        assert_eq!(sign_in.take("a", 101).await?, Some(1));
        assert_eq!(sign_in.take("a", 101).await?, None, "single use");
        assert_eq!(
            sign_in.take("b", 100 + FLOW_TTL_SECS).await?,
            None,
            "expired"
        );
        Ok(())
    }

    #[tokio::test]
    async fn a_second_instance_finishes_what_the_first_started() -> Result<(), FlowError> {
        let dir = tempfile::tempdir().expect("tempdir");
        let (first, _) = flows(dir.path()).await;
        let (second, _) = flows(dir.path()).await;
        first.insert("s", &42, 100).await?;
        assert_eq!(second.take("s", 101).await?, Some(42));
        assert_eq!(
            first.take("s", 101).await?,
            None,
            "taken once across instances"
        );
        Ok(())
    }

    #[tokio::test]
    async fn rows_hold_no_state_and_no_readable_payload() -> Result<(), FlowError> {
        let dir = tempfile::tempdir().expect("tempdir");
        let (sign_in, _) = flows(dir.path()).await;
        sign_in.insert("the-state", &0xdead_beef, 100).await?;
        let db = platform_db::rusqlite::Connection::open(dir.path().join("d.db"))
            .map_err(crate::db::DbError::from)?;
        let (key, sealed): (Vec<u8>, Vec<u8>) = db
            .query_row("SELECT state_hash, sealed FROM oauth_flows", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .map_err(crate::db::DbError::from)?;
        assert_eq!(key, state_hash("the-state"));
        let text = String::from_utf8_lossy(&sealed);
        assert!(!text.contains("the-state") && !text.contains(&0xdead_beef_u32.to_string()));
        // A row moved under another state's hash does not open.
        db.execute(
            "UPDATE oauth_flows SET state_hash = ?1",
            [&state_hash("other")[..]],
        )
        .map_err(crate::db::DbError::from)?;
        assert_eq!(sign_in.take("other", 101).await?, None);
        Ok(())
    }

    #[tokio::test]
    async fn pending_flows_are_bounded() -> Result<(), FlowError> {
        let dir = tempfile::tempdir().expect("tempdir");
        let (sign_in, connect) = flows(dir.path()).await;
        let pool = sign_in.pool.clone();
        // Fill the table to the bound directly (10,000 sealed inserts would be slow).
        pool.write(|c| -> Result<(), crate::db::DbError> {
            use platform_db::sql::DbExt as _;
            let tx = c.transaction(platform_db::sql::Lock::None)?;
            for i in 0..MAX_PENDING {
                tx.execute(
                    "INSERT INTO oauth_flows VALUES (?1, 'sign_in', 100, 'k', x'00')",
                    [&state_hash(&i.to_string())[..]],
                )?;
            }
            tx.commit()?;
            Ok(())
        })
        .await
        .map_err(crate::db::DbError::from)??;
        assert!(matches!(
            sign_in.insert("one more", &1, 101).await,
            Err(FlowError::Full)
        ));
        connect.insert("another purpose", &1, 101).await?;
        // Once they expire they make room.
        sign_in.insert("later", &1, 100 + FLOW_TTL_SECS).await?;
        Ok(())
    }

    #[test]
    fn challenge_is_unpadded_base64url_of_sha256() {
        // Expected value computed independently with Python's hashlib and base64.
        assert_eq!(
            pkce_challenge("dBjftJeZ4CVP-mJ92K9qkd2rprh6gPsTLE2yP5zY1Zs"),
            "AeipYeWTNqM2pdwa4sTJq5qDydeF30tJlXw6tPOCGQ0"
        );
    }
}
