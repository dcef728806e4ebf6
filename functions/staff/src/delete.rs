//! Remove a staff member: they stop being offered for any service. Their past remains
//! (the row is kept, marked deleted).

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
    Access::Owner,
    "Remove a staff member",
    || delete(handler),
);

async fn handler(auth: Auth, State(app): State<App>, Path(staff_id): Path<Uuid>) -> ApiResult<StatusCode> {
    auth.require(Permission::ManageStaff)?;
    let mut tx = app.db.tenant_tx(auth.business_id).await?;
    let deleted = sqlx::query!(
        "UPDATE staff SET deleted_at = now(), active = false, updated_at = now() WHERE id = $1 AND deleted_at IS NULL",
        staff_id
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if deleted == 0 {
        return Err(ApiError::not_found("staff member"));
    }
    sqlx::query!("DELETE FROM service_staff WHERE staff_id = $1", staff_id).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
