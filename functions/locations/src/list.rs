//! The business's locations, a page at a time.

use axum::extract::State;
use axum::routing::get;
use shared::page::{Page, PageParams};
use shared::{Access, ApiResult, App, Auth, Json, Operation, Permission, Query};

use crate::model::Location;

pub const OP: Operation = Operation::http(
    "locations",
    "locations-list",
    "GET",
    "/v1/locations",
    Access::Can(Permission::ViewLocations),
    "List locations",
    || get(handler),
);

async fn handler(
    auth: Auth,
    State(app): State<App>,
    Query(page): Query<PageParams>,
) -> ApiResult<Json<Page<Location>>> {
    let mut tx = app.db.tenant_tx(auth.business_id).await?;
    let rows = sqlx::query_as!(
        Location,
        r#"SELECT l.id, l.name, l.address_line1, l.address_line2, l.city, l.postal_code, l.country, l.phone,
                  ARRAY(SELECT a.amenity FROM location_amenities a
                        WHERE a.business_id = l.business_id AND a.location_id = l.id ORDER BY a.amenity) AS "amenities!",
                  l.created_at
           FROM locations l WHERE l.deleted_at IS NULL AND l.id > $1 ORDER BY l.id LIMIT $2"#,
        page.after(),
        page.fetch()
    )
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Json(Page::from_rows(rows, &page, |l| l.id)))
}
