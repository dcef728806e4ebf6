//! Add a service and say who performs it. Honours `Idempotency-Key`.

use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::post;
use serde::{Deserialize, Serialize};
use shared::idempotency::Create;
use shared::types::{Bounded, Money, Name, Text};
use shared::{Access, ApiResult, Operation, Permission};
use uuid::Uuid;

use crate::model;

const NAME: &str = "services-create";

pub const OP: Operation = Operation::http(
    "services",
    NAME,
    "POST",
    "/v1/services",
    Access::Can(Permission::ManageServices),
    "Add a service",
    || post(handler),
);

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

async fn handler(Create { business_id, request: req, mut tx, claim }: Create<CreateService>) -> ApiResult<Response> {
    let id = Uuid::now_v7();
    sqlx::query!(
        "INSERT INTO services (id, business_id, name, description, duration_minutes, buffer_before_minutes,
                               buffer_after_minutes, price_amount, price_currency)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        id,
        business_id,
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
    model::set_staff(&mut tx, business_id, id, &req.staff_ids).await?;
    let service = model::fetch(&mut tx, id).await?;
    claim.commit(tx, StatusCode::CREATED, &service).await
}
