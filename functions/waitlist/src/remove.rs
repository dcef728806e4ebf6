//! Take an entry off the waitlist.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::delete;
use shared::{Access, ApiError, ApiResult, App, Auth, Operation, Path, Permission};
use uuid::Uuid;

pub const OP: Operation = Operation::http(
    "waitlist",
    "waitlist-remove",
    "DELETE",
    "/v1/waitlist/{entry_id}",
    Access::Can(Permission::ManageWaitlist),
    "Take an entry off the waitlist",
    || delete(handler),
);

async fn handler(auth: Auth, State(app): State<App>, Path(entry_id): Path<Uuid>) -> ApiResult<StatusCode> {
    let mut tx = app.db.tenant_tx(auth.business_id).await?;
    let removed = sqlx::query!(
        "UPDATE waitlist_entries SET status = 'removed', updated_at = now()
         WHERE id = $1 AND status IN ('waiting', 'offered')",
        entry_id
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if removed == 0 {
        return Err(ApiError::not_found("waitlist entry"));
    }
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
