//! Every route of fpasted's table, tried as anonymous, as another certificate, as the owner and
//! as an admin. The table below is checked against `src/router.rs`, so a route added there
//! without a row here fails this test.

use reqwest::{Client, Method};
use serde_json::Value;

use crate::support::{Pki, Server, TestResult, problem, s};

/// Who may use a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    /// Anyone, certificate or not.
    Public,
    /// The paste's owner or an admin.
    Owner,
    /// A configured admin certificate only.
    Admin,
    /// Any certificate (the caller's own items).
    Identity,
    /// Routes whose `{id}` is a short-URL id, not a paste id: their access (owner, another
    /// certificate, admin, delete token) is tried in `tests/it/short.rs`, not walked here.
    ShortUrl,
    /// The built-in PKI's routes, which exist only with the PKI enabled (this server has it
    /// off): admin-only issue and revoke, public status, registration and CSR are tried in
    /// `tests/it/pki.rs` and `tests/it/pki_csr.rs`.
    Pki,
}

/// Every route of `router.rs`, `{id}` standing for a paste id.
const TABLE: &[(&str, &str, Access)] = &[
    ("GET", "/", Access::Public),
    ("POST", "/", Access::Public),
    ("GET", "/openapi.json", Access::Public),
    ("GET", "/health", Access::Public),
    ("GET", "/challenge", Access::Public),
    ("GET", "/metrics", Access::Public),
    ("GET", "/client", Access::Public),
    ("GET", "/client/fpaste.sh", Access::Public),
    ("GET", "/admin/stats", Access::Admin),
    ("POST", "/admin/cleanup", Access::Admin),
    ("GET", "/admin/pastes", Access::Admin),
    ("GET", "/admin/quota", Access::Admin),
    ("GET", "/pastes", Access::Identity),
    ("GET", "/pki/status", Access::Pki),
    ("POST", "/pki/ca", Access::Pki),
    ("GET", "/pki/ca.crt", Access::Pki),
    ("GET", "/pki/crl", Access::Pki),
    ("POST", "/pki/issue", Access::Pki),
    ("POST", "/pki/revoke", Access::Pki),
    ("GET", "/register/challenge", Access::Pki),
    ("POST", "/register", Access::Pki),
    ("POST", "/csr", Access::Pki),
    ("GET", "/s", Access::ShortUrl),
    ("POST", "/s", Access::ShortUrl),
    ("GET", "/s/{id}", Access::ShortUrl),
    ("DELETE", "/s/{id}", Access::ShortUrl),
    ("GET", "/{id}", Access::Public),
    ("PUT", "/{id}", Access::Owner),
    ("DELETE", "/{id}", Access::Owner),
    ("GET", "/{id}/raw", Access::Public),
];

/// The paths `router.rs` registers, read from its source: each `format!("{p}…")` literal.
fn routed_paths() -> Vec<String> {
    let source = include_str!("../../src/router.rs");
    let mut paths: Vec<String> = source
        .split("format!(\"{p}")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .filter(|p| !p.is_empty() && *p != "/")
        .map(|p| p.replace("{{id}}", "{id}"))
        .collect();
    paths.push("/".to_owned());
    paths.sort();
    paths.dedup();
    paths
}

#[test]
fn the_table_lists_every_routed_path() {
    let mut listed: Vec<String> = TABLE.iter().map(|(_, p, _)| (*p).to_owned()).collect();
    listed.sort();
    listed.dedup();
    assert_eq!(listed, routed_paths(), "router.rs and this table disagree");
}

/// A fresh paste of alice's, so every destructive attempt has something to destroy.
async fn alices_paste(alice: &Client, server: &Server) -> Result<String, crate::support::BoxError> {
    let res = alice.post(server.url("/")).body("alice's").send().await?;
    assert_eq!(res.status(), 201);
    Ok(s(&res.json::<Value>().await?, "id"))
}

#[tokio::test]
async fn every_route_denies_unless_allowed() -> TestResult {
    let pki = Pki::new()?;
    let alice = pki.ca.client("alice")?;
    let bob = pki.ca.client("bob")?;
    let admin = pki.ca.client("admin")?;
    let files = pki.server_files()?;
    let admin_fp = admin.sha1();
    let client_binary = pki.dir.path().join("fpaste");
    std::fs::write(&client_binary, b"#!/bin/sh\n")?;
    let server = Server::start(move |c| {
        c.tls = Some(files);
        c.admins = vec![admin_fp];
        c.client_binary = Some(client_binary);
    })
    .await?;
    let as_alice = pki.client(Some(&alice))?;
    let as_bob = pki.client(Some(&bob))?;
    let as_admin = pki.client(Some(&admin))?;
    let anon = pki.client(None)?;
    let owner_query = format!("?owner={}", alice.sha1());

    for &(method, path, access) in TABLE {
        if matches!(access, Access::ShortUrl | Access::Pki) {
            continue;
        }
        let m = Method::from_bytes(method.as_bytes())?;
        for (who, client) in [("anonymous", &anon), ("bob", &as_bob), ("admin", &as_admin)] {
            let id = alices_paste(&as_alice, &server).await?;
            let mut url = server.url(&path.replace("{id}", &id));
            if path == "/admin/pastes" || path == "/admin/quota" {
                url.push_str(&owner_query);
            }
            let mut req = client.request(m.clone(), &url);
            if m == Method::POST || m == Method::PUT {
                req = req.body("a body");
            }
            let res = req.send().await?;
            let status = res.status().as_u16();
            let denied = match (access, who) {
                (Access::Public, _) | (_, "admin") | (Access::Identity, "bob") => None,
                (_, "anonymous") => Some((401, "authentication_required")),
                (Access::Owner, _) => Some((403, "not_owner")),
                (Access::Admin, _) => Some((403, "admin_required")),
                (Access::Identity | Access::ShortUrl | Access::Pki, _) => None,
            };
            match denied {
                Some((code, name)) => {
                    eprintln!("{method} {path} as {who}");
                    problem(res, code, name).await?;
                }
                None => assert!(
                    (200..300).contains(&status),
                    "{method} {path} as {who}: {status}"
                ),
            }
            // Whatever was tried, only the admin's DELETE removes alice's paste.
            let raw = as_alice
                .get(server.url(&format!("/{id}/raw")))
                .send()
                .await?;
            let gone = method == "DELETE" && who == "admin";
            assert_eq!(
                raw.status() == 404,
                gone,
                "{method} {path} as {who} changed alice's paste"
            );
        }
    }

    // The owner's own DELETE works, and the owner is shown only to the owner and admins.
    let id = alices_paste(&as_alice, &server).await?;
    for (who, client, sees) in [
        ("anonymous", &anon, false),
        ("bob", &as_bob, false),
        ("alice", &as_alice, true),
        ("admin", &as_admin, true),
    ] {
        let meta: Value = client
            .get(server.url(&format!("/{id}")))
            .send()
            .await?
            .json()
            .await?;
        assert_eq!(meta.get("owner").is_some(), sees, "owner shown to {who}");
    }
    let res = as_alice
        .delete(server.url(&format!("/{id}")))
        .send()
        .await?;
    assert_eq!(res.status(), 200);
    Ok(())
}
