//! Streamed listings against a model. A scripted provider sends random listings (full or
//! delta, split into random pages, some restarted midway, some failing midway) through the
//! real `engine::scan::scan`; after each, the index must be what applying the changes in order
//! predicts, with the paths the parent links give, and nothing may stay staged.

use std::collections::BTreeMap;
use std::sync::Mutex;

use declutter_core::engine::scan::scan;
use declutter_core::ids::{ItemId, ProviderKind, Source, UserId};
use declutter_core::platform_db::sql::{Conn, Db as _, DbExt as _};
use declutter_core::provider::{
    Change, Item, ListingEnd, Page, PageSink, ProviderError, StorageProvider, TrashRequest,
    Whereabouts,
};
use declutter_core::store::listing::StagedListing;
use proptest::prelude::*;

/// Item ids are drawn from this many; parents too, so cycles and orphans happen.
const IDS: usize = 8;
const NAMES: [&str; 3] = ["a", "b", "c"];

#[derive(Debug, Clone)]
enum Op {
    Upsert {
        id: usize,
        parent: Option<usize>,
        name: usize,
        size: u64,
    },
    Remove(usize),
}

#[derive(Debug, Clone)]
struct Script {
    full: bool,
    ops: Vec<Op>,
    /// Changes per page.
    page: usize,
    /// After this many pages the provider sends `Restart` and then lists `ops` again in full.
    restart_after: Option<usize>,
    /// After this many pages the provider fails.
    fail_after: Option<usize>,
    /// The listing starts with every indexed item as it is (a rescan of a drive where little
    /// changed).
    relist: bool,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..IDS, proptest::option::of(0..IDS), 0..NAMES.len(), 1..4u64)
            .prop_map(|(id, parent, name, size)| Op::Upsert { id, parent, name, size }),
        1 => (0..IDS).prop_map(Op::Remove),
    ]
}

fn script() -> impl Strategy<Value = Script> {
    (
        any::<bool>(),
        prop::collection::vec(op(), 0..24),
        1..6usize,
        proptest::option::weighted(0.2, 0..4usize),
        proptest::option::weighted(0.2, 0..4usize),
        any::<bool>(),
    )
        .prop_map(
            |(full, ops, page, restart_after, fail_after, relist)| Script {
                full,
                ops,
                page,
                restart_after,
                fail_after,
                relist,
            },
        )
}

fn id(n: usize) -> ItemId {
    format!("i{n}")
        .parse()
        .unwrap_or_else(|_| unreachable!("i{n} is an item id"))
}

/// The number of an id made by [`id`].
fn number(id: &str) -> usize {
    id[1..].parse().unwrap_or(usize::MAX)
}

fn change(op: &Op) -> Change {
    match *op {
        Op::Upsert {
            id: n,
            parent,
            name,
            size,
        } => Change::Upsert(Item {
            id: id(n),
            parent_id: parent.map(id),
            name: NAMES[name].to_owned(),
            path: format!("given/i{n}"),
            is_dir: false,
            size,
            modified_ns: 1,
            hash: None,
            etag: None,
            mime: None,
            comparable: true,
            inode: None,
        }),
        Op::Remove(n) => Change::Removed(id(n)),
    }
}

/// A provider that sends its script's pages; the script is taken by the next `list`.
#[derive(Debug, Default)]
struct Scripted(Mutex<Option<Script>>);

impl Scripted {
    fn pages(changes: &[Change], size: usize) -> Vec<Vec<Change>> {
        changes.chunks(size).map(<[Change]>::to_vec).collect()
    }
}

impl StorageProvider for Scripted {
    fn kind(&self) -> ProviderKind {
        ProviderKind::GDrive
    }

    async fn list(
        &self,
        _cursor: Option<&str>,
        pages: PageSink,
    ) -> Result<ListingEnd, ProviderError> {
        let script = self
            .0
            .lock()
            .map_err(|_| ProviderError::NotFound("poisoned".into()))?
            .take()
            .ok_or_else(|| ProviderError::NotFound("no script".into()))?;
        let changes: Vec<Change> = script.ops.iter().map(change).collect();
        let mut sent = 0;
        let mut full = script.full;
        if let Some(at) = script.restart_after {
            // Something else first (a delta cut off by an expired link), then everything again.
            let junk: Vec<Change> = (IDS..2 * IDS)
                .map(|n| {
                    change(&Op::Upsert {
                        id: n,
                        parent: None,
                        name: 0,
                        size: 1,
                    })
                })
                .collect();
            for page in Self::pages(&junk, script.page).into_iter().take(at) {
                pages.changes(page).await?;
                sent += 1;
            }
            pages.send(Page::Restart).await?;
            full = true;
        }
        for page in Self::pages(&changes, script.page) {
            if script.fail_after.is_some_and(|f| sent >= f) {
                return Err(ProviderError::NotFound("cut off".into()));
            }
            pages.changes(page).await?;
            sent += 1;
        }
        if script.fail_after.is_some() {
            return Err(ProviderError::NotFound("cut off at the end".into()));
        }
        Ok(ListingEnd {
            full,
            cursor: Some("next".into()),
            ..ListingEnd::default()
        })
    }

    async fn stat(&self, _id: &ItemId) -> Result<Option<Item>, ProviderError> {
        Ok(None)
    }

    fn trash_location(&self, req: &TrashRequest) -> String {
        req.trash_id.to_string()
    }

    async fn trash(&self, _req: &TrashRequest, _location: &str) -> Result<(), ProviderError> {
        Err(ProviderError::Refused("a listing test".into()))
    }

    async fn locate(
        &self,
        _req: &TrashRequest,
        _location: &str,
    ) -> Result<Whereabouts, ProviderError> {
        Ok(Whereabouts::Missing)
    }

    async fn restore(&self, _req: &TrashRequest, _location: &str) -> Result<(), ProviderError> {
        Err(ProviderError::Refused("a listing test".into()))
    }

    async fn purge(&self, _req: &TrashRequest, _location: &str) -> Result<(), ProviderError> {
        Err(ProviderError::Refused("a listing test".into()))
    }
}

/// What the index holds of an item: parent, name, size, path.
type Row = (Option<String>, String, u64, String);

/// Applies a script to the model the way the index must take it.
fn apply(model: &mut BTreeMap<String, Row>, script: &Script) {
    if script.fail_after.is_some() {
        return;
    }
    if script.full || script.restart_after.is_some() {
        model.clear();
    }
    for op in &script.ops {
        match *op {
            Op::Upsert {
                id: n,
                parent,
                name,
                size,
            } => {
                model.insert(
                    format!("i{n}"),
                    (
                        parent.map(|p| format!("i{p}")),
                        NAMES[name].to_owned(),
                        size,
                        format!("given/i{n}"),
                    ),
                );
            }
            Op::Remove(n) => {
                model.remove(&format!("i{n}"));
            }
        }
    }
    // Paths from the parent links, down from the items whose parent is not indexed; items
    // reached from none of those (a cycle) keep what they have.
    let ids: Vec<String> = model.keys().cloned().collect();
    for item in ids {
        let mut chain = vec![item.clone()];
        let mut cur = item.clone();
        let top = loop {
            match model[&cur].0.clone() {
                Some(parent) if chain.contains(&parent) => break false,
                Some(parent) if model.contains_key(&parent) => {
                    chain.push(parent.clone());
                    cur = parent;
                }
                _ => break true,
            }
        };
        if top {
            let path: String = chain
                .iter()
                .rev()
                .map(|c| format!("/{}", model[c].1))
                .collect();
            if let Some(row) = model.get_mut(&item) {
                row.3 = path;
            }
        }
    }
}

fn stored(conn: &dyn Conn, user: &UserId) -> Result<BTreeMap<String, Row>, TestCaseError> {
    let rows = conn
        .rows(
            "SELECT item_id, parent_id, name, size, path FROM files WHERE user_id = ?1",
            declutter_core::platform_db::vals![user.as_str()],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    (
                        r.get::<_, Option<String>>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, i64>(3)?.unsigned_abs(),
                        r.get::<_, String>(4)?,
                    ),
                ))
            },
        )
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    Ok(rows.into_iter().collect())
}

/// Runs a script's listing through a [`StagedListing`] that stages every `batch` changes,
/// the way `scan` drives one (which stages every `STAGE_BATCH`, more than any script holds).
async fn staged_in_batches(
    conn: &mut dyn Conn,
    user: &UserId,
    provider: &Scripted,
    batch: usize,
) -> Result<(), Box<dyn std::error::Error>> {
    let source = Source::GDrive;
    let scan_id = declutter_core::store::scans::begin(conn, user, &source, false)?;
    let mut staged = StagedListing::begin(conn, user, &source, scan_id)?.with_batch(batch);
    let (sink, mut pages) = PageSink::channel();
    let (listed, received) = tokio::join!(provider.list(None, sink), async {
        let received = staged.receive(conn, &mut pages).await;
        drop(pages);
        received
    });
    received?;
    match listed {
        Ok(end) => {
            staged.finish(conn, end.full, &[])?;
            Ok(())
        }
        Err(e) => {
            staged.discard(conn)?;
            Err(e.into())
        }
    }
}

/// Runs `scripts` one after the other through `scan` (`batch` = `None`) or through a
/// [`StagedListing`] staging every `batch` changes, checking the index after each.
fn check(scripts: Vec<Script>, batch: Option<usize>) -> Result<(), TestCaseError> {
    let fail = |e: &dyn std::fmt::Display| TestCaseError::fail(e.to_string());
    let dir = tempfile::tempdir().map_err(|e| fail(&e))?;
    let mut conn = crate::support::db(dir.path()).map_err(|e| fail(&e))?;
    let user = UserId::local();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| fail(&e))?;
    let provider = Scripted::default();
    let mut model: BTreeMap<String, Row> = BTreeMap::new();
    for s in &scripts {
        let mut s = s.clone();
        if s.relist {
            let again = model
                .iter()
                .map(|(item, (parent, name, size, _))| Op::Upsert {
                    id: number(item),
                    parent: parent.as_deref().map(number),
                    name: NAMES.iter().position(|n| *n == name.as_str()).unwrap_or(0),
                    size: *size,
                });
            s.ops = again.chain(s.ops).collect();
        }
        let s = &s;
        *provider.0.lock().map_err(|e| fail(&e))? = Some(s.clone());
        let failed = match batch {
            None => rt
                .block_on(scan(&mut conn, &user, &Source::GDrive, &provider))
                .is_err(),
            Some(b) => rt
                .block_on(staged_in_batches(&mut conn, &user, &provider, b))
                .is_err(),
        };
        prop_assert_eq!(failed, s.fail_after.is_some());
        apply(&mut model, s);
        prop_assert_eq!(&stored(&conn, &user)?, &model, "after {:?}", s);
        let staged: i64 = conn
            .one("SELECT count(*) FROM listing_stage", &[])
            .map_err(|e| fail(&e))?;
        prop_assert_eq!(staged, 0, "nothing stays staged");
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(48),
        ..ProptestConfig::default()
    })]

    #[test]
    fn streamed_listings_leave_the_index_the_model_predicts(
        scripts in prop::collection::vec(script(), 1..6),
    ) {
        check(scripts, None)?;
    }

    #[test]
    fn staged_in_small_batches_too(
        scripts in prop::collection::vec(script(), 1..6),
        batch in 1..8usize,
    ) {
        check(scripts, Some(batch))?;
    }
}

/// Two listings staged at once (two sources, two workers): finishing one leaves the other's
/// staged rows alone.
#[test]
fn finishing_one_listing_keeps_another_ones_staged_rows() -> Result<(), Box<dyn std::error::Error>>
{
    let dir = tempfile::tempdir()?;
    let mut conn = crate::support::db(dir.path())?;
    let user = UserId::local();
    let begin = |conn: &mut dyn Conn, source: &Source| {
        let scan_id = declutter_core::store::scans::begin(conn, &user, source, false)?;
        StagedListing::begin(conn, &user, source, scan_id)
    };
    let upsert = |n| {
        change(&Op::Upsert {
            id: n,
            parent: None,
            name: 0,
            size: 1,
        })
    };
    let mut drive = begin(&mut conn, &Source::GDrive)?;
    let mut onedrive = begin(&mut conn, &Source::OneDrive)?;
    drive.add(&mut conn, vec![upsert(1)])?;
    drive.flush(&mut conn)?;
    onedrive.add(&mut conn, vec![upsert(2), upsert(3)])?;
    onedrive.flush(&mut conn)?;
    drive.finish(&mut conn, true, &[])?;
    let staged: i64 = conn.one("SELECT count(*) FROM listing_stage", &[])?;
    assert_eq!(staged, 2, "the OneDrive listing's rows are still staged");
    onedrive.finish(&mut conn, true, &[])?;
    let indexed: i64 = conn.one("SELECT count(*) FROM files", &[])?;
    assert_eq!(indexed, 3);
    Ok(())
}

/// The index failing midway through a long listing ends the scan with that failure, promptly:
/// the reader drops its end, so the provider's next send fails rather than waiting forever for
/// room in the channel. Nothing is indexed and nothing stays staged.
#[tokio::test]
async fn a_failing_index_stops_the_listing() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let mut conn = crate::support::db(dir.path())?;
    let user = UserId::local();
    // The stage refuses one item of the second batch of changes.
    let refuse = match conn.dialect() {
        declutter_core::platform_db::sql::Dialect::Sqlite => vec![
            "CREATE TRIGGER refuse BEFORE INSERT ON listing_stage WHEN NEW.item_id = 'i9000' \
             BEGIN SELECT RAISE(ABORT, 'refused'); END",
        ],
        declutter_core::platform_db::sql::Dialect::Postgres => vec![
            "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
             IF NEW.item_id = 'i9000' THEN RAISE EXCEPTION 'refused'; END IF; RETURN NEW; END $$",
            "CREATE TRIGGER refuse BEFORE INSERT ON listing_stage FOR EACH ROW \
             EXECUTE FUNCTION refuse()",
        ],
    };
    for sql in refuse {
        conn.run(sql, &[])?;
    }
    let ops = (0..40_000)
        .map(|id| Op::Upsert {
            id,
            parent: None,
            name: 0,
            size: 1,
        })
        .collect();
    let provider = Scripted(Mutex::new(Some(Script {
        full: true,
        ops,
        page: 1_000,
        restart_after: None,
        fail_after: None,
        relist: false,
    })));
    let scanned = tokio::time::timeout(
        std::time::Duration::from_secs(60),
        scan(&mut conn, &user, &Source::GDrive, &provider),
    )
    .await
    .map_err(|_| "the scan hung after the index failed")?;
    let err = scanned.err().ok_or("the scan succeeded")?;
    assert!(err.to_string().contains("refused"), "{err}");
    let rows: i64 = conn.one(
        "SELECT (SELECT count(*) FROM files) + (SELECT count(*) FROM listing_stage)",
        &[],
    )?;
    assert_eq!(rows, 0);
    Ok(())
}

/// Items `ids`, each of size 1, all in the root.
fn upserts(ids: std::ops::Range<usize>) -> Vec<Change> {
    ids.map(|id| {
        change(&Op::Upsert {
            id,
            parent: None,
            name: 0,
            size: 1,
        })
    })
    .collect()
}

/// A scan whose worker was presumed gone is superseded when the next scan of its source
/// begins, which drops its staged rows. If that worker was only slow, whatever it stages or
/// merges afterwards is refused: a full listing that lost rows would otherwise replace the
/// index and drop every item it no longer holds.
#[test]
fn a_superseded_listing_merges_nothing() -> Result<(), Box<dyn std::error::Error>> {
    use declutter_core::db::DbError;
    use declutter_core::store::{files, scans};
    let dir = tempfile::tempdir()?;
    let mut conn = crate::support::db(dir.path())?;
    let user = UserId::local();
    let source = Source::GDrive;
    let indexed = |conn: &dyn declutter_core::platform_db::sql::Db| {
        conn.one::<i64>("SELECT count(*) FROM files", &[])
    };
    let begin = |conn: &mut dyn Conn| -> Result<_, DbError> {
        let scan_id = scans::begin(conn, &user, &source, false)?;
        Ok((
            scan_id,
            StagedListing::begin(conn, &user, &source, scan_id)?,
        ))
    };
    files::apply_listing(
        &mut conn,
        &user,
        &source,
        &declutter_core::provider::Listing {
            full: true,
            changes: upserts(0..4),
            ..Default::default()
        },
    )?;
    assert_eq!(indexed(&conn)?, 4);

    // The slow worker has staged its whole listing when the next scan begins.
    let (slow_id, mut slow) = begin(&mut conn)?;
    slow.add(&mut conn, upserts(0..4))?;
    slow.flush(&mut conn)?;
    let (_, next) = begin(&mut conn)?;
    let merged = slow.finish(&mut conn, true, &[]);
    assert!(
        matches!(merged, Err(DbError::Superseded(id)) if id == slow_id),
        "{merged:?}"
    );
    assert_eq!(indexed(&conn)?, 4, "the index is as it was");

    // One superseded before its next batch stops there and leaves nothing staged.
    let (_, mut slower) = begin(&mut conn)?;
    let (_, mut last) = begin(&mut conn)?;
    slower.add(&mut conn, upserts(0..2))?;
    let staged = slower.flush(&mut conn);
    assert!(matches!(staged, Err(DbError::Superseded(_))), "{staged:?}");
    let staged: i64 = conn.one("SELECT count(*) FROM listing_stage", &[])?;
    assert_eq!(staged, 0);

    // The scan that superseded them all merges its own listing.
    drop(next);
    last.add(&mut conn, upserts(0..3))?;
    assert_eq!(last.finish(&mut conn, true, &[])?, 1);
    assert_eq!(indexed(&conn)?, 3);
    let statuses: Vec<String> =
        conn.rows("SELECT status FROM scans ORDER BY id", &[], |r| r.get(0))?;
    assert_eq!(statuses, ["done", "failed", "failed", "failed", "running"]);
    Ok(())
}

/// On PostgreSQL, statements of one transaction each see what others committed before them, so
/// a scan starting midway through an earlier scan's merge could drop the staged rows the merge's
/// later statements read. The merge holds its scan's row from its first statement, and the
/// start waits for it: here a delta's merge stalls before its first write (a trigger sleeps)
/// while the next scan starts, and either the merge finds itself superseded or it merges all it
/// staged. (A full listing's merge also locks its staged rows when it writes their paths; a
/// delta's does not, and its cursor then moves past the changes it lost.)
#[test]
fn a_scan_starting_during_a_merge_never_halves_it() -> Result<(), Box<dyn std::error::Error>> {
    use declutter_core::store::scans;
    if !crate::support::on_postgres() {
        // SQLite has one writer at a time: the start waits for the whole merge by itself.
        return Ok(());
    }
    let dir = tempfile::tempdir()?;
    let mut conn = crate::support::db(dir.path())?;
    let user = UserId::local();
    let source = Source::GDrive;
    let merging_id = scans::begin(&conn, &user, &source, false)?;
    let mut merging = StagedListing::begin(&mut conn, &user, &source, merging_id)?;
    merging.add(&mut conn, upserts(0..6))?;
    merging.flush(&mut conn)?;
    conn.run(
        "CREATE FUNCTION stall() RETURNS trigger LANGUAGE plpgsql AS $$ \
         BEGIN PERFORM pg_sleep(1); RETURN NULL; END $$",
        &[],
    )?;
    conn.run(
        "CREATE TRIGGER stall BEFORE DELETE ON files FOR EACH STATEMENT EXECUTE FUNCTION stall()",
        &[],
    )?;
    let merge = std::thread::spawn(move || merging.finish(&mut conn, false, &[]).map(|_| conn));
    std::thread::sleep(std::time::Duration::from_millis(300));
    let mut next = crate::support::db(dir.path())?;
    let next_id = scans::begin(&next, &user, &source, false)?;
    let started = StagedListing::begin(&mut next, &user, &source, next_id)?;
    let merged = merge.join().map_err(|_| "the merge panicked")?;
    let indexed: i64 = next.one("SELECT count(*) FROM files", &[])?;
    match merged {
        Ok(_) => assert_eq!(
            indexed, 6,
            "the merge reported success with part of its listing"
        ),
        Err(declutter_core::db::DbError::Superseded(id)) => {
            assert_eq!(id, merging_id);
            assert_eq!(indexed, 0);
        }
        Err(e) => return Err(e.into()),
    }
    drop(started);
    Ok(())
}
