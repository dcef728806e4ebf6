//! Change the business profile. Absent fields stay; `null` clears an optional one.

use axum::extract::State;
use axum::routing::patch;
use serde::Deserialize;
use shared::types::{Currency, Email, Locale, Name, Patch, Phone, Text, Url};
use shared::{Access, ApiResult, App, Auth, Json, Operation, Permission};

use crate::model::{self, Business};

pub const OP: Operation = Operation::http(
    "business",
    "business-update",
    "PATCH",
    "/v1/business",
    Access::Can(Permission::ManageBusiness),
    "Change the business profile",
    || patch(handler),
);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateBusiness {
    pub name: Option<Name>,
    pub description: Option<Text>,
    #[serde(default)]
    pub email: Patch<Email>,
    #[serde(default)]
    pub phone: Patch<Phone>,
    #[serde(default)]
    pub website: Patch<Url>,
    pub locale: Option<Locale>,
    pub currency: Option<Currency>,
}

async fn handler(auth: Auth, State(app): State<App>, Json(req): Json<UpdateBusiness>) -> ApiResult<Json<Business>> {
    let mut tx = app.db.tenant_tx(auth.business_id).await?;
    let (set_email, email) = req.email.sql();
    let (set_phone, phone) = req.phone.sql();
    let (set_website, website) = req.website.sql();
    sqlx::query!(
        "UPDATE businesses SET
            name = COALESCE($2, name),
            description = COALESCE($3, description),
            email = CASE WHEN $4 THEN $5 ELSE email END,
            phone = CASE WHEN $6 THEN $7 ELSE phone END,
            website = CASE WHEN $8 THEN $9 ELSE website END,
            locale = COALESCE($10, locale),
            currency = COALESCE($11, currency),
            updated_at = now()
         WHERE id = $1",
        auth.business_id,
        req.name.as_ref().map(AsRef::as_ref),
        req.description.as_ref().map(AsRef::as_ref),
        set_email,
        email,
        set_phone,
        phone,
        set_website,
        website,
        req.locale.as_ref().map(AsRef::as_ref),
        req.currency.as_ref().map(AsRef::as_ref),
    )
    .execute(&mut *tx)
    .await?;
    let business = model::fetch(&mut tx, auth.business_id).await?;
    tx.commit().await?;
    Ok(Json(business))
}
