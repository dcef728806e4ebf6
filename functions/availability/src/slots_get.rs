//! The slots a customer can book. Public: no token; the business is found by its slug.

use axum::extract::State;
use axum::routing::get;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use shared::{Access, ApiError, ApiResult, App, Json, Operation, Path, Query};
use uuid::Uuid;

use crate::slots::{self, MAX_DAYS, Slot};

pub const OP: Operation = Operation::http(
    "availability",
    "slots-get",
    "GET",
    "/v1/public/businesses/{slug}/slots",
    Access::Public,
    "Bookable slots for a service",
    || get(handler),
);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlotsQuery {
    pub service_id: Uuid,
    /// First local date (in the business's zone), inclusive.
    pub from: NaiveDate,
    /// Last local date, inclusive.
    pub to: NaiveDate,
    pub staff_id: Option<Uuid>,
}

#[derive(Debug, Serialize)]
pub struct SlotsResponse {
    pub time_zone: String,
    pub slots: Vec<Slot>,
}

async fn handler(
    State(app): State<App>,
    Path(slug): Path<String>,
    Query(q): Query<SlotsQuery>,
) -> ApiResult<Json<SlotsResponse>> {
    if q.to < q.from {
        return Err(ApiError::validation("to", "must not be before from"));
    }
    if (q.to - q.from).num_days() >= MAX_DAYS {
        return Err(ApiError::validation("to", format!("at most {MAX_DAYS} days per request")));
    }
    let business_id = app.db.business_id_by_slug(&slug).await?;
    let mut tx = app.db.tenant_tx(business_id).await?;
    let rules = slots::service_rules(&mut tx, q.service_id).await?;
    let request = slots::Request {
        service_id: q.service_id,
        staff_id: q.staff_id,
        from: q.from,
        to: q.to,
        now: app.now(),
        ignore_appointment: None,
        count_bookings: true,
    };
    let slots = slots::offered(&mut tx, &rules, &request).await?;
    tx.commit().await?;
    Ok(Json(SlotsResponse { time_zone: rules.tz.name().to_owned(), slots }))
}
