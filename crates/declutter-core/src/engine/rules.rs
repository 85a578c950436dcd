//! Keep rules: which copy of a duplicate group stays. Ordering rules are applied in the order
//! given (later ones break ties), reference folders override them: when a group has copies in
//! a reference folder, those all stay and every copy elsewhere goes. Whatever the rules, at
//! least one copy of every group stays.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use super::EngineError;
use crate::store::files::FileRow;

/// One keep rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeepRule {
    /// Keep the most recently modified copy.
    Newest,
    /// Keep the least recently modified copy.
    Oldest,
    /// Keep the copy with the shortest path.
    ShortestPath,
    /// Prefer `name.ext` over `name (1).ext`, `name - Copy.ext`, `Copy of name.ext`.
    OriginalName,
    /// Keep everything under this folder; delete only copies elsewhere.
    Reference(String),
}

impl FromStr for KeepRule {
    type Err = EngineError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "newest" => Ok(Self::Newest),
            "oldest" => Ok(Self::Oldest),
            "shortest-path" => Ok(Self::ShortestPath),
            "original-name" => Ok(Self::OriginalName),
            other => match other.strip_prefix("ref:") {
                Some(dir) if !dir.is_empty() => {
                    Ok(Self::Reference(dir.trim_end_matches('/').to_owned()))
                }
                _ => Err(EngineError::InvalidRule(other.to_owned())),
            },
        }
    }
}

impl fmt::Display for KeepRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Newest => f.write_str("newest"),
            Self::Oldest => f.write_str("oldest"),
            Self::ShortestPath => f.write_str("shortest-path"),
            Self::OriginalName => f.write_str("original-name"),
            Self::Reference(d) => write!(f, "ref:{d}"),
        }
    }
}

/// True for names that look like a copy: `x (1).txt`, `x - Copy.txt`, `Copy of x.txt`, `x copy.txt`.
pub fn looks_like_copy(name: &str) -> bool {
    let stem = name.rsplit_once('.').map_or(name, |(s, _)| s).trim_end();
    let numbered = stem
        .strip_suffix(')')
        .and_then(|s| s.rsplit_once('('))
        .is_some_and(|(before, n)| {
            !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()) && before.ends_with(' ')
        });
    let lower = stem.to_lowercase();
    numbered
        || lower.ends_with(" - copy")
        || lower.ends_with(" copy")
        || name.to_lowercase().starts_with("copy of ")
}

fn under(path: &str, dir: &str) -> bool {
    path == dir
        || path
            .strip_prefix(dir)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// A combination of keep rules.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeepRules(pub Vec<KeepRule>);

impl KeepRules {
    /// Parses `newest,ref:/photos` or repeated flags.
    pub fn parse<S: AsRef<str>>(parts: &[S]) -> Result<Self, EngineError> {
        let mut rules = Vec::new();
        for p in parts {
            for r in p
                .as_ref()
                .split(',')
                .map(str::trim)
                .filter(|r| !r.is_empty())
            {
                rules.push(r.parse()?);
            }
        }
        Ok(Self(rules))
    }

    fn is_reference(&self, f: &FileRow) -> bool {
        self.0
            .iter()
            .any(|r| matches!(r, KeepRule::Reference(d) if under(&f.path, d)))
    }

    fn compare(&self, a: &FileRow, b: &FileRow) -> Ordering {
        let mut ord = Ordering::Equal;
        for rule in &self.0 {
            ord = ord.then_with(|| match rule {
                KeepRule::Newest => b.modified_ns.cmp(&a.modified_ns),
                KeepRule::Oldest => a.modified_ns.cmp(&b.modified_ns),
                KeepRule::ShortestPath => a.path.len().cmp(&b.path.len()),
                KeepRule::OriginalName => looks_like_copy(&a.name).cmp(&looks_like_copy(&b.name)),
                KeepRule::Reference(_) => Ordering::Equal,
            });
        }
        ord.then_with(|| a.path.cmp(&b.path))
            .then_with(|| a.id.cmp(&b.id))
    }

    /// Which members of a group stay (`true`) and which go. Never all `false` for a non-empty group.
    pub fn choose(&self, files: &[FileRow]) -> Vec<bool> {
        let refs: Vec<bool> = files.iter().map(|f| self.is_reference(f)).collect();
        if refs.iter().any(|r| *r) {
            return refs;
        }
        let best = (0..files.len()).min_by(|&a, &b| self.compare(&files[a], &files[b]));
        (0..files.len()).map(|i| Some(i) == best).collect()
    }
}

impl fmt::Display for KeepRules {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        f.write_str(&parts.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_names() {
        for n in [
            "a (1).txt",
            "a (12).jpg",
            "a - Copy.txt",
            "Copy of a.txt",
            "a copy.txt",
        ] {
            assert!(looks_like_copy(n), "{n}");
        }
        for n in ["a.txt", "(1).txt", "a(x).txt", "scopy.txt"] {
            assert!(!looks_like_copy(n), "{n}");
        }
    }

    #[test]
    fn rules_round_trip() -> Result<(), EngineError> {
        let rules = KeepRules::parse(&["newest,original-name", "ref:/a/b"])?;
        assert_eq!(rules.to_string(), "newest,original-name,ref:/a/b");
        assert!(KeepRules::parse(&["biggest"]).is_err());
        Ok(())
    }
}
