//! Staff book a weekly series (every N weeks, a count or an until date). Every occurrence
//! is checked at the same local time (DST-safe); the request says whether a conflict
//! fails the whole series or skips that occurrence, and the response lists what was
//! skipped. Honours `Idempotency-Key`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::post;
use chrono::{DateTime, Duration, NaiveDate, Timelike, Utc};
use serde::{Deserialize, Serialize};
use shared::idempotency::Create;
use shared::time::{Edge, local_instant};
use shared::types::{Bounded, Text};
use shared::{Access, ApiError, ApiResult, App, Operation, Permission};
use uuid::Uuid;

use availability::slots;
use customers::model::CustomerDetails;

use crate::booking::{self, NewAppointment, SlotError, StaffSlot, check_staff_slot, resolve_customer};
use crate::events;
use crate::model::Appointment;

const NAME: &str = "appointments-create-recurring";

/// The longest series one request may create.
const MAX_OCCURRENCES: usize = 104;

pub const OP: Operation = Operation::http(
    "appointments",
    NAME,
    "POST",
    "/v1/appointments/recurring",
    Access::Can(Permission::ManageAppointments),
    "Book a weekly series",
    || post(handler),
)
.publishes(&[events::BOOKED]);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnConflict {
    /// Book nothing if any occurrence cannot be booked.
    Fail,
    /// Book the others and list the ones that could not be.
    Skip,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecurringRequest {
    pub service_id: Uuid,
    pub staff_id: Uuid,
    /// The first occurrence; the others follow at the same local time.
    pub start: DateTime<Utc>,
    #[serde(default = "one")]
    pub every_weeks: Bounded<1, 52>,
    pub count: Option<Bounded<1, 104>>,
    /// Last local date an occurrence may fall on.
    pub until: Option<NaiveDate>,
    pub on_conflict: OnConflict,
    pub customer_id: Option<Uuid>,
    pub customer: Option<CustomerDetails>,
    #[serde(default)]
    pub allow_outside_availability: bool,
    pub notes: Option<Text>,
}

fn one() -> Bounded<1, 52> {
    Bounded::try_from(1).unwrap_or_else(|_| unreachable!("1 is in range"))
}

#[derive(Debug, Serialize)]
pub struct Series {
    pub series_id: Uuid,
    pub appointments: Vec<Appointment>,
    pub skipped: Vec<Skipped>,
}

#[derive(Debug, Serialize)]
pub struct Skipped {
    pub start: DateTime<Utc>,
    pub code: &'static str,
}

async fn handler(
    State(app): State<App>,
    Create { business_id, request: req, mut tx, claim }: Create<RecurringRequest>,
) -> ApiResult<Response> {
    // One instant for the whole series.
    let now = app.now();
    let customer_id = resolve_customer(&mut tx, business_id, req.customer_id, req.customer.as_ref(), app.now()).await?;
    let rules = slots::service_rules(&mut tx, req.service_id).await?;
    let starts = occurrences(&req, rules.tz)?;

    let series_id = Uuid::now_v7();
    let mut series = Series { series_id, appointments: Vec::new(), skipped: Vec::new() };
    for start in starts {
        let booked = async {
            let slot = StaffSlot {
                service_id: req.service_id,
                staff_id: req.staff_id,
                start,
                allow_outside: req.allow_outside_availability,
                moving: None,
            };
            check_staff_slot(&mut tx, &rules, slot).await?;
            let new = NewAppointment {
                service_id: req.service_id,
                customer_id,
                start,
                series_id: Some(series_id),
                created_by: "staff",
                outside_availability: req.allow_outside_availability,
                notes: req.notes.as_ref().map(|n| n.to_string()).unwrap_or_default(),
                scheduled_at: now,
            };
            booking::claim(&mut tx, business_id, &rules, &[req.staff_id], &new).await
        }
        .await;
        match booked {
            Ok(appointment) => series.appointments.push(appointment),
            Err(e @ (SlotError::Unavailable | SlotError::OutsideHours | SlotError::Taken | SlotError::Lost)) => {
                match req.on_conflict {
                    OnConflict::Skip => series.skipped.push(Skipped { start, code: e.code() }),
                    OnConflict::Fail => {
                        let e = ApiError::from(e);
                        let detail = format!("the occurrence at {} cannot be booked: {}", start.to_rfc3339(), e.detail);
                        return Err(e.with_detail(detail));
                    }
                }
            }
            Err(e) => return Err(e.into()),
        }
    }
    if series.appointments.is_empty() {
        return Err(ApiError::conflict("SLOT_TAKEN", "no occurrence of the series could be booked").with_field("start"));
    }
    claim.commit(tx, StatusCode::CREATED, &series).await
}

/// The series' starts: the first one's local wall time on every Nth week.
fn occurrences(req: &RecurringRequest, tz: chrono_tz::Tz) -> ApiResult<Vec<DateTime<Utc>>> {
    let (count, until) = match (req.count, req.until) {
        (Some(c), None) => (c.get() as usize, None),
        (None, Some(u)) => (MAX_OCCURRENCES, Some(u)),
        _ => return Err(ApiError::validation("count", "give either count or until")),
    };
    let local = req.start.with_timezone(&tz);
    let first_date = local.date_naive();
    if until.is_some_and(|u| u < first_date) {
        return Err(ApiError::validation("until", "must not be before the first occurrence"));
    }
    let minute = (local.hour() * 60 + local.minute()) as u16;
    let step = Duration::weeks(i64::from(req.every_weeks.get()));
    let starts: Vec<DateTime<Utc>> = (0..count)
        .map(|k| first_date + step * k as i32)
        .take_while(|d| until.is_none_or(|u| *d <= u))
        .map(|date| local_instant(tz, date, minute, Edge::Start))
        .collect();
    if until.is_some() && starts.len() == MAX_OCCURRENCES {
        let last = first_date + step * MAX_OCCURRENCES as i32;
        if until.is_some_and(|u| last <= u) {
            return Err(ApiError::validation("until", format!("a series has at most {MAX_OCCURRENCES} occurrences")));
        }
    }
    Ok(starts)
}
