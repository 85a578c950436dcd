//! Proof of work solved automatically against a real difficulty.

use crate::support::{Server, TestResult, run};

#[test]
fn creates_solve_the_servers_puzzle() -> TestResult {
    let server = Server::with(|c| c.pow_difficulty = 16)?;
    let info = run(server.fpaste().args(["info", "--json"]), None)?
        .ok()?
        .json()?;
    assert_eq!(info["pow"]["enabled"], true);
    assert_eq!(info["pow"]["difficulty"], 16);
    let url = run(server.fpaste().arg("create"), Some(b"worked for it"))?
        .ok()?
        .text();
    assert_eq!(
        run(server.fpaste().args(["get", &url]), None)?.ok()?.stdout,
        b"worked for it"
    );
    // Without a solution the same server refuses: the shell functions send none.
    let plain = std::process::Command::new("curl")
        .args([
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "--data-binary",
            "x",
        ])
        .arg(format!("{}/", server.base))
        .output();
    if let Ok(out) = plain {
        let code = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(code.starts_with('4'), "unsolved create got {code}");
    }
    Ok(())
}
