//! One customer.

use axum::extract::State;
use axum::routing::get;
use shared::{Access, ApiResult, App, Auth, Json, Operation, Path, Permission};
use uuid::Uuid;

use crate::model::{self, Customer};

pub const OP: Operation = Operation::http(
    "customers",
    "customers-get",
    "GET",
    "/v1/customers/{customer_id}",
    Access::Can(Permission::ViewCustomers),
    "Get a customer",
    || get(handler),
);

async fn handler(auth: Auth, State(app): State<App>, Path(customer_id): Path<Uuid>) -> ApiResult<Json<Customer>> {
    let mut tx = app.db.tenant_tx(auth.business_id).await?;
    let customer = model::fetch(&mut tx, customer_id).await?;
    tx.commit().await?;
    Ok(Json(customer))
}
