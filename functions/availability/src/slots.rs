//! Which starts are offered for a service: the data the engine needs, loaded with one
//! query per kind (business and service, staff, weekly hours, overrides and holidays
//! through `model::load_hours`, appointments and Google busy time) whatever the range,
//! then one call to the engine.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use shared::db::Tx;
use shared::time::{Edge, local_instant};
use shared::{ApiError, ApiResult};
use uuid::Uuid;

use crate::engine::{self, Rules, Span, StaffInput};
use crate::model::load_hours;

/// The most dates one request may cover.
pub const MAX_DAYS: i64 = 62;

/// A service's timing and the business rules around it.
#[derive(Debug, Clone)]
pub struct ServiceRules {
    pub tz: Tz,
    pub duration: Duration,
    pub buffer_before: Duration,
    pub buffer_after: Duration,
    pub interval: Duration,
    pub min_notice: Duration,
    pub max_advance: Duration,
}

impl ServiceRules {
    /// The range an appointment starting at `start` keeps free: the booked time widened
    /// by the service's buffers.
    pub fn blocked(&self, start: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
        (start - self.buffer_before, start + self.duration + self.buffer_after)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Slot {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub staff_ids: Vec<Uuid>,
}

/// A live service of this business with its rules; unknown or withdrawn is a 422 on
/// `service_id`.
pub async fn service_rules(tx: &mut Tx, service_id: Uuid) -> ApiResult<ServiceRules> {
    live_service_rules(tx, service_id).await?.ok_or_else(|| ApiError::validation("service_id", "unknown service"))
}

/// The rules of a live service of this business; `None` if it is unknown or withdrawn.
pub async fn live_service_rules(tx: &mut Tx, service_id: Uuid) -> ApiResult<Option<ServiceRules>> {
    let row = sqlx::query!(
        "SELECT b.time_zone, b.min_notice_minutes, b.max_advance_days, b.slot_interval_minutes,
                s.duration_minutes, s.buffer_before_minutes, s.buffer_after_minutes
         FROM services s JOIN businesses b ON b.id = s.business_id
         WHERE s.id = $1 AND s.deleted_at IS NULL AND s.active",
        service_id
    )
    .fetch_optional(&mut **tx)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let tz: Tz = row.time_zone.parse().map_err(|_| ApiError::internal("stored time zone does not parse"))?;
    let minutes = |m: i32| Duration::minutes(i64::from(m));
    Ok(Some(ServiceRules {
        tz,
        duration: minutes(row.duration_minutes),
        buffer_before: minutes(row.buffer_before_minutes),
        buffer_after: minutes(row.buffer_after_minutes),
        interval: minutes(row.slot_interval_minutes),
        min_notice: minutes(row.min_notice_minutes),
        max_advance: Duration::days(i64::from(row.max_advance_days)),
    }))
}

/// What to compute slots for.
#[derive(Debug, Clone, Copy)]
pub struct Request {
    pub service_id: Uuid,
    /// One staff member, or any who performs the service.
    pub staff_id: Option<Uuid>,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub now: DateTime<Utc>,
    /// An appointment whose own time does not count as busy (it is being moved).
    pub ignore_appointment: Option<Uuid>,
    /// Whether appointments make time busy; without them the answer is what the hours
    /// (and the staff member's Google busy time, which always counts) would offer, to
    /// tell "taken" from "never offered".
    pub count_bookings: bool,
}

/// Offered slots for a service on local dates `from..=to`.
pub async fn offered(tx: &mut Tx, rules: &ServiceRules, req: &Request) -> ApiResult<Vec<Slot>> {
    let Request { service_id, staff_id, from, to, now, ignore_appointment, count_bookings } = *req;
    let staff: Vec<Uuid> = sqlx::query_scalar!(
        "SELECT st.id FROM service_staff ss JOIN staff st ON st.id = ss.staff_id
         WHERE ss.service_id = $1 AND st.deleted_at IS NULL AND st.active AND ($2::uuid IS NULL OR st.id = $2)
         ORDER BY st.id",
        service_id,
        staff_id
    )
    .fetch_all(&mut **tx)
    .await?;
    if staff_id.is_some() && staff.is_empty() {
        return Err(ApiError::validation("staff_id", "this staff member does not perform the service"));
    }
    if staff.is_empty() {
        return Ok(Vec::new());
    }
    let index: HashMap<Uuid, usize> = staff.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    let mut inputs: Vec<StaffInput> = load_hours(tx, &staff, from, to)
        .await?
        .into_iter()
        .map(|hours| StaffInput { hours, busy: Vec::new() })
        .collect();
    // Appointments that can touch any candidate's buffered range.
    let range_start = local_instant(rules.tz, from, 0, Edge::Start) - rules.buffer_before;
    let range_end = local_instant(rules.tz, to, 1440, Edge::End) + rules.buffer_after;
    // Appointments (unless asked to leave them out) and the busy time read from the staff
    // members' Google calendars, which is never ours to offer.
    let bookings = sqlx::query!(
        r#"SELECT staff_id AS "staff_id!", lower(blocked) AS "start!", upper(blocked) AS "end!" FROM appointments
           WHERE $5 AND staff_id = ANY($1) AND status <> 'cancelled' AND blocked && tstzrange($2, $3)
             AND ($4::uuid IS NULL OR id <> $4)
           UNION ALL
           SELECT staff_id, lower(busy), upper(busy) FROM calendar_busy
           WHERE staff_id = ANY($1) AND busy && tstzrange($2, $3)"#,
        &staff,
        range_start,
        range_end,
        ignore_appointment,
        count_bookings
    )
    .fetch_all(&mut **tx)
    .await?;
    for b in bookings {
        if let Some(&i) = index.get(&b.staff_id) {
            inputs[i].busy.push(Span { start: b.start.timestamp(), end: b.end.timestamp() });
        }
    }
    for input in &mut inputs {
        engine::normalize(&mut input.busy);
    }

    let engine_rules = Rules {
        duration: rules.duration.num_seconds(),
        buffer_before: rules.buffer_before.num_seconds(),
        buffer_after: rules.buffer_after.num_seconds(),
        step: rules.interval.num_seconds(),
        earliest: (now + rules.min_notice).timestamp(),
        latest: (now + rules.max_advance).timestamp(),
    };
    let slots = engine::compute(rules.tz, from, to, &inputs, &engine_rules)
        .into_iter()
        .filter_map(|(t, free)| {
            let start = DateTime::from_timestamp(t, 0)?;
            Some(Slot { start, end: start + rules.duration, staff_ids: free.into_iter().map(|i| staff[i]).collect() })
        })
        .collect();
    Ok(slots)
}

/// The staff members for whom `start` is an offered slot (none when it is not one).
/// `req.from`/`req.to` are ignored: the start's own local date (and the day before, for
/// windows reaching past midnight of a DST change) is searched.
pub async fn free_at(tx: &mut Tx, rules: &ServiceRules, req: &Request, start: DateTime<Utc>) -> ApiResult<Vec<Uuid>> {
    let date = start.with_timezone(&rules.tz).date_naive();
    let req = Request { from: date.pred_opt().unwrap_or(date), to: date, ..*req };
    let slots = offered(tx, rules, &req).await?;
    Ok(slots.into_iter().find(|s| s.start == start).map(|s| s.staff_ids).unwrap_or_default())
}
