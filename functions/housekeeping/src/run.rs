//! housekeeping: every hour, delete what is past its retention, table by table in
//! [`RETENTION`]'s order. Each batch is one statement and so one short transaction: no
//! lock is held for long, and a request that meets a row being deleted waits for one
//! batch at most. A table stops after [`MAX_BATCHES`] batches in a run, so a backlog
//! cannot push one invocation past its timeout; the next run carries on.

use aws_lambda_events::eventbridge::EventBridgeEvent;
use chrono::{DateTime, Utc};
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use serde_json::Value;
use shared::{ApiError, App, Operation};

use crate::{RETENTION, Table};

pub const OP: Operation = Operation::schedule(
    "housekeeping",
    "housekeeping",
    "rate(1 hour)",
    "Delete expired tokens, throttle rows, idempotency keys and old outbox/delivery rows",
    run,
)
.cross_tenant();

/// The most rows one batch deletes.
pub const BATCH: i32 = 1000;
/// The most batches per table in one run: 50,000 rows a table an hour, seconds of work.
pub const MAX_BATCHES: u32 = 50;

fn run(app: App, _event: EventBridgeEvent<Value>) -> BoxFuture<'static, Result<(), ApiError>> {
    async move {
        let summary = sweep(&app, app.now()).await?;
        let deleted: u64 = summary.iter().map(|(_, n)| n).sum();
        tracing::info!(deleted, "housekeeping done");
        Ok(())
    }
    .boxed()
}

/// Delete, from every table, the rows done with before `now` less the table's retention;
/// returns how many rows each table lost, in [`RETENTION`]'s order.
pub async fn sweep(app: &App, now: DateTime<Utc>) -> Result<Vec<(&'static str, u64)>, ApiError> {
    sweep_bounded(app, now, BATCH, MAX_BATCHES).await
}

/// [`sweep`] in batches of `batch` rows, at most `max_batches` of them per table.
pub async fn sweep_bounded(
    app: &App,
    now: DateTime<Utc>,
    batch: i32,
    max_batches: u32,
) -> Result<Vec<(&'static str, u64)>, ApiError> {
    let full = u64::try_from(batch).unwrap_or_default();
    let mut summary = Vec::with_capacity(RETENTION.len());
    for &(table, retention) in RETENTION {
        let cutoff = now - retention;
        let mut deleted = 0;
        let mut batches = 0;
        let finished = loop {
            if batches == max_batches {
                break false;
            }
            let n = delete_batch(app, table, cutoff, batch).await?;
            deleted += n;
            batches += 1;
            if n == 0 || n < full {
                break true;
            }
        };
        let name = table.name();
        tracing::info!(table = name, deleted, batches, %cutoff, "housekeeping deleted what was past retention");
        if !finished {
            tracing::warn!(table = name, deleted, "housekeeping stopped at the batch cap; the next run goes on");
        }
        summary.push((name, deleted));
    }
    Ok(summary)
}

/// Delete at most `limit` rows of `table` done with before `cutoff`, as the jobs login, in
/// a transaction of its own; returns how many went.
pub async fn delete_batch(app: &App, table: Table, cutoff: DateTime<Utc>, limit: i32) -> Result<u64, ApiError> {
    let mut tx = app.jobs_db().system_tx().await?;
    let deleted: i32 = sqlx::query_scalar(table.batch_sql()).bind(cutoff).bind(limit).fetch_one(&mut *tx).await?;
    tx.commit().await?;
    Ok(u64::try_from(deleted).unwrap_or_default())
}
