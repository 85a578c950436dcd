//! Group commit for paste creation: one writer thread takes every create waiting in its queue
//! and commits them in a single transaction, each inside its own savepoint, answering each
//! caller only after the commit. Under load this turns N commits into one; alone, a create
//! still commits at once. Durability is unchanged: nobody hears "created" before the commit.

use std::thread;

use platform_db::Pool;
use platform_db::rusqlite::{Connection, TransactionBehavior};
use tokio::sync::{mpsc, oneshot};

use super::StoreError;
use super::write::{CreateGuards, Created, DedupPolicy, NewPaste, insert_one};

/// Most creates folded into one transaction.
const MAX_BATCH: usize = 256;
/// Creates waiting for the writer before callers wait to enqueue.
const QUEUE: usize = 4096;

struct Job {
    paste: NewPaste,
    dedup: DedupPolicy,
    guards: CreateGuards,
    reply: oneshot::Sender<Result<Created, StoreError>>,
}

/// The handle callers enqueue on; the thread ends when every handle is dropped.
#[derive(Debug, Clone)]
pub(super) struct Committer {
    jobs: mpsc::Sender<Job>,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Job")
    }
}

impl Committer {
    /// Starts the writer thread on `pool`.
    pub(super) fn start(pool: Pool) -> std::io::Result<Self> {
        let (jobs, mut rx) = mpsc::channel::<Job>(QUEUE);
        thread::Builder::new()
            .name("paste-group-commit".into())
            .spawn(move || {
                while let Some(first) = rx.blocking_recv() {
                    let mut batch = vec![first];
                    while batch.len() < MAX_BATCH {
                        match rx.try_recv() {
                            Ok(job) => batch.push(job),
                            Err(_) => break,
                        }
                    }
                    pool.write_blocking(|conn| commit(conn, batch));
                }
            })?;
        Ok(Self { jobs })
    }

    /// Queues a create and waits for its committed outcome.
    pub(super) async fn create(
        &self,
        paste: NewPaste,
        dedup: DedupPolicy,
        guards: CreateGuards,
    ) -> Result<Created, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job {
                paste,
                dedup,
                guards,
                reply,
            })
            .await
            .map_err(|_| StoreError::Closed)?;
        answer.await.map_err(|_| StoreError::Closed)?
    }
}

fn commit(conn: &mut Connection, batch: Vec<Job>) {
    let mut outcomes = Vec::with_capacity(batch.len());
    let result = (|| -> Result<(), StoreError> {
        let mut tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        for job in &batch {
            // A failing create rolls back its own savepoint only, never its neighbours.
            let mut sp = tx.savepoint()?;
            let outcome = insert_one(&sp, &job.paste, job.dedup, &job.guards);
            if outcome.is_ok() {
                sp.commit()?;
            } else {
                sp.rollback()?;
            }
            outcomes.push(outcome);
        }
        tx.commit()?;
        Ok(())
    })();
    match result {
        Ok(()) => {
            for (job, outcome) in batch.into_iter().zip(outcomes) {
                let _ = job.reply.send(outcome);
            }
        }
        Err(error) => {
            // Nothing of the batch was committed: every caller hears about it.
            let cause = error.to_string();
            for job in batch {
                let _ = job.reply.send(Err(StoreError::Batch(cause.clone())));
            }
        }
    }
}
