//! Add an intake form (its first version) and the services that ask for it. Honours
//! `Idempotency-Key`.

use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::post;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use shared::idempotency::Create;
use shared::types::Name;
use shared::{Access, ApiError, ApiResult, Operation, Permission};
use uuid::Uuid;

use crate::{definition, model};

const NAME: &str = "forms-create";

pub const OP: Operation = Operation::http(
    "forms",
    NAME,
    "POST",
    "/v1/forms",
    Access::Can(Permission::ManageForms),
    "Add an intake form",
    || post(handler),
);

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateForm {
    pub name: Name,
    /// Checked by [`definition::parse`], which names every fault at its path.
    pub fields: Vec<Value>,
    #[serde(default)]
    pub service_ids: Vec<Uuid>,
}

async fn handler(Create { business_id, request: req, mut tx, claim }: Create<CreateForm>) -> ApiResult<Response> {
    let fields = definition::parse(&req.fields).map_err(ApiError::invalid_fields)?;
    let id = Uuid::now_v7();
    // The form's row names its first version, which the deferred key finds at commit.
    sqlx::query!("INSERT INTO forms (id, business_id, version) VALUES ($1, $2, 1)", id, business_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query!(
        "INSERT INTO form_versions (business_id, form_id, version, name, fields) VALUES ($1, $2, 1, $3, $4)",
        business_id,
        id,
        req.name.as_ref(),
        definition::to_json(&fields)
    )
    .execute(&mut *tx)
    .await?;
    model::set_services(&mut tx, business_id, id, &req.service_ids).await?;
    let form = model::fetch(&mut tx, id).await?;
    claim.commit(tx, StatusCode::CREATED, &form).await
}
