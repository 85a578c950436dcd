//! What a person asked the duplicates view for (`?type=image&sort=size&folder=/Photos&page=3`),
//! validated at the edge into the engine's [`Filter`] and [`Sort`], and written back as one
//! canonical query string (the cache key and the pager's links).

use declutter_core::store::review::{Filter, Kind, Sort};
use serde::Deserialize;

use crate::error::ApiError;

/// Longest search text, folder or source accepted.
const MAX_TEXT: usize = 1024;

/// The query string of `/dupes`, `/api/dupes` and the plan form (every field optional). The
/// fields arrive as text so an HTML form's empty field reads as absent; the document states
/// what they must parse as, and [`Selection`] enforces it.
#[derive(Debug, Default, Clone, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DupesQuery {
    /// Page number, from 1.
    #[param(value_type = Option<u32>, minimum = 1)]
    pub page: Option<String>,
    /// The order of the groups.
    #[param(value_type = Option<String>, pattern = "^(reclaimable|size|count|date)$")]
    pub sort: Option<String>,
    /// Only groups of this kind of file (`any`: every kind).
    #[serde(rename = "type")]
    #[param(rename = "type", value_type = Option<String>,
        pattern = "^(any|image|video|audio|document|archive|other)$")]
    pub kind: Option<String>,
    /// Smallest copy size in bytes.
    #[param(value_type = Option<u64>, minimum = 0)]
    pub min_size: Option<String>,
    /// Largest copy size in bytes.
    #[param(value_type = Option<u64>, minimum = 0)]
    pub max_size: Option<String>,
    /// Groups with a copy in this folder (a path from `/`).
    #[param(value_type = Option<String>, pattern = "^/[^\\x00-\\x1f\\x7f]*$", max_length = 1024)]
    pub folder: Option<String>,
    /// Groups with a copy in this source.
    #[param(value_type = Option<String>, pattern = "^[^\\x00-\\x1f\\x7f]*$", max_length = 1024)]
    pub source: Option<String>,
    /// Name search.
    #[param(value_type = Option<String>, pattern = "^[^\\x00-\\x1f\\x7f]*$", max_length = 1024)]
    pub q: Option<String>,
    /// The folder picked to keep (carried to the plan form; a path from `/`).
    #[param(value_type = Option<String>, pattern = "^/[^\\x00-\\x1f\\x7f]*$", max_length = 1024)]
    pub keep: Option<String>,
}

/// A validated [`DupesQuery`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    /// Which groups.
    pub filter: Filter,
    /// In which order.
    pub sort: Sort,
    /// Which page (from 1).
    pub page: usize,
    /// The folder picked to keep.
    pub keep: Option<String>,
}

fn text(v: Option<String>, what: &str) -> Result<Option<String>, ApiError> {
    match v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()) {
        Some(s) if s.len() > MAX_TEXT || s.chars().any(char::is_control) => Err(ApiError::Invalid(
            format!("{what} must be at most {MAX_TEXT} characters, without control characters"),
        )),
        other => Ok(other),
    }
}

fn folder(v: Option<String>, what: &str) -> Result<Option<String>, ApiError> {
    match text(v, what)? {
        Some(f) if !f.starts_with('/') => Err(ApiError::Invalid(format!(
            "{what} must be a folder path starting with /"
        ))),
        Some(f) => Ok(Some(match f.trim_end_matches('/') {
            "" => "/".to_owned(),
            t => t.to_owned(),
        })),
        None => Ok(None),
    }
}

fn bytes(v: Option<String>, what: &str) -> Result<Option<u64>, ApiError> {
    match v.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => s
            .parse()
            .map(Some)
            .map_err(|_| ApiError::Invalid(format!("{what} must be a number of bytes"))),
    }
}

impl TryFrom<DupesQuery> for Selection {
    type Error = ApiError;
    fn try_from(q: DupesQuery) -> Result<Self, ApiError> {
        let page = match q.page.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => 1,
            Some(p) => match p.parse::<usize>() {
                Ok(n) if n >= 1 => n,
                _ => return Err(ApiError::Invalid("page must be a positive number".into())),
            },
        };
        let sort = match q.sort.as_deref().filter(|s| !s.is_empty()) {
            None => Sort::default(),
            Some(s) => Sort::ALL
                .into_iter()
                .find(|o| o.to_string() == s)
                .ok_or_else(|| {
                    ApiError::Invalid("sort must be reclaimable, size, count or date".into())
                })?,
        };
        let kind = match q.kind.as_deref().filter(|s| !s.is_empty() && *s != "any") {
            None => None,
            Some(k) => Some(k.parse::<Kind>().map_err(|_| {
                ApiError::Invalid(
                    "type must be image, video, audio, document, archive or other".into(),
                )
            })?),
        };
        Ok(Self {
            filter: Filter {
                kind,
                min_size: bytes(q.min_size, "min_size")?,
                max_size: bytes(q.max_size, "max_size")?,
                folder: folder(q.folder, "folder")?,
                source: text(q.source, "source")?,
                name: text(q.q, "the search")?,
            },
            sort,
            page,
            keep: folder(q.keep, "keep")?,
        })
    }
}

impl Selection {
    /// The canonical query string without the page (links add `&page=N`).
    pub fn query(&self) -> String {
        let f = &self.filter;
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        q.append_pair("sort", &self.sort.to_string());
        if let Some(k) = f.kind {
            q.append_pair("type", &k.to_string());
        }
        if let Some(n) = f.min_size {
            q.append_pair("min_size", &n.to_string());
        }
        if let Some(n) = f.max_size {
            q.append_pair("max_size", &n.to_string());
        }
        for (k, v) in [
            ("folder", &f.folder),
            ("source", &f.source),
            ("q", &f.name),
            ("keep", &self.keep),
        ] {
            if let Some(v) = v {
                q.append_pair(k, v);
            }
        }
        q.finish()
    }

    /// The filter of the folder view's counts: the list's filter (type, size, source, name)
    /// without the folder being cleaned up, since the folder view is where that folder is
    /// picked and would otherwise shrink to the groups with a copy in it.
    pub fn tree_filter(&self) -> Filter {
        Filter {
            folder: None,
            ..self.filter.clone()
        }
    }

    /// The query without the filters the folder view counts by ([`Self::tree_filter`]): the
    /// picked folders and the sort stay.
    pub fn unfiltered_query(&self) -> String {
        Self {
            filter: Filter {
                folder: self.filter.folder.clone(),
                ..Filter::default()
            },
            ..self.clone()
        }
        .query()
    }

    /// This selection with another page.
    pub fn at_page(&self, page: usize) -> Self {
        Self {
            page,
            ..self.clone()
        }
    }

    /// The query with one parameter replaced (`None`: removed), from page 1.
    pub fn with(&self, key: &str, value: Option<&str>) -> String {
        let mut next = self.at_page(1);
        let v = value.map(str::to_owned);
        match key {
            "folder" => next.filter.folder = v,
            "keep" => next.keep = v,
            "source" => next.filter.source = v,
            "q" => next.filter.name = v,
            _ => {}
        }
        next.query()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(pairs: &[(&str, &str)]) -> Result<Selection, ApiError> {
        let q: DupesQuery = serde_json::from_value(serde_json::Value::Object(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), serde_json::Value::from(*v)))
                .collect(),
        ))
        .map_err(|e| ApiError::Invalid(e.to_string()))?;
        Selection::try_from(q)
    }

    #[test]
    fn queries_validate_and_round_trip() -> Result<(), ApiError> {
        let s = parse(&[
            ("type", "image"),
            ("sort", "size"),
            ("folder", "/Photos/"),
            ("q", "a&b"),
            ("page", "3"),
        ])?;
        assert_eq!(s.filter.folder.as_deref(), Some("/Photos"));
        assert_eq!(s.page, 3);
        assert_eq!(s.query(), "sort=size&type=image&folder=%2FPhotos&q=a%26b");
        for bad in [
            &[("page", "0")][..],
            &[("sort", "name")],
            &[("type", "exe")],
            &[("folder", "Photos")],
            &[("min_size", "big")],
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
        Ok(())
    }
}
