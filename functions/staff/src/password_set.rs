//! Set a staff member's password. The person themselves changes it with their current
//! password (their other sessions end); an owner or manager sets it for someone else,
//! creating the login if the staff member has none yet (all of that person's sessions
//! end). Nobody sets the password of an account that outranks or equals their own.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::put;
use serde::Deserialize;
use shared::auth::password;
use shared::types::Password;
use shared::{Access, ApiError, ApiResult, App, Auth, Json, Operation, Path, Permission, Role, SourceIp};
use uuid::Uuid;

pub const OP: Operation = Operation::http(
    "staff",
    "staff-password-set",
    "PUT",
    "/v1/staff/{staff_id}/password",
    Access::Member,
    "Set a staff member's password (themselves, or an owner)",
    || put(handler),
)
.memory(1024);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetPassword {
    pub password: Password,
    /// Required when changing one's own password.
    pub current_password: Option<String>,
}

async fn handler(
    auth: Auth,
    State(app): State<App>,
    SourceIp(ip): SourceIp,
    Path(staff_id): Path<Uuid>,
    Json(req): Json<SetPassword>,
) -> ApiResult<StatusCode> {
    let mut tx = app.db.tenant_tx(auth.business_id).await?;
    let staff = sqlx::query!(
        r#"SELECT s.name, s.email, s.user_id, u.role AS "role?"
           FROM staff s LEFT JOIN users u ON u.id = s.user_id
           WHERE s.id = $1 AND s.deleted_at IS NULL"#,
        staff_id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| ApiError::not_found("staff member"))?;

    if staff.user_id == Some(auth.user_id) {
        tx.commit().await?;
        let current = req.current_password.as_deref().ok_or_else(|| {
            ApiError::validation("current_password", "your current password is required to change it")
        })?;
        auth::password_change::change_own(&app, &auth, &ip, current, &req.password, "current_password").await?;
        return Ok(StatusCode::NO_CONTENT);
    }

    auth.require(Permission::ManageStaff)?;
    let target = staff.role.as_deref().and_then(Role::parse);
    // Managers may set staff passwords; only an owner a manager's; an owner's, nobody.
    let allowed = match target {
        None | Some(Role::Staff) => true,
        Some(Role::Manager) => auth.role == Role::Owner,
        Some(Role::Owner) => false,
    };
    if !allowed {
        return Err(ApiError::forbidden("only this person can change their password"));
    }
    // A login is made only by its owner accepting an invitation (which proves the
    // address is theirs); the business may reset the password of one that exists.
    let Some(user_id) = staff.user_id else {
        return Err(ApiError::conflict("NO_LOGIN", "this staff member has no login yet; send them an invitation"));
    };
    let hash = password::hash(req.password.expose()).await?;
    sqlx::query!("UPDATE users SET password_hash = $2, updated_at = now() WHERE id = $1", user_id, hash)
        .execute(&mut *tx)
        .await?;
    auth::tokens::revoke_user_sessions(&mut tx, user_id, None, "password set by the business", app.now()).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
