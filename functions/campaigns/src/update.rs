//! Change a draft campaign, or cancel one (a draft, or one still sending: what is not yet
//! sent is not sent). Absent fields stay.

use axum::extract::State;
use axum::routing::patch;
use serde::Deserialize;
use shared::types::Name;
use shared::{Access, ApiError, ApiResult, App, Auth, Json, Operation, Path, Permission};
use uuid::Uuid;

use crate::create::check_audience;
use crate::model::{self, AudienceInput, Body, Campaign, Status, Subject};

pub const OP: Operation = Operation::http(
    "campaigns",
    "campaigns-update",
    "PATCH",
    "/v1/campaigns/{campaign_id}",
    Access::Can(Permission::ManageCampaigns),
    "Change or cancel a campaign",
    || patch(handler),
);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateCampaign {
    pub name: Option<Name>,
    pub subject: Option<Subject>,
    pub body: Option<Body>,
    pub audience: Option<AudienceInput>,
    /// Only `cancelled`.
    pub status: Option<Cancel>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cancel {
    Cancelled,
}

async fn handler(
    auth: Auth,
    State(app): State<App>,
    Path(campaign_id): Path<Uuid>,
    Json(req): Json<UpdateCampaign>,
) -> ApiResult<Json<Campaign>> {
    let mut tx = app.db.tenant_tx(auth.business_id).await?;
    let status = sqlx::query_scalar!(
        r#"SELECT status AS "status: Status" FROM campaigns WHERE id = $1 FOR UPDATE"#,
        campaign_id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| ApiError::not_found("campaign"))?;
    let edits = req.name.is_some() || req.subject.is_some() || req.body.is_some() || req.audience.is_some();
    if edits && status != Status::Draft {
        return Err(ApiError::conflict("CAMPAIGN_NOT_DRAFT", "only a draft campaign can be changed"));
    }
    if req.status.is_some() && !matches!(status, Status::Draft | Status::Sending) {
        return Err(ApiError::conflict("CAMPAIGN_FINISHED", "this campaign has been sent or cancelled already"));
    }
    let audience = req.audience.as_ref().map(AudienceInput::audience).transpose()?;
    if let Some(audience) = &audience {
        check_audience(&mut tx, audience).await?;
    }
    let (set_audience, (kind, service_id, days, tag)) = match &audience {
        Some(a) => (true, a.columns()),
        None => (false, ("all", None, None, None)),
    };
    sqlx::query!(
        "UPDATE campaigns SET
            name = COALESCE($2, name),
            subject = COALESCE($3, subject),
            body = COALESCE($4, body),
            audience = CASE WHEN $5 THEN $6 ELSE audience END,
            audience_service_id = CASE WHEN $5 THEN $7 ELSE audience_service_id END,
            audience_days = CASE WHEN $5 THEN $8 ELSE audience_days END,
            audience_tag = CASE WHEN $5 THEN $9 ELSE audience_tag END,
            status = CASE WHEN $10 THEN 'cancelled' ELSE status END,
            cancelled_at = CASE WHEN $10 THEN $11 ELSE cancelled_at END,
            updated_at = now()
         WHERE id = $1",
        campaign_id,
        req.name.as_ref().map(AsRef::as_ref),
        req.subject.as_ref().map(AsRef::as_ref),
        req.body.as_ref().map(AsRef::as_ref),
        set_audience,
        kind,
        service_id,
        days,
        tag,
        req.status.is_some(),
        app.now()
    )
    .execute(&mut *tx)
    .await?;
    if req.status.is_some() {
        tracing::info!(%campaign_id, was = ?status, "campaign cancelled");
    }
    let campaign = model::fetch(&mut tx, campaign_id).await?;
    tx.commit().await?;
    Ok(Json(campaign))
}
