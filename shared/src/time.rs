//! Local wall-clock hours to instants, per date and time zone.
//!
//! Weekly hours, overrides and holidays are local values; they become UTC intervals only
//! for a given date in the business's zone. The two DST rules of the API contract live
//! here: a local time that does not exist (spring forward) means the first instant after
//! the gap; one that occurs twice (fall back) means the earlier instant for a window start
//! and the later one for a window end.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// Minutes since local midnight, 0..=1440 (1440 is the end of the day).
pub type MinuteOfDay = u16;

/// A local `HH:MM` time of day, `24:00` allowed as an end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct LocalTime(pub MinuteOfDay);

impl TryFrom<String> for LocalTime {
    type Error = String;
    fn try_from(raw: String) -> Result<Self, String> {
        let bad = || format!("{raw:?} is not a time of day as HH:MM");
        let (h, m) = raw.split_once(':').ok_or_else(bad)?;
        if h.len() != 2 || m.len() != 2 {
            return Err(bad());
        }
        let (h, m): (u16, u16) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
        if m >= 60 || h > 24 || (h == 24 && m != 0) {
            return Err(bad());
        }
        Ok(LocalTime(h * 60 + m))
    }
}

impl From<LocalTime> for String {
    fn from(t: LocalTime) -> String {
        format!("{:02}:{:02}", t.0 / 60, t.0 % 60)
    }
}

/// A half-open UTC interval `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Interval {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edge {
    Start,
    End,
}

/// The instant of `minute` on local `date` in `tz`, by the contract's DST rules.
pub fn local_instant(tz: Tz, date: NaiveDate, minute: MinuteOfDay, edge: Edge) -> DateTime<Utc> {
    let midnight = date.and_hms_opt(0, 0, 0).unwrap_or_default();
    let wall = midnight + Duration::minutes(i64::from(minute));
    match tz.from_local_datetime(&wall) {
        LocalResult::Single(t) => t.with_timezone(&Utc),
        LocalResult::Ambiguous(earlier, later) => match edge {
            Edge::Start => earlier.with_timezone(&Utc),
            Edge::End => later.with_timezone(&Utc),
        },
        LocalResult::None => first_instant_after_gap(tz, wall),
    }
}

/// Walk forward a minute at a time to the first wall time that exists: the end of the
/// gap. Real gaps are whole minutes and at most a few hours.
fn first_instant_after_gap(tz: Tz, wall: NaiveDateTime) -> DateTime<Utc> {
    let mut probe = wall;
    for _ in 0..(48 * 60) {
        probe += Duration::minutes(1);
        if let Some(t) = tz.from_local_datetime(&probe).earliest() {
            // `probe` is the first existing minute; the gap ends exactly there.
            return t.with_timezone(&Utc);
        }
    }
    // Unreachable for any real zone; fall back to reading the wall time as UTC.
    wall.and_utc()
}

/// Local windows on a date as UTC intervals, sorted; windows that vanish in a DST gap
/// are dropped.
pub fn windows_on(tz: Tz, date: NaiveDate, windows: &[(MinuteOfDay, MinuteOfDay)]) -> Vec<Interval> {
    let mut out: Vec<Interval> = windows
        .iter()
        .map(|&(s, e)| Interval {
            start: local_instant(tz, date, s, Edge::Start),
            end: local_instant(tz, date, e, Edge::End),
        })
        .filter(|i| i.end > i.start)
        .collect();
    out.sort();
    out
}

/// Why a date has the hours it has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "name")]
pub enum DaySource {
    Weekly,
    Override,
    Holiday(String),
}

/// One staff member's hours: weekly windows by ISO weekday, overrides by date, holidays.
#[derive(Debug, Clone, Default)]
pub struct Hours {
    /// Index 0 is Monday.
    pub weekly: [Vec<(MinuteOfDay, MinuteOfDay)>; 7],
    pub overrides: BTreeMap<NaiveDate, Vec<(MinuteOfDay, MinuteOfDay)>>,
    pub holidays: BTreeMap<NaiveDate, String>,
}

impl Hours {
    /// Open time on a local date: the override if there is one, else the weekday's
    /// windows; nothing on a holiday.
    pub fn on(&self, tz: Tz, date: NaiveDate) -> (DaySource, Vec<Interval>) {
        let (source, windows) = self.local_on(date);
        (source, windows_on(tz, date, windows))
    }

    /// The same in local terms: which windows apply on `date`, before time zones.
    pub fn local_on(&self, date: NaiveDate) -> (DaySource, &[(MinuteOfDay, MinuteOfDay)]) {
        if let Some(name) = self.holidays.get(&date) {
            return (DaySource::Holiday(name.clone()), &[]);
        }
        if let Some(windows) = self.overrides.get(&date) {
            return (DaySource::Override, windows);
        }
        let weekday = date.weekday().num_days_from_monday() as usize;
        (DaySource::Weekly, &self.weekly[weekday])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }
    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn parses_local_times() {
        assert_eq!(LocalTime::try_from("09:30".to_string()), Ok(LocalTime(570)));
        assert_eq!(LocalTime::try_from("24:00".to_string()), Ok(LocalTime(1440)));
        for bad in ["9:30", "24:01", "12:60", "noon", "12-00"] {
            assert!(LocalTime::try_from(bad.to_string()).is_err(), "{bad}");
        }
        assert_eq!(String::from(LocalTime(545)), "09:05");
    }

    #[test]
    fn berlin_spring_forward_gap_means_first_instant_after() {
        let tz: Tz = "Europe/Berlin".parse().unwrap();
        // 2026-03-29: 02:00 CET jumps to 03:00 CEST (01:00Z).
        assert_eq!(local_instant(tz, d("2026-03-29"), 150, Edge::Start), utc("2026-03-29T01:00:00Z"));
        assert_eq!(local_instant(tz, d("2026-03-29"), 120, Edge::End), utc("2026-03-29T01:00:00Z"));
        assert_eq!(local_instant(tz, d("2026-03-29"), 180, Edge::Start), utc("2026-03-29T01:00:00Z"));
        assert_eq!(local_instant(tz, d("2026-03-29"), 60, Edge::Start), utc("2026-03-29T00:00:00Z"));
        // A window wholly inside the gap disappears.
        assert!(windows_on(tz, d("2026-03-29"), &[(125, 170)]).is_empty());
    }

    #[test]
    fn berlin_fall_back_start_early_end_late() {
        let tz: Tz = "Europe/Berlin".parse().unwrap();
        // 2026-10-25: 03:00 CEST falls back to 02:00 CET; 02:30 happens at 00:30Z and 01:30Z.
        assert_eq!(local_instant(tz, d("2026-10-25"), 150, Edge::Start), utc("2026-10-25T00:30:00Z"));
        assert_eq!(local_instant(tz, d("2026-10-25"), 150, Edge::End), utc("2026-10-25T01:30:00Z"));
        let day = windows_on(tz, d("2026-10-25"), &[(0, 1440)]);
        assert_eq!(day[0].end - day[0].start, Duration::hours(25));
    }

    #[test]
    fn new_york_both_transitions() {
        let tz: Tz = "America/New_York".parse().unwrap();
        let spring = windows_on(tz, d("2026-03-08"), &[(0, 1440)]);
        assert_eq!(spring[0].end - spring[0].start, Duration::hours(23));
        assert_eq!(local_instant(tz, d("2026-03-08"), 150, Edge::Start), utc("2026-03-08T07:00:00Z"));
        assert_eq!(local_instant(tz, d("2026-11-01"), 90, Edge::Start), utc("2026-11-01T05:30:00Z"));
        assert_eq!(local_instant(tz, d("2026-11-01"), 90, Edge::End), utc("2026-11-01T06:30:00Z"));
    }

    #[test]
    fn lord_howe_half_hour_shift_and_kolkata_offset() {
        let tz: Tz = "Australia/Lord_Howe".parse().unwrap();
        // 2026-10-04: 02:00 +10:30 jumps to 02:30 +11:00; 02:15 does not exist.
        assert_eq!(local_instant(tz, d("2026-10-04"), 135, Edge::Start), utc("2026-10-03T15:30:00Z"));
        // 2026-04-05: 02:00 +11:00 falls back to 01:30 +10:30; 01:45 happens twice.
        assert_eq!(local_instant(tz, d("2026-04-05"), 105, Edge::Start), utc("2026-04-04T14:45:00Z"));
        assert_eq!(local_instant(tz, d("2026-04-05"), 105, Edge::End), utc("2026-04-04T15:15:00Z"));
        let kolkata: Tz = "Asia/Kolkata".parse().unwrap();
        assert_eq!(local_instant(kolkata, d("2026-06-01"), 540, Edge::Start), utc("2026-06-01T03:30:00Z"));
    }

    #[test]
    fn overrides_replace_weekly_hours_and_holidays_remove_the_day() {
        let tz: Tz = "Europe/Berlin".parse().unwrap();
        let mut hours = Hours::default();
        hours.weekly[0] = vec![(540, 1020)]; // Mondays 09:00-17:00
        hours.overrides.insert(d("2026-06-08"), vec![(600, 720)]);
        hours.overrides.insert(d("2026-06-15"), vec![]);
        hours.holidays.insert(d("2026-06-22"), "Closed".into());
        let (src, open) = hours.on(tz, d("2026-06-01"));
        assert_eq!((src, open[0].start), (DaySource::Weekly, utc("2026-06-01T07:00:00Z")));
        let (src, open) = hours.on(tz, d("2026-06-08"));
        assert_eq!((src, open[0].end), (DaySource::Override, utc("2026-06-08T10:00:00Z")));
        assert_eq!(hours.on(tz, d("2026-06-15")), (DaySource::Override, vec![]));
        assert_eq!(hours.on(tz, d("2026-06-22")), (DaySource::Holiday("Closed".into()), vec![]));
        assert_eq!(hours.on(tz, d("2026-06-02")), (DaySource::Weekly, vec![]));
    }
}
