//! Identity: native mTLS fingerprints, owner-only delete, admins, and the proxy header that is
//! trusted only with the proxy secret.

use secrecy::SecretString;
use serde_json::Value;

use crate::support::{Pki, Server, TestResult, http, problem, s};

#[tokio::test]
async fn mtls_identity_owns_and_deletes() -> TestResult {
    let pki = Pki::new()?;
    let alice = pki.ca.client("alice")?;
    let bob = pki.ca.client("bob")?;
    let admin = pki.ca.client("admin")?;
    let server = pki.server_with_admin(&admin).await?;
    let as_alice = pki.client(Some(&alice))?;
    let as_bob = pki.client(Some(&bob))?;
    let as_admin = pki.client(Some(&admin))?;
    let anon = pki.client(None)?;

    let created: Value = as_alice
        .post(server.url("/"))
        .body("alice's")
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(s(&created, "owner"), alice.sha1());
    assert_eq!(alice.sha1().len(), 40);
    assert!(
        created.get("delete_token").is_none(),
        "owners delete with their certificate"
    );
    let id = s(&created, "id");
    let path = format!("/{id}");

    let meta: Value = anon.get(server.url(&path)).send().await?.json().await?;
    assert!(
        meta.get("owner").is_none(),
        "owner fingerprint is not shown to others"
    );
    let meta: Value = as_alice.get(server.url(&path)).send().await?.json().await?;
    assert_eq!(s(&meta, "owner"), alice.sha1());

    problem(
        anon.delete(server.url(&path)).send().await?,
        401,
        "authentication_required",
    )
    .await?;
    problem(
        as_bob.delete(server.url(&path)).send().await?,
        403,
        "not_owner",
    )
    .await?;
    problem(
        as_bob
            .delete(server.url("/AAAAAAAAAAAAAAAA"))
            .send()
            .await?,
        404,
        "paste_not_found",
    )
    .await?;
    assert_eq!(
        as_alice.delete(server.url(&path)).send().await?.status(),
        200
    );

    let other: Value = as_bob
        .post(server.url("/"))
        .body("bob's")
        .send()
        .await?
        .json()
        .await?;
    let res = as_admin
        .delete(server.url(&format!("/{}", s(&other, "id"))))
        .send()
        .await?;
    assert_eq!(res.status(), 200, "admins may delete any paste");
    Ok(())
}

#[tokio::test]
async fn authenticated_clients_get_the_larger_limit() -> TestResult {
    let pki = Pki::new()?;
    let alice = pki.ca.client("alice")?;
    let files = pki.server_files()?;
    let server = Server::start(move |c| {
        c.tls = Some(files);
        c.max_anon = 1000;
        c.max_auth = 5000;
    })
    .await?;
    let body = vec![b'a'; 3000];
    let anon = pki
        .client(None)?
        .post(server.url("/"))
        .body(body.clone())
        .send()
        .await?;
    problem(anon, 413, "payload_too_large").await?;
    let auth = pki
        .client(Some(&alice))?
        .post(server.url("/"))
        .body(body)
        .send()
        .await?;
    assert_eq!(auth.status(), 201);
    Ok(())
}

#[tokio::test]
async fn certificates_from_another_ca_are_refused() -> TestResult {
    let pki = Pki::new()?;
    let rogue_ca = platform::testkit::TestCa::new("rogue")?;
    let mallory = rogue_ca.client("mallory")?;
    let files = pki.server_files()?;
    let server = Server::start(move |c| c.tls = Some(files)).await?;
    let client = pki.client(Some(&mallory))?;
    let res = client.post(server.url("/")).body("x").send().await;
    let error = match res {
        Ok(res) => return Err(format!("mallory got an answer: {}", res.status()).into()),
        Err(e) => chain(&e),
    };
    assert!(
        error.contains("UnknownCA") || error.contains("unknown ca"),
        "refused for the certificate, not for any network error: {error}"
    );
    // The control: a certificate from the server's own CA gets through to the same server.
    let alice = pki.ca.client("alice")?;
    let res = pki
        .client(Some(&alice))?
        .post(server.url("/"))
        .body("x")
        .send()
        .await?;
    assert_eq!(res.status(), 201);
    Ok(())
}

/// An error and its sources, one line.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        text.push_str(": ");
        text.push_str(&e.to_string());
        source = e.source();
    }
    text
}

const FP: &str = "0123456789abcdef0123456789abcdef01234567";

#[tokio::test]
async fn proxy_header_needs_the_secret() -> TestResult {
    let server = Server::start(|c| {
        c.trust_proxy = true;
        c.proxy_secret = Some(SecretString::from("s3cret-proxy-value"));
    })
    .await?;
    let c = http();
    let with_secret: Value = c
        .post(server.url("/"))
        .header("x-ssl-client-sha1", FP)
        .header("x-proxy-secret", "s3cret-proxy-value")
        .body("via proxy")
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(s(&with_secret, "owner"), FP);

    let spoofed: Value = c
        .post(server.url("/"))
        .header("x-ssl-client-sha1", FP)
        .body("spoofed")
        .send()
        .await?
        .json()
        .await?;
    assert!(spoofed.get("owner").is_none(), "no secret, no identity");
    let spoof_delete = c
        .delete(server.url(&format!("/{}", s(&with_secret, "id"))))
        .header("x-ssl-client-sha1", FP)
        .send()
        .await?;
    problem(spoof_delete, 401, "authentication_required").await?;

    let wrong = c
        .post(server.url("/"))
        .header("x-ssl-client-sha1", FP)
        .header("x-proxy-secret", "s3cret-proxy-valuX")
        .body("wrong secret")
        .send()
        .await?;
    problem(wrong, 403, "proxy_secret_invalid").await?;

    for bad in ["xyz", "0123456789ABCDEF", &"g".repeat(40)] {
        let res = c
            .post(server.url("/"))
            .header("x-ssl-client-sha1", bad)
            .header("x-proxy-secret", "s3cret-proxy-value")
            .body("malformed")
            .send()
            .await?;
        problem(res, 400, "invalid_client_fingerprint").await?;
    }
    Ok(())
}

#[tokio::test]
async fn proxy_header_is_ignored_when_proxy_is_not_trusted() -> TestResult {
    let server = Server::start(|_| {}).await?;
    let v: Value = http()
        .post(server.url("/"))
        .header("x-ssl-client-sha1", FP)
        .header("x-proxy-secret", "anything")
        .body("direct")
        .send()
        .await?
        .json()
        .await?;
    assert!(v.get("owner").is_none());
    Ok(())
}
