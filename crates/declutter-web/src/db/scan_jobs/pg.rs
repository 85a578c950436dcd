//! The scan queue on PostgreSQL. Several instances claim from one table at once: a claim locks
//! the rows it looks at and skips those another claim holds (`FOR UPDATE SKIP LOCKED`), so two
//! workers never take one job and neither waits for the other. Queueing locks the target's row,
//! so two requests for one folder cannot both find it idle; a sweep locks the running rows it
//! judges, so a heartbeat cannot slip in between its reading and its requeueing.

use declutter_core::engine::lease::Runner;
use platform_db::pg::deadpool_postgres::Pool;
use platform_db::pg::tokio_postgres::Row;

use super::{
    CLAIM_WINDOW, Claimed, Enqueued, Fut, Job, Recovered, Runnable, ScanProgress, ScanQueue,
    Target, Verdict, column, columns, count, target_of, verdict,
};
use crate::db::now;

/// The queue in a PostgreSQL database migrated with [`crate::db::pg_migrate`].
#[derive(Debug, Clone)]
pub struct PgQueue {
    pool: Pool,
}

impl PgQueue {
    /// The queue of the database `pool` connects to.
    pub fn new(pool: Pool) -> Self {
        Self { pool }
    }
}

impl ScanQueue for PgQueue {
    fn enqueue<'a>(&'a self, user: &'a str, target: Target) -> Fut<'a, Enqueued> {
        Box::pin(async move {
            let mut client = self.pool.get().await?;
            let tx = client.transaction().await?;
            // Locking the target's row makes a second request for it wait for this one, and
            // then find this job open.
            let (owner, id) = match target {
                Target::Local(id) => (
                    "SELECT 1 FROM local_sources WHERE id = $1 AND user_id = $2 FOR UPDATE",
                    id,
                ),
                Target::Drive(id) => (
                    "SELECT 1 FROM oauth_connections WHERE id = $1 AND user_id = $2 FOR UPDATE",
                    id,
                ),
            };
            if tx.query_opt(owner, &[&id, &user]).await?.is_none() {
                return Ok(Enqueued::NotFound);
            }
            let (source, connection) = columns(target);
            let open = tx
                .query_opt(
                    "SELECT 1 FROM scan_jobs WHERE state IN ('queued', 'running')
                     AND (source_id = $1 OR connection_id = $2) LIMIT 1",
                    &[&source, &connection],
                )
                .await?;
            if open.is_some() {
                return Ok(Enqueued::Busy);
            }
            let row = tx
                .query_one(
                    "INSERT INTO scan_jobs (user_id, source_id, connection_id, state, started_at)
                     VALUES ($1, $2, $3, 'queued', $4) RETURNING id",
                    &[&user, &source, &connection, &now()],
                )
                .await?;
            tx.commit().await?;
            Ok(Enqueued::Queued(row.get(0)))
        })
    }

    fn queued(&self) -> Fut<'_, u64> {
        Box::pin(async move {
            let client = self.pool.get().await?;
            let row = client
                .query_one("SELECT count(*) FROM scan_jobs WHERE state = 'queued'", &[])
                .await?;
            Ok(count(row.get(0)))
        })
    }

    fn claim(&self, runnable: Runnable) -> Fut<'_, Option<Claimed>> {
        Box::pin(async move {
            let mut client = self.pool.get().await?;
            let tx = client.transaction().await?;
            let window = tx
                .query(
                    "SELECT j.id, j.user_id, j.source_id, j.connection_id, s.path, k.provider,
                            j.attempts + 1
                     FROM scan_jobs j
                     LEFT JOIN local_sources s ON s.id = j.source_id
                     LEFT JOIN oauth_connections k ON k.id = j.connection_id
                     WHERE j.state = 'queued' ORDER BY j.id LIMIT $1
                     FOR UPDATE OF j SKIP LOCKED",
                    &[&CLAIM_WINDOW],
                )
                .await?;
            let Some(job) = window.iter().map(claimed).find(|j| runnable(j)) else {
                return Ok(None);
            };
            let me = Runner::me();
            tx.execute(
                "UPDATE scan_jobs SET state = 'running', attempts = $2, runner_host = $3,
                        runner_pid = $4, runner_pid_start = $5, heartbeat_at = $6,
                        phase = NULL, done = NULL, total = NULL
                 WHERE id = $1 AND state = 'queued'",
                &[
                    &job.id,
                    &job.attempt,
                    &me.host,
                    &me.pid,
                    &me.pid_start,
                    &now(),
                ],
            )
            .await?;
            tx.commit().await?;
            Ok(Some(job))
        })
    }

    fn beat<'a>(&'a self, id: i64, attempt: i64, progress: &'a ScanProgress) -> Fut<'a, bool> {
        Box::pin(async move {
            let client = self.pool.get().await?;
            let n = client
                .execute(
                    "UPDATE scan_jobs SET heartbeat_at = $3, phase = $4, done = $5, total = $6
                     WHERE id = $1 AND attempts = $2 AND state = 'running'",
                    &[
                        &id,
                        &attempt,
                        &now(),
                        &progress.phase,
                        &column(progress.done),
                        &column(progress.total),
                    ],
                )
                .await?;
            Ok(n == 1)
        })
    }

    fn finish(&self, id: i64, attempt: i64, summary: Option<(i64, i64, i64)>) -> Fut<'_, bool> {
        Box::pin(async move {
            let client = self.pool.get().await?;
            let state = if summary.is_some() { "done" } else { "failed" };
            let (scan, indexed, issues) =
                summary.map_or((None, None, None), |(a, b, c)| (Some(a), Some(b), Some(c)));
            let n = client
                .execute(
                    "UPDATE scan_jobs SET state = $3, scan_id = $4, indexed = $5, issues = $6,
                            finished_at = $7, phase = NULL, done = NULL, total = NULL
                     WHERE id = $1 AND attempts = $2 AND state = 'running'",
                    &[&id, &attempt, &state, &scan, &indexed, &issues, &now()],
                )
                .await?;
            Ok(n == 1)
        })
    }

    fn recover(&self) -> Fut<'_, Recovered> {
        Box::pin(async move {
            let mut client = self.pool.get().await?;
            let tx = client.transaction().await?;
            let t = now();
            let running = tx
                .query(
                    "SELECT id, runner_host, runner_pid, runner_pid_start,
                            coalesce(heartbeat_at, started_at), attempts
                     FROM scan_jobs WHERE state = 'running' ORDER BY id FOR UPDATE",
                    &[],
                )
                .await?;
            let mut out = Recovered::default();
            for row in running {
                let id: i64 = row.get(0);
                let runner = match (row.get::<_, Option<String>>(1), row.get(2)) {
                    (Some(host), Some(pid)) => Some(Runner {
                        host,
                        pid,
                        pid_start: row.get(3),
                    }),
                    _ => None,
                };
                match verdict(runner.as_ref(), row.get(4), row.get(5), t) {
                    Verdict::Keep => {}
                    Verdict::Requeue => {
                        out.requeued += usize::try_from(
                            tx.execute(
                                "UPDATE scan_jobs SET state = 'queued', runner_host = NULL,
                                        runner_pid = NULL, runner_pid_start = NULL,
                                        heartbeat_at = NULL
                                 WHERE id = $1",
                                &[&id],
                            )
                            .await?,
                        )
                        .unwrap_or(0);
                    }
                    Verdict::Fail => {
                        out.failed += usize::try_from(
                            tx.execute(
                                "UPDATE scan_jobs SET state = 'failed', finished_at = $2
                                 WHERE id = $1",
                                &[&id, &t],
                            )
                            .await?,
                        )
                        .unwrap_or(0);
                    }
                }
            }
            tx.commit().await?;
            Ok(out)
        })
    }

    fn job<'a>(&'a self, user: &'a str, id: i64) -> Fut<'a, Option<(Job, Option<ScanProgress>)>> {
        Box::pin(async move {
            let client = self.pool.get().await?;
            let row = client
                .query_opt(
                    "SELECT id, source_id, connection_id, state, scan_id, indexed, issues,
                            started_at, finished_at, phase, done, total
                     FROM scan_jobs WHERE id = $1 AND user_id = $2",
                    &[&id, &user],
                )
                .await?;
            Ok(row.map(|r| {
                let progress = r.get::<_, Option<String>>(9).map(|phase| ScanProgress {
                    phase,
                    done: count(r.get(10)),
                    total: count(r.get(11)),
                });
                (
                    Job {
                        id: r.get(0),
                        source_id: r.get(1),
                        connection_id: r.get(2),
                        state: r.get(3),
                        scan_id: r.get(4),
                        indexed: r.get(5),
                        issues: r.get(6),
                        started_at: r.get(7),
                        finished_at: r.get(8),
                    },
                    progress,
                )
            }))
        })
    }
}

/// A row of the claim's window.
fn claimed(r: &Row) -> Claimed {
    Claimed {
        id: r.get(0),
        user_id: r.get(1),
        target: target_of(r.get(2), r.get(3)),
        path: r.get(4),
        provider: r.get(5),
        attempt: r.get(6),
    }
}
