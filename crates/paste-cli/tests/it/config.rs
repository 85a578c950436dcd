//! Configuration precedence with the real binary: flag over environment over config file, and
//! `fpaste config` masking secrets.

use crate::support::{Server, TestResult, run};

const DEAD: &str = "http://127.0.0.1:1";

#[test]
fn flag_beats_env_beats_file() -> TestResult {
    let server = Server::start()?;
    let file = server.config_file();
    std::fs::create_dir_all(file.parent().ok_or("no parent")?)?;

    // File only: the file's server is used.
    std::fs::write(
        &file,
        format!("server = \"{}\"\npassword = \"from-file\"\n", server.base),
    )?;
    let ok = run(
        server.fpaste().env_remove("FPASTE_SERVER").arg("info"),
        None,
    )?;
    assert_eq!(ok.code, 0, "{}", ok.stderr);

    // Env beats file: a dead server in the environment wins over the live one in the file.
    let env_wins = run(server.fpaste().env("FPASTE_SERVER", DEAD).arg("info"), None)?;
    assert_eq!(env_wins.code, 3, "{}", env_wins.stderr);

    // Flag beats env.
    let flag_wins = run(
        server
            .fpaste()
            .env("FPASTE_SERVER", DEAD)
            .args(["--server", &server.base, "info"]),
        None,
    )?;
    assert_eq!(flag_wins.code, 0, "{}", flag_wins.stderr);

    // `fpaste config` tells where each value came from and masks the password.
    let shown = run(
        server
            .fpaste()
            .env("FPASTE_PASSWORD", "hunter2")
            .args(["config", "--json"]),
        None,
    )?
    .ok()?;
    let json = shown.json()?;
    assert_eq!(json["server"]["source"], "env");
    assert_eq!(json["password"]["source"], "env");
    assert_eq!(json["password"]["value"], "****");
    assert!(!String::from_utf8_lossy(&shown.stdout).contains("hunter2"));
    assert!(!String::from_utf8_lossy(&shown.stdout).contains("from-file"));
    let text = run(
        server.fpaste().env_remove("FPASTE_SERVER").arg("config"),
        None,
    )?
    .ok()?
    .text();
    assert!(
        text.contains("(file)") && !text.contains("from-file"),
        "{text}"
    );
    Ok(())
}

#[test]
fn broken_config_file_is_a_clear_local_error() -> TestResult {
    let server = Server::start()?;
    let file = server.config_file();
    std::fs::create_dir_all(file.parent().ok_or("no parent")?)?;
    std::fs::write(&file, "sever = \"typo\"\n")?;
    let out = run(server.fpaste().arg("info"), None)?;
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("config.toml"), "{}", out.stderr);
    // An explicit --config elsewhere is used instead.
    let other = server.home.path().join("other.toml");
    std::fs::write(&other, format!("server = \"{}\"\n", server.base))?;
    let out = run(
        server
            .fpaste()
            .env_remove("FPASTE_SERVER")
            .arg("--config")
            .arg(&other)
            .arg("info"),
        None,
    )?;
    assert_eq!(out.code, 0, "{}", out.stderr);
    Ok(())
}

#[test]
fn completions_and_man_page_are_generated() -> TestResult {
    let server = Server::start()?;
    for (shell, marker) in [
        ("bash", "_fpaste()"),
        ("zsh", "#compdef fpaste"),
        ("fish", "complete -c fpaste"),
    ] {
        let out = run(server.fpaste().args(["completions", shell]), None)?.ok()?;
        assert!(out.text().contains(marker), "{shell}");
    }
    let man = run(server.fpaste().arg("manpage"), None)?.ok()?.text();
    assert!(man.contains(".TH fpaste 1"));
    Ok(())
}
