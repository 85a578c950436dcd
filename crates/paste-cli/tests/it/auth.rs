//! Identity over TLS: mTLS ownership and owner-only delete, delete tokens kept by the client,
//! custom CA trust, and certificate pinning.

use platform::testkit::TestCa;
use sha2::{Digest, Sha256};

use crate::support::{Server, TestResult, run};

#[test]
fn mtls_owner_deletes_and_others_cannot() -> TestResult {
    let ca = TestCa::new("fpaste test CA")?;
    let server = Server::tls(&ca, |_| {})?;
    let dir = server.home.path();
    let (ca_file, _) = ca.ca.write(dir, "ca")?;
    let alice = ca.client("alice")?;
    let (alice_crt, alice_key) = alice.write(dir, "alice")?;
    let (bob_crt, bob_key) = ca.client("bob")?.write(dir, "bob")?;

    let as_alice = || {
        let mut cmd = server.fpaste();
        cmd.env("FPASTE_CA_FILE", &ca_file)
            .env("FPASTE_CLIENT_CERT", &alice_crt)
            .env("FPASTE_CLIENT_KEY", &alice_key);
        cmd
    };
    let created = run(
        as_alice().args(["create", "--json"]),
        Some(b"alice's paste"),
    )?
    .ok()?;
    let json = created.json()?;
    assert_eq!(
        json["owner"].as_str(),
        Some(alice.sha1().as_str()),
        "{json}"
    );
    let url = json["url"].as_str().ok_or("no url")?.to_owned();
    assert!(url.starts_with("https://localhost:"));

    // Anonymous (CA trusted, no certificate): 401. Bob: 403. Both exit 4.
    let anon = run(
        server
            .fpaste()
            .arg("--ca-file")
            .arg(&ca_file)
            .args(["delete", &url]),
        None,
    )?;
    assert_eq!(anon.code, 4, "{}", anon.stderr);
    let bob = run(
        server
            .fpaste()
            .arg("--ca-file")
            .arg(&ca_file)
            .arg("--client-cert")
            .arg(&bob_crt)
            .arg("--client-key")
            .arg(&bob_key)
            .args(["delete", &url]),
        None,
    )?;
    assert_eq!(bob.code, 4, "{}", bob.stderr);
    assert!(bob.stderr.contains("403"), "{}", bob.stderr);

    run(as_alice().args(["delete", &url]), None)?.ok()?;
    let gone = run(as_alice().args(["get", &url]), None)?;
    assert_eq!(gone.code, 4, "{}", gone.stderr);
    Ok(())
}

#[test]
fn untrusted_server_certificate_is_a_network_error() -> TestResult {
    let ca = TestCa::new("fpaste test CA")?;
    let server = Server::tls(&ca, |_| {})?;
    let out = run(server.fpaste().arg("info"), None)?;
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("invalid peer certificate: UnknownIssuer"),
        "the refusal names the certificate, not just any network error: {}",
        out.stderr
    );
    // The control: the same server, the same command, trusting its CA, answers.
    let (ca_file, _) = ca.ca.write(server.home.path(), "ca")?;
    run(
        server.fpaste().arg("--ca-file").arg(&ca_file).arg("info"),
        None,
    )?
    .ok()?;
    Ok(())
}

#[test]
fn pinned_fingerprint_replaces_ca_trust() -> TestResult {
    let ca = TestCa::new("fpaste test CA")?;
    let server = Server::tls(&ca, |_| {})?;
    let cert = std::fs::read(server.data.path().join("server.crt"))?;
    let der = rustls_pki_types::pem::PemObject::from_pem_slice(&cert)
        .map(|c: rustls_pki_types::CertificateDer<'static>| c.to_vec())?;
    let pin = hex::encode(Sha256::digest(&der));
    let colon_pin = pin
        .as_bytes()
        .chunks(2)
        .map(|p| String::from_utf8_lossy(p).to_uppercase())
        .collect::<Vec<_>>()
        .join(":");
    // No CA file: the pin alone is trusted, in either spelling.
    for spelling in [&pin, &colon_pin] {
        let out = run(
            server
                .fpaste()
                .env("FPASTE_SERVER_FINGERPRINT", spelling)
                .arg("info"),
            None,
        )?;
        assert_eq!(out.code, 0, "{}", out.stderr);
    }
    let wrong = "00".repeat(32);
    let out = run(
        server
            .fpaste()
            .env("FPASTE_SERVER_FINGERPRINT", &wrong)
            .arg("info"),
        None,
    )?;
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert!(out.stderr.contains("pinned"), "{}", out.stderr);
    // mTLS works through the pinned configuration too.
    let dir = server.home.path();
    let carol = ca.client("carol")?;
    let (crt, key) = carol.write(dir, "carol")?;
    let mut cmd = server.fpaste();
    cmd.env("FPASTE_SERVER_FINGERPRINT", &pin)
        .env("FPASTE_CLIENT_CERT", &crt)
        .env("FPASTE_CLIENT_KEY", &key)
        .args(["--json", "create"]);
    let json = run(&mut cmd, Some(b"pinned"))?.ok()?.json()?;
    assert_eq!(json["owner"].as_str(), Some(carol.sha1().as_str()));
    Ok(())
}

#[test]
fn anonymous_delete_uses_the_stored_token() -> TestResult {
    let server = Server::start()?;
    let url = run(server.fpaste().arg("create"), Some(b"mine to delete"))?
        .ok()?
        .text();
    let store = server.home.path().join("data/fpaste/tokens.json");
    assert!(std::fs::read_to_string(&store)?.contains(&crate::support::id_of(&url)));
    run(server.fpaste().args(["delete", &url]), None)?.ok()?;
    assert_eq!(run(server.fpaste().args(["get", &url]), None)?.code, 4);
    assert!(!std::fs::read_to_string(&store)?.contains(&crate::support::id_of(&url)));

    // With --token instead, from a client that never saw the paste.
    let json = run(
        server.fpaste().args(["--json", "create"]),
        Some(b"by token"),
    )?
    .ok()?
    .json()?;
    let (url, token) = (
        json["url"].as_str().ok_or("url")?,
        json["delete_token"].as_str().ok_or("token")?,
    );
    std::fs::remove_file(&store)?;
    assert_eq!(
        run(server.fpaste().args(["delete", url]), None)?.code,
        4,
        "no token, no identity"
    );
    run(
        server.fpaste().args(["delete", url, "--token", token]),
        None,
    )?
    .ok()?;
    Ok(())
}
