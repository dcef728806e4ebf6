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
use shared::{Access, ApiError, ApiResult, App, Operation};
use uuid::Uuid;

use availability::slots::{self, Request, ServiceRules};
use customers::model::{CustomerDetails, find_or_create};

use crate::events;
use crate::model::{self, NewAppointment};

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

#[derive(Debug, Serialize)]
pub struct Booked {
    pub id: Uuid,
    pub status: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub staff_id: Uuid,
    pub manage_token: String,
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
    let free = free_staff(app, tx, &rules, req.service_id, req.staff_id, req.start).await?;
    let customer_id = find_or_create(tx, business_id, &req.customer).await?;
    claim_for(app, tx, business_id, &rules, req.service_id, &free, req.start, customer_id).await
}

/// The staff members for whom `start` is an offered slot right now; none is a 422
/// `SLOT_UNAVAILABLE`.
pub async fn free_staff(
    app: &App,
    tx: &mut shared::db::Tx,
    rules: &ServiceRules,
    service_id: Uuid,
    staff_id: Option<Uuid>,
    start: DateTime<Utc>,
) -> ApiResult<Vec<Uuid>> {
    let request = Request {
        service_id,
        staff_id,
        from: start.date_naive(),
        to: start.date_naive(),
        now: app.now(),
        ignore_appointment: None,
        count_bookings: true,
    };
    let free = slots::free_at(tx, rules, &request, start).await?;
    if free.is_empty() {
        return Err(not_offered(tx, rules, &request, start).await);
    }
    Ok(free)
}

/// Why a start is not offered: taken by an appointment (409 `SLOT_TAKEN`, the same
/// answer a lost race gets), or never offered at all (422 `SLOT_UNAVAILABLE`).
pub async fn not_offered(
    tx: &mut shared::db::Tx,
    rules: &ServiceRules,
    request: &Request,
    start: DateTime<Utc>,
) -> ApiError {
    let by_hours = Request { count_bookings: false, ..*request };
    match slots::free_at(tx, rules, &by_hours, start).await {
        Ok(staff) if !staff.is_empty() => {
            ApiError::conflict("SLOT_TAKEN", "this time has just been taken; pick another").with_field("start")
        }
        Ok(_) => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "SLOT_UNAVAILABLE", "this time is not offered")
            .with_field("start"),
        Err(e) => e,
    }
}

/// Claim the time with the first free staff member and hand out the manage link.
#[allow(clippy::too_many_arguments)]
pub async fn claim_for(
    app: &App,
    tx: &mut shared::db::Tx,
    business_id: Uuid,
    rules: &ServiceRules,
    service_id: Uuid,
    free: &[Uuid],
    start: DateTime<Utc>,
    customer_id: Uuid,
) -> ApiResult<Booked> {
    let new = NewAppointment {
        service_id,
        customer_id,
        start,
        series_id: None,
        created_by: "customer",
        outside_availability: false,
        notes: String::new(),
        scheduled_at: app.now(),
    };
    let appointment = model::claim(tx, business_id, rules, free, &new).await?;
    let manage_token = model::manage_token(app, business_id, &appointment).await?;
    tracing::info!(appointment_id = %appointment.id, staff_id = %appointment.staff_id, "booked online");
    Ok(Booked {
        id: appointment.id,
        status: appointment.status,
        start: appointment.start,
        end: appointment.end,
        staff_id: appointment.staff_id,
        manage_token,
    })
}
