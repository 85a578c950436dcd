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

#[test]
fn messages_name_what_is_wrong_in_the_clients_words() -> TestResult {
    let server = Server::start()?;
    // Encrypted: without its #key the ciphertext is refused, exit 6, unless --raw.
    let url = run(
        server.fpaste().args(["create", "-e"]),
        Some(b"a secret worth keeping"),
    )?
    .ok()?
    .text();
    let bare = url.split('#').next().unwrap_or_default().to_owned();
    assert_ne!(bare, url, "encrypted links carry a #key: {url}");
    let refused = run(server.fpaste().args(["get", &bare]), None)?;
    assert_eq!(refused.code, 6, "{}", refused.stderr);
    assert!(refused.stdout.is_empty(), "nothing printed");
    assert!(refused.stderr.contains("has no #key"), "{}", refused.stderr);
    let raw = run(server.fpaste().args(["get", "--raw", &bare]), None)?.ok()?;
    assert!(raw.stdout.starts_with(b"FPE"), "ciphertext as is");

    // A password-protected paste names the flag, not the header.
    let locked = run(
        server
            .fpaste()
            .args(["create", "--no-encrypt", "--password=hunter22"]),
        Some(b"locked away"),
    )?
    .ok()?
    .text();
    let needs = run(server.fpaste().args(["get", &locked]), None)?;
    assert_eq!(needs.code, 4);
    assert!(needs.stderr.contains("pass --password"), "{}", needs.stderr);

    // Wrong token, then deleted twice: each says what happened.
    let wrong = run(
        server.fpaste().args(["delete", &locked, "--token", "nope"]),
        None,
    )?;
    assert!(
        wrong.stderr.contains("wrong delete token"),
        "{}",
        wrong.stderr
    );
    run(server.fpaste().args(["delete", &locked]), None)?.ok()?;
    let again = run(server.fpaste().args(["delete", &locked]), None)?;
    assert_eq!(again.code, 4);
    assert!(again.stderr.contains("not found"), "{}", again.stderr);
    Ok(())
}

#[test]
fn the_original_clients_server_variable_and_config_file_are_read() -> TestResult {
    let server = Server::start()?;
    // FLASKPASTE_SERVER when FPASTE_SERVER is unset.
    let mut cmd = server.fpaste();
    cmd.env_remove("FPASTE_SERVER")
        .env("FLASKPASTE_SERVER", &server.base)
        .args(["--json", "config"]);
    let shown = run(&mut cmd, None)?.ok()?.json()?;
    assert_eq!(shown["server"]["source"], "env", "{shown}");
    assert!(shown.to_string().contains(&server.base), "{shown}");

    // ~/.config/fpaste/config with `key = value` lines when config.toml is absent.
    let legacy = server.home.path().join("config/fpaste/config");
    std::fs::create_dir_all(legacy.parent().ok_or("no parent")?)?;
    std::fs::write(
        &legacy,
        format!(
            "# original client\nserver = {}\ncert_sha1 = ignored\n",
            server.base
        ),
    )?;
    let mut cmd = server.fpaste();
    cmd.env_remove("FPASTE_SERVER").args(["--json", "config"]);
    let shown = run(&mut cmd, None)?.ok()?.json()?;
    assert_eq!(shown["server"]["source"], "file", "{shown}");
    assert!(shown.to_string().contains(&server.base), "{shown}");
    Ok(())
}

#[test]
fn unknown_words_and_directories_are_named_as_such() -> TestResult {
    let server = Server::start()?;
    let word = run(server.fpaste().arg("lsit"), None)?;
    assert_eq!(word.code, 2, "{}", word.stderr);
    assert!(word.stderr.contains("not a command"), "{}", word.stderr);
    let dir = run(server.fpaste().arg(server.home.path()), None)?;
    assert_eq!(dir.code, 2, "{}", dir.stderr);
    assert!(dir.stderr.contains("is a directory"), "{}", dir.stderr);
    Ok(())
}

#[test]
fn a_capped_expiry_is_announced() -> TestResult {
    let server = Server::with(|c| c.max_expiry = 3600)?;
    let made = run(
        server.fpaste().args(["create", "--no-encrypt", "-x", "2h"]),
        Some(b"short lived"),
    )?
    .ok()?;
    assert!(
        made.stderr
            .contains("expiry 2h 0m is more than this server allows; the paste expires in 1h 0m"),
        "{}",
        made.stderr
    );
    let quiet = run(
        server
            .fpaste()
            .args(["create", "--no-encrypt", "-x", "30m"]),
        Some(b"within the cap"),
    )?
    .ok()?;
    assert!(
        !quiet.stderr.contains("more than this server allows"),
        "{}",
        quiet.stderr
    );
    Ok(())
}

#[test]
fn the_shell_function_names_a_missing_file() -> TestResult {
    let server = Server::start()?;
    let script = server.home.path().join("fpaste.sh");
    let text = include_str!("../../share/fpaste.sh").replace("@@BASE_URL@@", &server.base);
    std::fs::write(&script, text)?;
    let mut cmd = std::process::Command::new("sh");
    cmd.arg("-c").arg(format!(
        ". '{}'\nfpaste_paste /nonexistent/notes.txt",
        script.display()
    ));
    let out = run(&mut cmd, None)?;
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("/nonexistent/notes.txt: no such file"),
        "{}",
        out.stderr
    );
    Ok(())
}

#[test]
fn pastes_are_encrypted_unless_asked_otherwise() -> TestResult {
    let server = Server::start()?;
    let url = run(server.fpaste().arg("create"), Some(b"private by default"))?
        .ok()?
        .text();
    assert!(url.contains('#'), "the link carries its key: {url}");
    let stored = server.stored_contents()?;
    assert!(
        stored.iter().all(|c| c.starts_with(b"FPE")),
        "the server holds ciphertext only"
    );
    let got = run(server.fpaste().args(["get", &url]), None)?.ok()?;
    assert_eq!(got.stdout, b"private by default");
    let plain = run(server.fpaste().args(["create", "-E"]), Some(b"public"))?
        .ok()?
        .text();
    assert!(!plain.contains('#'), "{plain}");
    Ok(())
}

#[test]
fn top_level_help_lists_every_user_command() -> TestResult {
    let server = Server::start()?;
    let help = run(server.fpaste().arg("--help"), None)?.ok()?.text();
    for command in ["list", "shorten", "completions", "manpage"] {
        assert!(
            help.contains(&format!("  {command} ")),
            "{command} missing from:\n{help}"
        );
    }
    assert!(!help.contains("pow-bench"), "benchmarks stay hidden");
    Ok(())
}
