//! Owners managing their pastes: `GET /pastes`, `PUT /{id}` and `X-Display-Name`, with
//! identities vouched for by a trusted proxy.

use reqwest::RequestBuilder;
use serde_json::Value;

use crate::support::{BoxError, Server, TestResult, http, problem, s};

const ALICE: &str = "a11ce00000000000000000000000000000000001";
const BOB: &str = "b0b0000000000000000000000000000000000002";
const ADMIN: &str = "ad00000000000000000000000000000000000003";
const PNG: &[u8] =
    b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";

async fn server() -> Result<Server, BoxError> {
    Server::start(|c| {
        c.trust_proxy = true;
        c.admins = vec![ADMIN.to_owned()];
    })
    .await
}

fn as_(who: &str, req: RequestBuilder) -> RequestBuilder {
    req.header("x-ssl-client-sha1", who)
}

async fn make(
    server: &Server,
    who: &str,
    body: &'static [u8],
    name: Option<&str>,
) -> Result<String, BoxError> {
    let mut req = as_(who, http().post(server.url("/")).body(body));
    if let Some(name) = name {
        req = req.header("x-display-name", name);
    }
    let res = req.send().await?;
    assert_eq!(res.status(), 201);
    let v: Value = res.json().await?;
    // The create answer names the paste as the metadata will.
    assert_eq!(
        v.get("display_name").and_then(Value::as_str),
        name.map(str::trim)
    );
    Ok(s(&v, "id"))
}

async fn list(
    server: &Server,
    who: Option<&str>,
    query: &str,
) -> Result<reqwest::Response, BoxError> {
    let req = http().get(server.url(&format!("/pastes{query}")));
    Ok(match who {
        Some(who) => as_(who, req),
        None => req,
    }
    .send()
    .await?)
}

#[tokio::test]
async fn listing_shows_only_ones_own_pastes_with_every_field() -> TestResult {
    let server = server().await?;
    let named = make(&server, ALICE, b"first of alice", Some("project notes")).await?;
    make(&server, ALICE, b"second of alice", None).await?;
    make(&server, ALICE, PNG, None).await?;
    make(&server, BOB, b"bob's only paste", None).await?;

    problem(
        list(&server, None, "").await?,
        401,
        "authentication_required",
    )
    .await?;
    let page: Value = list(&server, Some(ALICE), "").await?.json().await?;
    assert_eq!(page["total"], 3);
    assert_eq!(page["count"], 3);
    let items = page["pastes"].as_array().ok_or("no pastes")?;
    for item in items {
        for key in [
            "display_name",
            "owner",
            "burn_after_read",
            "password_protected",
        ] {
            assert!(item.get(key).is_some(), "{key} missing from {item}");
        }
        assert_eq!(item["owner"], ALICE);
        let iso = item["expires_at"]
            .as_str()
            .ok_or("expires_at not a string")?;
        assert!(iso.ends_with('Z') && iso.contains('T'), "{iso}");
        assert!(item["expires_at_unix"].as_i64().is_some());
    }
    let with_name = items
        .iter()
        .find(|i| i["id"] == named.as_str())
        .ok_or("named paste missing")?;
    assert_eq!(with_name["display_name"], "project notes");

    let first: Value = list(&server, Some(ALICE), "?limit=2").await?.json().await?;
    let rest: Value = list(&server, Some(ALICE), "?limit=2&offset=2")
        .await?
        .json()
        .await?;
    assert_eq!(first["count"], 2);
    assert_eq!(rest["count"], 1);
    assert_ne!(first["pastes"][0]["id"], rest["pastes"][0]["id"]);
    let images: Value = list(&server, Some(ALICE), "?type=image/*")
        .await?
        .json()
        .await?;
    assert_eq!(images["total"], 1);
    assert_eq!(images["pastes"][0]["mime_type"], "image/png");
    let future: Value = list(&server, Some(ALICE), "?after=4102444800")
        .await?
        .json()
        .await?;
    assert_eq!(future["total"], 0);

    problem(
        list(&server, Some(ALICE), "?limit=1000").await?,
        400,
        "invalid_limit",
    )
    .await?;
    problem(
        list(&server, Some(ALICE), "?type=x").await?,
        400,
        "invalid_type",
    )
    .await?;
    problem(
        list(&server, Some(ALICE), "?all=true").await?,
        403,
        "admin_required",
    )
    .await?;
    problem(
        list(&server, Some(ALICE), &format!("?owner={BOB}")).await?,
        403,
        "admin_required",
    )
    .await?;
    let bobs: Value = list(&server, Some(ADMIN), &format!("?owner={BOB}"))
        .await?
        .json()
        .await?;
    assert_eq!(bobs["total"], 1);
    let all: Value = list(&server, Some(ADMIN), "?all=true")
        .await?
        .json()
        .await?;
    assert_eq!(all["total"], 4);
    Ok(())
}

#[tokio::test]
async fn display_names_are_bounded_printable_and_removable() -> TestResult {
    let server = server().await?;
    let id = make(&server, ALICE, b"named paste", Some("  my notes ")).await?;
    let meta: Value = http()
        .get(server.url(&format!("/{id}")))
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(meta["display_name"], "my notes");

    let long = "n".repeat(129);
    let res = as_(
        ALICE,
        http()
            .post(server.url("/"))
            .body("x1")
            .header("x-display-name", long),
    )
    .send()
    .await?;
    problem(res, 400, "invalid_display_name").await?;
    let res = as_(
        ALICE,
        http()
            .post(server.url("/"))
            .body("x2")
            .header("x-display-name", "a\tb"),
    )
    .send()
    .await?;
    problem(res, 400, "invalid_display_name").await?;

    let res = as_(
        ALICE,
        http()
            .put(server.url(&format!("/{id}")))
            .header("x-display-name", ""),
    )
    .send()
    .await?;
    assert_eq!(res.status(), 200);
    let meta: Value = res.json().await?;
    assert!(meta.get("display_name").is_none(), "{meta}");
    Ok(())
}

#[tokio::test]
async fn owners_and_admins_update_and_nobody_else() -> TestResult {
    let server = server().await?;
    let id = make(&server, ALICE, b"version one", None).await?;
    let url = server.url(&format!("/{id}"));
    // Read once so the paste sits in the in-memory cache the update must clear.
    let raw = http()
        .get(format!("{url}/raw"))
        .send()
        .await?
        .text()
        .await?;
    assert_eq!(raw, "version one");

    problem(
        http().put(&url).body("anon").send().await?,
        401,
        "authentication_required",
    )
    .await?;
    problem(
        as_(BOB, http().put(&url).body("bob")).send().await?,
        403,
        "not_owner",
    )
    .await?;
    problem(
        as_(ALICE, http().put(&url)).send().await?,
        400,
        "nothing_to_update",
    )
    .await?;

    let res = as_(
        ALICE,
        http()
            .put(&url)
            .body("version two!")
            .header("x-expiry", "60"),
    )
    .send()
    .await?;
    assert_eq!(res.status(), 200);
    let meta: Value = res.json().await?;
    assert_eq!(meta["size"], 12);
    let expires = meta["expires_at"].as_i64().ok_or("no expiry")?;
    let created = meta["created_at"].as_i64().ok_or("no created_at")?;
    assert!(expires - created <= 61, "expiry not renewed: {meta}");
    let raw = http()
        .get(server.url(&format!("/{id}/raw")))
        .send()
        .await?
        .text()
        .await?;
    assert_eq!(raw, "version two!");

    let res = as_(ADMIN, http().put(&url).body("admin was here"))
        .send()
        .await?;
    assert_eq!(res.status(), 200);
    let missing = server.url("/0000000000000000");
    problem(
        as_(ALICE, http().put(&missing).body("z")).send().await?,
        404,
        "paste_not_found",
    )
    .await?;
    Ok(())
}

#[tokio::test]
async fn burn_pastes_are_frozen_and_passwords_guard_updates() -> TestResult {
    let server = server().await?;
    let burn = as_(
        ALICE,
        http()
            .post(server.url("/"))
            .body("burn me")
            .header("x-burn-after-read", "true"),
    )
    .send()
    .await?
    .json::<Value>()
    .await?;
    let res = as_(
        ALICE,
        http()
            .put(server.url(&format!("/{}", s(&burn, "id"))))
            .body("no"),
    )
    .send()
    .await?;
    problem(res, 409, "burn_after_read_immutable").await?;

    let locked = as_(
        ALICE,
        http()
            .post(server.url("/"))
            .body("secret")
            .header("x-paste-password", "hunter22"),
    )
    .send()
    .await?
    .json::<Value>()
    .await?;
    let url = server.url(&format!("/{}", s(&locked, "id")));
    problem(
        as_(ALICE, http().put(&url).body("new")).send().await?,
        401,
        "password_required",
    )
    .await?;
    let wrong = as_(
        ALICE,
        http()
            .put(&url)
            .body("new")
            .header("x-paste-password", "nope"),
    )
    .send()
    .await?;
    problem(wrong, 403, "password_invalid").await?;
    let res = as_(
        ALICE,
        http()
            .put(&url)
            .header("x-paste-password", "hunter22")
            .header("x-remove-password", "true"),
    )
    .send()
    .await?;
    assert_eq!(res.status(), 200);
    let meta: Value = res.json().await?;
    assert!(meta.get("password_protected").is_none(), "{meta}");
    let raw = http()
        .get(format!("{url}/raw"))
        .send()
        .await?
        .text()
        .await?;
    assert_eq!(raw, "secret");
    Ok(())
}

#[tokio::test]
async fn updated_content_passes_the_create_checks() -> TestResult {
    let server = Server::start(|c| {
        c.trust_proxy = true;
        c.max_auth = 64;
        c.dedup_max = 1;
    })
    .await?;
    let id = make(&server, ALICE, b"small paste", None).await?;
    let url = server.url(&format!("/{id}"));
    problem(
        as_(ALICE, http().put(&url).body(vec![b'q'; 65]))
            .send()
            .await?,
        413,
        "payload_too_large",
    )
    .await?;
    // The same bytes as an existing paste count against the content throttle.
    make(&server, ALICE, b"popular bytes", None).await?;
    let res = as_(ALICE, http().put(&url).body("popular bytes"))
        .send()
        .await?;
    let body = problem(res, 429, "duplicate_content").await?;
    assert_eq!(body["count"], 1);
    Ok(())
}
