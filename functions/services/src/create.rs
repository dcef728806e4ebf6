//! Add a service and say who performs it. Honours `Idempotency-Key`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::post;
use serde::{Deserialize, Serialize};
use shared::types::{Bounded, Money, Name, Text};
use shared::{Access, ApiResult, App, Auth, IdempotencyKey, Json, Operation, Permission, idempotency};
use uuid::Uuid;

use crate::model;

const NAME: &str = "services-create";

pub const OP: Operation =
    Operation::http("services", NAME, "POST", "/v1/services", Access::Owner, "Add a service", || post(handler));

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateService {
    pub name: Name,
    pub description: Option<Text>,
    pub duration_minutes: Bounded<5, 1440>,
    pub buffer_before_minutes: Option<Bounded<0, 240>>,
    pub buffer_after_minutes: Option<Bounded<0, 240>>,
    pub price: Option<Money>,
    pub staff_ids: Vec<Uuid>,
}

async fn handler(
    auth: Auth,
    State(app): State<App>,
    key: IdempotencyKey,
    Json(req): Json<CreateService>,
) -> ApiResult<Response> {
    auth.require(Permission::ManageServices)?;
    let mut tx = app.db.tenant_tx(auth.business_id).await?;
    let claim = match idempotency::begin(&mut tx, auth.business_id, key, NAME, &req, app.now()).await? {
        Ok(claim) => claim,
        Err(replay) => return Ok(replay),
    };
    let id = Uuid::now_v7();
    sqlx::query!(
        "INSERT INTO services (id, business_id, name, description, duration_minutes, buffer_before_minutes,
                               buffer_after_minutes, price_amount, price_currency)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        id,
        auth.business_id,
        req.name.as_ref(),
        req.description.as_ref().map(AsRef::as_ref).unwrap_or(""),
        req.duration_minutes.get(),
        req.buffer_before_minutes.map_or(0, |b| b.get()),
        req.buffer_after_minutes.map_or(0, |b| b.get()),
        req.price.as_ref().map(|p| p.amount.get()),
        req.price.as_ref().map(|p| p.currency.as_ref()),
    )
    .execute(&mut *tx)
    .await?;
    model::set_staff(&mut tx, auth.business_id, id, &req.staff_ids).await?;
    let service = model::fetch(&mut tx, id).await?;
    let response = claim.finish(&mut tx, StatusCode::CREATED, &service).await?;
    tx.commit().await?;
    Ok(response)
}
