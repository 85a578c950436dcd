//! The CA key at rest: sealed in the database, opened only by the right password, and a wrong
//! one stops the server at start-up with a message that names the variable.

use paste_server::Config;
use paste_server::pki::config::PkiConfig;
use secrecy::SecretString;
use serde_json::Value;

use crate::pki::pki_on;
use crate::support::{Server, TestResult, http, problem};

#[tokio::test]
async fn ca_key_is_sealed_and_needs_the_password() -> TestResult {
    let server = Server::start(|c| c.pki = pki_on(0)).await?;
    let client = http();
    let res = client
        .post(server.url("/pki/ca"))
        .json(&serde_json::json!({"common_name": "Test CA"}))
        .send()
        .await?;
    assert_eq!(res.status(), 201);
    let created: Value = res.json().await?;
    problem(
        client.post(server.url("/pki/ca")).send().await?,
        409,
        "ca_exists",
    )
    .await?;
    let ca_pem = client
        .get(server.url("/pki/ca.crt"))
        .send()
        .await?
        .text()
        .await?;
    let (_, pem) = x509_parser::pem::parse_x509_pem(ca_pem.as_bytes())?;
    let public = pem
        .parse_x509()?
        .public_key()
        .subject_public_key
        .data
        .to_vec();
    let dir = server.stop().await?;

    // A plaintext PKCS#8 key carries its public point; the sealed one shows nothing.
    let mut bytes = std::fs::read(dir.path().join("fpaste.db"))?;
    if let Ok(wal) = std::fs::read(dir.path().join("fpaste.db-wal")) {
        bytes.extend(wal);
    }
    assert!(
        !bytes.windows(public.len()).any(|w| w == public.as_slice()),
        "the CA private key is stored in the clear"
    );
    assert!(!bytes.windows(11).any(|w| w == b"PRIVATE KEY"));

    let mut cfg = Config::for_tests(dir.path());
    cfg.pki = PkiConfig {
        ca_password: Some(SecretString::from("not the CA password")),
        ..pki_on(0)
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let err = paste_server::serve(cfg, listener, async {})
        .await
        .err()
        .map(|e| format!("{e:#}"))
        .unwrap_or_default();
    assert!(
        err.contains("FLASKPASTE_PKI_CA_PASSWORD") && err.contains("does not open"),
        "{err}"
    );

    let mut cfg = Config::for_tests(dir.path());
    cfg.pki = pki_on(0);
    let server = Server::start_with(cfg, dir).await?;
    let status: Value = http()
        .get(server.url("/pki/status"))
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(status["ca_exists"], true);
    assert_eq!(status["common_name"], "Test CA");
    assert_eq!(status["fingerprint_sha1"], created["fingerprint_sha1"]);
    // The reopened key still signs.
    assert_eq!(
        http().post(server.url("/register")).send().await?.status(),
        200
    );
    Ok(())
}

#[tokio::test]
async fn pki_changes_are_audit_lines_without_secrets() -> TestResult {
    let dir = tempfile::tempdir()?;
    let mut server = crate::support::spawn_fpasted(
        &dir.path().join("f.db"),
        &[
            ("FLASKPASTE_PKI_ENABLED", "1"),
            ("FLASKPASTE_PKI_CA_PASSWORD", "audit-test-ca-password"),
            ("FLASKPASTE_REGISTER_POW", "0"),
        ],
    )
    .await?;
    let base = server.base.clone();
    let res = http().post(format!("{base}/register")).send().await?;
    assert_eq!(res.status(), 200);
    let fp = res
        .headers()
        .get("x-fingerprint-sha1")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let p12 = res.bytes().await?;
    let admin = crate::pki::from_p12(&p12)?;
    let pid = server.child.id().ok_or("already exited")?;
    std::process::Command::new("kill")
        .arg("-TERM")
        .arg(pid.to_string())
        .status()?;
    server.child.wait().await?;
    let log = server.log.await?.join("\n");
    let audit: Vec<Value> = log
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["target"] == "audit")
        .collect();
    let issue = audit
        .iter()
        .find(|v| v["fields"]["action"] == "pki.issue" || v["action"] == "pki.issue")
        .ok_or_else(|| format!("no pki.issue audit line in {log}"))?;
    assert!(issue.to_string().contains("register"), "{issue}");
    assert!(
        audit
            .iter()
            .any(|v| v.to_string().contains("pki.ca_created")),
        "{log}"
    );
    let key_body: String = admin
        .key_pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    for secret in ["audit-test-ca-password", fp.as_str(), &key_body[..40]] {
        assert!(!log.contains(secret), "{secret:?} leaked into the log");
    }
    Ok(())
}
