//! What a person picked on the duplicates page beyond the rules, read from its plan form:
//! `group=<id>` per ticked group, `keep.<group id>=<file id>` per group whose kept copy was
//! chosen (`rule`: keep by the rules), and the button pressed, `scope=selected` (the ticked
//! groups and those with a chosen copy) or `scope=all` (every group matching the filter; the
//! default). The page also carries `dupes_version`, the owner's duplicates view version it was
//! rendered at ([`super::DupesView::version`]): the engine refuses the picks when the
//! duplicates changed since, even if every picked id still exists; a form without it (a
//! script posting by hand) is checked by ids only. Validated here; the engine checks that the
//! picks still name the owner's groups.

use std::collections::BTreeMap;

use declutter_core::engine::pick::Picks;

use crate::error::ApiError;

/// Most groups or chosen copies one form may name (a page shows 20 groups).
pub const MAX_PICKS: usize = 1000;

/// The picks of a plan form's fields.
pub fn parse(fields: &[(String, String)]) -> Result<Picks, ApiError> {
    let mut ticked = Vec::new();
    let mut keep = BTreeMap::new();
    let mut scope = None;
    let mut seen_version = None;
    for (k, v) in fields {
        if k == "group" {
            ticked.push(id(v)?);
        } else if k == "dupes_version" {
            seen_version = Some(
                v.trim()
                    .parse::<i64>()
                    .ok()
                    .filter(|n| *n >= 0)
                    .ok_or_else(|| {
                        ApiError::Invalid(
                            "dupes_version must be the number the page was shown with".into(),
                        )
                    })?,
            );
        } else if k == "scope" {
            scope = Some(v.as_str());
        } else if let Some(group) = k.strip_prefix("keep.") {
            let group = id(group)?;
            match v.as_str() {
                "" | "rule" => {}
                file => {
                    keep.insert(group, id(file)?);
                }
            }
        }
        if ticked.len() > MAX_PICKS || keep.len() > MAX_PICKS {
            return Err(ApiError::Invalid(format!(
                "at most {MAX_PICKS} groups can be picked at once"
            )));
        }
    }
    let groups = match scope.unwrap_or("all") {
        "all" => None,
        "selected" => {
            ticked.extend(keep.keys().copied());
            ticked.sort_unstable();
            ticked.dedup();
            if ticked.is_empty() {
                return Err(ApiError::Invalid(
                    "tick at least one group (or choose a copy to keep in it), or plan every group that matches".into(),
                ));
            }
            Some(ticked)
        }
        _ => return Err(ApiError::Invalid("scope must be selected or all".into())),
    };
    Ok(Picks {
        groups,
        keep,
        seen_version,
    })
}

fn id(s: &str) -> Result<i64, ApiError> {
    match s.trim().parse::<i64>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(ApiError::Invalid(
            "a picked group or copy must be named by its number".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn selected_groups_include_those_with_a_chosen_copy() -> Result<(), ApiError> {
        let p = parse(&fields(&[
            ("scope", "selected"),
            ("group", "7"),
            ("keep.3", "30"),
            ("keep.7", "rule"),
            ("group", "7"),
        ]))?;
        assert_eq!(p.groups, Some(vec![3, 7]));
        assert_eq!(p.keep, BTreeMap::from([(3, 30)]));
        let all = parse(&fields(&[("group", "7"), ("keep.3", "30")]))?;
        assert_eq!(all.groups, None, "no scope: every matching group");
        assert_eq!(all.keep, BTreeMap::from([(3, 30)]));
        assert_eq!(all.seen_version, None, "no version: ids are checked only");
        let seen = parse(&fields(&[("dupes_version", "12")]))?;
        assert_eq!(seen.seen_version, Some(12));
        Ok(())
    }

    #[test]
    fn bad_picks_are_refused() {
        for bad in [
            &[("scope", "selected")][..],
            &[("scope", "everything")],
            &[("group", "x")],
            &[("group", "-1")],
            &[("keep.x", "1")],
            &[("keep.1", "0")],
            &[("dupes_version", "")],
            &[("dupes_version", "-1")],
            &[("dupes_version", "new")],
        ] {
            assert!(parse(&fields(bad)).is_err(), "{bad:?}");
        }
        let many: Vec<(String, String)> = (1..=MAX_PICKS as i64 + 1)
            .map(|n| ("group".to_owned(), n.to_string()))
            .collect();
        assert!(parse(&many).is_err());
    }
}
