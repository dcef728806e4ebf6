//! A staff member's schedule over a range of local dates: when they work (weekly hours,
//! overrides, holidays, resolved in the business's time zone) and what is booked.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::routing::get;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use shared::time::{DaySource, Edge, Interval, local_instant};
use shared::{Access, ApiError, ApiResult, App, Auth, Json, Operation, Path, Permission, Query};
use staff::live::{self, Require};
use uuid::Uuid;

use crate::model::load_hours;

pub const OP: Operation = Operation::http(
    "availability",
    "staff-schedule",
    "GET",
    "/v1/staff/{staff_id}/schedule",
    Access::Can(Permission::ViewStaff),
    "A staff member's hours and appointments by day",
    || get(handler),
);

/// At most this many days per request.
const MAX_DAYS: i64 = 62;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Range {
    /// First local date, default today in the business's zone.
    pub from: Option<NaiveDate>,
    /// Last local date (inclusive), default six days after `from`.
    pub to: Option<NaiveDate>,
}

#[derive(Debug, Serialize)]
pub struct Schedule {
    pub staff_id: Uuid,
    pub time_zone: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub days: Vec<Day>,
}

#[derive(Debug, Serialize)]
pub struct Day {
    pub date: NaiveDate,
    pub source: DaySource,
    pub open: Vec<Interval>,
    pub appointments: Vec<Booked>,
}

#[derive(Debug, Serialize)]
pub struct Booked {
    pub id: Uuid,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub status: String,
    pub service_id: Uuid,
    pub service_name: String,
    pub customer_name: String,
}

async fn handler(
    auth: Auth,
    State(app): State<App>,
    Path(staff_id): Path<Uuid>,
    Query(range): Query<Range>,
) -> ApiResult<Json<Schedule>> {
    let mut tx = app.db.tenant_tx(auth.business_id).await?;
    let zone = sqlx::query_scalar!("SELECT time_zone FROM businesses WHERE id = $1", auth.business_id)
        .fetch_one(&mut *tx)
        .await?;
    let tz: Tz = zone.parse().map_err(|_| ApiError::internal(format!("stored zone {zone} does not parse")))?;
    let from = range.from.unwrap_or_else(|| app.now().with_timezone(&tz).date_naive());
    let to = range.to.unwrap_or(from + Duration::days(6));
    if to < from {
        return Err(ApiError::validation("to", "must not be before from"));
    }
    if (to - from).num_days() >= MAX_DAYS {
        return Err(ApiError::validation("to", format!("at most {MAX_DAYS} days per request")));
    }

    if !live::is_live(&mut tx, staff_id, Require::default()).await? {
        return Err(ApiError::not_found("staff member"));
    }

    // One query per kind of data, whatever the range.
    let hours = load_hours(&mut tx, &[staff_id], from, to).await?.pop().unwrap_or_default();
    let window_start = local_instant(tz, from, 0, Edge::Start);
    let window_end = local_instant(tz, to, 1440, Edge::End);
    let appointments = sqlx::query_as!(
        Booked,
        r#"SELECT a.id, a.starts_at AS start, a.ends_at AS "end", a.status, a.service_id,
                  s.name AS service_name, c.name AS customer_name
           FROM appointments a
           JOIN services s ON s.id = a.service_id
           JOIN customers c ON c.id = a.customer_id
           WHERE a.staff_id = $1 AND a.status <> 'cancelled' AND a.starts_at < $3 AND a.ends_at > $2
           ORDER BY a.starts_at"#,
        staff_id,
        window_start,
        window_end
    )
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;

    let mut by_date: BTreeMap<NaiveDate, Vec<Booked>> = BTreeMap::new();
    for a in appointments {
        by_date.entry(a.start.with_timezone(&tz).date_naive()).or_default().push(a);
    }
    let days = from
        .iter_days()
        .take_while(|d| *d <= to)
        .map(|date| {
            let (source, open) = hours.on(tz, date);
            Day { date, source, open, appointments: by_date.remove(&date).unwrap_or_default() }
        })
        .collect();
    Ok(Json(Schedule { staff_id, time_zone: zone, from, to, days }))
}
