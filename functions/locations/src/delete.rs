//! Remove a location. Staff based there keep working, with no location set.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::delete;
use shared::{Access, ApiError, ApiResult, App, Auth, Operation, Path, Permission};
use uuid::Uuid;

pub const OP: Operation = Operation::http(
    "locations",
    "locations-delete",
    "DELETE",
    "/v1/locations/{location_id}",
    Access::Can(Permission::ManageLocations),
    "Remove a location",
    || delete(handler),
);

async fn handler(auth: Auth, State(app): State<App>, Path(location_id): Path<Uuid>) -> ApiResult<StatusCode> {
    let mut tx = app.db.tenant_tx(auth.business_id).await?;
    let deleted = sqlx::query!(
        "UPDATE locations SET deleted_at = $2, updated_at = now() WHERE id = $1 AND deleted_at IS NULL",
        location_id,
        app.now()
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if deleted == 0 {
        return Err(ApiError::not_found("location"));
    }
    sqlx::query!("UPDATE staff SET location_id = NULL, updated_at = now() WHERE location_id = $1", location_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
