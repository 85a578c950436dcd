//! `fpaste list` and `fpaste shorten` through the real binary against a real server over mTLS.

use platform::testkit::TestCa;

use crate::support::{Server, TestResult, id_of, run};

#[test]
fn list_shows_ones_own_pastes_and_shorten_prints_a_link() -> TestResult {
    let ca = TestCa::new("fpaste test CA")?;
    let server = Server::tls(&ca, |_| {})?;
    let dir = server.home.path();
    let (ca_file, _) = ca.ca.write(dir, "ca")?;
    let (crt, key) = ca.client("alice")?.write(dir, "alice")?;
    let alice = || {
        let mut cmd = server.fpaste();
        cmd.env("FPASTE_CA_FILE", &ca_file)
            .env("FPASTE_CLIENT_CERT", &crt)
            .env("FPASTE_CLIENT_KEY", &key);
        cmd
    };
    let first = run(
        alice().args(["create", "--no-encrypt"]),
        Some(b"first paste"),
    )?
    .ok()?;
    let second = run(
        alice().args(["create", "--no-encrypt", "-b"]),
        Some(b"second paste"),
    )?
    .ok()?;

    let listed = run(alice().arg("list"), None)?.ok()?;
    let text = listed.text();
    assert!(text.contains(&id_of(&first.text())), "{text}");
    assert!(text.contains(&id_of(&second.text())), "{text}");
    assert!(text.contains("[burn]"), "{text}");
    assert!(text.contains(" UTC"), "human dates: {text}");
    // Seven days by default, seen a moment after creation.
    assert!(
        text.contains("expires in 7d 0h") || text.contains("expires in 6d 23h"),
        "human spans: {text}"
    );
    assert!(text.ends_with("2 of 2 pastes (from 1)"), "{text}");
    let json = run(alice().args(["list", "--json", "--limit", "1"]), None)?
        .ok()?
        .json()?;
    assert_eq!(json["count"], 1);
    assert_eq!(json["total"], 2);

    let mut anonymous = server.fpaste();
    anonymous.env("FPASTE_CA_FILE", &ca_file).arg("list");
    let refused = run(&mut anonymous, None)?;
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(
        refused.stderr.contains("needs a client certificate"),
        "{}",
        refused.stderr
    );

    let short = run(alice().args(["shorten", "https://example.org/a"]), None)?.ok()?;
    assert!(short.text().contains("/s/"), "{}", short.text());
    let bad = run(alice().args(["shorten", "javascript:alert(1)"]), None)?;
    assert_eq!(bad.code, 4, "{}", bad.stderr);
    assert!(
        bad.stderr
            .contains("Only http and https URLs can be shortened"),
        "{}",
        bad.stderr
    );
    Ok(())
}
