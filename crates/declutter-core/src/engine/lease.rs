//! One apply at a time per owner, across processes and machines.
//!
//! The lock is a row in the database, not a process-local mutex, so two CLI processes, two
//! web requests and several instances on one database all see it. It is taken in an immediate
//! transaction (no two runs can both see it free) and renewed after each removal. A holder is
//! stale, and its lock taken over, when it is on this machine and its process has ended (a
//! `kill -9` mid-apply: the rerun resumes at once), or when it is elsewhere and silent for
//! [`LEASE_SECS`]. A run on this machine whose process is alive is never taken over, however
//! long one item takes.

use std::sync::LazyLock;

use platform_db::sql::{Conn, Db, Lock};
use rand::Rng as _;

use super::EngineError;
use crate::db::now;
use crate::ids::UserId;
use crate::store::apply_locks::{self, Holder};

/// Seconds without renewal after which a holder on another machine is presumed gone.
pub const LEASE_SECS: i64 = 120;

/// The plan a retention sweep holds the lock for: none (no plan has id 0).
pub const RETENTION_SWEEP: i64 = 0;

/// The plan a purge or a restore of trash entries (not a whole plan's undo) holds the lock for:
/// none. Emptying the trash as a job holds it the same way.
pub const TRASH: i64 = -1;

/// The plan a verification of likely matches holds the lock for: none.
pub const VERIFY: i64 = -2;

/// This run's hold on an owner's apply lock; release it with [`Lease::release`].
#[derive(Debug)]
pub struct Lease {
    user: UserId,
    token: String,
}

/// A process that runs work (an apply, a scan), as the rows it holds record it, so another
/// process can later tell whether it is still there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Runner {
    /// Machine (`/etc/machine-id`, or the host name).
    pub host: String,
    /// Process id.
    pub pid: i64,
    /// Process start time (clock ticks since boot), to tell a reused pid apart.
    pub pid_start: Option<i64>,
}

static ME: LazyLock<Runner> = LazyLock::new(|| {
    let host = ["/etc/machine-id", "/proc/sys/kernel/hostname"]
        .iter()
        .find_map(|p| {
            std::fs::read_to_string(p)
                .ok()
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
        })
        .unwrap_or_else(|| "unknown".into());
    let pid = i64::from(std::process::id());
    Runner {
        host,
        pid,
        pid_start: start_time(pid),
    }
});

impl Runner {
    /// This process.
    pub fn me() -> &'static Self {
        &ME
    }

    /// Is this run gone at `t`: its process ended (on this machine), or, elsewhere, silent
    /// since `seen_at` for longer than [`LEASE_SECS`]? A live process here is never gone,
    /// however long it is silent.
    pub fn gone(&self, seen_at: i64, t: i64) -> bool {
        if self.host == ME.host && ME.pid_start.is_some() {
            return self.pid_start.is_none() || start_time(self.pid) != self.pid_start;
        }
        t - seen_at > LEASE_SECS
    }
}

/// Start time of process `pid` in clock ticks since boot (`/proc/PID/stat`, field 22).
fn start_time(pid: i64) -> Option<i64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces and parentheses: count after its last ')'.
    let rest = stat.rsplit_once(')')?.1;
    rest.split_whitespace().nth(19)?.parse().ok()
}

/// Is `h` gone: its process ended (same machine), or silent past the lease (elsewhere)?
fn stale(h: &Holder, t: i64) -> bool {
    Runner {
        host: h.host.clone(),
        pid: h.pid,
        pid_start: h.pid_start,
    }
    .gone(h.renewed_at, t)
}

/// The live holder of `user`'s apply lock, if any (a stale one counts as none).
pub fn holder(conn: &dyn Db, user: &UserId) -> Result<Option<Holder>, crate::db::DbError> {
    Ok(apply_locks::get(conn, user)?.filter(|h| !stale(h, now())))
}

impl Lease {
    /// Takes `user`'s apply lock for `plan_id`, or fails with [`EngineError::ApplyBusy`].
    pub fn acquire(conn: &mut dyn Conn, user: &UserId, plan_id: i64) -> Result<Self, EngineError> {
        let token: String = {
            let bytes: [u8; 16] = rand::rng().random();
            bytes.iter().map(|b| format!("{b:02x}")).collect()
        };
        // The owner's lock on the transaction: no other run of this owner reads the holder
        // between this read and this write.
        let tx = conn.transaction(Lock::Owner(user.as_str()))?;
        let t = now();
        if let Some(h) = apply_locks::get(&*tx, user)?
            && !stale(&h, t)
        {
            return Err(EngineError::ApplyBusy {
                plan_id: h.plan_id,
                pid: h.pid,
            });
        }
        apply_locks::put(
            &*tx,
            user,
            &Holder {
                plan_id,
                token: token.clone(),
                host: ME.host.clone(),
                pid: ME.pid,
                pid_start: ME.pid_start,
                renewed_at: t,
            },
        )?;
        tx.commit()?;
        Ok(Self {
            user: user.clone(),
            token,
        })
    }

    /// Shows life; fails when another run took the lock over (this run must stop).
    pub fn renew(&self, conn: &dyn Db) -> Result<(), EngineError> {
        if apply_locks::renew(conn, &self.user, &self.token, now())? {
            Ok(())
        } else {
            Err(EngineError::LeaseLost)
        }
    }

    /// Gives the lock back.
    pub fn release(&self, conn: &dyn Db) -> Result<(), EngineError> {
        Ok(apply_locks::release(conn, &self.user, &self.token)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_run_per_owner_and_a_dead_holder_is_taken_over() -> Result<(), Box<dyn std::error::Error>>
    {
        let mut conn = crate::db::open_in_memory()?;
        let user = "u".parse::<UserId>()?;
        let first = Lease::acquire(&mut conn, &user, 1)?;
        assert!(matches!(
            Lease::acquire(&mut conn, &user, 2),
            Err(EngineError::ApplyBusy { plan_id: 1, .. })
        ));
        // Another owner is not held up.
        Lease::acquire(&mut conn, &"v".parse::<UserId>()?, 3)?.release(&conn)?;
        first.renew(&conn)?;
        first.release(&conn)?;
        let second = Lease::acquire(&mut conn, &user, 2)?;
        // A holder whose process ended (pid 0 never has our start time) is stale at once.
        conn.execute("UPDATE apply_locks SET pid = 0, pid_start = 1", [])?;
        assert!(matches!(second.renew(&conn), Ok(())));
        let third = Lease::acquire(&mut conn, &user, 3)?;
        assert!(matches!(second.renew(&conn), Err(EngineError::LeaseLost)));
        // A holder on another machine is stale only once silent past the lease.
        conn.execute(
            "UPDATE apply_locks SET host = 'elsewhere', renewed_at = ?1",
            [now()],
        )?;
        assert!(Lease::acquire(&mut conn, &user, 4).is_err());
        conn.execute(
            "UPDATE apply_locks SET renewed_at = ?1",
            [now() - LEASE_SECS - 1],
        )?;
        Lease::acquire(&mut conn, &user, 4)?;
        drop(third);
        Ok(())
    }
}
