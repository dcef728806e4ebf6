//! A business's public page data, by slug. Public: no token.

use axum::extract::State;
use axum::routing::get;
use serde::Serialize;
use shared::{Access, ApiResult, App, Json, Operation, Path};
use uuid::Uuid;

pub const OP: Operation = Operation::http(
    "business",
    "business-public-get",
    "GET",
    "/v1/public/businesses/{slug}",
    Access::Public,
    "A business's public profile",
    || get(handler),
);

#[derive(Debug, Serialize)]
pub struct PublicBusiness {
    pub id: Uuid,
    pub name: String,
    pub slug: String,
    pub time_zone: String,
    pub locale: String,
    pub description: String,
    pub phone: Option<String>,
    pub website: Option<String>,
    pub currency: String,
}

async fn handler(State(app): State<App>, Path(slug): Path<String>) -> ApiResult<Json<PublicBusiness>> {
    let id = app.db.business_id_by_slug(&slug).await?;
    let mut tx = app.db.tenant_tx(id).await?;
    let business = sqlx::query_as!(
        PublicBusiness,
        "SELECT id, name, slug, time_zone, locale, description, phone, website, currency FROM businesses WHERE id = $1",
        id
    )
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Json(business))
}
