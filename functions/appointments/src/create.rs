//! Staff book an appointment for a customer. The start must be a slot the staff member
//! offers unless `allow_outside_availability` is set; it can never overlap another
//! appointment. Honours `Idempotency-Key`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::post;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shared::idempotency::Create;
use shared::types::Text;
use shared::{Access, ApiResult, App, Operation, Permission};
use uuid::Uuid;

use availability::slots;
use customers::model::CustomerDetails;

use crate::booking::{self, NewAppointment, StaffSlot, check_staff_slot, resolve_customer};
use crate::events;
use crate::model::Appointment;

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
    let customer_id = resolve_customer(&mut tx, business_id, req.customer_id, req.customer.as_ref(), app.now()).await?;
    let rules = slots::service_rules(&mut tx, req.service_id).await?;
    let slot = StaffSlot {
        service_id: req.service_id,
        staff_id: req.staff_id,
        start: req.start,
        allow_outside: req.allow_outside_availability,
        moving: None,
    };
    check_staff_slot(&mut tx, &rules, slot).await?;
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
    let appointment: Appointment = booking::claim(&mut tx, business_id, &rules, &[req.staff_id], &new).await?;
    claim.commit(tx, StatusCode::CREATED, &appointment).await
}
