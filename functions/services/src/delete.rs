//! Withdraw a service: it is no longer offered. The row is kept for past appointments.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::delete;
use shared::{Access, ApiError, ApiResult, App, Auth, Operation, Path, Permission};
use uuid::Uuid;

pub const OP: Operation = Operation::http(
    "services",
    "services-delete",
    "DELETE",
    "/v1/services/{service_id}",
    Access::Can(Permission::ManageServices),
    "Withdraw a service",
    || delete(handler),
);

async fn handler(auth: Auth, State(app): State<App>, Path(service_id): Path<Uuid>) -> ApiResult<StatusCode> {
    let mut tx = app.db.tenant_tx(auth.business_id).await?;
    let deleted = sqlx::query!(
        "UPDATE services SET deleted_at = $2, active = false, updated_at = now() WHERE id = $1 AND deleted_at IS NULL",
        service_id,
        app.now()
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if deleted == 0 {
        return Err(ApiError::not_found("service"));
    }
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
