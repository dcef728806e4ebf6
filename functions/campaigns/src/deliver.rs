//! campaigns-deliver: the chain of batches that hands a campaign's recipients to the email
//! queue. Each message takes the next `BATCH_SIZE` pending recipients, writes one outbox
//! row each (keyed by campaign and customer) and, in the same transaction, the message for
//! the next batch; the last batch marks the campaign sent. No transaction and no
//! invocation runs long, whatever the audience's size.
//!
//! A crash loses nothing and repeats nothing: before the commit, the message comes back
//! and the batch is taken again; after it, the recipients are `queued` (not taken again),
//! their outbox rows and the next batch's message wait for the publisher or the relay, and
//! the redelivered message finds the next slice (its successor's message is already there).

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use shared::lambda::FifoBatch;
use shared::operation::Queue;
use shared::outbox::{self, Envelope};
use shared::{ApiError, ApiResult, App, Operation};
use uuid::Uuid;

use crate::events::{BATCH, Batch, EMAIL, Email, email_key};
use crate::model::Status;

pub const OP: Operation = Operation::sqs(
    "campaigns",
    "campaigns-deliver",
    &QUEUE,
    "Hand a sending campaign's recipients to the email queue, a batch at a time",
    consume,
)
.subscribes(&[BATCH])
.publishes(&[BATCH, EMAIL]);

/// The batches of campaigns being sent (one FIFO group per campaign).
pub const QUEUE: Queue = Queue::new("campaigns-deliver", "campaigns-deliver-dlq");

/// Recipients handed over per batch: one short transaction, one message.
pub const BATCH_SIZE: i64 = 500;

fn consume(app: App, event: SqsEvent) -> BoxFuture<'static, SqsBatchResponse> {
    async move { FifoBatch::in_order(&event.records, |record| handle(&app, record)).await }.boxed()
}

async fn handle(app: &App, record: &SqsMessage) -> ApiResult<()> {
    let envelope = Envelope::of_record(record)?;
    if envelope.kind != BATCH {
        return Ok(());
    }
    let batch: Batch = serde_json::from_value(envelope.payload).map_err(ApiError::internal)?;
    if run_batch(app, envelope.business_id, &batch).await?.is_some() {
        // Committed: a failure to publish now is the relay's to repair.
        if let Err(e) = publish(app, envelope.business_id).await {
            tracing::warn!(error = %e, "publishing the campaign's batch failed; the relay will send it");
        }
    }
    Ok(())
}

/// Where a batch left its campaign.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub queued: usize,
    pub remaining: i64,
}

/// Hand the next batch of the campaign's pending recipients to the outbox. `None`: the
/// campaign is not sending (finished, cancelled), nothing was done.
pub async fn run_batch(app: &App, business_id: Uuid, batch: &Batch) -> ApiResult<Option<Progress>> {
    let campaign_id = batch.campaign_id;
    let mut tx = app.db.tenant_tx(business_id).await?;
    let status = sqlx::query_scalar!(
        r#"SELECT status AS "status: Status" FROM campaigns WHERE id = $1 FOR UPDATE"#,
        campaign_id
    )
    .fetch_optional(&mut *tx)
    .await?;
    if status != Some(Status::Sending) {
        tx.commit().await?;
        return Ok(None);
    }
    let picked = sqlx::query!(
        "SELECT id, customer_id FROM campaign_recipients WHERE campaign_id = $1 AND status = 'pending'
         ORDER BY id LIMIT $2 FOR UPDATE",
        campaign_id,
        BATCH_SIZE
    )
    .fetch_all(&mut *tx)
    .await?;
    let mut ids = Vec::with_capacity(picked.len());
    let mut keys = Vec::with_capacity(picked.len());
    let mut payloads = Vec::with_capacity(picked.len());
    let mut groups = Vec::with_capacity(picked.len());
    for r in &picked {
        ids.push(Uuid::now_v7());
        keys.push(email_key(campaign_id, r.customer_id));
        payloads.push(serde_json::to_value(Email { campaign_id, recipient_id: r.id }).map_err(ApiError::internal)?);
        // Each customer is a FIFO group of their own: the campaign's mail spreads over many
        // consumers and never queues in front of the business's booking mail.
        groups.push(r.customer_id);
    }
    sqlx::query!(
        "INSERT INTO outbox (id, business_id, dedup_key, kind, payload, group_id)
         SELECT u.id, $2, u.key, $3, u.payload, u.grp
         FROM unnest($1::uuid[], $4::text[], $5::jsonb[], $6::uuid[]) AS u (id, key, payload, grp)
         ON CONFLICT (business_id, dedup_key) DO NOTHING",
        &ids,
        business_id,
        EMAIL,
        &keys,
        &payloads,
        &groups
    )
    .execute(&mut *tx)
    .await?;
    let recipient_ids: Vec<Uuid> = picked.iter().map(|r| r.id).collect();
    // Each recipient finds its row (this batch's, or an earlier attempt's) by the key it was
    // given above: one lookup in the unique (business, key) index per recipient, however
    // large the outbox, even on a generic plan made while the tables were small.
    sqlx::query!(
        "UPDATE campaign_recipients r SET status = 'queued', queued_at = $3, outbox_id = o.id
         FROM unnest($1::uuid[], $4::text[]) AS u (recipient_id, key)
         JOIN outbox o ON o.business_id = $2 AND o.dedup_key = u.key
         WHERE r.id = u.recipient_id",
        &recipient_ids,
        business_id,
        app.now(),
        &keys
    )
    .execute(&mut *tx)
    .await?;
    let remaining = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM campaign_recipients WHERE campaign_id = $1 AND status = 'pending'"#,
        campaign_id
    )
    .fetch_one(&mut *tx)
    .await?;
    if remaining > 0 {
        let next = Batch { campaign_id, number: batch.number + 1 };
        if outbox::push(&mut tx, business_id, &next).await? {
            sqlx::query!("UPDATE campaigns SET batches = $2 WHERE id = $1", campaign_id, next.number)
                .execute(&mut *tx)
                .await?;
        }
    } else {
        sqlx::query!(
            "UPDATE campaigns SET status = 'sent', sent_at = $2, updated_at = now() WHERE id = $1",
            campaign_id,
            app.now()
        )
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    tracing::info!(%campaign_id, batch = batch.number, queued = picked.len(), remaining, "campaign batch handed to the email queue");
    Ok(Some(Progress { queued: picked.len(), remaining }))
}

/// Publish what the batch queued: its emails and the next batch's message.
async fn publish(app: &App, business_id: Uuid) -> ApiResult<()> {
    loop {
        let sent = outbox::publish_business(app, business_id, OP.publishes).await?;
        if sent == 0 {
            return Ok(());
        }
    }
}
