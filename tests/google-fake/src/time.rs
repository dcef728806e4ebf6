//! Event times: reading `start`/`end`, and expanding a simple RRULE (DAILY or WEEKLY with
//! INTERVAL, COUNT, UNTIL and BYDAY) into occurrences that keep their local wall time.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use serde_json::{Value, json};

/// One end of an event: an instant, or a date of an all-day event.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum When {
    At(DateTime<Utc>),
    Day(NaiveDate),
}

impl When {
    /// The instant it starts at; a date starts at midnight in `zone`.
    pub fn instant(self, zone: Tz) -> DateTime<Utc> {
        match self {
            When::At(at) => at,
            When::Day(day) => local(zone, day.and_time(NaiveTime::MIN)),
        }
    }

    /// The EventDateTime JSON, timed ones with `zone`'s offset and name.
    pub fn render(self, zone: Tz) -> Value {
        match self {
            When::At(at) => json!({ "dateTime": at.with_timezone(&zone).to_rfc3339(), "timeZone": zone.name() }),
            When::Day(day) => json!({ "date": day.format("%Y-%m-%d").to_string() }),
        }
    }

    /// The suffix of an instance id: `20260316T080000Z` or `20260316`.
    pub fn id_suffix(self) -> String {
        match self {
            When::At(at) => at.format("%Y%m%dT%H%M%SZ").to_string(),
            When::Day(day) => day.format("%Y%m%d").to_string(),
        }
    }

    fn plus(self, length: Duration) -> When {
        match self {
            When::At(at) => When::At(at + length),
            When::Day(day) => When::Day(day + length),
        }
    }
}

/// A wall time in `zone` as an instant: the earlier one when clocks go back, an hour
/// later when they skip it.
pub(crate) fn local(zone: Tz, wall: NaiveDateTime) -> DateTime<Utc> {
    let at = |wall: NaiveDateTime| zone.from_local_datetime(&wall).earliest();
    at(wall).or_else(|| at(wall + Duration::hours(1))).map_or_else(|| wall.and_utc(), |t| t.to_utc())
}

/// The times of a stored or submitted event.
#[derive(Debug, Clone)]
pub(crate) struct Shape {
    pub start: When,
    pub end: When,
    /// `start.timeZone`, when given.
    pub zone: Option<Tz>,
    pub rule: Option<Rule>,
}

/// Reads and checks `start`, `end` and `recurrence` the way events.insert does.
pub(crate) fn shape(event: &Value) -> Result<Shape, String> {
    let (start, zone) = parse_when(event.get("start"), "start")?;
    let (end, _) = parse_when(event.get("end"), "end")?;
    match (start, end) {
        (When::At(s), When::At(e)) if e < s => return Err("The specified time range is empty.".into()),
        (When::Day(s), When::Day(e)) if e < s => return Err("The specified time range is empty.".into()),
        (When::At(_), When::At(_)) | (When::Day(_), When::Day(_)) => {}
        _ => return Err("Start and end times must either both be date or both be dateTime.".into()),
    }
    let rule = match event.get("recurrence") {
        None | Some(Value::Null) => None,
        Some(lines) => Some(parse_rule(lines)?),
    };
    Ok(Shape { start, end, zone, rule })
}

fn parse_when(value: Option<&Value>, field: &str) -> Result<(When, Option<Tz>), String> {
    let value = value.filter(|v| v.is_object()).ok_or_else(|| format!("Missing {field} time."))?;
    let zone = match value.get("timeZone").and_then(Value::as_str) {
        Some(name) => Some(name.parse::<Tz>().map_err(|_| format!("Invalid time zone definition for {field} time."))?),
        None => None,
    };
    let text = |key: &str| value.get(key).and_then(Value::as_str);
    match (text("date"), text("dateTime")) {
        (Some(date), None) => NaiveDate::parse_from_str(date, "%Y-%m-%d")
            .map(|day| (When::Day(day), zone))
            .map_err(|_| format!("Invalid {field} date.")),
        (None, Some(time)) => {
            if let Ok(at) = DateTime::parse_from_rfc3339(time) {
                return Ok((When::At(at.to_utc()), zone));
            }
            let wall = NaiveDateTime::parse_from_str(time, "%Y-%m-%dT%H:%M:%S%.f")
                .map_err(|_| format!("Invalid {field} time."))?;
            let zone = zone.ok_or_else(|| format!("Missing time zone definition for {field} time."))?;
            Ok((When::At(local(zone, wall)), Some(zone)))
        }
        (Some(_), Some(_)) => Err(format!("Only one of date and dateTime may be set for {field}.")),
        (None, None) => Err(format!("Missing {field} time.")),
    }
}

/// A parsed `RRULE:` line.
#[derive(Debug, Clone)]
pub(crate) struct Rule {
    weekly: bool,
    interval: i64,
    pub count: Option<usize>,
    pub until: Option<When>,
    by_day: Vec<Weekday>,
}

fn parse_rule(lines: &Value) -> Result<Rule, String> {
    let unsupported = || "The fake supports one RRULE line with FREQ=DAILY or WEEKLY only.".to_owned();
    let lines = lines.as_array().ok_or_else(unsupported)?;
    let [line] = lines.as_slice() else { return Err(unsupported()) };
    let body = line.as_str().and_then(|l| l.strip_prefix("RRULE:")).ok_or_else(unsupported)?;
    let mut rule = Rule { weekly: false, interval: 1, count: None, until: None, by_day: Vec::new() };
    let mut freq = None;
    for part in body.split(';') {
        let bad = || format!("Invalid recurrence rule part {part}.");
        let (key, value) = part.split_once('=').ok_or_else(bad)?;
        match key {
            "FREQ" => freq = Some(value),
            "INTERVAL" => rule.interval = value.parse().ok().filter(|n| *n >= 1).ok_or_else(bad)?,
            "COUNT" => rule.count = Some(value.parse().map_err(|_| bad())?),
            "UNTIL" => rule.until = Some(parse_until(value).ok_or_else(bad)?),
            "BYDAY" => rule.by_day = value.split(',').map(weekday).collect::<Option<_>>().ok_or_else(bad)?,
            "WKST" if value == "MO" => {}
            _ => return Err(unsupported()),
        }
    }
    rule.weekly = match freq {
        Some("DAILY") => false,
        Some("WEEKLY") => true,
        _ => return Err(unsupported()),
    };
    Ok(rule)
}

fn parse_until(value: &str) -> Option<When> {
    if let Ok(wall) = NaiveDateTime::parse_from_str(value, "%Y%m%dT%H%M%SZ") {
        return Some(When::At(wall.and_utc()));
    }
    NaiveDate::parse_from_str(value, "%Y%m%d").ok().map(When::Day)
}

fn weekday(code: &str) -> Option<Weekday> {
    Some(match code {
        "MO" => Weekday::Mon,
        "TU" => Weekday::Tue,
        "WE" => Weekday::Wed,
        "TH" => Weekday::Thu,
        "FR" => Weekday::Fri,
        "SA" => Weekday::Sat,
        "SU" => Weekday::Sun,
        _ => return None,
    })
}

/// How far the fake ever walks a rule (days for DAILY, weeks for WEEKLY), and how many
/// instances it ever produces.
const MAX_STEPS: i64 = 5_000;
const MAX_INSTANCES: usize = 5_000;

/// The local dates the rule's occurrences start on, in order, from `first`.
fn dates(rule: &Rule, first: NaiveDate) -> Box<dyn Iterator<Item = NaiveDate> + '_> {
    if rule.weekly {
        let days = if rule.by_day.is_empty() { vec![first.weekday()] } else { rule.by_day.clone() };
        let mut offsets: Vec<i64> = days.iter().map(|d| i64::from(d.num_days_from_monday())).collect();
        offsets.sort_unstable();
        offsets.dedup();
        let monday = first - Duration::days(i64::from(first.weekday().num_days_from_monday()));
        let weeks = (0..MAX_STEPS).map(move |w| monday + Duration::weeks(w * rule.interval));
        Box::new(
            weeks
                .flat_map(move |week| offsets.clone().into_iter().map(move |o| week + Duration::days(o)))
                .filter(move |day| *day >= first),
        )
    } else {
        let days = (0..MAX_STEPS).map(move |k| first + Duration::days(k * rule.interval));
        Box::new(days.filter(|day| rule.by_day.is_empty() || rule.by_day.contains(&day.weekday())))
    }
}

/// The occurrences `(start, end)` of a recurring event that start before `limit`. Timed
/// ones keep the first one's wall time in `zone` and its length.
pub(crate) fn occurrences(shape: &Shape, rule: &Rule, zone: Tz, limit: DateTime<Utc>) -> Vec<(When, When)> {
    let (first, time) = match shape.start {
        When::At(at) => {
            let wall = at.with_timezone(&zone).naive_local();
            (wall.date(), Some(wall.time()))
        }
        When::Day(day) => (day, None),
    };
    let length = match (shape.start, shape.end) {
        (When::At(s), When::At(e)) => e - s,
        (When::Day(s), When::Day(e)) => e - s,
        _ => Duration::zero(),
    };
    let start_on = |day: NaiveDate| match time {
        Some(time) => When::At(local(zone, day.and_time(time))),
        None => When::Day(day),
    };
    let before_until = |start: When| match (rule.until, start) {
        (None, _) => true,
        (Some(When::At(until)), When::At(at)) => at <= until,
        (Some(When::At(until)), When::Day(day)) => day <= until.date_naive(),
        (Some(When::Day(until)), start) => start.instant(zone).with_timezone(&zone).date_naive() <= until,
    };
    dates(rule, first)
        .map(start_on)
        .take(rule.count.unwrap_or(usize::MAX))
        .take_while(|start| before_until(*start) && start.instant(zone) < limit)
        .take(MAX_INSTANCES)
        .map(|start| (start, start.plus(length)))
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn weekly(rrule: &str) -> Vec<String> {
        let event = json!({
            "start": { "dateTime": "2026-03-16T09:00:00", "timeZone": "Europe/Berlin" },
            "end": { "dateTime": "2026-03-16T09:30:00", "timeZone": "Europe/Berlin" },
            "recurrence": [rrule],
        });
        let shape = shape(&event).unwrap();
        let rule = shape.rule.clone().unwrap();
        let far = DateTime::<Utc>::MAX_UTC;
        occurrences(&shape, &rule, shape.zone.unwrap(), far).into_iter().map(|(s, _)| s.id_suffix()).collect()
    }

    #[test]
    fn weekly_keeps_local_time_across_dst() {
        let got = weekly("RRULE:FREQ=WEEKLY;COUNT=3");
        assert_eq!(got, ["20260316T080000Z", "20260323T080000Z", "20260330T070000Z"]);
    }

    #[test]
    fn byday_interval_and_until() {
        let got = weekly("RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE;UNTIL=20260401T000000Z");
        assert_eq!(got, ["20260316T080000Z", "20260318T080000Z", "20260330T070000Z"]);
    }

    #[test]
    fn mixed_kinds_and_reversed_times_are_refused() {
        let mixed = json!({ "start": { "date": "2026-03-01" }, "end": { "dateTime": "2026-03-01T10:00:00Z" } });
        assert!(shape(&mixed).is_err());
        let reversed = json!({ "start": { "date": "2026-03-02" }, "end": { "date": "2026-03-01" } });
        assert!(shape(&reversed).is_err());
        let no_zone =
            json!({ "start": { "dateTime": "2026-03-01T10:00:00" }, "end": { "dateTime": "2026-03-01T11:00:00" } });
        assert!(shape(&no_zone).is_err());
    }
}
