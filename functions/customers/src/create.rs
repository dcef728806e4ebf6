//! Add a customer. Honours `Idempotency-Key`.

use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::post;
use serde::{Deserialize, Serialize};
use shared::idempotency::Create;
use shared::types::{Email, Name, Phone, Text};
use shared::{Access, ApiResult, Operation, Permission};
use uuid::Uuid;

use crate::model;

const NAME: &str = "customers-create";

pub const OP: Operation = Operation::http(
    "customers",
    NAME,
    "POST",
    "/v1/customers",
    Access::Can(Permission::ManageCustomers),
    "Add a customer",
    || post(handler),
);

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

async fn handler(Create { business_id, request: req, mut tx, claim }: Create<CreateCustomer>) -> ApiResult<Response> {
    let id = Uuid::now_v7();
    sqlx::query!(
        "INSERT INTO customers (id, business_id, name, email, phone, whatsapp_opt_in, notes)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        id,
        business_id,
        req.name.as_ref(),
        req.email.as_ref(),
        req.phone.as_ref().map(AsRef::as_ref),
        req.whatsapp_opt_in,
        req.notes.as_ref().map(AsRef::as_ref).unwrap_or("")
    )
    .execute(&mut *tx)
    .await?;
    let customer = model::fetch(&mut tx, id).await?;
    claim.commit(tx, StatusCode::CREATED, &customer).await
}
