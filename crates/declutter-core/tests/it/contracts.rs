//! Contract tests: payloads shaped like the examples in Microsoft's and Google's own
//! documentation (Graph's delta and error examples, Drive's file, change and error resources;
//! written down in `tests/fixtures/contracts/`) decode through our models and mean what the
//! documentation says.

use declutter_core::cloud::ApiError;
use declutter_core::gdrive::model::{ChangeList, File, FileList};
use declutter_core::onedrive::model::DeltaPage;

use crate::support::TestResult;

macro_rules! fixture {
    ($name:literal) => {
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/contracts/",
            $name
        ))
    };
}

#[test]
fn graph_delta_pages_decode_with_sparse_items_and_both_links() -> TestResult {
    let first: DeltaPage = serde_json::from_str(fixture!("graph_delta_first_page.json"))?;
    assert_eq!(first.value.len(), 3);
    assert!(first.next_link.is_some() && first.delta_link.is_none());
    assert!(first.value[0].folder.is_some());
    // `"file": {}` carries no hashes and no size: decoded, not comparable.
    let file = &first.value[1];
    assert!(file.file.as_ref().is_some_and(|f| f.hashes.is_none()));
    assert_eq!(file.size, 0);
    assert!(first.value[2].deleted.is_some(), "a delete with few fields");

    let last: DeltaPage = serde_json::from_str(fixture!("graph_delta_last_page.json"))?;
    assert!(last.next_link.is_none() && last.delta_link.is_some());
    assert!(
        last.value[0].folder.is_some() && last.value[0].deleted.is_some(),
        "a deleted folder keeps its facet"
    );
    let hashed = &last.value[1];
    assert_eq!(
        hashed
            .file
            .as_ref()
            .and_then(|f| f.hashes.as_ref())
            .and_then(|h| h.quick_xor_hash.as_deref()),
        Some("AAAAAAAAAAAAAAAAAAAAAAAAAAA=")
    );
    assert_eq!(hashed.e_tag.as_deref(), Some("\"{01FILETXT},2\""));
    assert!(last.value[2].remote_item.is_some(), "remoteItem facet read");
    assert!(last.value[3].package.is_some(), "package facet read");

    let latest: DeltaPage = serde_json::from_str(fixture!("graph_delta_latest.json"))?;
    assert!(latest.value.is_empty() && latest.delta_link.is_some());
    Ok(())
}

#[test]
fn graph_errors_give_their_code_as_the_reason() {
    let denied = ApiError::parse(fixture!("graph_error_access_denied.json"));
    assert_eq!(denied.reason.as_deref(), Some("accessDenied"));
    assert_eq!(denied.message, "Access denied");
    let resync = ApiError::parse(fixture!("graph_error_resync.json"));
    assert_eq!(resync.reason.as_deref(), Some("resyncRequired"));
}

#[test]
fn drive_files_decode_with_capabilities_shared_drives_and_shortcuts() -> TestResult {
    let file: File = serde_json::from_str(fixture!("drive_file.json"))?;
    assert_eq!(file.size.as_deref(), Some("1048576"), "size is a string");
    assert!(file.can_trash() && file.owned_by_me && file.drive_id.is_none());

    let list: FileList = serde_json::from_str(fixture!("drive_file_list.json"))?;
    assert_eq!(list.next_page_token.as_deref(), Some("~!!~page2"));
    let shared = &list.files[0];
    assert_eq!(shared.drive_id.as_deref(), Some("0ASharedDriveRoot"));
    assert!(
        !shared.can_trash(),
        "a reader of a shared drive may not trash"
    );
    let shortcut = &list.files[1];
    assert!(
        shortcut
            .mime_type
            .starts_with("application/vnd.google-apps.")
    );
    assert!(shortcut.md5_checksum.is_none() && shortcut.size.is_none());
    Ok(())
}

#[test]
fn drive_changes_of_drives_carry_no_file_id() -> TestResult {
    let page: ChangeList = serde_json::from_str(fixture!("drive_change_list.json"))?;
    assert_eq!(page.new_start_page_token.as_deref(), Some("4242"));
    assert_eq!(page.changes.len(), 3);
    let trashed = &page.changes[0];
    assert!(trashed.file.as_ref().is_some_and(|f| f.trashed));
    let drive = &page.changes[1];
    assert_eq!(drive.change_type.as_deref(), Some("drive"));
    assert!(drive.file_id.is_none() && drive.file.is_none());
    let removed = &page.changes[2];
    assert!(removed.removed && removed.file.is_none());
    assert_eq!(removed.file_id.as_deref(), Some("1GoneForGood"));
    Ok(())
}

#[test]
fn drive_and_oauth_errors_give_their_reason() {
    for (body, reason) in [
        (
            fixture!("drive_error_insufficient_file_permissions.json"),
            "insufficientFilePermissions",
        ),
        (
            fixture!("drive_error_app_not_authorized.json"),
            "appNotAuthorizedToFile",
        ),
        (
            fixture!("drive_error_user_rate_limit.json"),
            "userRateLimitExceeded",
        ),
        (
            fixture!("drive_error_daily_limit.json"),
            "dailyLimitExceeded",
        ),
        (fixture!("oauth_error_invalid_grant.json"), "invalid_grant"),
    ] {
        assert_eq!(
            ApiError::parse(body).reason.as_deref(),
            Some(reason),
            "{body}"
        );
    }
}
