//! Sign-in attempts: the backoff check and the failure count in one transaction.
//!
//! Reading the backoff, verifying the password and then recording the failure let 40 parallel
//! guesses all pass the check before the first failure landed. So an attempt is *reserved*
//! first: one write transaction checks both backoffs (account and client address) and counts
//! the attempt as a failure in advance; only a reserved attempt is verified. A success then
//! clears the account's counter and hands the address its reservation back, and nothing more:
//! signing in to one's own account must not wipe the backoff earned against others.

use std::time::Duration;

use platform_db::sql::{Conn, Db, DbExt as _, Lock, Optional as _, RusqliteLike as _};
use platform_db::vals as params;

use super::DbError;
use super::users::{Credentials, credentials};
use crate::auth::lockout::wait_after;

/// What [`reserve`] decided.
#[derive(Debug)]
pub enum Attempt {
    /// Refused without verifying: a backoff runs until this Unix second.
    Locked(i64),
    /// Counted as a failure already; verify the password, then [`signed_in`] on success.
    Reserved(Reservation),
}

/// A reserved attempt.
#[derive(Debug)]
pub struct Reservation {
    /// The account named by the email, if any.
    pub creds: Option<Credentials>,
    /// The address's failure count including this attempt (audited).
    pub ip_failures: i64,
    /// The address's lock before this attempt, restored by [`signed_in`] when no other
    /// attempt was reserved in between.
    ip_prev_lock: i64,
}

fn ip_row(c: &dyn Db, ip: &str) -> Result<(i64, i64), DbError> {
    Ok(c.query_row(
        "SELECT failures, locked_until FROM ip_failures WHERE ip = ?1",
        [ip],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .optional()?
    .unwrap_or((0, 0)))
}

fn lock_at(now: i64, failures: i64, base: Duration) -> i64 {
    now.saturating_add(i64::try_from(wait_after(failures, base)).unwrap_or(i64::MAX))
}

/// Checks the backoffs of `email` and `ip` at `now` and, unless one is running, counts this
/// attempt as a failure of both, in one transaction under the global lock (the address's
/// counter spans accounts, so no narrower lock covers both rows).
pub fn reserve(
    c: &mut dyn Conn,
    email: &str,
    ip: &str,
    now: i64,
    base: Duration,
) -> Result<Attempt, DbError> {
    let tx = c.transaction(Lock::All)?;
    let (ip_failed, ip_lock) = ip_row(&*tx, ip)?;
    let creds = credentials(&*tx, email)?;
    let locked = ip_lock.max(creds.as_ref().map_or(0, |c| c.locked_until));
    if locked > now {
        return Ok(Attempt::Locked(locked));
    }
    if let Some(cr) = &creds {
        let n = cr.failed_logins + 1;
        tx.execute(
            "UPDATE users SET failed_logins = ?2, locked_until = ?3 WHERE id = ?1",
            params![cr.user.id, n, lock_at(now, n, base)],
        )?;
    }
    let n = ip_failed + 1;
    tx.execute(
        "INSERT INTO ip_failures (ip, failures, locked_until) VALUES (?1, ?2, ?3)
         ON CONFLICT (ip) DO UPDATE SET failures = ?2, locked_until = ?3",
        params![ip, n, lock_at(now, n, base)],
    )?;
    tx.commit()?;
    Ok(Attempt::Reserved(Reservation {
        creds,
        ip_failures: n,
        ip_prev_lock: ip_lock,
    }))
}

/// After a verified password: clears the failures of the account signed in to, and takes back
/// the address's reserved failure (restoring its earlier lock when no attempt came in between),
/// so the address keeps the backoff its failures earned.
pub fn signed_in(
    c: &mut dyn Conn,
    user_id: &str,
    ip: &str,
    r: &Reservation,
) -> Result<(), DbError> {
    let tx = c.transaction(Lock::All)?;
    tx.execute(
        "UPDATE users SET failed_logins = 0, locked_until = 0 WHERE id = ?1",
        [user_id],
    )?;
    // SET expressions read the row as it was, so the CASE sees the count before the decrement
    // (a CASE rather than SQLite's max() or PostgreSQL's GREATEST, which the other lacks).
    tx.execute(
        "UPDATE ip_failures SET failures = CASE WHEN failures > 0 THEN failures - 1 ELSE 0 END,
             locked_until = CASE WHEN failures = ?2 THEN ?3 ELSE locked_until END
         WHERE ip = ?1",
        params![ip, r.ip_failures, r.ip_prev_lock],
    )?;
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const IP: &str = "192.0.2.1";

    fn reserve_ok(c: &mut dyn Conn, email: &str, now: i64) -> Result<Reservation, DbError> {
        match reserve(c, email, IP, now, Duration::from_secs(60))? {
            Attempt::Reserved(r) => Ok(r),
            Attempt::Locked(until) => Err(DbError::Corrupt(format!("locked until {until}"))),
        }
    }

    #[tokio::test]
    async fn a_success_hands_back_only_its_own_reservation() -> Result<(), DbError> {
        let dir = tempfile::tempdir().map_err(|e| DbError::Corrupt(e.to_string()))?;
        let pool = super::super::open(&dir.path().join("t.db")).await?;
        pool.write(|c| -> Result<(), DbError> {
            let me = super::super::users::create(c, "me@example.com", "Me", Some("x"), None)?;
            reserve_ok(c, "victim-a@example.com", 100)?;
            reserve_ok(c, "victim-b@example.com", 100)?;
            let mine = reserve_ok(c, "me@example.com", 100)?;
            assert_eq!(mine.ip_failures, 3);
            signed_in(c, &me.id, IP, &mine)?;
            assert_eq!(
                ip_row(c, IP)?,
                (2, 100),
                "two failures stay, and no lock yet"
            );
            assert_eq!(reserve_ok(c, "victim-c@example.com", 100)?.ip_failures, 3);
            assert!(matches!(
                reserve(c, "victim-d@example.com", IP, 101, Duration::from_secs(60))?,
                Attempt::Locked(160)
            ));
            Ok(())
        })
        .await?
    }
}
