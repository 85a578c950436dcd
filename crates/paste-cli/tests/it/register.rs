//! `fpaste register --configure` and `fpaste pki` against a real fpasted with its PKI on, over
//! TLS: the registered certificate becomes the client's identity with no further flags.

use std::os::unix::fs::PermissionsExt;

use paste_server::pki::config::PkiConfig;
use platform::testkit::TestCa;
use secrecy::SecretString;

use crate::support::{Server, TestResult, run};

#[test]
fn register_configures_an_identity_and_pki_commands_work() -> TestResult {
    let ca = TestCa::new("fpaste test CA")?;
    let server = Server::tls(&ca, |c| {
        c.pki = PkiConfig {
            enabled: true,
            ca_password: Some(SecretString::from("a long CA password")),
            cert_days: 30,
            register_pow: 4,
        };
    })?;
    let (server_ca, _) = ca.ca.write(server.home.path(), "server-ca")?;
    let fpaste = || {
        let mut cmd = server.fpaste();
        cmd.env("FPASTE_CA_FILE", &server_ca);
        cmd
    };

    let reg = run(fpaste().args(["register", "--configure", "--json"]), None)?.ok()?;
    let reg = reg.json()?;
    let fingerprint = reg["fingerprint_sha1"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(fingerprint.len(), 40, "{reg}");
    assert_eq!(
        reg["is_admin"], true,
        "first registration, no admins configured"
    );
    let dir = server.config_file().parent().ok_or("no dir")?.to_path_buf();
    let key = dir.join("client.key");
    assert_eq!(std::fs::metadata(&key)?.permissions().mode() & 0o777, 0o600);
    let config = std::fs::read_to_string(server.config_file())?;
    assert!(
        config.contains("client.crt") && config.contains("client.key"),
        "{config}"
    );

    // The configured certificate is who we are now.
    let created = run(
        fpaste().args(["create", "--json", "-E"]),
        Some(b"registered"),
    )?
    .ok()?;
    assert_eq!(created.json()?["owner"], fingerprint.as_str());

    let status = run(fpaste().args(["pki", "status", "--json"]), None)?
        .ok()?
        .json()?;
    assert_eq!(status["ca_exists"], true);
    assert_eq!(status["issued"], 1);
    let ca_pem = run(fpaste().args(["pki", "download"]), None)?.ok()?.text();
    assert!(ca_pem.starts_with("-----BEGIN CERTIFICATE-----"));

    // As the admin it now is, it issues bob a certificate into a folder.
    let out = server.home.path().join("bob");
    let issued = run(
        fpaste().args(["pki", "issue", "-n", "bob", "-o"]).arg(&out),
        None,
    )?
    .ok()?;
    assert!(
        issued.text().contains("admin:        no"),
        "{}",
        issued.text()
    );
    assert!(out.join("bob.crt").is_file() && out.join("bob.key").is_file());

    // And revokes it by the serial it printed; the server's status counts it.
    let serial = issued
        .text()
        .lines()
        .find_map(|l| l.strip_prefix("serial:"))
        .map(str::trim)
        .ok_or("no serial printed")?
        .to_owned();
    let revoked = run(fpaste().args(["pki", "revoke", &serial]), None)?.ok()?;
    assert!(revoked.text().contains("revoked:"), "{}", revoked.text());
    let status = run(fpaste().args(["pki", "status", "--json"]), None)?
        .ok()?
        .json()?;
    assert_eq!(status["revoked"], 1);
    let twice = run(fpaste().args(["pki", "revoke", &serial]), None)?;
    assert_ne!(
        twice.code, 0,
        "revoking twice is an error: {}",
        twice.stderr
    );
    let bad = run(fpaste().args(["pki", "revoke", "xyz"]), None)?;
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    assert!(bad.stderr.contains("hex digits"), "{}", bad.stderr);

    // A second registration would overwrite the files: refused without --force.
    let again = run(fpaste().args(["register"]), None)?;
    assert_eq!(again.code, 2, "{}", again.stderr);
    assert!(again.stderr.contains("--force"), "{}", again.stderr);
    Ok(())
}
