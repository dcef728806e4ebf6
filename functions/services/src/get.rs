//! One service.

use axum::extract::State;
use axum::routing::get;
use shared::{Access, ApiResult, App, Auth, Json, Operation, Path, Permission};
use uuid::Uuid;

use crate::model::{self, Service};

pub const OP: Operation = Operation::http(
    "services",
    "services-get",
    "GET",
    "/v1/services/{service_id}",
    Access::Can(Permission::ViewServices),
    "Get a service",
    || get(handler),
);

async fn handler(auth: Auth, State(app): State<App>, Path(service_id): Path<Uuid>) -> ApiResult<Json<Service>> {
    let mut tx = app.db.tenant_tx(auth.business_id).await?;
    let service = model::fetch(&mut tx, service_id).await?;
    tx.commit().await?;
    Ok(Json(service))
}
