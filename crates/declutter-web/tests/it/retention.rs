//! The trash keeps its promise of days: once an entry's days run out, the sweep of the
//! instance that reaches its folder purges it for good, and the owner's audit log says so.

use axum::extract::FromRef as _;
use declutter_web::services::cleanup::Cleanup;
use platform_db::sql::{DbExt as _, RusqliteLike as _};
use serde_json::Value;

use crate::cleanup::{make_folder, scanned_and_applied};
use crate::support::{TestApp, TestResult};

#[tokio::test]
async fn entries_whose_days_ran_out_are_purged_and_logged() -> TestResult {
    let app = TestApp::start().await?;
    let admin = app.user("admin@example.com", "Admin").await?;
    let dir = app.roots.join("photos");
    make_folder(&dir)?;
    let owned = scanned_and_applied(&admin, &admin, &dir).await?;
    assert_eq!(owned.trash.len(), 2);
    let cleanup = Cleanup::from_ref(&app.state);

    // Nothing is due yet: the sweep leaves the trash as it is.
    cleanup.sweep_retention().await?;
    let summary: Value = admin.get("/api/trash/summary").await?.json().await?;
    assert_eq!(summary["count"], 2, "{summary}");

    // One entry's days run out (as if 30 days had passed).
    let due = owned.trash[0];
    let location: String = app
        .state
        .pool
        .write(move |c| {
            c.execute("UPDATE trash SET expires_at = 0 WHERE id = ?1", [due])?;
            c.query_row("SELECT location FROM trash WHERE id = ?1", [due], |r| {
                r.get(0)
            })
        })
        .await??;
    assert!(std::path::Path::new(&location).exists());
    cleanup.sweep_retention().await?;
    assert!(
        !std::path::Path::new(&location).exists(),
        "the file is gone for good"
    );
    let summary: Value = admin.get("/api/trash/summary").await?.json().await?;
    assert_eq!(
        summary["count"], 1,
        "the other entry keeps its days: {summary}"
    );
    let audit: Value = admin.get("/api/audit").await?.json().await?;
    let entry = audit
        .as_array()
        .ok_or("audit")?
        .iter()
        .find(|e| e["action"] == "trash.retention_purged")
        .ok_or_else(|| format!("no retention entry in {audit}"))?;
    assert!(
        entry["detail"]
            .as_str()
            .is_some_and(|d| d.starts_with("1 files")),
        "{entry}"
    );
    // In words on the owner's audit page.
    let page = admin.text("/audit").await?;
    assert!(
        page.contains("Deleted for good from the trash when their days ran out"),
        "{page}"
    );
    Ok(())
}
