//! The core API: create, read, metadata, delete, content types, headers on every response.

use serde_json::Value;

use crate::support::{Server, TestResult, create, http, problem, s};

const SECURITY_HEADERS: [&str; 6] = [
    "x-content-type-options",
    "x-frame-options",
    "content-security-policy",
    "cache-control",
    "referrer-policy",
    "x-request-id",
];

fn assert_security_headers(res: &reqwest::Response) {
    for h in SECURITY_HEADERS {
        assert!(
            res.headers().contains_key(h),
            "{h} missing on {} {}",
            res.status(),
            res.url()
        );
    }
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
}

#[tokio::test]
async fn text_round_trip_and_metadata() -> TestResult {
    let server = Server::start(|_| {}).await?;
    let c = http();
    let created = create(&c, &server, b"hello, paste").await?;
    let id = s(&created, "id");
    assert!(id.len() >= 11, "ids carry at least 64 bits");
    assert_eq!(s(&created, "url"), format!("/{id}"));
    assert_eq!(s(&created, "raw"), format!("/{id}/raw"));
    assert_eq!(s(&created, "mime_type"), "text/plain");
    assert!(created["created_at"].is_i64() && created["expires_at"].is_i64());
    assert!(created.get("owner").is_none());
    assert!(created.get("burn_after_read").is_none());

    let raw = c.get(server.url(&format!("/{id}/raw"))).send().await?;
    assert_eq!(raw.status(), 200);
    assert_eq!(raw.headers()["content-type"], "text/plain; charset=utf-8");
    assert_eq!(raw.headers()["content-disposition"], "inline");
    assert_eq!(
        raw.headers()["content-security-policy"],
        "sandbox; default-src 'none'"
    );
    assert_security_headers(&raw);
    assert_eq!(raw.text().await?, "hello, paste");

    let meta: Value = c
        .get(server.url(&format!("/{id}")))
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(meta["size"], 12);
    assert_eq!(meta["mime_type"], "text/plain");
    assert!(meta.get("content").is_none());

    let head = c.head(server.url(&format!("/{id}/raw"))).send().await?;
    assert_eq!(head.status(), 200);
    assert_eq!(head.headers()["content-length"], "12");
    let head_meta = c.head(server.url(&format!("/{id}"))).send().await?;
    assert_eq!(head_meta.status(), 200);
    Ok(())
}

#[tokio::test]
async fn json_body_and_binary_content() -> TestResult {
    let server = Server::start(|_| {}).await?;
    let c = http();
    let res = c
        .post(server.url("/"))
        .json(&serde_json::json!({"content": "from json"}))
        .send()
        .await?;
    assert_eq!(res.status(), 201);
    let id = s(&res.json().await?, "id");
    let text = c
        .get(server.url(&format!("/{id}/raw")))
        .send()
        .await?
        .text()
        .await?;
    assert_eq!(text, "from json");

    let bad = c
        .post(server.url("/"))
        .header("content-type", "application/json")
        .body("{\"nope\": 1}")
        .send()
        .await?;
    problem(bad, 400, "invalid_json").await?;

    let mut png = vec![0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];
    png.extend((0..2000u32).map(|i| (i * 7 % 251) as u8));
    let res = c.post(server.url("/")).body(png.clone()).send().await?;
    let created: Value = res.json().await?;
    assert_eq!(s(&created, "mime_type"), "image/png");
    let raw = c
        .get(server.url(&format!("/{}/raw", s(&created, "id"))))
        .send()
        .await?;
    assert_eq!(raw.headers()["content-type"], "image/png");
    assert_eq!(raw.bytes().await?.to_vec(), png);
    Ok(())
}

#[tokio::test]
async fn active_content_cannot_run_on_our_origin() -> TestResult {
    let server = Server::start(|_| {}).await?;
    let c = http();
    for doc in [
        &b"<!DOCTYPE html><script>alert(1)</script>"[..],
        b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>",
        b"<?xml version='1.0'?><x:script xmlns:x='http://www.w3.org/1999/xhtml'>alert(1)</x:script>",
    ] {
        let created: Value = c.post(server.url("/")).body(doc).send().await?.json().await?;
        let raw = c.get(server.url(&format!("/{}/raw", s(&created, "id")))).send().await?;
        assert_eq!(raw.headers()["content-type"], "text/plain; charset=utf-8");
        assert_eq!(raw.headers()["x-content-type-options"], "nosniff");
        assert_eq!(raw.headers()["content-security-policy"], "sandbox; default-src 'none'");
    }
    Ok(())
}

#[tokio::test]
async fn delete_with_token_and_unknown_ids() -> TestResult {
    let server = Server::start(|_| {}).await?;
    let c = http();
    let created = create(&c, &server, b"delete me").await?;
    let id = s(&created, "id");
    let token = s(&created, "delete_token");
    assert!(token.len() >= 40);
    // Read first so the paste is in the server's read cache: deleting must evict it.
    let cached = c.get(server.url(&format!("/{id}/raw"))).send().await?;
    assert_eq!(cached.bytes().await?.as_ref(), b"delete me");

    let anon = c.delete(server.url(&format!("/{id}"))).send().await?;
    problem(anon, 401, "authentication_required").await?;
    let wrong = c
        .delete(server.url(&format!("/{id}")))
        .header("x-delete-token", "not-the-token")
        .send()
        .await?;
    problem(wrong, 403, "not_owner").await?;
    let ok = c
        .delete(server.url(&format!("/{id}")))
        .header("x-delete-token", &token)
        .send()
        .await?;
    assert_eq!(ok.status(), 200);
    let gone = c.get(server.url(&format!("/{id}/raw"))).send().await?;
    problem(gone, 404, "paste_not_found").await?;
    let gone = c.get(server.url(&format!("/{id}"))).send().await?;
    problem(gone, 404, "paste_not_found").await?;
    let again = c
        .delete(server.url(&format!("/{id}")))
        .header("x-delete-token", &token)
        .send()
        .await?;
    problem(again, 404, "paste_not_found").await?;
    for path in ["/AAAAAAAAAAAAAAAA", "/..%2f..%2fetc", "/x/raw"] {
        let res = c.get(server.url(path)).send().await?;
        assert_eq!(res.status(), 404, "{path}");
        assert_security_headers(&res);
    }
    Ok(())
}

#[tokio::test]
async fn info_health_and_errors_have_the_right_shape() -> TestResult {
    let server = Server::start(|_| {}).await?;
    let c = http();
    let info: Value = c.get(server.url("/")).send().await?.json().await?;
    assert_eq!(info["name"], "fpaste");
    assert_eq!(info["limits"]["max_anon_size"], 3 * 1024 * 1024);
    let health = c.get(server.url("/health")).send().await?;
    assert_security_headers(&health);
    let health: Value = health.json().await?;
    assert_eq!(
        health,
        serde_json::json!({"status": "healthy", "database": "ok"})
    );
    let res = c.put(server.url("/")).send().await?;
    assert_security_headers(&res);
    problem(res, 405, "method_not_allowed").await?;
    Ok(())
}

#[tokio::test]
async fn request_ids_are_echoed_or_replaced() -> TestResult {
    let server = Server::start(|_| {}).await?;
    let c = http();
    let res = c
        .get(server.url("/health"))
        .header("x-request-id", "trace-42.abc")
        .send()
        .await?;
    assert_eq!(res.headers()["x-request-id"], "trace-42.abc");
    let res = c
        .get(server.url("/health"))
        .header("x-request-id", "evil id\u{7f}with junk")
        .send()
        .await;
    // A client may refuse to send control characters at all; when it does send, we replace.
    if let Ok(res) = res {
        assert_ne!(res.headers()["x-request-id"], "evil id\u{7f}with junk");
    }
    let res = c
        .get(server.url("/health"))
        .header("x-request-id", "x".repeat(500))
        .send()
        .await?;
    let echoed = res.headers()["x-request-id"].to_str()?.to_owned();
    assert_eq!(echoed.len(), 36, "over-long ids are replaced by a UUID");
    Ok(())
}

#[tokio::test]
async fn expiry_header_is_validated_capped_and_enforced() -> TestResult {
    let clock = paste_core::clock::Clock::manual(paste_core::now_unix());
    let server_clock = clock.clone();
    let server = Server::start(move |c| {
        c.max_expiry = 100;
        c.clock = server_clock;
    })
    .await?;
    let c = http();
    let res = c
        .post(server.url("/"))
        .header("x-expiry", "999999")
        .body("capped")
        .send()
        .await?;
    let v: Value = res.json().await?;
    let lifetime = v["expires_at"].as_i64().unwrap_or(0) - v["created_at"].as_i64().unwrap_or(0);
    assert_eq!(lifetime, 100);
    for bad in ["abc", "0", "-1", "1.5"] {
        let res = c
            .post(server.url("/"))
            .header("x-expiry", bad)
            .body("x")
            .send()
            .await?;
        problem(res, 400, "invalid_expiry").await?;
    }
    let res = c
        .post(server.url("/"))
        .header("x-expiry", "1")
        .body("short-lived")
        .send()
        .await?;
    let id = s(&res.json().await?, "id");
    // Served (and cached) while live, never once expired.
    let live = c.get(server.url(&format!("/{id}/raw"))).send().await?;
    assert_eq!(live.status(), 200);
    // One second on, the paste has reached its expiry: gone from the cache and the database.
    clock.advance(1);
    let res = c.get(server.url(&format!("/{id}/raw"))).send().await?;
    problem(res, 404, "paste_not_found").await?;
    let res = c.get(server.url(&format!("/{id}"))).send().await?;
    problem(res, 404, "paste_not_found").await?;
    Ok(())
}

#[tokio::test]
async fn metrics_are_private_to_loopback_and_use_flaskpaste_names() -> TestResult {
    let server = Server::start(|_| {}).await?;
    let c = http();
    let id = s(&create(&c, &server, b"count me").await?, "id");
    c.get(server.url(&format!("/{id}/raw")))
        .send()
        .await?
        .bytes()
        .await?;
    // The server records a request's duration when its side of the response ends, which can
    // come after the client has read the last byte: ask again until the read shows up (the
    // bound only turns a broken build into a failure instead of a hang).
    let mut text = String::new();
    for _ in 0..200 {
        text = c.get(server.url("/metrics")).send().await?.text().await?;
        if text.contains("route=\"/{id}/raw\"") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    for name in [
        "flaskpaste_pastes_total 1",
        "flaskpaste_pastes_created_total 1",
        "flaskpaste_pastes_deleted_total",
        "flaskpaste_pastes_expired_total",
        "flaskpaste_storage_bytes 8",
        "flaskpaste_request_duration_seconds_bucket",
    ] {
        assert!(text.contains(name), "{name} missing from\n{text}");
    }
    assert!(
        text.contains("route=\"/{id}/raw\""),
        "routes are labelled by template"
    );
    assert!(!text.contains(&id), "a paste id leaked into a label");
    Ok(())
}

#[tokio::test]
async fn shell_functions_are_served_bound_to_this_server() -> TestResult {
    let server = Server::start(|c| c.url_prefix = "/p".into()).await?;
    let res = http().get(server.url("/p/client/fpaste.sh")).send().await?;
    assert_eq!(res.status(), 200);
    let script = res.text().await?;
    assert!(!script.contains("@@BASE_URL@@"));
    assert!(
        script.contains(&format!(
            "FPASTE_URL=\"${{FPASTE_URL:-http://{}/p}}\"",
            server.addr
        )),
        "{script}"
    );
    let spoofed = http()
        .get(server.url("/p/client/fpaste.sh"))
        .header("host", "evil.example/`rm -rf`")
        .send()
        .await?
        .text()
        .await?;
    assert!(
        !spoofed.contains("rm -rf"),
        "a hostile Host header must not reach the script"
    );
    let res = http().get(server.url("/p/client")).send().await?;
    problem(res, 404, "client_unavailable").await?;
    Ok(())
}
