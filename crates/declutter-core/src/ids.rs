//! Validated domain names: owners, providers, sources and provider item ids.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// A value failed validation.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum IdError {
    /// Owner ids are 1–64 characters of `[A-Za-z0-9._@-]`.
    #[error("invalid user id {0:?}: use 1-64 characters of letters, digits, '.', '_', '@', '-'")]
    User(String),
    /// Unknown provider name.
    #[error("unknown provider {0:?}: expected local, onedrive or gdrive")]
    Provider(String),
    /// Item ids are non-empty and free of control characters.
    #[error("invalid item id {0:?}")]
    Item(String),
    /// A source is `onedrive:`, `gdrive:` or an absolute local path.
    #[error("invalid source {0:?}: expected onedrive:, gdrive: or a local path")]
    Source(String),
}

/// The owner of every row in the database; the CLI uses [`UserId::local`], the web app its
/// signed-in users.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UserId(String);

impl UserId {
    /// The single owner the command-line tool acts as.
    pub fn local() -> Self {
        Self("local".to_owned())
    }
    /// The id as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for UserId {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let ok = (1..=64).contains(&s.len())
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '@' | '-'));
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(IdError::User(s.to_owned()))
        }
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Which storage a file lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ProviderKind {
    /// A local folder.
    Local,
    /// OneDrive through Microsoft Graph.
    OneDrive,
    /// Google Drive v3.
    GDrive,
}

impl ProviderKind {
    /// Stable lower-case name used in the database and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Local => "local",
            Self::OneDrive => "onedrive",
            Self::GDrive => "gdrive",
        }
    }
}

impl FromStr for ProviderKind {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "local" => Ok(Self::Local),
            "onedrive" => Ok(Self::OneDrive),
            "gdrive" => Ok(Self::GDrive),
            other => Err(IdError::Provider(other.to_owned())),
        }
    }
}

impl fmt::Display for ProviderKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One scannable place: a local root folder or a whole cloud drive.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Source {
    /// A local folder, always absolute.
    Local(PathBuf),
    /// The signed-in user's OneDrive.
    OneDrive,
    /// The signed-in user's Google Drive.
    GDrive,
}

impl Source {
    /// The whole drive served by cloud provider `kind`; `None` for [`ProviderKind::Local`],
    /// whose sources are folders.
    pub fn drive(kind: ProviderKind) -> Option<Self> {
        match kind {
            ProviderKind::Local => None,
            ProviderKind::OneDrive => Some(Self::OneDrive),
            ProviderKind::GDrive => Some(Self::GDrive),
        }
    }

    /// The provider serving this source.
    pub fn provider(&self) -> ProviderKind {
        match self {
            Self::Local(_) => ProviderKind::Local,
            Self::OneDrive => ProviderKind::OneDrive,
            Self::GDrive => ProviderKind::GDrive,
        }
    }
    /// The local root, if any.
    pub fn local_root(&self) -> Option<&Path> {
        match self {
            Self::Local(p) => Some(p),
            _ => None,
        }
    }
}

impl FromStr for Source {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "onedrive:" => Ok(Self::OneDrive),
            "gdrive:" => Ok(Self::GDrive),
            "" => Err(IdError::Source(s.to_owned())),
            other => {
                let raw = other.strip_prefix("local:").unwrap_or(other);
                let path = Path::new(raw);
                if path.is_absolute() {
                    Ok(Self::Local(path.to_owned()))
                } else {
                    Err(IdError::Source(s.to_owned()))
                }
            }
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Local(p) => write!(f, "local:{}", p.display()),
            Self::OneDrive => f.write_str("onedrive:"),
            Self::GDrive => f.write_str("gdrive:"),
        }
    }
}

/// A provider's stable id for one item (a local path, a Graph item id, a Drive file id).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ItemId(String);

impl ItemId {
    /// Wraps a string already known to be a valid id (control characters are replaced).
    pub(crate) fn from_str_unchecked(s: &str) -> Self {
        if s.chars().any(char::is_control) {
            Self(s.replace(char::is_control, "\u{fffd}"))
        } else {
            Self(s.to_owned())
        }
    }
    /// The id as the provider spells it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for ItemId {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.is_empty() || s.chars().any(char::is_control) {
            Err(IdError::Item(s.to_owned()))
        } else {
            Ok(Self(s.to_owned()))
        }
    }
}

impl fmt::Display for ItemId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cloud_provider_names_its_drive_and_local_names_none() {
        for kind in [ProviderKind::OneDrive, ProviderKind::GDrive] {
            assert_eq!(Source::drive(kind).map(|s| s.provider()), Some(kind));
        }
        assert_eq!(Source::drive(ProviderKind::Local), None);
    }

    #[test]
    fn names_round_trip() -> Result<(), IdError> {
        for s in ["onedrive:", "gdrive:", "local:/tmp/x"] {
            assert_eq!(s.parse::<Source>()?.to_string(), s);
        }
        assert_eq!("/tmp/x".parse::<Source>()?.to_string(), "local:/tmp/x");
        assert!("rel/path".parse::<Source>().is_err());
        for p in ["local", "onedrive", "gdrive"] {
            assert_eq!(p.parse::<ProviderKind>()?.to_string(), p);
        }
        assert!("".parse::<UserId>().is_err());
        assert!("a b".parse::<UserId>().is_err());
        assert!("x\n".parse::<ItemId>().is_err());
        Ok(())
    }
}
