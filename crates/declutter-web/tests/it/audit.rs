//! The audit log records actions and cannot be changed.

use platform_db::sql::{DbExt as _, RusqliteLike as _};

use crate::support::{TestApp, TestResult};

#[tokio::test]
async fn actions_are_audited_and_the_log_is_append_only() -> TestResult {
    let app = TestApp::start().await?;
    let admin = app.user("m@example.com", "M").await?;
    let user = app.user("n@example.com", "N").await?;
    user.logout().await?;
    user.login("n@example.com", "not the password", None)
        .await?;
    let html = admin.text("/admin/audit").await?;
    // The page says what happened in words; the API keeps the stable action names.
    for words in [
        "Created the account",
        "Signed out",
        "Failed sign-in attempt",
    ] {
        assert!(html.contains(words), "{words} missing from the audit log");
    }
    assert!(
        !html.contains("auth.logout"),
        "raw action names on the page"
    );
    let own: Vec<serde_json::Value> = admin.get("/api/audit").await?.json().await?;
    let e = own
        .iter()
        .find(|e| e["action"] == "user.signup")
        .ok_or("no signup entry")?;
    assert_eq!(e["ip"], "127.0.0.1");
    assert!(e["request_id"].as_str().is_some_and(|r| !r.is_empty()));
    let conn = app.db()?;
    let n: i64 = conn.query_row("SELECT count(*) FROM audit_log", [], |r| r.get(0))?;
    assert!(n >= 4);
    // Refused by the triggers themselves, not by any other error a malformed statement would
    // also raise; the control is that the same connection may still append.
    for change in ["UPDATE audit_log SET action = 'x'", "DELETE FROM audit_log"] {
        match conn.execute(change, []) {
            Ok(rows) => return Err(format!("{change}: changed {rows} rows").into()),
            Err(e) => assert!(
                e.to_string().contains("audit_log is append-only"),
                "{change}: {e}"
            ),
        }
    }
    let after: i64 = conn.query_row("SELECT count(*) FROM audit_log", [], |r| r.get(0))?;
    assert_eq!(after, n, "nothing changed");
    conn.execute(
        "INSERT INTO audit_log (at, action) VALUES (0, 'test.append')",
        [],
    )?;
    Ok(())
}
