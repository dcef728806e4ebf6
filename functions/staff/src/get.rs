//! One staff member.

use axum::extract::State;
use axum::routing::get;
use shared::{Access, ApiResult, App, Auth, Json, Operation, Path, Permission};
use uuid::Uuid;

use crate::model::{self, Staff};

pub const OP: Operation = Operation::http(
    "staff",
    "staff-get",
    "GET",
    "/v1/staff/{staff_id}",
    Access::Can(Permission::ViewStaff),
    "Get a staff member",
    || get(handler),
);

async fn handler(auth: Auth, State(app): State<App>, Path(staff_id): Path<Uuid>) -> ApiResult<Json<Staff>> {
    let mut tx = app.db.tenant_tx(auth.business_id).await?;
    let staff = model::fetch(&mut tx, staff_id).await?;
    tx.commit().await?;
    Ok(Json(staff))
}
