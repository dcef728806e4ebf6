//! Change a staff member. Absent fields stay; `null` clears phone or location.

use auth::onetime::{Purpose, Subject};
use axum::extract::State;
use axum::routing::patch;
use serde::Deserialize;
use shared::types::{Email, Name, Patch, Phone, Text};
use shared::{Access, ApiError, ApiResult, App, Auth, Json, Operation, Path, Permission};
use uuid::Uuid;

use crate::model::{self, Staff};

pub const OP: Operation = Operation::http(
    "staff",
    "staff-update",
    "PATCH",
    "/v1/staff/{staff_id}",
    Access::Can(Permission::ManageStaff),
    "Change a staff member",
    || patch(handler),
);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateStaff {
    pub name: Option<Name>,
    pub email: Option<Email>,
    #[serde(default)]
    pub phone: Patch<Phone>,
    pub title: Option<Name>,
    pub bio: Option<Text>,
    #[serde(default)]
    pub location_id: Patch<Uuid>,
    pub active: Option<bool>,
}

async fn handler(
    auth: Auth,
    State(app): State<App>,
    Path(staff_id): Path<Uuid>,
    Json(req): Json<UpdateStaff>,
) -> ApiResult<Json<Staff>> {
    let mut tx = app.db.tenant_tx(auth.business_id).await?;
    let (set_phone, phone) = req.phone.sql();
    let location = req.location_id.into_change();
    if let Some(Some(id)) = location {
        model::check_location(&mut tx, Some(id)).await?;
    }
    let updated = sqlx::query!(
        "UPDATE staff SET
            name = COALESCE($2, name),
            email = COALESCE($3, email),
            phone = CASE WHEN $4 THEN $5 ELSE phone END,
            title = COALESCE($6, title),
            bio = COALESCE($7, bio),
            location_id = CASE WHEN $8 THEN $9 ELSE location_id END,
            active = COALESCE($10, active),
            updated_at = now()
         WHERE id = $1 AND deleted_at IS NULL",
        staff_id,
        req.name.as_ref().map(AsRef::as_ref),
        req.email.as_ref().map(AsRef::as_ref),
        set_phone,
        phone,
        req.title.as_ref().map(AsRef::as_ref),
        req.bio.as_ref().map(AsRef::as_ref),
        location.is_some(),
        location.flatten(),
        req.active,
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if updated == 0 {
        return Err(ApiError::not_found("staff member"));
    }
    if req.active == Some(false) {
        // A deactivated staff member's own login is signed out everywhere (and cannot sign
        // in again until reactivated); an owner's or manager's login is theirs to keep.
        let login = sqlx::query_scalar!(
            "SELECT u.id FROM staff s JOIN users u ON u.id = s.user_id WHERE s.id = $1 AND u.role = 'staff'",
            staff_id
        )
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(user_id) = login {
            auth::tokens::revoke_user_sessions(&mut tx, user_id, None, "staff member deactivated", app.now()).await?;
        }
    }
    if req.email.is_some() {
        // An invitation went to the address on file when it was sent; a new address
        // makes it worthless (send a new one).
        auth::onetime::retire_others(&mut tx, Purpose::StaffInvitation, Subject::Staff(staff_id), app.now()).await?;
    }
    let staff = model::fetch(&mut tx, staff_id).await?;
    tx.commit().await?;
    Ok(Json(staff))
}
