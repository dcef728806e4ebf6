//! Change a service. Absent fields stay; `price: null` makes it unpriced; `staff_ids`
//! replaces the list of who performs it.

use axum::extract::State;
use axum::routing::patch;
use serde::Deserialize;
use shared::types::{Bounded, Money, Name, Patch, Text};
use shared::{Access, ApiError, ApiResult, App, Auth, Json, Operation, Path, Permission};
use uuid::Uuid;

use crate::model::{self, Service};

pub const OP: Operation = Operation::http(
    "services",
    "services-update",
    "PATCH",
    "/v1/services/{service_id}",
    Access::Can(Permission::ManageServices),
    "Change a service",
    || patch(handler),
);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateService {
    pub name: Option<Name>,
    pub description: Option<Text>,
    pub duration_minutes: Option<Bounded<5, 1440>>,
    pub buffer_before_minutes: Option<Bounded<0, 240>>,
    pub buffer_after_minutes: Option<Bounded<0, 240>>,
    #[serde(default)]
    pub price: Patch<Money>,
    pub active: Option<bool>,
    pub staff_ids: Option<Vec<Uuid>>,
}

async fn handler(
    auth: Auth,
    State(app): State<App>,
    Path(service_id): Path<Uuid>,
    Json(req): Json<UpdateService>,
) -> ApiResult<Json<Service>> {
    let mut tx = app.db.tenant_tx(auth.business_id).await?;
    let price = req.price.into_change();
    let new_price = price.as_ref().and_then(Option::as_ref);
    let updated = sqlx::query!(
        "UPDATE services SET
            name = COALESCE($2, name),
            description = COALESCE($3, description),
            duration_minutes = COALESCE($4, duration_minutes),
            buffer_before_minutes = COALESCE($5, buffer_before_minutes),
            buffer_after_minutes = COALESCE($6, buffer_after_minutes),
            price_amount = CASE WHEN $7 THEN $8 ELSE price_amount END,
            price_currency = CASE WHEN $7 THEN $9 ELSE price_currency END,
            active = COALESCE($10, active),
            updated_at = now()
         WHERE id = $1 AND deleted_at IS NULL",
        service_id,
        req.name.as_ref().map(AsRef::as_ref),
        req.description.as_ref().map(AsRef::as_ref),
        req.duration_minutes.map(|v| v.get()),
        req.buffer_before_minutes.map(|v| v.get()),
        req.buffer_after_minutes.map(|v| v.get()),
        price.is_some(),
        new_price.map(|p| p.amount.get()),
        new_price.map(|p| p.currency.as_ref()),
        req.active,
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if updated == 0 {
        return Err(ApiError::not_found("service"));
    }
    if let Some(staff_ids) = &req.staff_ids {
        model::set_staff(&mut tx, auth.business_id, service_id, staff_ids).await?;
    }
    let service = model::fetch(&mut tx, service_id).await?;
    tx.commit().await?;
    Ok(Json(service))
}
