//! Change a location. Absent fields stay; `null` clears the phone.

use axum::extract::State;
use axum::routing::patch;
use serde::Deserialize;
use shared::types::{Country, Name, Patch, Phone};
use shared::{Access, ApiError, ApiResult, App, Auth, Json, Operation, Path, Permission};
use uuid::Uuid;

use crate::model::{self, Location};

pub const OP: Operation = Operation::http(
    "locations",
    "locations-update",
    "PATCH",
    "/v1/locations/{location_id}",
    Access::Can(Permission::ManageLocations),
    "Change a location",
    || patch(handler),
);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateLocation {
    pub name: Option<Name>,
    pub address_line1: Option<Name>,
    pub address_line2: Option<Name>,
    pub city: Option<Name>,
    pub postal_code: Option<Name>,
    pub country: Option<Country>,
    #[serde(default)]
    pub phone: Patch<Phone>,
}

async fn handler(
    auth: Auth,
    State(app): State<App>,
    Path(location_id): Path<Uuid>,
    Json(req): Json<UpdateLocation>,
) -> ApiResult<Json<Location>> {
    let mut tx = app.db.tenant_tx(auth.business_id).await?;
    let (set_phone, phone) = req.phone.sql();
    let text = |v: &Option<Name>| v.as_ref().map(|n| n.as_ref().to_owned());
    let updated = sqlx::query!(
        "UPDATE locations SET
            name = COALESCE($2, name),
            address_line1 = COALESCE($3, address_line1),
            address_line2 = COALESCE($4, address_line2),
            city = COALESCE($5, city),
            postal_code = COALESCE($6, postal_code),
            country = COALESCE($7, country),
            phone = CASE WHEN $8 THEN $9 ELSE phone END,
            updated_at = now()
         WHERE id = $1 AND deleted_at IS NULL",
        location_id,
        req.name.as_ref().map(AsRef::as_ref),
        text(&req.address_line1),
        text(&req.address_line2),
        text(&req.city),
        text(&req.postal_code),
        req.country.as_ref().map(AsRef::as_ref),
        set_phone,
        phone,
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if updated == 0 {
        return Err(ApiError::not_found("location"));
    }
    let location = model::fetch(&mut tx, location_id).await?;
    tx.commit().await?;
    Ok(Json(location))
}
