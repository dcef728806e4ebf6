//! Hours as the API reads and writes them (local `HH:MM` windows), and the one loader of
//! staff members' hours as stored.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use shared::db::Tx;
use shared::time::{Hours, LocalTime, MinuteOfDay};
use shared::types::Bounded;
use shared::{ApiError, ApiResult};
use uuid::Uuid;

/// A window on an ISO weekday (1 = Monday).
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeeklyWindow {
    pub weekday: Bounded<1, 7>,
    pub start: LocalTime,
    pub end: LocalTime,
}

/// A window on one date.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Window {
    pub start: LocalTime,
    pub end: LocalTime,
}

/// Check windows (already grouped by day) are well formed and do not overlap; `field`
/// names the list for errors, `index` maps a window back to its place in the request.
pub fn check_windows(field: &str, windows: &[(usize, Window)]) -> Result<Vec<(MinuteOfDay, MinuteOfDay)>, ApiError> {
    let mut sorted: Vec<&(usize, Window)> = windows.iter().collect();
    sorted.sort_by_key(|(_, w)| w.start);
    let mut out: Vec<(MinuteOfDay, MinuteOfDay)> = Vec::with_capacity(sorted.len());
    for (i, w) in sorted {
        if w.end <= w.start {
            return Err(ApiError::validation(format!("{field}[{i}].end"), "must be after start"));
        }
        if out.last().is_some_and(|(_, prev_end)| w.start.0 < *prev_end) {
            return Err(ApiError::validation(format!("{field}[{i}]"), "overlaps another window of the same day"));
        }
        out.push((w.start.0, w.end.0));
    }
    Ok(out)
}

impl From<(MinuteOfDay, MinuteOfDay)> for Window {
    fn from((start, end): (MinuteOfDay, MinuteOfDay)) -> Self {
        Window { start: LocalTime(start), end: LocalTime(end) }
    }
}

pub fn window(start: i16, end: i16) -> Window {
    Window { start: LocalTime(start as MinuteOfDay), end: LocalTime(end as MinuteOfDay) }
}

/// The hours of each of `staff` (in that order) for local dates `from..=to`: weekly
/// windows (each day's sorted by start), the overrides and the holidays in the range, the
/// business's own holidays included. One query per kind of data, however many staff.
/// `to` may be `NaiveDate::MAX` for every date from `from` on.
pub async fn load_hours(tx: &mut Tx, staff: &[Uuid], from: NaiveDate, to: NaiveDate) -> ApiResult<Vec<Hours>> {
    let index: HashMap<Uuid, usize> = staff.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    let mut hours = vec![Hours::default(); staff.len()];

    for w in sqlx::query!(
        "SELECT staff_id, weekday, start_minute, end_minute FROM staff_weekly_hours
         WHERE staff_id = ANY($1) ORDER BY weekday, start_minute",
        staff
    )
    .fetch_all(&mut **tx)
    .await?
    {
        let day = usize::try_from(w.weekday - 1).ok();
        if let (Some(&i), Some(day)) = (index.get(&w.staff_id), day)
            && let Some(windows) = hours[i].weekly.get_mut(day)
        {
            windows.push((w.start_minute as MinuteOfDay, w.end_minute as MinuteOfDay));
        }
    }
    for o in sqlx::query!(
        "SELECT staff_id, date, start_minutes, end_minutes FROM availability_overrides
         WHERE staff_id = ANY($1) AND date BETWEEN $2 AND $3",
        staff,
        from,
        to
    )
    .fetch_all(&mut **tx)
    .await?
    {
        if let Some(&i) = index.get(&o.staff_id) {
            let windows = o
                .start_minutes
                .iter()
                .zip(&o.end_minutes)
                .map(|(&s, &e)| (s as MinuteOfDay, e as MinuteOfDay))
                .collect();
            hours[i].overrides.insert(o.date, windows);
        }
    }
    for h in sqlx::query!(
        "SELECT staff_id, date, name FROM holidays
         WHERE date BETWEEN $1 AND $2 AND (staff_id IS NULL OR staff_id = ANY($3))",
        from,
        to,
        staff
    )
    .fetch_all(&mut **tx)
    .await?
    {
        match h.staff_id.and_then(|s| index.get(&s)) {
            Some(&i) => {
                hours[i].holidays.insert(h.date, h.name);
            }
            None => {
                for one in &mut hours {
                    one.holidays.insert(h.date, h.name.clone());
                }
            }
        }
    }
    Ok(hours)
}
