//! What a person picked on the duplicates page beyond the rules, read from its plan form:
//! `group=<id>` per ticked group, `keep.<group id>=<file id>` per group whose kept copy was
//! chosen (`rule`: keep by the rules), and the button pressed, `scope=selected` (the ticked
//! groups and those with a chosen copy) or `scope=all` (every group matching the filter; the
//! default). Validated here; the engine checks that the picks still name the owner's groups.

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
    for (k, v) in fields {
        if k == "group" {
            ticked.push(id(v)?);
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
    Ok(Picks { groups, keep })
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
        ] {
            assert!(parse(&fields(bad)).is_err(), "{bad:?}");
        }
        let many: Vec<(String, String)> = (1..=MAX_PICKS as i64 + 1)
            .map(|n| ("group".to_owned(), n.to_string()))
            .collect();
        assert!(parse(&many).is_err());
    }
}
