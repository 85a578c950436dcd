//! Burn after read and password protection through the CLI.

use crate::support::{Server, TestResult, run};

#[test]
fn burn_after_read_serves_exactly_once() -> TestResult {
    let server = Server::start()?;
    let url = run(
        server.fpaste().args(["create", "--burn"]),
        Some(b"only once"),
    )?
    .ok()?
    .text();
    // Metadata never burns.
    let meta = run(server.fpaste().args(["get", "-m", "--json", &url]), None)?
        .ok()?
        .json()?;
    assert_eq!(meta["burn_after_read"], true);
    assert_eq!(
        run(server.fpaste().args(["get", &url]), None)?.ok()?.stdout,
        b"only once"
    );
    let again = run(server.fpaste().args(["get", &url]), None)?;
    assert_eq!(again.code, 4, "{}", again.stderr);
    assert!(again.stdout.is_empty());
    Ok(())
}

#[test]
fn encrypted_burn_after_read() -> TestResult {
    let server = Server::start()?;
    let url = run(
        server.fpaste().args(["create", "-e", "-b"]),
        Some(b"secret once"),
    )?
    .ok()?
    .text();
    assert!(url.contains('#'));
    assert_eq!(
        run(server.fpaste().args(["get", &url]), None)?.ok()?.stdout,
        b"secret once"
    );
    assert_eq!(run(server.fpaste().args(["get", &url]), None)?.code, 4);
    Ok(())
}

#[test]
fn password_protected_paste_needs_the_password() -> TestResult {
    let server = Server::start()?;
    let url = run(
        server.fpaste().args(["create", "--password=s3cret"]),
        Some(b"guarded"),
    )?
    .ok()?
    .text();
    let denied = run(server.fpaste().args(["get", &url]), None)?;
    assert_eq!(denied.code, 4, "{}", denied.stderr);
    assert!(denied.stdout.is_empty());
    let wrong = run(server.fpaste().args(["get", "--password=nope", &url]), None)?;
    assert_eq!(wrong.code, 4);
    let got = run(
        server
            .fpaste()
            .env("FPASTE_PASSWORD", "s3cret")
            .args(["get", &url]),
        None,
    )?
    .ok()?;
    assert_eq!(got.stdout, b"guarded");
    Ok(())
}
