//! Hours as the API reads and writes them: local `HH:MM` windows.

use serde::{Deserialize, Serialize};
use shared::ApiError;
use shared::time::{LocalTime, MinuteOfDay};
use shared::types::Bounded;

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

pub fn window(start: i16, end: i16) -> Window {
    Window { start: LocalTime(start as MinuteOfDay), end: LocalTime(end as MinuteOfDay) }
}
