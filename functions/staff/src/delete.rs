//! Remove a staff member: they stop being offered for any service. Their past remains
//! (the row is kept, marked deleted). A login that exists only for them (role `staff`)
//! is removed with its sessions, so they can no longer sign in; an owner's or manager's
//! login stays.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::delete;
use shared::{Access, ApiError, ApiResult, App, Auth, Operation, Path, Permission};
use uuid::Uuid;

pub const OP: Operation = Operation::http(
    "staff",
    "staff-delete",
    "DELETE",
    "/v1/staff/{staff_id}",
    Access::Can(Permission::ManageStaff),
    "Remove a staff member",
    || delete(handler),
);

async fn handler(auth: Auth, State(app): State<App>, Path(staff_id): Path<Uuid>) -> ApiResult<StatusCode> {
    let mut tx = app.db.tenant_tx(auth.business_id).await?;
    let login = sqlx::query!(
        r#"SELECT s.user_id, u.role AS "role?" FROM staff s LEFT JOIN users u ON u.id = s.user_id
           WHERE s.id = $1 AND s.deleted_at IS NULL FOR UPDATE OF s"#,
        staff_id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| ApiError::not_found("staff member"))?;
    let staff_login = login.user_id.filter(|_| login.role.as_deref() == Some("staff"));
    sqlx::query!(
        "UPDATE staff SET deleted_at = $3, active = false, updated_at = now(),
                user_id = CASE WHEN $2::uuid IS NULL THEN user_id END
         WHERE id = $1",
        staff_id,
        staff_login,
        app.now()
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!("DELETE FROM service_staff WHERE staff_id = $1", staff_id).execute(&mut *tx).await?;
    if let Some(user_id) = staff_login {
        // Sessions, refresh tokens and provider links go with it (ON DELETE CASCADE), and
        // the authorizer refuses access tokens whose session no longer exists.
        sqlx::query!("DELETE FROM users WHERE id = $1", user_id).execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
