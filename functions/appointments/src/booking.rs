//! The booking rules every path that books or moves an appointment shares: whether a time
//! is offered (and why not), claiming it (the database's exclusion constraint has the last
//! word), moving to it, and whose appointment it is. Their errors are typed
//! ([`SlotError`]), so a caller branches on what happened; they become the API's answer at
//! the edge (`?` in a handler).

use axum::http::StatusCode;
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use shared::db::Tx;
use shared::{ApiError, ApiResult, App};
use uuid::Uuid;

use availability::slots::{self, Request, ServiceRules};
use customers::model::{CustomerDetails, find_or_create};
use staff::live::{Require, is_live};

use crate::events::{self, Change};
use crate::model::{self, Appointment, Status};

/// Why a time cannot be booked.
#[derive(Debug)]
pub enum SlotError {
    /// Never offered (hours, notice, horizon): 422 `SLOT_UNAVAILABLE`.
    Unavailable,
    /// Outside the staff member's hours, when staff book: 422 `SLOT_UNAVAILABLE`, with
    /// the way to book it anyway.
    OutsideHours,
    /// Offered, but an appointment holds it: 409 `SLOT_TAKEN`.
    Taken,
    /// Lost to a concurrent booking at the last moment (the exclusion constraint): 409
    /// `SLOT_TAKEN`.
    Lost,
    /// The staff member does not perform the service (or is gone): 422 on `staff_id`.
    NotPerformed,
    /// Anything else (the database): answered as it is.
    Failed(ApiError),
}

impl SlotError {
    /// The problem code the answer carries (a skipped occurrence of a series names it).
    pub fn code(&self) -> &'static str {
        match self {
            SlotError::Unavailable | SlotError::OutsideHours => "SLOT_UNAVAILABLE",
            SlotError::Taken | SlotError::Lost => "SLOT_TAKEN",
            SlotError::NotPerformed => ApiError::validation("staff_id", "").code,
            SlotError::Failed(e) => e.code,
        }
    }
}

impl From<SlotError> for ApiError {
    fn from(e: SlotError) -> ApiError {
        let code = e.code();
        let unavailable = ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, "this time is not offered");
        match e {
            SlotError::Unavailable => unavailable.with_field("start"),
            SlotError::OutsideHours => unavailable
                .with_field("start")
                .with_detail("outside this staff member's hours; set allow_outside_availability to book it anyway"),
            SlotError::Taken => {
                ApiError::conflict(code, "this time has just been taken; pick another").with_field("start")
            }
            SlotError::Lost => ApiError::conflict(code, "this time was just taken; pick another").with_field("start"),
            SlotError::NotPerformed => {
                ApiError::validation("staff_id", "this staff member does not perform the service")
            }
            SlotError::Failed(e) => e,
        }
    }
}

impl From<ApiError> for SlotError {
    fn from(e: ApiError) -> SlotError {
        SlotError::Failed(e)
    }
}

impl From<sqlx::Error> for SlotError {
    fn from(e: sqlx::Error) -> SlotError {
        SlotError::Failed(e.into())
    }
}

/// A time wanted for a service: with one staff member, or with anyone who performs it.
#[derive(Debug, Clone, Copy)]
pub struct Wanted {
    pub service_id: Uuid,
    pub staff_id: Option<Uuid>,
    pub start: DateTime<Utc>,
}

/// The staff members for whom the wanted time is an offered slot right now, online rules
/// (notice, horizon) applied.
pub async fn free_staff(app: &App, tx: &mut Tx, rules: &ServiceRules, wanted: Wanted) -> Result<Vec<Uuid>, SlotError> {
    let request = Request {
        service_id: wanted.service_id,
        staff_id: wanted.staff_id,
        from: wanted.start.date_naive(),
        to: wanted.start.date_naive(),
        now: app.now(),
        ignore_appointment: None,
        count_bookings: true,
    };
    let free = slots::free_at(tx, rules, &request, wanted.start).await?;
    if free.is_empty() {
        return Err(not_offered(tx, rules, &request, wanted.start).await);
    }
    Ok(free)
}

/// Why a start the request finds no staff for is not offered: taken by an appointment
/// (the same answer a lost race gets), or never offered at all.
pub async fn not_offered(tx: &mut Tx, rules: &ServiceRules, request: &Request, start: DateTime<Utc>) -> SlotError {
    let by_hours = Request { count_bookings: false, ..*request };
    match slots::free_at(tx, rules, &by_hours, start).await {
        Ok(staff) if !staff.is_empty() => SlotError::Taken,
        Ok(_) => SlotError::Unavailable,
        Err(e) => SlotError::Failed(e),
    }
}

/// A time staff book, or move an appointment to, with one staff member.
#[derive(Debug, Clone, Copy)]
pub struct StaffSlot {
    pub service_id: Uuid,
    pub staff_id: Uuid,
    pub start: DateTime<Utc>,
    /// Book outside the staff member's hours too (never over another appointment).
    pub allow_outside: bool,
    /// The appointment being moved: its own time does not count as taken.
    pub moving: Option<Uuid>,
}

/// Staff may book any offered slot of the staff member, at any notice; with
/// `allow_outside` also outside their hours (the exclusion constraint still forbids
/// overlapping another appointment).
pub async fn check_staff_slot(tx: &mut Tx, rules: &ServiceRules, slot: StaffSlot) -> Result<(), SlotError> {
    let performs = Require { service_id: Some(slot.service_id), ..Require::default() };
    if !is_live(tx, slot.staff_id, performs).await? {
        return Err(SlotError::NotPerformed);
    }
    if slot.allow_outside {
        return Ok(());
    }
    // Staff are not bound by the customer's notice and advance limits.
    let staff_rules = ServiceRules { min_notice: Duration::zero(), max_advance: Duration::days(3650), ..rules.clone() };
    let request = Request {
        service_id: slot.service_id,
        staff_id: Some(slot.staff_id),
        from: slot.start.date_naive(),
        to: slot.start.date_naive(),
        now: slot.start - Duration::days(1),
        ignore_appointment: slot.moving,
        count_bookings: true,
    };
    if slots::free_at(tx, &staff_rules, &request, slot.start).await?.is_empty() {
        // The same taken-or-never-offered answer as online booking, with a hint for staff.
        return Err(match not_offered(tx, &staff_rules, &request, slot.start).await {
            SlotError::Unavailable => SlotError::OutsideHours,
            other => other,
        });
    }
    Ok(())
}

/// A time to claim for a customer.
pub struct NewAppointment {
    pub service_id: Uuid,
    pub customer_id: Uuid,
    pub start: DateTime<Utc>,
    pub series_id: Option<Uuid>,
    pub created_by: &'static str,
    pub outside_availability: bool,
    pub notes: String,
    /// When this time was chosen (the application's clock): no reminder is due before it.
    pub scheduled_at: DateTime<Utc>,
}

/// Insert the appointment with the first of `staff` (in order) whose time is still free,
/// and record it in the outbox. A lost race is caught by the exclusion constraint; a
/// savepoint lets the next staff member be tried.
pub async fn claim(
    tx: &mut Tx,
    business_id: Uuid,
    rules: &ServiceRules,
    staff: &[Uuid],
    new: &NewAppointment,
) -> Result<Appointment, SlotError> {
    let (blocked_from, blocked_until) = rules.blocked(new.start);
    let mut busy_in_google = false;
    for staff_id in staff {
        sqlx::query!("SAVEPOINT claim").execute(&mut **tx).await?;
        let id = Uuid::now_v7();
        // Google's busy time is asked in the same statement (under the staff member's
        // busy lock, held until commit), unless staff book outside availability on purpose.
        let inserted = sqlx::query!(
            "INSERT INTO appointments (id, business_id, service_id, staff_id, customer_id, series_id, starts_at, ends_at,
                                       blocked, created_by, outside_availability, notes, scheduled_at)
             SELECT $1, $2, $3, $4, $5, $6, $7, $8, tstzrange($9, $10), $11, $12, $13, $14
             WHERE $12 OR NOT calendar_busy_claim($4, $9, $10)",
            id,
            business_id,
            new.service_id,
            staff_id,
            new.customer_id,
            new.series_id,
            new.start,
            new.start + rules.duration,
            blocked_from,
            blocked_until,
            new.created_by,
            new.outside_availability,
            new.notes,
            new.scheduled_at
        )
        .execute(&mut **tx)
        .await;
        match inserted {
            Ok(done) if done.rows_affected() == 0 => {
                sqlx::query!("ROLLBACK TO SAVEPOINT claim").execute(&mut **tx).await?;
                busy_in_google = true;
            }
            Ok(_) => {
                sqlx::query!("RELEASE SAVEPOINT claim").execute(&mut **tx).await?;
                // The plan's monthly allowance, counted in this transaction (undone with it).
                shared::plan::count_booking(tx, business_id, rules.tz, new.scheduled_at).await?;
                let appointment = model::fetch(tx, id).await?;
                events::record(tx, business_id, &appointment, Change::Booked).await?;
                return Ok(appointment);
            }
            Err(e) if is_overlap(&e) => {
                sqlx::query!("ROLLBACK TO SAVEPOINT claim").execute(&mut **tx).await?;
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(if busy_in_google { SlotError::Unavailable } else { SlotError::Lost })
}

/// The exclusion constraint said no: another live appointment holds the time.
fn is_overlap(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.code().as_deref() == Some("23P01"))
}

/// What a customer booking online is told.
#[derive(Debug, Serialize)]
pub struct Booked {
    pub id: Uuid,
    pub status: Status,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub staff_id: Uuid,
    pub manage_token: String,
}

impl Booked {
    /// The answer for an appointment, with its manage link.
    pub async fn of(app: &App, business_id: Uuid, appointment: Appointment) -> ApiResult<Booked> {
        let manage_token = model::manage_token(app, business_id, &appointment).await?;
        Ok(Booked {
            id: appointment.id,
            status: appointment.status,
            start: appointment.start,
            end: appointment.end,
            staff_id: appointment.staff_id,
            manage_token,
        })
    }
}

/// A free time a customer books online (`free` from [`free_staff`], tried in order).
pub struct OnlineBooking<'a> {
    pub business_id: Uuid,
    pub rules: &'a ServiceRules,
    pub service_id: Uuid,
    pub free: &'a [Uuid],
    pub start: DateTime<Utc>,
    pub customer_id: Uuid,
}

/// Claim the time with the first free staff member and hand out the manage link.
pub async fn claim_online(app: &App, tx: &mut Tx, booking: OnlineBooking<'_>) -> Result<Booked, SlotError> {
    let new = NewAppointment {
        service_id: booking.service_id,
        customer_id: booking.customer_id,
        start: booking.start,
        series_id: None,
        created_by: "customer",
        outside_availability: false,
        notes: String::new(),
        scheduled_at: app.now(),
    };
    let appointment = claim(tx, booking.business_id, booking.rules, booking.free, &new).await?;
    tracing::info!(appointment_id = %appointment.id, staff_id = %appointment.staff_id, "booked online");
    Ok(Booked::of(app, booking.business_id, appointment).await?)
}

/// Where a locked, live appointment moves to.
pub struct Move<'a> {
    pub business_id: Uuid,
    pub rules: &'a ServiceRules,
    pub id: Uuid,
    pub staff_id: Uuid,
    pub start: DateTime<Utc>,
    /// Staff move it outside the staff member's availability on purpose (Google's busy
    /// time included).
    pub allow_outside: bool,
}

/// Move the appointment and record it in the outbox. The exclusion constraint has the
/// last word (409), and Google's busy time is checked under its lock (422).
pub async fn move_to(app: &App, tx: &mut Tx, to: Move<'_>) -> ApiResult<Appointment> {
    let (blocked_from, blocked_until) = to.rules.blocked(to.start);
    // Google's busy time is asked in the same statement, as when booking.
    let moved = sqlx::query!(
        "UPDATE appointments SET staff_id = $2, starts_at = $3, ends_at = $4, blocked = tstzrange($5, $6),
                sequence = sequence + 1, scheduled_at = $7, updated_at = now()
         WHERE id = $1 AND ($8 OR NOT calendar_busy_claim($2, $5, $6))",
        to.id,
        to.staff_id,
        to.start,
        to.start + to.rules.duration,
        blocked_from,
        blocked_until,
        app.now(),
        to.allow_outside
    )
    .execute(&mut **tx)
    .await?;
    if moved.rows_affected() == 0 {
        return Err(SlotError::Unavailable.into());
    }
    let appointment = model::fetch(tx, to.id).await?;
    events::record(tx, to.business_id, &appointment, Change::Rescheduled).await?;
    Ok(appointment)
}

/// The customer an appointment is for: `customer_id` of this business, or found/created
/// from `customer` details. Exactly one must be given.
pub async fn resolve_customer(
    tx: &mut Tx,
    business_id: Uuid,
    customer_id: Option<Uuid>,
    details: Option<&CustomerDetails>,
    now: chrono::DateTime<chrono::Utc>,
) -> ApiResult<Uuid> {
    match (customer_id, details) {
        (Some(id), None) => {
            let known =
                sqlx::query_scalar!("SELECT id FROM customers WHERE id = $1", id).fetch_optional(&mut **tx).await?;
            known.ok_or_else(|| ApiError::validation("customer_id", "unknown customer"))
        }
        (None, Some(details)) => find_or_create(tx, business_id, details, now).await,
        _ => Err(ApiError::validation("customer_id", "give either customer_id or customer")),
    }
}
