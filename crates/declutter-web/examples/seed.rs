//! Seeds a benchmark database: one account owning 100k indexed files in 10k duplicate groups,
//! written through the engine's store API, then prints a session cookie value and an API
//! token for it (`SESSION=…` and `TOKEN=…` on stdout) so `bench/declutter-web.sh` can call the
//! duplicates page and API without the sign-in flow.
//!
//! Usage: `seed <db path or postgres:// URL> <jwt secret> [groups] [copies per group]`.

use std::path::PathBuf;
use std::str::FromStr;

use anyhow::Context;
use declutter_core::hash::{ContentHash, HashKind};
use declutter_core::ids::{ItemId, Source, UserId};
use declutter_core::provider::{Change, Item, Listing};
use declutter_core::store::{files, groups};
use declutter_web::auth::jwt::TokenSigner;
use declutter_web::auth::role::Role;
use declutter_web::auth::sha256_hex;
use declutter_web::db;

/// Copies 0–4 of a group lie in `/Photos/<g % 97>`, the rest in `/Backup/<g % 31>`, so the
/// folder view has a tree to sum (Drive paths are rebuilt from parent ids, as in a real listing).
fn folder_of(g: u64, c: u64) -> (String, String) {
    if c < 5 {
        ("Photos".to_owned(), (g % 97).to_string())
    } else {
        ("Backup".to_owned(), (g % 31).to_string())
    }
}

fn dir(path: &str, parent: Option<&str>) -> anyhow::Result<Item> {
    Ok(Item {
        id: ItemId::from_str(&format!("dir{path}"))?,
        parent_id: parent
            .map(|p| ItemId::from_str(&format!("dir{p}")))
            .transpose()?,
        path: path.to_owned(),
        name: path.rsplit('/').next().unwrap_or("").to_owned(),
        is_dir: true,
        size: 0,
        modified_ns: 1_700_000_000_000_000_000,
        hash: None,
        etag: None,
        mime: None,
        comparable: true,
        inode: None,
    })
}

fn item(g: u64, c: u64) -> anyhow::Result<Item> {
    let name = if c == 0 {
        format!("IMG_{g:05}.jpg")
    } else {
        format!("IMG_{g:05} ({c}).jpg")
    };
    let (top, sub) = folder_of(g, c);
    let folder = format!("/{top}/{sub}");
    Ok(Item {
        id: ItemId::from_str(&format!("item-{g}-{c}"))?,
        parent_id: Some(ItemId::from_str(&format!("dir{folder}"))?),
        path: format!("{folder}/{name}"),
        name,
        is_dir: false,
        // Varied sizes so the page order (largest waste first) is not trivial.
        size: 10_000 + (g * 7919) % 5_000_000,
        modified_ns: 1_700_000_000_000_000_000
            + i64::try_from(((g * 7927) % 10_007) * 1_000_000_000 + c)?,
        hash: Some(ContentHash::new(HashKind::Md5, format!("{g:032x}"))),
        etag: None,
        mime: Some("image/jpeg".to_owned()),
        comparable: true,
        inode: None,
    })
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let target = args.next().context("usage: seed <db> <jwt secret>")?;
    let secret = args.next().context("missing jwt secret")?;
    let group_count: u64 = args.next().map_or(Ok(10_000), |s| s.parse())?;
    let copies: u64 = args.next().map_or(Ok(10), |s| s.parse())?;

    let pool = if target.starts_with("postgres://") {
        db::open_postgres(&target, 4, &platform_db::pg::PgTls::default()).await?
    } else {
        db::open(&PathBuf::from(target)).await?
    };
    let user = pool
        .write(|c| db::users::create(c, "bench@example.com", "Bench", None, Some(Role::User)))
        .await??;
    let owner = UserId::from_str(&user.id)?;
    let mut changes = Vec::new();
    for (top, n) in [("Photos", 97), ("Backup", 31)] {
        let root = format!("/{top}");
        changes.push(Change::Upsert(dir(&root, None)?));
        for i in 0..n {
            changes.push(Change::Upsert(dir(&format!("{root}/{i}"), Some(&root))?));
        }
    }
    for g in 0..group_count {
        for c in 0..copies {
            changes.push(Change::Upsert(item(g, c)?));
        }
    }
    let listing = Listing {
        full: true,
        changes,
        ..Listing::default()
    };
    let o = owner.clone();
    pool.write(move |c| files::apply_listing(c, &o, &Source::GDrive, &listing))
        .await??;
    pool.write(move |c| groups::recompute(c, &owner)).await??;

    let session = uuid::Uuid::new_v4().simple().to_string();
    let row = db::sessions::SessionRow {
        id_hash: sha256_hex(&session),
        user_id: user.id.clone(),
        csrf_token: uuid::Uuid::new_v4().simple().to_string(),
    };
    pool.write(move |c| db::sessions::insert(c, &row, declutter_web::auth::session::TTL_SECS))
        .await??;
    let (token, _) = TokenSigner::new(secret.as_bytes())
        .issue(&user.id, user.token_version, declutter_core::db::now())
        .map_err(|_| anyhow::anyhow!("could not sign a token"))?;
    let mut out = std::io::stdout().lock();
    std::io::Write::write_all(
        &mut out,
        format!("SESSION={session}\nTOKEN={token}\n").as_bytes(),
    )?;
    Ok(())
}
