//! Send a draft campaign: snapshot its audience (customers who consented to marketing and
//! did not unsubscribe, as they are now) and start the chain of batches that hands them to
//! the email queue. Answers 202; `campaigns-stats` shows the progress.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use shared::{Access, ApiError, ApiResult, App, Auth, Json, Operation, Path, Permission, outbox};
use uuid::Uuid;

use crate::events::{BATCH, Batch};
use crate::model::{self, Campaign, Status};

pub const OP: Operation = Operation::http(
    "campaigns",
    "campaigns-send",
    "POST",
    "/v1/campaigns/{campaign_id}/send",
    Access::Can(Permission::ManageCampaigns),
    "Send a campaign",
    || post(handler),
)
.publishes(&[BATCH]);

async fn handler(
    auth: Auth,
    State(app): State<App>,
    Path(campaign_id): Path<Uuid>,
) -> ApiResult<(StatusCode, Json<Campaign>)> {
    let now = app.now();
    let mut tx = app.db.tenant_tx(auth.business_id).await?;
    let c = sqlx::query!(
        r#"SELECT status AS "status: Status", audience, audience_service_id, audience_days, audience_tag
           FROM campaigns WHERE id = $1 FOR UPDATE"#,
        campaign_id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| ApiError::not_found("campaign"))?;
    if c.status != Status::Draft {
        return Err(ApiError::conflict("CAMPAIGN_NOT_DRAFT", "only a draft campaign can be sent"));
    }
    // One statement: the audience as it stands at this instant.
    let recipients = sqlx::query!(
        "INSERT INTO campaign_recipients (id, campaign_id, business_id, customer_id)
         SELECT gen_random_uuid(), $1, c.business_id, c.id FROM customers c
         WHERE c.marketing_consent AND c.marketing_unsubscribed_at IS NULL
           AND ($2 <> 'service' OR EXISTS (
                SELECT 1 FROM appointments a
                WHERE a.customer_id = c.id AND a.service_id = $3 AND a.status <> 'cancelled'))
           AND ($2 <> 'lapsed' OR (
                EXISTS (SELECT 1 FROM appointments a
                        WHERE a.customer_id = c.id AND a.status <> 'cancelled' AND a.starts_at <= $5)
                AND NOT EXISTS (SELECT 1 FROM appointments a
                        WHERE a.customer_id = c.id AND a.status <> 'cancelled'
                          AND a.starts_at > $5 - make_interval(days => $4))))
           AND ($2 <> 'tag' OR $6 = ANY (c.tags))",
        campaign_id,
        c.audience,
        c.audience_service_id,
        c.audience_days.unwrap_or(0),
        now,
        c.audience_tag.as_deref().unwrap_or("")
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    let recipients = i32::try_from(recipients).map_err(ApiError::internal)?;
    let zone = sqlx::query_scalar!("SELECT time_zone FROM businesses WHERE id = $1", auth.business_id)
        .fetch_one(&mut *tx)
        .await?;
    let zone: chrono_tz::Tz = zone.parse().map_err(ApiError::internal)?;
    shared::plan::count_campaign_emails(&mut tx, auth.business_id, zone, now, recipients).await?;
    sqlx::query!(
        "UPDATE campaigns SET status = 'sending', recipients = $2, send_started_at = $3, batches = 1,
                updated_at = now()
         WHERE id = $1",
        campaign_id,
        recipients,
        now
    )
    .execute(&mut *tx)
    .await?;
    outbox::push(&mut tx, auth.business_id, &Batch { campaign_id, number: 1 }).await?;
    let campaign = model::fetch(&mut tx, campaign_id).await?;
    tx.commit().await?;
    tracing::info!(%campaign_id, recipients, "campaign sending started");
    Ok((StatusCode::ACCEPTED, Json(campaign)))
}
