//! Staff book an appointment for a customer. The start must be a slot the staff member
//! offers unless `allow_outside_availability` is set; it can never overlap another
//! appointment. Honours `Idempotency-Key`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::post;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use shared::idempotency::Create;
use shared::types::Text;
use shared::{Access, ApiError, ApiResult, App, Operation, Permission};
use uuid::Uuid;

use availability::slots::{self, Request, ServiceRules};
use customers::model::{CustomerDetails, find_or_create};

use crate::events;
use crate::model::{self, Appointment, NewAppointment};

const NAME: &str = "appointments-create";

pub const OP: Operation = Operation::http(
    "appointments",
    NAME,
    "POST",
    "/v1/appointments",
    Access::Can(Permission::ManageAppointments),
    "Book for a customer",
    || post(handler),
)
.publishes(&[events::BOOKED]);

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateRequest {
    pub service_id: Uuid,
    pub staff_id: Uuid,
    pub start: DateTime<Utc>,
    pub customer_id: Option<Uuid>,
    pub customer: Option<CustomerDetails>,
    #[serde(default)]
    pub allow_outside_availability: bool,
    pub notes: Option<Text>,
}

async fn handler(
    State(app): State<App>,
    Create { business_id, request: req, mut tx, claim }: Create<CreateRequest>,
) -> ApiResult<Response> {
    let customer_id = resolve_customer(&mut tx, business_id, req.customer_id, req.customer.as_ref()).await?;
    let rules = slots::service_rules(&mut tx, req.service_id).await?;
    check_staff_slot(&mut tx, &rules, req.service_id, req.staff_id, req.start, req.allow_outside_availability, None)
        .await?;
    let new = NewAppointment {
        service_id: req.service_id,
        customer_id,
        start: req.start,
        series_id: None,
        created_by: "staff",
        outside_availability: req.allow_outside_availability,
        notes: req.notes.as_ref().map(|n| n.to_string()).unwrap_or_default(),
        scheduled_at: app.now(),
    };
    let appointment: Appointment = model::claim(&mut tx, business_id, &rules, &[req.staff_id], &new).await?;
    claim.commit(tx, StatusCode::CREATED, &appointment).await
}

/// The customer an appointment is for: `customer_id` of this business, or found/created
/// from `customer` details. Exactly one must be given.
pub async fn resolve_customer(
    tx: &mut shared::db::Tx,
    business_id: Uuid,
    customer_id: Option<Uuid>,
    details: Option<&CustomerDetails>,
) -> ApiResult<Uuid> {
    match (customer_id, details) {
        (Some(id), None) => {
            let known =
                sqlx::query_scalar!("SELECT id FROM customers WHERE id = $1", id).fetch_optional(&mut **tx).await?;
            known.ok_or_else(|| ApiError::validation("customer_id", "unknown customer"))
        }
        (None, Some(details)) => find_or_create(tx, business_id, details).await,
        _ => Err(ApiError::validation("customer_id", "give either customer_id or customer")),
    }
}

/// Staff may book any offered slot of the staff member, at any notice; with
/// `allow_outside` also outside their hours (the exclusion constraint still forbids
/// overlapping another appointment).
pub async fn check_staff_slot(
    tx: &mut shared::db::Tx,
    rules: &ServiceRules,
    service_id: Uuid,
    staff_id: Uuid,
    start: DateTime<Utc>,
    allow_outside: bool,
    moving: Option<Uuid>,
) -> ApiResult<()> {
    let performs = sqlx::query_scalar!(
        "SELECT st.id FROM service_staff ss JOIN staff st ON st.id = ss.staff_id
         WHERE ss.service_id = $1 AND st.id = $2 AND st.deleted_at IS NULL",
        service_id,
        staff_id
    )
    .fetch_optional(&mut **tx)
    .await?;
    if performs.is_none() {
        return Err(ApiError::validation("staff_id", "this staff member does not perform the service"));
    }
    if allow_outside {
        return Ok(());
    }
    // Staff are not bound by the customer's notice and advance limits.
    let staff_rules = ServiceRules { min_notice: Duration::zero(), max_advance: Duration::days(3650), ..rules.clone() };
    let request = Request {
        service_id,
        staff_id: Some(staff_id),
        from: start.date_naive(),
        to: start.date_naive(),
        now: start - Duration::days(1),
        ignore_appointment: moving,
        count_bookings: true,
    };
    let free = slots::free_at(tx, &staff_rules, &request, start).await?;
    if free.is_empty() {
        // The same taken-or-never-offered answer as online booking, with a hint for staff.
        let e = crate::book::not_offered(tx, &staff_rules, &request, start).await;
        return Err(if e.code == "SLOT_UNAVAILABLE" {
            e.with_detail("outside this staff member's hours; set allow_outside_availability to book it anyway")
        } else {
            e
        });
    }
    Ok(())
}
