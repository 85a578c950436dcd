//! What several instances share through the database, on both databases: sessions (with
//! their CSRF tokens), pending OAuth flows, the installation's token key, and the checks that
//! span accounts (the first admin, the last admin). Each case runs on
//! a SQLite file and on a fresh PostgreSQL database (skipped outside CI when no server is
//! configured), through connections of their own, as separate instances would hold.

use std::sync::{Arc, Barrier};

use declutter_web::db::flows::{self, StoredFlow};
use declutter_web::db::sessions::{self, SessionRow};
use declutter_web::db::{token_key, users};
use platform_db::pg::testing::FreshDb;
use platform_db::sql::pg::BlockingPool;
use platform_db::sql::{Conn, DbExt as _};

use crate::support::TestResult;

type Connect = Box<dyn Fn() -> TestResult<Box<dyn Conn + Send>> + Send + Sync>;

/// A database under test: connections to it, and what must outlive them.
struct Backend {
    name: &'static str,
    connect: Connect,
    _keep: Box<dyn std::any::Any + Send + Sync>,
}

async fn backends() -> TestResult<Vec<Backend>> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("d.db");
    drop(declutter_web::db::open(&path).await?);
    let mut out = vec![Backend {
        name: "sqlite",
        connect: Box::new(move || Ok(Box::new(platform_db::open(&path)?))),
        _keep: Box::new(dir),
    }];
    if let Some(db) = FreshDb::create().await? {
        declutter_web::db::pg_migrate(&db.pool(1)?).await?;
        // Room for every concurrent start of a case at once.
        let pool = BlockingPool::connect(&db.url, 16, &platform_db::pg::PgTls::default())?;
        out.push(Backend {
            name: "postgres",
            connect: Box::new(move || Ok(Box::new(pool.get()?))),
            _keep: Box::new(db),
        });
    }
    Ok(out)
}

/// Runs `case` on every database (on a blocking thread: the connections block), naming the
/// database in a failure.
async fn conformance(case: fn(&Backend) -> TestResult) -> TestResult {
    for b in backends().await? {
        let name = b.name;
        tokio::task::spawn_blocking(move || case(&b))
            .await?
            .map_err(|e| format!("{name}: {e}"))?;
    }
    Ok(())
}

fn seed_user(conn: &dyn Conn, id: &str) -> TestResult {
    conn.execute(
        "INSERT INTO users (id, email, display_name, role, created_at) VALUES (?1, ?2, 'U', 'user', 0)",
        platform_db::vals![id, format!("{id}@example.com")],
    )?;
    Ok(())
}

#[tokio::test]
async fn a_session_made_on_one_instance_is_honoured_and_ended_on_another() -> TestResult {
    conformance(|b| {
        let (one, two) = ((b.connect)()?, (b.connect)()?);
        seed_user(&*one, "u")?;
        let row = |id: &str| SessionRow {
            id_hash: id.into(),
            user_id: "u".into(),
            csrf_token: format!("csrf-{id}"),
        };
        sessions::insert(&*one, &row("a"), 3600)?;
        sessions::insert(&*one, &row("b"), 3600)?;
        sessions::insert(&*one, &row("old"), -1)?;
        let (_, seen) = users::by_session(&*two, "a")?.ok_or("session a not seen")?;
        assert_eq!(
            (seen.user_id.as_str(), seen.csrf_token.as_str()),
            ("u", "csrf-a")
        );
        assert!(
            users::by_session(&*two, "old")?.is_none(),
            "an expired session was honoured"
        );
        // What a request reads: the account and its session at once.
        seed_user(&*one, "v")?;
        sessions::insert(
            &*one,
            &SessionRow {
                id_hash: "c".into(),
                user_id: "v".into(),
                csrf_token: "csrf-c".into(),
            },
            3600,
        )?;
        for (hash, user) in [("a", "u"), ("c", "v")] {
            let (found, session) = users::by_session(&*two, hash)?.ok_or("not signed in")?;
            assert_eq!(
                (found.id.as_str(), found.email, session.user_id.as_str()),
                (user, format!("{user}@example.com"), user)
            );
            assert_eq!(
                (session.id_hash, session.csrf_token),
                (hash.to_owned(), format!("csrf-{hash}"))
            );
        }
        for refused in ["old", "nobody"] {
            assert!(users::by_session(&*two, refused)?.is_none(), "{refused}");
        }
        sessions::delete(&*one, "c")?;
        assert_eq!(sessions::count(&*two, "u")?, 2);
        assert_eq!(sessions::sweep(&*two)?, 1);
        sessions::delete(&*two, "a")?;
        assert!(users::by_session(&*one, "a")?.is_none());
        assert_eq!(sessions::delete_all(&*one, "u")?, 1);
        assert_eq!(sessions::count(&*two, "u")?, 0);
        Ok(())
    })
    .await
}

fn flow(created_at: i64) -> StoredFlow {
    StoredFlow {
        created_at,
        key_id: "k1".into(),
        sealed: vec![0, 1, 2, 255],
    }
}

#[tokio::test]
async fn a_pending_flow_is_taken_once_whichever_instance_finishes_it() -> TestResult {
    conformance(|b| {
        let (mut one, two) = ((b.connect)()?, (b.connect)()?);
        assert!(flows::insert(
            &mut *one,
            "connect",
            b"state-1",
            &flow(100),
            0,
            4
        )?);
        let taken = flows::take(&*two, "connect", b"state-1")?.ok_or("flow not found")?;
        assert_eq!((taken.created_at, taken.key_id.as_str()), (100, "k1"));
        assert_eq!(taken.sealed, vec![0, 1, 2, 255]);
        assert!(
            flows::take(&*one, "connect", b"state-1")?.is_none(),
            "taken twice"
        );
        // Another purpose's state does not match.
        assert!(flows::insert(
            &mut *one,
            "sign_in",
            b"state-2",
            &flow(100),
            0,
            4
        )?);
        assert!(flows::take(&*two, "connect", b"state-2")?.is_none());
        // Expired flows make room; the bound holds.
        for i in 0..4u8 {
            assert!(flows::insert(&mut *one, "connect", &[i], &flow(10), 0, 4)?);
        }
        assert!(!flows::insert(
            &mut *one,
            "connect",
            b"full",
            &flow(20),
            0,
            4
        )?);
        assert!(flows::insert(
            &mut *one,
            "connect",
            b"room",
            &flow(20),
            10,
            4
        )?);
        Ok(())
    })
    .await
}

#[tokio::test]
async fn concurrent_flows_never_pass_the_bound() -> TestResult {
    const STARTS: usize = 12;
    const MAX: u64 = 5;
    conformance(|b| {
        let start = Arc::new(Barrier::new(STARTS));
        let stored = std::thread::scope(|s| -> TestResult<usize> {
            let starts: Vec<_> = (0..STARTS)
                .map(|i| {
                    let start = Arc::clone(&start);
                    s.spawn(move || -> TestResult<bool> {
                        let mut conn = (b.connect)()?;
                        start.wait();
                        let state = format!("state-{i}");
                        Ok(flows::insert(
                            &mut *conn,
                            "sign_in",
                            state.as_bytes(),
                            &flow(100),
                            0,
                            MAX,
                        )?)
                    })
                })
                .collect();
            let mut stored = 0;
            for t in starts {
                stored += usize::from(t.join().map_err(|_| "a start panicked")??);
            }
            Ok(stored)
        })?;
        assert_eq!(u64::try_from(stored)?, MAX);
        Ok(())
    })
    .await
}

#[tokio::test]
async fn the_first_instance_records_the_token_key_and_a_rotation_replaces_it() -> TestResult {
    conformance(|b| {
        let (one, two) = ((b.connect)()?, (b.connect)()?);
        assert_eq!(token_key::get(&*one)?, None);
        assert_eq!(token_key::adopt(&*one, "key-a")?, "key-a");
        // A second instance with another key finds the first one's.
        assert_eq!(token_key::adopt(&*two, "key-b")?, "key-a");
        token_key::set(&*two, "key-b")?;
        assert_eq!(token_key::get(&*one)?.as_deref(), Some("key-b"));
        Ok(())
    })
    .await
}

/// The checks that span accounts hold whichever instance runs them: of 8 first sign-ups at
/// once exactly one becomes admin, and two admins demoting each other at once never leave the
/// installation without one (each round re-promotes the demoted one).
#[tokio::test]
async fn concurrent_sign_ups_make_one_admin_and_demotions_keep_one() -> TestResult {
    use declutter_web::auth::role::Role;
    use declutter_web::db::users;
    const SIGNUPS: usize = 8;
    conformance(|b| {
        let start = Arc::new(Barrier::new(SIGNUPS));
        let made = std::thread::scope(|s| -> TestResult<Vec<users::User>> {
            let signups: Vec<_> = (0..SIGNUPS)
                .map(|i| {
                    let start = Arc::clone(&start);
                    s.spawn(move || -> TestResult<users::User> {
                        let mut conn = (b.connect)()?;
                        start.wait();
                        let email = format!("u{i}@example.com");
                        Ok(users::create(&mut *conn, &email, "U", None, None)?)
                    })
                })
                .collect();
            signups
                .into_iter()
                .map(|t| t.join().map_err(|_| "a sign-up panicked")?)
                .collect()
        })?;
        let admins: Vec<&users::User> = made.iter().filter(|u| u.role == Role::Admin).collect();
        assert_eq!(admins.len(), 1, "one first account: {made:?}");
        let first = admins[0].id.clone();
        let second = made
            .iter()
            .find(|u| u.id != first)
            .ok_or("a second account")?
            .id
            .clone();
        let mut conn = (b.connect)()?;
        for round in 0..6 {
            for id in [&first, &second] {
                users::set_role(&mut *conn, id, Role::Admin)?;
            }
            let start = Arc::new(Barrier::new(2));
            std::thread::scope(|s| -> TestResult {
                let demotions: Vec<_> = [&first, &second]
                    .into_iter()
                    .map(|id| {
                        let start = Arc::clone(&start);
                        s.spawn(move || -> TestResult<bool> {
                            let mut conn = (b.connect)()?;
                            start.wait();
                            Ok(users::set_role(&mut *conn, id, Role::User)?)
                        })
                    })
                    .collect();
                for t in demotions {
                    t.join().map_err(|_| "a demotion panicked")??;
                }
                Ok(())
            })?;
            let left = users::list(&*conn)?
                .into_iter()
                .filter(|u| u.role == Role::Admin)
                .count();
            assert!(left >= 1, "round {round}: no admin left");
        }
        Ok(())
    })
    .await
}
