//! Change a customer. Absent fields stay; `phone: null` clears the phone.

use axum::extract::State;
use axum::routing::patch;
use serde::Deserialize;
use shared::types::{Email, Name, Patch, Phone, Tag, Text};
use shared::{Access, ApiError, ApiResult, App, Auth, Json, Operation, Path, Permission};
use uuid::Uuid;

use crate::model::{self, Customer};

pub const OP: Operation = Operation::http(
    "customers",
    "customers-update",
    "PATCH",
    "/v1/customers/{customer_id}",
    Access::Can(Permission::ManageCustomers),
    "Change a customer",
    || patch(handler),
);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateCustomer {
    pub name: Option<Name>,
    pub email: Option<Email>,
    #[serde(default)]
    pub phone: Patch<Phone>,
    pub whatsapp_opt_in: Option<bool>,
    pub notes: Option<Text>,
    /// Recorded by staff, with who and when; giving it again undoes an unsubscribe.
    pub marketing_consent: Option<bool>,
    /// Replaces the tags.
    pub tags: Option<Vec<Tag>>,
}

async fn handler(
    auth: Auth,
    State(app): State<App>,
    Path(customer_id): Path<Uuid>,
    Json(req): Json<UpdateCustomer>,
) -> ApiResult<Json<Customer>> {
    let mut tx = app.db.tenant_tx(auth.business_id).await?;
    let (set_phone, phone) = req.phone.sql();
    let tags = req.tags.as_deref().map(model::tags).transpose()?;
    let updated = sqlx::query!(
        "UPDATE customers SET
            name = COALESCE($2, name),
            email = COALESCE($3, email),
            phone = CASE WHEN $4 THEN $5 ELSE phone END,
            whatsapp_opt_in = COALESCE($6, whatsapp_opt_in),
            notes = COALESCE($7, notes),
            tags = COALESCE($8, tags),
            marketing_unsubscribed_at = CASE WHEN $9 THEN NULL ELSE marketing_unsubscribed_at END,
            marketing_consent_source = CASE WHEN $9 IS DISTINCT FROM marketing_consent AND $9 IS NOT NULL
                THEN 'staff' ELSE marketing_consent_source END,
            marketing_consent_changed_at = CASE WHEN $9 IS DISTINCT FROM marketing_consent AND $9 IS NOT NULL
                THEN $10 ELSE marketing_consent_changed_at END,
            marketing_consent_changed_by = CASE WHEN $9 IS DISTINCT FROM marketing_consent AND $9 IS NOT NULL
                THEN $11 ELSE marketing_consent_changed_by END,
            marketing_consent = COALESCE($9, marketing_consent),
            updated_at = now()
         WHERE id = $1",
        customer_id,
        req.name.as_ref().map(AsRef::as_ref),
        req.email.as_ref().map(AsRef::as_ref),
        set_phone,
        phone,
        req.whatsapp_opt_in,
        req.notes.as_ref().map(AsRef::as_ref),
        tags.as_deref(),
        req.marketing_consent,
        app.now(),
        auth.user_id
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if updated == 0 {
        return Err(ApiError::not_found("customer"));
    }
    let customer = model::fetch(&mut tx, customer_id).await?;
    tx.commit().await?;
    Ok(Json(customer))
}
