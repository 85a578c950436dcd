//! The OpenAPI document against the code it describes: every route of `src/router.rs` is in it
//! with exactly its methods, every problem code a handler answers is in its table, every `$ref`
//! resolves, and `GET /` names it (under a URL prefix too).

use std::collections::BTreeSet;

use paste_server::openapi::problems::PROBLEMS;
use serde_json::Value;

use crate::support::{Server, TestResult, http, s};

/// `(METHOD, path)` of every route `router.rs` registers, read from its source: each
/// `.route(<path>, get(..).post(..))` call, `&root` standing for `/`.
fn routed() -> BTreeSet<(String, String)> {
    let source = include_str!("../../src/router.rs");
    let mut routes = BTreeSet::new();
    for call in source.split(".route(").skip(1) {
        // The call's arguments: up to the parenthesis that closes `.route(`.
        let mut depth = 1;
        let end = call
            .char_indices()
            .find(|&(_, c)| {
                match c {
                    '(' => depth += 1,
                    ')' => depth -= 1,
                    _ => {}
                }
                depth == 0
            })
            .map_or(call.len(), |(i, _)| i);
        let args = &call[..end];
        let path = match args.split_once("format!(\"{p}") {
            Some((_, rest)) => rest
                .split('"')
                .next()
                .unwrap_or_default()
                .replace("{{", "{")
                .replace("}}", "}"),
            None if args.trim_start().starts_with("&root") => "/".to_owned(),
            None => panic!("a route whose path this test cannot read: {args}"),
        };
        // Under a prefix `{p}/` repeats the root; the document lists it once, as `/`.
        let path = if path.is_empty() {
            "/".to_owned()
        } else {
            path
        };
        for method in ["get", "post", "put", "delete", "patch"] {
            let called = args.match_indices(&format!("{method}(")).any(|(i, _)| {
                i == 0
                    || !args.as_bytes()[i - 1].is_ascii_alphanumeric()
                        && args.as_bytes()[i - 1] != b'_'
                        && args.as_bytes()[i - 1] != b':'
            });
            if called {
                routes.insert((method.to_ascii_uppercase(), path.clone()));
            }
        }
    }
    routes
}

/// `(METHOD, path)` of every operation of the document.
fn documented(doc: &Value) -> BTreeSet<(String, String)> {
    let mut ops = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for method in [
            "get", "post", "put", "delete", "patch", "head", "options", "trace",
        ] {
            if item.get(method).is_some() {
                ops.insert((method.to_ascii_uppercase(), path.clone()));
            }
        }
    }
    ops
}

async fn fetch_document(server: &Server, path: &str) -> Result<Value, crate::support::BoxError> {
    let res = http().get(server.url(path)).send().await?;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/json")
    );
    Ok(res.json().await?)
}

#[tokio::test]
async fn every_route_is_documented_with_its_methods() -> TestResult {
    let server = Server::start(|_| {}).await?;
    let doc = fetch_document(&server, "/openapi.json").await?;
    assert_eq!(doc["openapi"], "3.1.0");
    let routed = routed();
    assert!(
        routed.len() >= 20,
        "the router parse found too little: {routed:?}"
    );
    let documented = documented(&doc);
    let missing: Vec<_> = routed.difference(&documented).collect();
    let extra: Vec<_> = documented.difference(&routed).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "router.rs and the document disagree: routed but not documented {missing:?}, \
         documented but not routed {extra:?}"
    );
    Ok(())
}

#[tokio::test]
async fn every_operation_answers_documented_problems_and_refs_resolve() -> TestResult {
    let server = Server::start(|_| {}).await?;
    let doc = fetch_document(&server, "/openapi.json").await?;
    let mut refs = Vec::new();
    collect_refs(&doc, &mut refs);
    assert!(!refs.is_empty());
    for r in &refs {
        let pointer = r
            .strip_prefix('#')
            .unwrap_or_else(|| panic!("external $ref {r}"));
        assert!(doc.pointer(pointer).is_some(), "dangling $ref {r}");
    }
    // Every status of the table has its reusable response, with its codes.
    for p in PROBLEMS {
        let res = &doc["components"]["responses"][format!("Problem{}", p.status)];
        let codes = &res["content"]["application/problem+json"]["schema"]["allOf"][1]["properties"]
            ["code"]["enum"];
        assert!(
            codes
                .as_array()
                .is_some_and(|c| c.contains(&Value::from(p.code))),
            "{} {} missing from its response: {res}",
            p.status,
            p.code
        );
    }
    // Every operation documents at least one success and the 500 any route may answer.
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for (method, op) in item.as_object().into_iter().flatten() {
            let responses = op["responses"].as_object().into_iter().flatten();
            let statuses: Vec<&String> = responses.map(|(s, _)| s).collect();
            assert!(
                statuses
                    .iter()
                    .any(|s| s.starts_with('2') || s.starts_with('3')),
                "{method} {path}: no success response"
            );
            assert!(
                statuses.iter().any(|s| *s == "500"),
                "{method} {path}: no 500"
            );
        }
    }
    Ok(())
}

fn collect_refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("$ref") {
                out.push(r.clone());
            }
            map.values().for_each(|v| collect_refs(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

/// `(status name, code)` of every problem the server's and the platform's sources construct:
/// `problem(StatusCode::X, "code", ..)` and `Problem::new(StatusCode::X, "code", ..)`, and the
/// proof-of-work codes mapped in `error.rs` (status by variable: `None`).
fn constructed_problems() -> Result<Vec<(Option<String>, String)>, crate::support::BoxError> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut found = Vec::new();
    let mut files = Vec::new();
    for dir in [root.join("src"), root.join("../platform/src")] {
        let mut stack = vec![dir];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(dir)? {
                let path = entry?.path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    files.push(path);
                }
            }
        }
    }
    for file in files {
        let source = std::fs::read_to_string(&file)?;
        for opener in ["problem(", "Problem::new("] {
            for (i, _) in source.match_indices(opener) {
                let rest = source[i + opener.len()..].trim_start();
                let Some((status, rest)) = rest.split_once(',') else {
                    continue;
                };
                let rest = rest.trim_start();
                let Some(code) = rest.strip_prefix('"').and_then(|r| r.split('"').next()) else {
                    continue;
                };
                let status = status.trim();
                let status = status
                    .strip_prefix("StatusCode::")
                    .or_else(|| status.strip_prefix("http::StatusCode::"));
                found.push((status.map(str::to_owned), code.to_owned()));
            }
        }
        for (i, _) in source.match_indices("=> \"pow_") {
            let code = source[i + 4..].split('"').next().unwrap_or_default();
            found.push((None, code.to_owned()));
        }
    }
    Ok(found)
}

#[test]
fn every_problem_a_handler_answers_is_documented() -> TestResult {
    let found = constructed_problems()?;
    assert!(
        found.len() > 40,
        "the source scan found too little: {found:?}"
    );
    for (status, code) in found {
        let listed: Vec<u16> = PROBLEMS
            .iter()
            .filter(|p| p.code == code)
            .map(|p| p.status)
            .collect();
        assert!(
            !listed.is_empty(),
            "problem code `{code}` is not in openapi::problems::PROBLEMS"
        );
        if let Some(status) = status {
            let names: Vec<String> = listed
                .iter()
                .filter_map(|s| http::StatusCode::from_u16(*s).ok())
                .filter_map(|s| s.canonical_reason())
                .map(|r| r.to_ascii_uppercase().replace(' ', "_"))
                .collect();
            assert!(
                names.contains(&status),
                "`{code}` is answered with {status}, documented with {listed:?}"
            );
        }
    }
    Ok(())
}

#[tokio::test]
async fn the_root_names_the_document_under_a_prefix_too() -> TestResult {
    for prefix in ["", "/paste"] {
        let server = Server::start(|c| c.url_prefix = prefix.into()).await?;
        let root = if prefix.is_empty() { "/" } else { prefix };
        let info: Value = http().get(server.url(root)).send().await?.json().await?;
        let doc_path = s(&info, "openapi");
        assert_eq!(doc_path, format!("{prefix}/openapi.json"));
        assert!(info["limits"]["max_anon_size"].is_u64(), "{info}");
        assert!(info["features"].is_array(), "{info}");
        let doc = fetch_document(&server, &doc_path).await?;
        assert_eq!(doc["servers"][0]["url"], root);
        assert!(doc["paths"].get("/{id}/raw").is_some());
    }
    Ok(())
}
