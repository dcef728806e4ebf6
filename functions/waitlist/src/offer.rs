//! waitlist-offer: when an appointment is cancelled, offer its time to the customers
//! waiting for that service (and that staff member, or anyone) on that day, in the order
//! they joined. The first few get a link that expires; the first to claim it books it
//! (the claim checks the time is still free, so the others get 409 `SLOT_TAKEN`).

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use chrono::{DateTime, Duration, Utc};
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use serde::Deserialize;
use shared::lambda::FifoBatch;
use shared::operation::Queue;
use shared::outbox::{self, Envelope};
use shared::{ApiError, ApiResult, App, Operation};
use uuid::Uuid;

use appointments::booking::{SlotError, Wanted, free_staff};
use appointments::events::{CANCELLED, Payload};
use availability::slots;

use crate::events::{OFFERED, Offered};

pub const OP: Operation = Operation::sqs(
    "waitlist",
    "waitlist-offer",
    &QUEUE,
    "Offer a cancelled appointment's time to the waitlist",
    consume,
)
.subscribes(&[CANCELLED])
.publishes(&[OFFERED]);

/// The cancellations this function has still to look at.
pub const QUEUE: Queue = Queue::new("waitlist-offer", "waitlist-offer-dlq");

/// How many waiting customers are offered one freed time at once.
pub const OFFERS_PER_SLOT: i64 = 3;
/// How long an offer holds (never past the business's minimum notice before the start).
pub const OFFER_TTL: Duration = Duration::hours(2);

/// The cancelled appointment, as `appointment.cancelled` carries it.
#[derive(Debug, Deserialize)]
struct Cancelled {
    id: Uuid,
    service_id: Uuid,
    staff_id: Uuid,
    start: DateTime<Utc>,
}

fn consume(app: App, event: SqsEvent) -> BoxFuture<'static, SqsBatchResponse> {
    async move { FifoBatch::in_order(&event.records, |record| handle(&app, record)).await }.boxed()
}

async fn handle(app: &App, record: &SqsMessage) -> ApiResult<()> {
    let envelope = Envelope::of_record(record)?;
    if envelope.kind != CANCELLED {
        return Ok(());
    }
    let Payload { appointment: cancelled } =
        serde_json::from_value::<Payload<Cancelled>>(envelope.payload).map_err(ApiError::internal)?;
    let offered = offer(app, envelope.business_id, &cancelled).await?;
    if offered > 0 {
        tracing::info!(appointment_id = %cancelled.id, offered, "offered a freed time to the waitlist");
        // The offers are committed: a failure to publish now is the relay's to repair.
        if let Err(e) = outbox::publish_business(app, envelope.business_id, OP.publishes).await {
            tracing::warn!(error = %e, "publishing the offers failed; the relay will send them");
        }
    }
    Ok(())
}

/// Offer the time to the first waiting customers; returns how many were offered it.
async fn offer(app: &App, business_id: Uuid, c: &Cancelled) -> ApiResult<usize> {
    let now = app.now();
    let mut tx = app.db.tenant_tx(business_id).await?;
    // Once per cancelled appointment, however often the event arrives.
    let first = sqlx::query!(
        "INSERT INTO waitlist_offer_rounds (business_id, appointment_id, offered) VALUES ($1, $2, 0)
         ON CONFLICT DO NOTHING",
        business_id,
        c.id
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if first == 0 {
        return Ok(0);
    }
    let Some(rules) = slots::live_service_rules(&mut tx, c.service_id).await? else {
        tx.commit().await?;
        return Ok(0); // the service is gone
    };
    // Still bookable online (notice, staff hours, nobody took it meanwhile)?
    let wanted = Wanted { service_id: c.service_id, staff_id: Some(c.staff_id), start: c.start };
    match free_staff(app, &mut tx, &rules, wanted).await {
        Ok(_) => {}
        Err(SlotError::Failed(e)) => return Err(e),
        // Taken again, or no longer offered (notice, hours): nothing to offer.
        Err(_) => {
            tx.commit().await?;
            return Ok(0);
        }
    }
    let expires = (now + OFFER_TTL).min(c.start - rules.min_notice);
    if expires <= now {
        tx.commit().await?;
        return Ok(0);
    }
    let local_day = c.start.with_timezone(&rules.tz).date_naive();
    let entries = sqlx::query_scalar!(
        "SELECT id FROM waitlist_entries
         WHERE service_id = $1 AND (staff_id IS NULL OR staff_id = $2) AND $3 BETWEEN from_date AND to_date
           AND (status = 'waiting' OR (status = 'offered' AND offer_expires_at <= $4))
         ORDER BY created_at, id
         LIMIT $5
         FOR UPDATE SKIP LOCKED",
        c.service_id,
        c.staff_id,
        local_day,
        now,
        OFFERS_PER_SLOT,
    )
    .fetch_all(&mut *tx)
    .await?;
    for entry_id in &entries {
        sqlx::query!(
            "UPDATE waitlist_entries SET status = 'offered', offered_start = $2, offered_staff_id = $3,
                    offer_expires_at = $4, updated_at = now()
             WHERE id = $1",
            entry_id,
            c.start,
            c.staff_id,
            expires,
        )
        .execute(&mut *tx)
        .await?;
        // The claim link is minted when the message is sent, not stored here.
        let offered = Offered { entry_id: *entry_id, start: c.start, expires_at: expires, freed_by: c.id };
        outbox::push(&mut tx, business_id, &offered).await?;
    }
    sqlx::query!("UPDATE waitlist_offer_rounds SET offered = $2 WHERE appointment_id = $1", c.id, entries.len() as i32)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(entries.len())
}
