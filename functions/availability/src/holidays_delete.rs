//! Remove a holiday.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::delete;
use shared::{Access, ApiError, ApiResult, App, Auth, Operation, Path, Permission};
use uuid::Uuid;

pub const OP: Operation = Operation::http(
    "availability",
    "holidays-delete",
    "DELETE",
    "/v1/holidays/{holiday_id}",
    Access::Can(Permission::ManageAvailability),
    "Remove a holiday",
    || delete(handler),
);

async fn handler(auth: Auth, State(app): State<App>, Path(holiday_id): Path<Uuid>) -> ApiResult<StatusCode> {
    let mut tx = app.db.tenant_tx(auth.business_id).await?;
    let deleted =
        sqlx::query!("DELETE FROM holidays WHERE id = $1", holiday_id).execute(&mut *tx).await?.rows_affected();
    if deleted == 0 {
        return Err(ApiError::not_found("holiday"));
    }
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
