//! A fake Google Drive behind a fake OAuth authorization server, as a process, for tests that
//! run declutter as a program (the ops tests): it seeds one duplicate pair, prints one JSON
//! line with everything a declutter instance and a test need, and serves until it is killed.
//!
//! ```text
//! {"drive_url": "...", "auth_url": "...", "token_url": "...", "revoke_url": "...",
//!  "client_id": "...", "client_secret": "...", "access_token": "...",
//!  "keep": "<file id>", "copy": "<file id>"}
//! ```

use std::io::Write as _;

use declutter_fakes::{FakeDrive, FakeOAuth, Gated as _};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let drive = FakeDrive::start().await?;
    let oauth = FakeOAuth::backed(
        drive.token_url(),
        drive.refresh_token(),
        drive.access_token(),
    )
    .await?;
    let song = b"the same song in two places of the drive";
    let size = song.len() as u64;
    let keep = drive.add_file(None, "song.mp3", size, "5d41402abc4b2a76b9719d911017c592");
    let copy = drive.add_file(
        None,
        "song (1).mp3",
        size,
        "5d41402abc4b2a76b9719d911017c592",
    );
    for id in [&keep, &copy] {
        drive.set_content(id, song);
    }
    let line = serde_json::json!({
        "drive_url": drive.base_url(),
        "auth_url": oauth.auth_url(),
        "token_url": oauth.token_url(),
        "revoke_url": oauth.revoke_url(),
        "client_id": oauth.client_id(),
        "client_secret": oauth.client_secret(),
        "access_token": drive.access_token(),
        "keep": keep,
        "copy": copy,
    });
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}")?;
    out.flush()?;
    drop(out);
    std::future::pending::<()>().await;
    Ok(())
}
