//! Replace the amenities a location offers.

use axum::extract::State;
use axum::routing::put;
use serde::Deserialize;
use shared::{Access, ApiResult, App, Auth, Json, Operation, Path, Permission};
use uuid::Uuid;

use crate::model::{self, Amenity, Location};

pub const OP: Operation = Operation::http(
    "locations",
    "locations-amenities-set",
    "PUT",
    "/v1/locations/{location_id}/amenities",
    Access::Can(Permission::ManageLocations),
    "Replace a location's amenities",
    || put(handler),
);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetAmenities {
    pub amenities: Vec<Amenity>,
}

async fn handler(
    auth: Auth,
    State(app): State<App>,
    Path(location_id): Path<Uuid>,
    Json(req): Json<SetAmenities>,
) -> ApiResult<Json<Location>> {
    let tags = model::amenity_list(req.amenities)?;
    let mut tx = app.db.tenant_tx(auth.business_id).await?;
    // Lock the location row: it must exist here, and two concurrent replacements queue.
    let exists =
        sqlx::query_scalar!("SELECT id FROM locations WHERE id = $1 AND deleted_at IS NULL FOR UPDATE", location_id)
            .fetch_optional(&mut *tx)
            .await?;
    if exists.is_none() {
        return Err(shared::ApiError::not_found("location"));
    }
    model::set_amenities(&mut tx, auth.business_id, location_id, &tags).await?;
    let location = model::fetch(&mut tx, location_id).await?;
    tx.commit().await?;
    Ok(Json(location))
}
