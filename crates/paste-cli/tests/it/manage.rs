//! Owners managing their pastes through the real binary over mTLS: display names, `update`,
//! `search` and `export`; metadata and `info` for people; and subcommand help that lists only
//! what applies.

use std::path::PathBuf;
use std::process::Command;

use platform::testkit::TestCa;

use crate::support::{Server, TestResult, id_of, run, write_file};

/// A TLS server and `fpaste` commands as alice (and as bob) with their certificates.
struct Owners {
    server: Server,
    ca_file: PathBuf,
    alice: (PathBuf, PathBuf),
    bob: (PathBuf, PathBuf),
}

impl Owners {
    fn start() -> TestResult<Self> {
        let ca = TestCa::new("fpaste test CA")?;
        let server = Server::tls(&ca, |_| {})?;
        let dir = server.home.path();
        let (ca_file, _) = ca.ca.write(dir, "ca")?;
        let alice = ca.client("alice")?.write(dir, "alice")?;
        let bob = ca.client("bob")?.write(dir, "bob")?;
        Ok(Self {
            server,
            ca_file,
            alice,
            bob,
        })
    }

    fn as_(&self, who: &(PathBuf, PathBuf)) -> Command {
        let mut cmd = self.server.fpaste();
        cmd.env("FPASTE_CA_FILE", &self.ca_file)
            .env("FPASTE_CLIENT_CERT", &who.0)
            .env("FPASTE_CLIENT_KEY", &who.1);
        cmd
    }

    fn alice(&self) -> Command {
        self.as_(&self.alice)
    }
}

#[test]
fn update_keeps_the_link_and_changes_name_expiry_and_password() -> TestResult {
    let o = Owners::start()?;
    let url = run(
        o.alice().args(["create", "--name", "first draft"]),
        Some(b"version one"),
    )?
    .ok()?
    .text();
    let listed = run(o.alice().arg("list"), None)?.ok()?.text();
    assert!(listed.contains("first draft"), "{listed}");

    // New content sealed under the key the link carries: the same link opens it.
    let file = write_file(o.server.home.path(), "v2.txt", b"version two")?;
    let updated = run(o.alice().arg("update").arg(&url).arg(&file), None)?.ok()?;
    assert_eq!(updated.text(), url, "the link stays the same");
    let got = run(o.alice().args(["get", &url]), None)?.ok()?;
    assert_eq!(got.stdout, b"version two");
    // Without the #key in the argument, the key fpaste recorded at create time is used.
    let bare = url.split('#').next().unwrap_or_default().to_owned();
    run(
        o.alice().args(["update", &bare, "-"]),
        Some(b"version three"),
    )?
    .ok()?;
    assert_eq!(
        run(o.alice().args(["get", &url]), None)?.ok()?.stdout,
        b"version three"
    );

    // Name, expiry and password; metadata shows them.
    let renamed = run(
        o.alice().args([
            "update",
            &url,
            "--name",
            "final",
            "-x",
            "2h",
            "--new-password=pw2",
        ]),
        None,
    )?
    .ok()?;
    assert!(
        renamed.stderr.contains("(final)"),
        "the new name is shown: {}",
        renamed.stderr
    );
    let meta = run(o.alice().args(["get", "-m", "--password=pw2", &url]), None)?
        .ok()?
        .text();
    assert!(meta.contains("name:    final"), "{meta}");
    assert!(meta.contains("password protected"), "{meta}");
    assert!(
        meta.contains("(in 1h 59m)") || meta.contains("(in 2h 0m)"),
        "{meta}"
    );
    let locked = run(o.alice().args(["update", &url, "--no-name"]), None)?;
    assert_eq!(locked.code, 4, "{}", locked.stderr);
    assert!(
        locked.stderr.contains("pass --password"),
        "{}",
        locked.stderr
    );
    run(
        o.alice().args([
            "update",
            &url,
            "--no-name",
            "--remove-password",
            "--password=pw2",
        ]),
        None,
    )?
    .ok()?;
    let json = run(o.alice().args(["get", "-m", "--json", &url]), None)?
        .ok()?
        .json()?;
    assert!(
        json.get("display_name").is_none_or(|n| n.is_null()),
        "{json}"
    );
    assert!(json["created_at"].is_i64(), "--json stays exact: {json}");

    // Someone else's paste, and an update that changes nothing, are refused in plain words.
    let bob = run(o.as_(&o.bob).args(["update", &url, "--name", "mine"]), None)?;
    assert_eq!(bob.code, 4, "{}", bob.stderr);
    assert!(bob.stderr.contains("owner"), "{}", bob.stderr);
    let nothing = run(o.alice().args(["update", &url]), None)?;
    assert_eq!(nothing.code, 2, "{}", nothing.stderr);
    assert!(
        nothing.stderr.contains("nothing to update"),
        "{}",
        nothing.stderr
    );
    Ok(())
}

#[test]
fn search_finds_ones_pastes_by_name_type_and_date() -> TestResult {
    let o = Owners::start()?;
    let report = run(
        o.alice()
            .args(["create", "-E", "--name", "Quarterly Report"]),
        Some(b"numbers"),
    )?
    .ok()?
    .text();
    let notes = run(
        o.alice().args(["create", "-E", "--name", "notes"]),
        Some(b"words"),
    )?
    .ok()?
    .text();
    let png = write_file(
        o.server.home.path(),
        "dot.png",
        &[
            0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, b'I', b'H', b'D', b'R',
        ],
    )?;
    let image = run(o.alice().args(["create", "-E"]).arg(&png), None)?
        .ok()?
        .text();
    // Bob's pastes never show up in alice's search.
    run(
        o.as_(&o.bob)
            .args(["create", "-E", "--name", "bob's report"]),
        Some(b"bob"),
    )?
    .ok()?;

    let found = run(o.alice().args(["search", "REPORT"]), None)?
        .ok()?
        .text();
    assert!(found.contains(&id_of(&report)), "{found}");
    assert!(!found.contains(&id_of(&notes)), "{found}");
    assert!(!found.contains("bob's"), "{found}");
    assert!(found.ends_with("1 match among 3 pastes"), "{found}");
    let images = run(o.alice().args(["search", "--type", "image/*"]), None)?
        .ok()?
        .text();
    assert!(images.contains(&id_of(&image)), "{images}");
    assert!(!images.contains(&id_of(&report)), "{images}");
    let recent = run(o.alice().args(["search", "--after", "1d", "--json"]), None)?
        .ok()?
        .json()?;
    assert_eq!(recent["count"], 3, "{recent}");
    let old = run(
        o.alice()
            .args(["search", "--before", "2020-01-01", "--json"]),
        None,
    )?
    .ok()?
    .json()?;
    assert_eq!(old["count"], 0, "{old}");
    let future = run(
        o.alice()
            .args(["search", "--after", "2099-01-01", "--json"]),
        None,
    )?
    .ok()?
    .json()?;
    assert_eq!(future["count"], 0, "{future}");
    let bad = run(o.alice().args(["search", "--after", "yesterday"]), None)?;
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("is not a date"), "{}", bad.stderr);
    Ok(())
}

#[test]
fn export_decrypts_what_it_can_and_never_burns() -> TestResult {
    let o = Owners::start()?;
    let secret = run(o.alice().arg("create"), Some(b"recorded key"))?
        .ok()?
        .text();
    let plain = run(o.alice().args(["create", "-E"]), Some(b"plain text"))?
        .ok()?
        .text();
    let burn = run(
        o.alice().args(["create", "-E", "--burn"]),
        Some(b"read once"),
    )?
    .ok()?
    .text();
    // Created with another data directory: this client has no record of its key.
    let elsewhere = o.server.home.path().join("elsewhere");
    let foreign = run(
        o.alice().env("XDG_DATA_HOME", &elsewhere).arg("create"),
        Some(b"key kept elsewhere"),
    )?
    .ok()?
    .text();

    let dir = o.server.home.path().join("export");
    let out = run(o.alice().arg("export").arg(&dir), None)?.ok()?.text();
    let read = |name: String| std::fs::read(dir.join(name));
    assert_eq!(read(id_of(&secret))?, b"recorded key", "{out}");
    assert_eq!(
        read(format!("{}.txt", id_of(&plain)))?,
        b"plain text",
        "{out}"
    );
    assert!(
        read(format!("{}.fpe", id_of(&foreign)))?.starts_with(b"FPE"),
        "ciphertext kept as is: {out}"
    );
    assert!(out.contains("skipped: burn after read"), "{out}");
    assert!(
        out.ends_with(&format!("3 of 4 pastes saved into {}", dir.display())),
        "{out}"
    );
    assert!(read(id_of(&burn)).is_err() && read(format!("{}.txt", id_of(&burn))).is_err());
    assert_eq!(
        run(o.alice().args(["get", &burn]), None)?.ok()?.stdout,
        b"read once",
        "export did not burn it"
    );

    // A second export into the same folder replaces nothing and says so.
    std::fs::write(dir.join(id_of(&secret)), b"edited locally")?;
    let again = run(o.alice().arg("export").arg(&dir), None)?;
    assert_eq!(again.code, 1, "{}", again.stderr);
    assert!(
        again.stderr.contains("could not be exported"),
        "{}",
        again.stderr
    );
    assert_eq!(read(id_of(&secret))?, b"edited locally");
    Ok(())
}

#[test]
fn metadata_and_info_read_as_dates_and_spans_and_json_stays_exact() -> TestResult {
    let server = Server::with(|c| {
        c.expiry_anon = 3600;
        c.max_expiry = 2 * 86_400;
    })?;
    let url = run(server.fpaste().args(["create", "-E"]), Some(b"dated"))?
        .ok()?
        .text();
    let meta = run(server.fpaste().args(["get", "-m", &url]), None)?
        .ok()?
        .text();
    assert!(meta.contains(" UTC ("), "{meta}");
    assert!(
        meta.contains("(in 59m)") || meta.contains("(in 1h 0m)"),
        "{meta}"
    );
    assert!(meta.contains("size:    5 bytes"), "{meta}");
    let json = run(server.fpaste().args(["get", "-m", "--json", &url]), None)?
        .ok()?
        .json()?;
    assert_eq!(
        json["expires_at"]
            .as_i64()
            .zip(json["created_at"].as_i64())
            .map(|(e, c)| e - c),
        Some(3600),
        "{json}"
    );
    let info = run(server.fpaste().arg("info"), None)?.ok()?.text();
    assert!(
        info.contains("expiry:          1h 0m default, 2d 0h maximum"),
        "{info}"
    );
    let json = run(server.fpaste().args(["info", "--json"]), None)?
        .ok()?
        .json()?;
    assert_eq!(json["info"]["limits"]["max_expiry"], 2 * 86_400);
    Ok(())
}

#[test]
fn each_subcommand_help_lists_only_what_applies_to_it() -> TestResult {
    let server = Server::start()?;
    let help = |args: &[&str]| -> TestResult<String> {
        let mut all = args.to_vec();
        all.push("--help");
        Ok(run(server.fpaste().args(all), None)?.ok()?.text())
    };
    let completions = help(&["completions"])?;
    for absent in ["--server", "--password", "--json", "--burn"] {
        assert!(!completions.contains(absent), "{absent} in:\n{completions}");
    }
    let info = help(&["info"])?;
    assert!(info.contains("--server"), "{info}");
    for absent in ["--password", "--burn", "--expiry", "--raw"] {
        assert!(!info.contains(absent), "{absent} in:\n{info}");
    }
    let get = help(&["get"])?;
    for present in ["--raw", "--meta", "--password", "--server", "--json"] {
        assert!(get.contains(present), "{present} missing from:\n{get}");
    }
    assert!(!get.contains("--burn"), "{get}");
    let create = help(&["create"])?;
    for present in ["--burn", "--name", "--expiry", "--no-encrypt", "--password"] {
        assert!(
            create.contains(present),
            "{present} missing from:\n{create}"
        );
    }
    assert!(!create.contains("--raw"), "{create}");
    let list = help(&["list"])?;
    assert!(
        !list.contains("--password") && list.contains("--type"),
        "{list}"
    );
    // Settings given before the subcommand still count.
    let shown = run(
        server.fpaste().env_remove("FPASTE_SERVER").args([
            "--server",
            &server.base,
            "--json",
            "config",
        ]),
        None,
    )?
    .ok()?
    .json()?;
    assert_eq!(shown["server"]["source"], "flag", "{shown}");
    // And after it, where its --help lists them.
    let info = run(
        server
            .fpaste()
            .env_remove("FPASTE_SERVER")
            .args(["info", "--server", &server.base]),
        None,
    )?
    .ok()?
    .text();
    assert!(info.contains(&server.base), "{info}");
    Ok(())
}
