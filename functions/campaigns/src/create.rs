//! Write a campaign (a draft until it is sent). Honours `Idempotency-Key`.

use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::post;
use serde::{Deserialize, Serialize};
use shared::db::Tx;
use shared::idempotency::Create;
use shared::types::Name;
use shared::{Access, ApiError, ApiResult, Operation, Permission};
use uuid::Uuid;

use crate::model::{self, Audience, AudienceInput, Body, Subject};

pub const OP: Operation = Operation::http(
    "campaigns",
    "campaigns-create",
    "POST",
    "/v1/campaigns",
    Access::Can(Permission::ManageCampaigns),
    "Write a campaign",
    || post(handler),
);

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateCampaign {
    pub name: Name,
    pub subject: Subject,
    pub body: Body,
    pub audience: AudienceInput,
}

async fn handler(Create { business_id, request: req, mut tx, claim }: Create<CreateCampaign>) -> ApiResult<Response> {
    let audience = req.audience.audience()?;
    check_audience(&mut tx, &audience).await?;
    let id = Uuid::now_v7();
    let (kind, service_id, days, tag) = audience.columns();
    sqlx::query!(
        "INSERT INTO campaigns (id, business_id, name, subject, body, audience, audience_service_id, audience_days,
                                audience_tag)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        id,
        business_id,
        req.name.as_ref(),
        req.subject.as_ref(),
        req.body.as_ref(),
        kind,
        service_id,
        days,
        tag
    )
    .execute(&mut *tx)
    .await?;
    let campaign = model::fetch(&mut tx, id).await?;
    claim.commit(tx, StatusCode::CREATED, &campaign).await
}

/// An audience by service names one of the business's services.
pub async fn check_audience(tx: &mut Tx, audience: &Audience) -> ApiResult<()> {
    if let Audience::Service { service_id } = audience {
        let found =
            sqlx::query_scalar!("SELECT id FROM services WHERE id = $1", service_id).fetch_optional(&mut **tx).await?;
        if found.is_none() {
            return Err(ApiError::validation("audience.service_id", "is not one of this business's services"));
        }
    }
    Ok(())
}
