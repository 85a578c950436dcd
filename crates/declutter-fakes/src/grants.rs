//! OAuth grants of a fake. Every access token carries the scopes it was granted, and routes
//! check them against the service's published permission tables. Refresh tokens carry the same
//! scopes; they may rotate (Microsoft answers every refresh with a new one) or be single use
//! (the strict model of a rotated token that the client failed to keep), and can be expired
//! (`invalid_grant`). When a client secret is set, the token endpoint checks it.

use std::collections::{BTreeSet, HashMap};

/// Google's scope URLs share this prefix; scopes are kept without it.
const GOOGLE_PREFIX: &str = "https://www.googleapis.com/auth/";

/// The scopes of one grant, as short names (`Files.Read`, `drive.readonly`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scopes(BTreeSet<String>);

impl Scopes {
    /// Scopes from names or Google scope URLs.
    pub fn of(names: &[&str]) -> Self {
        Self(
            names
                .iter()
                .flat_map(|n| n.split_whitespace())
                .map(|n| n.strip_prefix(GOOGLE_PREFIX).unwrap_or(n).to_owned())
                .collect(),
        )
    }
    /// Holds `name`.
    pub fn has(&self, name: &str) -> bool {
        self.0.contains(name)
    }
    /// Holds at least one of `names`.
    pub fn any(&self, names: &[&str]) -> bool {
        names.iter().any(|n| self.has(n))
    }
    /// Space-separated, as a token endpoint reports them.
    pub fn joined(&self) -> String {
        self.0.iter().cloned().collect::<Vec<_>>().join(" ")
    }
}

/// What a refresh does to the refresh token it was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rotation {
    /// Never returns a new refresh token (Google's usual answer).
    Keep,
    /// Returns a new refresh token each time; the old one keeps working (Microsoft's answer).
    Rotate,
    /// Returns a new refresh token each time and the old one stops working.
    SingleUse,
}

/// Tokens handed to a test by [`crate::Gated::grant`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// Access token with the requested scopes.
    pub access: String,
    /// Refresh token for the same scopes.
    pub refresh: String,
}

/// Live tokens of one fake.
#[derive(Debug)]
pub struct Grants {
    access: HashMap<String, Scopes>,
    refresh: HashMap<String, Scopes>,
    /// What a refresh does to the refresh token.
    pub rotation: Rotation,
    /// The secret `/token` requires, if any.
    pub client_secret: Option<String>,
    issued: u64,
}

/// Why `/token` refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Unknown, expired or already used refresh token.
    InvalidGrant,
    /// Missing or wrong client secret.
    InvalidClient,
}

impl Grants {
    /// Accepts `access`/`refresh` with `scopes`.
    pub fn new(access: &str, refresh: &str, scopes: Scopes, rotation: Rotation) -> Self {
        Self {
            access: HashMap::from([(access.to_owned(), scopes.clone())]),
            refresh: HashMap::from([(refresh.to_owned(), scopes)]),
            rotation,
            client_secret: None,
            issued: 0,
        }
    }

    /// The scopes of a live access token.
    pub fn scopes_of(&self, access: &str) -> Option<Scopes> {
        self.access.get(access).cloned()
    }

    /// Every access token stops working.
    pub fn expire_access(&mut self) {
        self.access.clear();
    }

    /// Every refresh token stops working.
    pub fn expire_refresh(&mut self) {
        self.refresh.clear();
    }

    fn mint(&mut self, kind: &str) -> String {
        self.issued += 1;
        format!("fake-{kind}-{}", self.issued)
    }

    /// A new access and refresh token with `scopes`.
    pub fn grant(&mut self, scopes: Scopes) -> Grant {
        let access = self.mint("access");
        let refresh = self.mint("refresh");
        self.access.insert(access.clone(), scopes.clone());
        self.refresh.insert(refresh.clone(), scopes);
        Grant { access, refresh }
    }

    /// The refresh-token grant: a new access token, and a new refresh token when rotating.
    pub fn refresh(
        &mut self,
        refresh: &str,
        secret: Option<&str>,
    ) -> Result<(String, Option<String>, Scopes), Refusal> {
        if let Some(want) = &self.client_secret
            && secret != Some(want.as_str())
        {
            return Err(Refusal::InvalidClient);
        }
        let scopes = self
            .refresh
            .get(refresh)
            .cloned()
            .ok_or(Refusal::InvalidGrant)?;
        let access = self.mint("access");
        self.access.insert(access.clone(), scopes.clone());
        let next = match self.rotation {
            Rotation::Keep => None,
            Rotation::Rotate | Rotation::SingleUse => {
                if self.rotation == Rotation::SingleUse {
                    self.refresh.remove(refresh);
                }
                let next = self.mint("refresh");
                self.refresh.insert(next.clone(), scopes.clone());
                Some(next)
            }
        };
        Ok((access, next, scopes))
    }
}
