//! Add a location. Honours `Idempotency-Key`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::post;
use serde::{Deserialize, Serialize};
use shared::idempotency::Create;
use shared::plan::Limit;
use shared::types::{Country, Name, Phone};
use shared::{Access, ApiResult, App, Operation, Permission};
use uuid::Uuid;

use crate::model::{self, Amenity};

const NAME: &str = "locations-create";

pub const OP: Operation = Operation::http(
    "locations",
    NAME,
    "POST",
    "/v1/locations",
    Access::Can(Permission::ManageLocations),
    "Add a location",
    || post(handler),
);

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateLocation {
    pub name: Name,
    #[serde(default)]
    pub address_line1: Option<Name>,
    #[serde(default)]
    pub address_line2: Option<Name>,
    #[serde(default)]
    pub city: Option<Name>,
    #[serde(default)]
    pub postal_code: Option<Name>,
    pub country: Option<Country>,
    pub phone: Option<Phone>,
    #[serde(default)]
    pub amenities: Vec<Amenity>,
}

async fn handler(
    State(app): State<App>,
    Create { business_id, request: req, mut tx, claim }: Create<CreateLocation>,
) -> ApiResult<Response> {
    shared::plan::check_count(&mut tx, business_id, app.now(), Limit::Locations).await?;
    let id = Uuid::now_v7();
    let text = |v: &Option<Name>| v.as_ref().map(|n| n.as_ref().to_owned()).unwrap_or_default();
    sqlx::query!(
        "INSERT INTO locations (id, business_id, name, address_line1, address_line2, city, postal_code, country, phone)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        id,
        business_id,
        req.name.as_ref(),
        text(&req.address_line1),
        text(&req.address_line2),
        text(&req.city),
        text(&req.postal_code),
        req.country.as_ref().map(AsRef::as_ref).unwrap_or(""),
        req.phone.as_ref().map(AsRef::as_ref),
    )
    .execute(&mut *tx)
    .await?;
    let amenities = model::amenity_list(req.amenities)?;
    model::set_amenities(&mut tx, business_id, id, &amenities).await?;
    let location = model::fetch(&mut tx, id).await?;
    claim.commit(tx, StatusCode::CREATED, &location).await
}
