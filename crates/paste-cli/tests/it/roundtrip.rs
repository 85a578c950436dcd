//! Plain pastes: text and binary round trips, short forms, piping, JSON output, exit codes.

use crate::support::{Server, TestResult, binary, id_of, run, write_file};

#[test]
fn text_file_round_trips_and_stdout_is_only_the_url() -> TestResult {
    let server = Server::start()?;
    let file = write_file(server.home.path(), "notes.txt", b"hello from fpaste\n")?;
    let created = run(server.fpaste().args(["create", "-E"]).arg(&file), None)?.ok()?;
    let url = created.text();
    assert!(url.starts_with(&server.base) && !url.contains('#'), "{url}");
    assert_eq!(url.lines().count(), 1, "stdout must carry only the URL");
    let got = run(server.fpaste().args(["get", &url]), None)?.ok()?;
    assert_eq!(got.stdout, b"hello from fpaste\n");
    // A bare id resolves against the configured server.
    let got = run(server.fpaste().args(["get", &id_of(&url)]), None)?.ok()?;
    assert_eq!(got.stdout, b"hello from fpaste\n");
    Ok(())
}

#[test]
fn binary_content_round_trips_through_pipes_and_short_forms() -> TestResult {
    let server = Server::start()?;
    let data = binary(300 * 1024 + 7);
    // `cmd | fpaste`: no subcommand, stdin is a pipe.
    let url = run(&mut server.fpaste(), Some(&data))?.ok()?.text();
    let got = run(server.fpaste().args(["get", &url]), None)?.ok()?;
    assert!(got.stdout == data, "binary content changed in transit");
    // `fpaste FILE`.
    let file = write_file(server.home.path(), "blob.bin", &data[..1000])?;
    let url = run(server.fpaste().arg(&file), None)?.ok()?.text();
    let out = server.home.path().join("out.bin");
    run(server.fpaste().args(["get", &url, "-o"]).arg(&out), None)?.ok()?;
    assert_eq!(std::fs::read(&out)?, &data[..1000]);
    // `create -` reads stdin too.
    let url = run(server.fpaste().args(["create", "-"]), Some(b"dash"))?
        .ok()?
        .text();
    assert_eq!(
        run(server.fpaste().args(["get", &url]), None)?.ok()?.stdout,
        b"dash"
    );
    Ok(())
}

#[test]
fn json_output_and_expiry() -> TestResult {
    let server = Server::start()?;
    let created = run(
        server
            .fpaste()
            .args(["--json", "create", "--no-encrypt", "--expiry", "1h30m"]),
        Some(b"json please"),
    )?
    .ok()?;
    let json = created.json()?;
    let (created_at, expires_at) = (json["created_at"].as_i64(), json["expires_at"].as_i64());
    assert_eq!(
        expires_at.zip(created_at).map(|(e, c)| e - c),
        Some(5400),
        "{json}"
    );
    assert_eq!(json["encrypted"], false);
    let url = json["url"].as_str().ok_or("no url")?;
    let meta = run(server.fpaste().args(["get", "-m", "--json", url]), None)?
        .ok()?
        .json()?;
    assert_eq!(meta["size"], 11);
    assert_eq!(meta["id"].as_str(), json["id"].as_str());
    Ok(())
}

#[test]
fn exit_codes_tell_failures_apart() -> TestResult {
    let server = Server::start()?;
    // Usage: clap errors and bad values.
    assert_eq!(run(server.fpaste().args(["get"]), None)?.code, 2);
    assert_eq!(
        run(server.fpaste().args(["create", "-x", "soon"]), Some(b"x"))?.code,
        2
    );
    assert_eq!(run(server.fpaste().args(["get", "no/such"]), None)?.code, 2);
    // A bare `fpaste` with nothing piped in... stdin here is /dev/null, which is not a terminal,
    // so it is an empty paste, refused before anything is sealed or sent.
    let empty = run(&mut server.fpaste(), None)?;
    assert_eq!(empty.code, 2, "{}", empty.stderr);
    assert!(empty.stderr.contains("input is empty"), "{}", empty.stderr);
    // Server refused: unknown paste.
    let missing = run(server.fpaste().args(["get", "doesnotexist"]), None)?;
    assert_eq!(missing.code, 4, "{}", missing.stderr);
    assert!(missing.stdout.is_empty());
    // Network: nothing listens on port 1.
    let down = run(
        server
            .fpaste()
            .args(["--server", "http://127.0.0.1:1", "info"]),
        None,
    )?;
    assert_eq!(down.code, 3, "{}", down.stderr);
    assert!(down.stderr.contains("network error"), "{}", down.stderr);
    // Local: unreadable file.
    assert_eq!(
        run(server.fpaste().args(["create", "/nonexistent/file"]), None)?.code,
        1
    );
    Ok(())
}

#[test]
fn info_reports_limits() -> TestResult {
    let server = Server::start()?;
    let out = run(server.fpaste().arg("info"), None)?.ok()?;
    let text = out.text();
    assert!(text.contains("proof of work:   not required"), "{text}");
    let json = run(server.fpaste().args(["info", "--json"]), None)?
        .ok()?
        .json()?;
    assert_eq!(json["pow"]["enabled"], false);
    assert!(json["info"]["limits"]["max_anon_size"].as_u64().is_some());
    Ok(())
}
