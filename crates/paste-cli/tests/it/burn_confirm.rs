//! `fpaste get` confirms its read, so a paste that counts only confirmed reads opens with it,
//! while a plain fetch of the link (what a chat's link preview does) leaves it untouched.

use crate::support::{Server, TestResult, run};

#[test]
fn get_confirms_while_a_plain_fetch_counts_nothing() -> TestResult {
    let server = Server::with(|c| c.burn_confirm = true)?;
    let url = run(
        server.fpaste().args(["create", "-e", "--burn"]),
        Some(b"for you only"),
    )?
    .ok()?
    .text();
    let (link, _key) = url.split_once('#').ok_or("no key in the link")?;
    let raw = format!("{link}/raw");
    for _ in 0..3 {
        let preview = reqwest::blocking::get(&raw)?;
        assert_eq!(preview.status(), 428, "a preview must not read the paste");
    }
    assert_eq!(
        run(server.fpaste().args(["get", &url]), None)?.ok()?.stdout,
        b"for you only"
    );
    assert_eq!(run(server.fpaste().args(["get", &url]), None)?.code, 4);
    Ok(())
}
