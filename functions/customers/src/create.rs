//! Add a customer. Honours `Idempotency-Key`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::post;
use serde::{Deserialize, Serialize};
use shared::idempotency::Create;
use shared::types::{Email, Name, Phone, Tag, Text};
use shared::{Access, ApiResult, App, Auth, Operation, Permission};
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
    /// Recorded by staff: the customer agreed to hear about offers.
    #[serde(default)]
    pub marketing_consent: bool,
    #[serde(default)]
    pub tags: Vec<Tag>,
}

async fn handler(
    auth: Auth,
    State(app): State<App>,
    Create { business_id, request: req, mut tx, claim }: Create<CreateCustomer>,
) -> ApiResult<Response> {
    let id = Uuid::now_v7();
    let tags = model::tags(&req.tags)?;
    sqlx::query!(
        "INSERT INTO customers (id, business_id, name, email, phone, whatsapp_opt_in, notes, tags, marketing_consent,
                                marketing_consent_source, marketing_consent_changed_at, marketing_consent_changed_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9,
                 CASE WHEN $9 THEN 'staff' END, CASE WHEN $9 THEN $10::timestamptz END, CASE WHEN $9 THEN $11::uuid END)",
        id,
        business_id,
        req.name.as_ref(),
        req.email.as_ref(),
        req.phone.as_ref().map(AsRef::as_ref),
        req.whatsapp_opt_in,
        req.notes.as_ref().map(AsRef::as_ref).unwrap_or(""),
        &tags,
        req.marketing_consent,
        app.now(),
        auth.user_id
    )
    .execute(&mut *tx)
    .await?;
    let customer = model::fetch(&mut tx, id).await?;
    claim.commit(tx, StatusCode::CREATED, &customer).await
}
