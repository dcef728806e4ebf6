//! The consumer loop both channels share: a FIFO batch in order, each message claimed in
//! a delivery row before the provider is called, and the first failure stopping the batch.
//!
//! Exactly once out: a redelivered message whose delivery row says `sent` (or `skipped`,
//! or `sending` by a consumer still within its lease) is acknowledged without a second
//! send. A consumer that died after claiming leaves `sending` behind; once the lease is
//! over the redelivered message claims it again and sends. The one window left is a
//! crash after the provider accepted and before the row says `sent`.

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use chrono::{DateTime, Duration, Utc};
use shared::lambda::FifoBatch;
use shared::outbox::Envelope;
use shared::{ApiError, App};

use crate::message::{self, Prepared, Rendered};

/// A way to reach a customer.
pub trait Channel: Sync {
    /// `email` or `whatsapp`: the delivery row's channel.
    const NAME: &'static str;
    /// Receives after which SQS moves the message to the dead-letter queue.
    const MAX_RECEIVE_COUNT: u32;

    /// Hand the message to the provider; the provider's message id on success.
    fn send(&self, app: &App, message: &Rendered) -> impl Future<Output = Result<String, Failure>> + Send;
}

/// Why a message was not delivered this time.
#[derive(Debug)]
pub struct Failure {
    pub reason: String,
    /// Retrying cannot help (the provider refused the address or the template): the
    /// delivery row says `rejected` and the message is acknowledged, so it neither comes
    /// back five times nor holds up the messages behind it.
    pub permanent: bool,
}

impl Failure {
    pub fn retry(reason: impl Into<String>) -> Failure {
        Failure { reason: reason.into(), permanent: false }
    }

    pub fn permanent(reason: impl Into<String>) -> Failure {
        Failure { reason: reason.into(), permanent: true }
    }
}

impl From<sqlx::Error> for Failure {
    fn from(e: sqlx::Error) -> Failure {
        Failure::retry(format!("database: {e}"))
    }
}

impl From<ApiError> for Failure {
    fn from(e: ApiError) -> Failure {
        Failure::retry(format!("{}: {}", e.code, e.detail))
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.reason)
    }
}

/// How long a claim holds: longer than a consumer invocation can run, shorter than the
/// queue's visibility timeout, so only a dead consumer's claim is ever taken over.
pub const LEASE: Duration = Duration::seconds(90);

/// Process a batch in order; report the first failure and everything after it.
pub async fn consume<C: Channel>(app: &App, channel: &C, event: SqsEvent) -> SqsBatchResponse {
    FifoBatch::in_order(&event.records, |record| deliver(app, channel, record)).await
}

async fn deliver<C: Channel>(app: &App, channel: &C, record: &SqsMessage) -> Result<(), Failure> {
    let body = record.body.as_deref().unwrap_or_default();
    // Unreadable: kept failing, so it ends in the dead-letter queue where it can be read.
    let envelope: Envelope =
        serde_json::from_str(body).map_err(|e| Failure::retry(format!("unreadable message: {e}")))?;
    let receives: u32 = record.attributes.get("ApproximateReceiveCount").and_then(|c| c.parse().ok()).unwrap_or(1);

    match claim(app, &envelope, C::NAME).await? {
        Claim::Claimed => {}
        Claim::Done => {
            tracing::info!(channel = C::NAME, outbox_id = %envelope.id, "already delivered; nothing to do");
            return Ok(());
        }
        // Not acknowledged: if that consumer died, this message comes back after the lease.
        Claim::InFlight => return Err(Failure::retry("another consumer is sending this message")),
    }
    let outcome = match message::prepare(app, &envelope, C::NAME).await {
        Ok(Prepared::Skip(reason)) => {
            finish(app, &envelope, C::NAME, "skipped", "", None, Some(reason)).await?;
            return Ok(());
        }
        Ok(Prepared::Send(rendered)) => channel.send(app, &rendered).await.map(|id| (rendered.recipient.clone(), id)),
        Err(e) => Err(Failure::retry(format!("could not prepare the message: {}", e.detail))),
    };
    match outcome {
        Ok((recipient, provider_id)) => {
            finish(app, &envelope, C::NAME, "sent", &recipient, Some(&provider_id), None).await?;
            tracing::info!(channel = C::NAME, outbox_id = %envelope.id, kind = envelope.kind, provider_id, "sent");
            Ok(())
        }
        Err(failure) if failure.permanent => {
            tracing::warn!(channel = C::NAME, outbox_id = %envelope.id, reason = failure.reason, "rejected for good");
            finish(app, &envelope, C::NAME, "rejected", "", None, Some(&failure.reason)).await?;
            Ok(())
        }
        Err(failure) => {
            // The last receive before the dead-letter queue: the row says so.
            let status = if receives >= C::MAX_RECEIVE_COUNT { "dead" } else { "failed" };
            finish(app, &envelope, C::NAME, status, "", None, Some(&failure.reason)).await?;
            Err(failure)
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum Claim {
    /// Ours to send.
    Claimed,
    /// Sent or skipped already.
    Done,
    /// Another consumer claimed it and its lease is not over.
    InFlight,
}

/// Claim the delivery: a new row, or one that failed, went to the dead-letter queue, or
/// whose consumer's lease ran out.
pub async fn claim(app: &App, envelope: &Envelope, channel: &str) -> Result<Claim, Failure> {
    let now = app.now();
    let stale_before: DateTime<Utc> = now - LEASE;
    let mut tx = app.db.tenant_tx(envelope.business_id).await?;
    let claimed = sqlx::query_scalar!(
        "INSERT INTO deliveries (outbox_id, channel, business_id, kind, status, claimed_at)
         VALUES ($1, $2, $3, $4, 'sending', $5)
         ON CONFLICT (outbox_id, channel) DO UPDATE
            SET status = 'sending', attempts = deliveries.attempts + 1, claimed_at = EXCLUDED.claimed_at,
                detail = NULL, updated_at = now()
          WHERE deliveries.status IN ('failed', 'dead')
             OR (deliveries.status = 'sending' AND deliveries.claimed_at < $6)
         RETURNING attempts",
        envelope.id,
        channel,
        envelope.business_id,
        envelope.kind,
        now,
        stale_before,
    )
    .fetch_optional(&mut *tx)
    .await?;
    let claim = match claimed {
        Some(_) => Claim::Claimed,
        None => {
            let status = sqlx::query_scalar!(
                "SELECT status FROM deliveries WHERE outbox_id = $1 AND channel = $2",
                envelope.id,
                channel
            )
            .fetch_one(&mut *tx)
            .await?;
            if status == "sending" { Claim::InFlight } else { Claim::Done }
        }
    };
    tx.commit().await?;
    Ok(claim)
}

#[allow(clippy::too_many_arguments)]
async fn finish(
    app: &App,
    envelope: &Envelope,
    channel: &str,
    status: &str,
    recipient: &str,
    provider_id: Option<&str>,
    detail: Option<&str>,
) -> Result<(), Failure> {
    let mut tx = app.db.tenant_tx(envelope.business_id).await?;
    sqlx::query!(
        "UPDATE deliveries SET status = $3, recipient = $4, provider_message_id = $5, detail = $6,
                sent_at = CASE WHEN $3 = 'sent' THEN $7::timestamptz END, updated_at = now()
         WHERE outbox_id = $1 AND channel = $2",
        envelope.id,
        channel,
        status,
        recipient,
        provider_id,
        detail,
        app.now(),
    )
    .execute(&mut *tx)
    .await?;
    if envelope.kind == campaigns::events::EMAIL {
        campaigns::message::record_delivery(&mut tx, envelope, status, detail, app.now()).await?;
    }
    if matches!(status, "sent" | "skipped" | "rejected") {
        // A one-time token (reset, verification, invitation) is kept only until its
        // message is out: a copy of the database then holds no usable link.
        sqlx::query!("UPDATE outbox SET payload = payload - 'token' WHERE id = $1 AND payload ? 'token'", envelope.id)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_claim_outlives_its_consumer_and_not_the_queue_visibility() {
        for (op, queue) in [(&crate::email::OP, crate::email::QUEUE), (&crate::whatsapp::OP, crate::whatsapp::QUEUE)] {
            assert!(
                LEASE.num_seconds() > i64::from(op.timeout_seconds),
                "{}: a live consumer keeps its claim",
                op.name
            );
            assert!(
                LEASE.num_seconds() < i64::from(queue.visibility_timeout_seconds),
                "{}: a redelivery finds a dead consumer's claim expired",
                op.name
            );
        }
    }
}
