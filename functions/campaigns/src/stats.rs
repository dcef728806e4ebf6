//! Where a campaign's sending stands: how many recipients are still to be handed to the
//! email queue, queued, sent, failed, skipped (consent withdrawn before their email went
//! out) and unsubscribed through it, with the campaign's timestamps.

use axum::extract::State;
use axum::routing::get;
use chrono::{DateTime, Utc};
use serde::Serialize;
use shared::{Access, ApiError, ApiResult, App, Auth, Json, Operation, Path, Permission};
use uuid::Uuid;

use crate::model::Status;

pub const OP: Operation = Operation::http(
    "campaigns",
    "campaigns-stats",
    "GET",
    "/v1/campaigns/{campaign_id}/stats",
    Access::Can(Permission::ManageCampaigns),
    "A campaign's delivery figures",
    || get(handler),
);

#[derive(Debug, Serialize)]
pub struct Stats {
    pub campaign_id: Uuid,
    pub status: Status,
    pub recipients: i64,
    /// Not yet handed to the email queue.
    pub pending: i64,
    /// Handed over, not delivered yet.
    pub queued: i64,
    pub sent: i64,
    pub failed: i64,
    pub skipped: i64,
    pub unsubscribed: i64,
    pub send_started_at: Option<DateTime<Utc>>,
    /// When every recipient had been handed to the email queue.
    pub sent_at: Option<DateTime<Utc>>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub first_delivered_at: Option<DateTime<Utc>>,
    pub last_delivered_at: Option<DateTime<Utc>>,
}

async fn handler(auth: Auth, State(app): State<App>, Path(campaign_id): Path<Uuid>) -> ApiResult<Json<Stats>> {
    let mut tx = app.db.tenant_tx(auth.business_id).await?;
    let s = sqlx::query!(
        r#"SELECT c.status AS "status: Status", c.send_started_at, c.sent_at, c.cancelled_at,
                  count(r.id) AS "recipients!",
                  count(r.id) FILTER (WHERE r.status = 'pending') AS "pending!",
                  count(r.id) FILTER (WHERE r.status = 'queued') AS "queued!",
                  count(r.id) FILTER (WHERE r.status = 'sent') AS "sent!",
                  count(r.id) FILTER (WHERE r.status = 'failed') AS "failed!",
                  count(r.id) FILTER (WHERE r.status = 'skipped') AS "skipped!",
                  count(r.unsubscribed_at) AS "unsubscribed!",
                  min(r.delivered_at) AS first_delivered_at, max(r.delivered_at) AS last_delivered_at
           FROM campaigns c LEFT JOIN campaign_recipients r ON r.campaign_id = c.id
           WHERE c.id = $1
           GROUP BY c.id"#,
        campaign_id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| ApiError::not_found("campaign"))?;
    tx.commit().await?;
    Ok(Json(Stats {
        campaign_id,
        status: s.status,
        recipients: s.recipients,
        pending: s.pending,
        queued: s.queued,
        sent: s.sent,
        failed: s.failed,
        skipped: s.skipped,
        unsubscribed: s.unsubscribed,
        send_started_at: s.send_started_at,
        sent_at: s.sent_at,
        cancelled_at: s.cancelled_at,
        first_delivered_at: s.first_delivered_at,
        last_delivered_at: s.last_delivered_at,
    }))
}
