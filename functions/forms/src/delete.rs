//! Archive a form: it leaves the list and its services and is no longer asked for. Its
//! versions and responses stay, and the responses stay listable by the form's id.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::delete;
use shared::{Access, ApiError, ApiResult, App, Auth, Operation, Path, Permission};
use uuid::Uuid;

pub const OP: Operation = Operation::http(
    "forms",
    "forms-delete",
    "DELETE",
    "/v1/forms/{form_id}",
    Access::Can(Permission::ManageForms),
    "Archive an intake form",
    || delete(handler),
);

async fn handler(auth: Auth, State(app): State<App>, Path(form_id): Path<Uuid>) -> ApiResult<StatusCode> {
    let mut tx = app.db.tenant_tx(auth.business_id).await?;
    let archived = sqlx::query!(
        "UPDATE forms SET archived_at = $2, updated_at = now() WHERE id = $1 AND archived_at IS NULL",
        form_id,
        app.now()
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if archived == 0 {
        return Err(ApiError::not_found("form"));
    }
    sqlx::query!("DELETE FROM service_forms WHERE form_id = $1", form_id).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
