//! Add a customer. Honours `Idempotency-Key`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::post;
use serde::{Deserialize, Serialize};
use shared::types::{Email, Name, Phone, Text};
use shared::{Access, ApiResult, App, Auth, IdempotencyKey, Json, Operation, Permission, idempotency};
use uuid::Uuid;

use crate::model;

const NAME: &str = "customers-create";

pub const OP: Operation =
    Operation::http("customers", NAME, "POST", "/v1/customers", Access::Staff, "Add a customer", || post(handler));

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateCustomer {
    pub name: Name,
    pub email: Email,
    pub phone: Option<Phone>,
    #[serde(default)]
    pub whatsapp_opt_in: bool,
    pub notes: Option<Text>,
}

async fn handler(
    auth: Auth,
    State(app): State<App>,
    key: IdempotencyKey,
    Json(req): Json<CreateCustomer>,
) -> ApiResult<Response> {
    auth.require(Permission::ManageCustomers)?;
    let mut tx = app.db.tenant_tx(auth.business_id).await?;
    let claim = match idempotency::begin(&mut tx, auth.business_id, key, NAME, &req, app.now()).await? {
        Ok(claim) => claim,
        Err(replay) => return Ok(replay),
    };
    let id = Uuid::now_v7();
    sqlx::query!(
        "INSERT INTO customers (id, business_id, name, email, phone, whatsapp_opt_in, notes)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        id,
        auth.business_id,
        req.name.as_ref(),
        req.email.as_ref(),
        req.phone.as_ref().map(AsRef::as_ref),
        req.whatsapp_opt_in,
        req.notes.as_ref().map(AsRef::as_ref).unwrap_or("")
    )
    .execute(&mut *tx)
    .await?;
    let customer = model::fetch(&mut tx, id).await?;
    let response = claim.finish(&mut tx, StatusCode::CREATED, &customer).await?;
    tx.commit().await?;
    Ok(response)
}
