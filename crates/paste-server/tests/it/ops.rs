//! Operations: the admin API, metrics privacy and the separate metrics listener.

use serde_json::Value;

use crate::support::{Pki, Server, TestResult, create, http, problem, s};

#[tokio::test]
async fn admin_api_needs_an_admin_and_reports() -> TestResult {
    let pki = Pki::new()?;
    let admin = pki.ca.client("admin")?;
    let alice = pki.ca.client("alice")?;
    let server = pki.server_with_admin(&admin).await?;
    let as_admin = pki.client(Some(&admin))?;
    let as_alice = pki.client(Some(&alice))?;
    let anon = pki.client(None)?;
    as_alice
        .post(server.url("/"))
        .body("alice text")
        .send()
        .await?;
    as_alice
        .post(server.url("/"))
        .body(vec![
            0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3,
        ])
        .send()
        .await?;
    anon.post(server.url("/"))
        .header("x-expiry", "60")
        .body("soon gone")
        .send()
        .await?;

    problem(
        anon.get(server.url("/admin/stats")).send().await?,
        401,
        "authentication_required",
    )
    .await?;
    problem(
        as_alice.get(server.url("/admin/stats")).send().await?,
        403,
        "admin_required",
    )
    .await?;
    let stats: Value = as_admin
        .get(server.url("/admin/stats"))
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(stats["total"]["count"], 3);
    assert_eq!(stats["by_mime_family"]["image"]["count"], 1);
    assert_eq!(stats["by_mime_family"]["text"]["count"], 2);
    assert_eq!(stats["expiring_soon"]["count"], 1);
    assert_eq!(stats["owners"], 1);

    let listed: Vec<Value> = as_admin
        .get(server.url(&format!("/admin/pastes?owner={}", alice.sha1())))
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(listed.len(), 2);
    assert!(listed.iter().all(|p| s(p, "owner") == alice.sha1()));
    problem(
        as_admin
            .get(server.url("/admin/pastes?owner=nothex"))
            .send()
            .await?,
        400,
        "invalid_owner",
    )
    .await?;
    problem(
        as_admin.get(server.url("/admin/pastes")).send().await?,
        400,
        "invalid_query",
    )
    .await?;

    let cleanup: Value = as_admin
        .post(server.url("/admin/cleanup"))
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(cleanup["purged"], 0, "nothing has expired yet");
    problem(
        as_alice.post(server.url("/admin/cleanup")).send().await?,
        403,
        "admin_required",
    )
    .await?;
    Ok(())
}

#[tokio::test]
async fn metrics_refuse_proxied_requests_on_the_main_listener() -> TestResult {
    let server = Server::start(|_| {}).await?;
    let c = http();
    assert_eq!(c.get(server.url("/metrics")).send().await?.status(), 200);
    for header in ["x-forwarded-for", "x-real-ip", "forwarded"] {
        let res = c
            .get(server.url("/metrics"))
            .header(header, "203.0.113.5")
            .send()
            .await?;
        problem(res, 404, "not_found").await?;
    }
    Ok(())
}

#[tokio::test]
async fn metrics_can_move_to_their_own_listener() -> TestResult {
    // A port free on an address of its own: on 127.0.0.1, a connection of another test could
    // take it as its local port between the probe and the server's bind (the server then fails
    // to start and resets the connection). Nothing else binds or connects from 127.0.0.3.
    let probe = std::net::TcpListener::bind(crate::support::LONE_LOOPBACK)?;
    let metrics_addr = probe.local_addr()?;
    drop(probe);
    let server = Server::start(move |c| c.metrics_listen = Some(metrics_addr)).await?;
    let c = http();
    create(&c, &server, b"counted").await?;
    problem(
        c.get(server.url("/metrics")).send().await?,
        404,
        "not_found",
    )
    .await?;
    let mut text = String::new();
    for _ in 0..50 {
        if let Ok(res) = c.get(format!("http://{metrics_addr}/metrics")).send().await {
            text = res.text().await?;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    for line in [
        "flaskpaste_pastes_created_total 1",
        "flaskpaste_pastes_total 1",
        "flaskpaste_storage_bytes 7",
    ] {
        assert!(text.contains(line), "{line} missing from\n{text}");
    }
    Ok(())
}
