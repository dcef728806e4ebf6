//! A customer books online. Public: the business is found by its slug. The start must be
//! an offered slot (422 `SLOT_UNAVAILABLE`); a slot lost to a concurrent booking is a 409
//! `SLOT_TAKEN`. Honours `Idempotency-Key`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::post;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shared::idempotency::Create;
use shared::{Access, ApiResult, App, Operation};
use uuid::Uuid;

use availability::slots;
use customers::model::{CustomerDetails, find_or_create};

use crate::booking::{Booked, OnlineBooking, Wanted, claim_online, free_staff};
use crate::events;

const NAME: &str = "appointments-book";

pub const OP: Operation = Operation::http(
    "appointments",
    NAME,
    "POST",
    "/v1/public/businesses/{slug}/appointments",
    Access::Public,
    "Book an appointment online",
    || post(handler),
)
.publishes(&[events::BOOKED])
.permissions(&[shared::operation::DATABASE_SECRET, shared::operation::JWT_SECRET]);

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BookRequest {
    pub service_id: Uuid,
    pub start: DateTime<Utc>,
    pub staff_id: Option<Uuid>,
    pub customer: CustomerDetails,
}

async fn handler(
    State(app): State<App>,
    Create { business_id, request: req, mut tx, claim }: Create<BookRequest>,
) -> ApiResult<Response> {
    let booked = book(&app, &mut tx, business_id, &req).await?;
    claim.commit(tx, StatusCode::CREATED, &booked).await
}

/// Book an offered slot online for the customer in the request.
pub async fn book(app: &App, tx: &mut shared::db::Tx, business_id: Uuid, req: &BookRequest) -> ApiResult<Booked> {
    let rules = slots::service_rules(tx, req.service_id).await?;
    let wanted = Wanted { service_id: req.service_id, staff_id: req.staff_id, start: req.start };
    let free = free_staff(app, tx, &rules, wanted).await?;
    let customer_id = find_or_create(tx, business_id, &req.customer, app.now()).await?;
    let booking = OnlineBooking {
        business_id,
        rules: &rules,
        service_id: req.service_id,
        free: &free,
        start: req.start,
        customer_id,
    };
    Ok(claim_online(app, tx, booking).await?)
}
