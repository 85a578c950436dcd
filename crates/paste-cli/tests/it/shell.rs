//! The POSIX shell functions of `share/fpaste.sh`, with `@@BASE_URL@@` substituted as the server
//! does, run by `sh` (dash on Debian) with curl against the real server.

use std::process::Command;

use crate::support::{Server, TestResult, run};

const SCRIPT: &str = include_str!("../../share/fpaste.sh");

fn sh(server: &Server, body: &str) -> TestResult<crate::support::Run> {
    let script = server.home.path().join("fpaste.sh");
    std::fs::write(&script, SCRIPT.replace("@@BASE_URL@@", &server.base))?;
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(format!(". '{}'\n{body}", script.display()));
    run(&mut cmd, None)
}

fn have_curl() -> bool {
    Command::new("curl").arg("--version").output().is_ok()
}

#[test]
fn shell_functions_paste_get_and_delete() -> TestResult {
    let syntax = Command::new("sh")
        .arg("-n")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/share/fpaste.sh"))
        .status()?;
    assert!(syntax.success(), "sh -n failed");
    if !have_curl() {
        // CI installs curl (.ci/install-packages): there, a missing curl is a failure.
        assert!(std::env::var_os("CI").is_none(), "curl missing in CI");
        eprintln!("curl not installed: skipping the functional part");
        return Ok(());
    }
    let server = Server::start()?;
    let out = sh(&server, "printf 'from the shell' | fpaste_paste -x 600")?;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let url = out.text();
    assert!(url.starts_with(&server.base), "{url}");
    let token = out
        .stderr
        .lines()
        .find_map(|l| l.strip_prefix("fpaste: delete token: "))
        .ok_or("no delete token")?
        .to_owned();
    // The binary reads what the shell pasted, and vice versa.
    assert_eq!(
        run(server.fpaste().args(["get", &url]), None)?.ok()?.stdout,
        b"from the shell"
    );
    let out = sh(&server, &format!("fpaste_get '{url}'"))?;
    assert_eq!(
        (out.code, out.stdout.as_slice()),
        (0, &b"from the shell"[..]),
        "{}",
        out.stderr
    );
    let out = sh(&server, &format!("fpaste_get '{url}#key'"))?;
    assert_eq!(out.code, 1, "encrypted links are refused");
    let out = sh(&server, &format!("fpaste_delete '{url}' wrong-token"))?;
    assert_ne!(out.code, 0);
    assert!(out.stderr.contains("fpaste:"), "{}", out.stderr);
    let out = sh(&server, &format!("fpaste_delete '{url}' '{token}'"))?;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let out = sh(&server, &format!("fpaste_get '{url}'"))?;
    assert_ne!(out.code, 0);
    Ok(())
}
