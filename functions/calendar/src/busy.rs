//! Which Google events make a staff member busy, and when.
//!
//! Busy: an event that is not cancelled, not free (`transparency: transparent`), not
//! declined by the calendar's owner and not a working-location or birthday marker. Times are instants;
//! an all-day event covers its local dates in the calendar's zone, `end.date` exclusive,
//! so on a DST change the blocked day is 23 or 25 hours long, as the wall clock says.
//! Our own events (written for appointments) are never busy time: the appointment is.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use shared::time::{Edge, local_instant};

use crate::google::{Event, When};

/// The busy range an event makes, or `None` when it makes none.
pub fn range(event: &Event, calendar_zone: Tz) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let declined = event.attendees.iter().any(|a| a.is_self && a.response_status == "declined");
    if event.status == "cancelled"
        || event.transparency.as_deref() == Some("transparent")
        || declined
        || matches!(event.event_type.as_deref(), Some("workingLocation" | "birthday"))
        || event.appointment_id().is_some()
    {
        return None;
    }
    let start = instant(event.start.as_ref()?, calendar_zone)?;
    let end = instant(event.end.as_ref()?, calendar_zone)?;
    (start < end).then_some((start, end))
}

/// An event's start or end as an instant; a date is local midnight in the calendar's zone.
fn instant(when: &When, calendar_zone: Tz) -> Option<DateTime<Utc>> {
    if let Some(t) = &when.date_time {
        return DateTime::parse_from_rfc3339(t).ok().map(|t| t.with_timezone(&Utc));
    }
    let date = NaiveDate::parse_from_str(when.date.as_deref()?, "%Y-%m-%d").ok()?;
    Some(local_instant(calendar_zone, date, 0, Edge::Start))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn event(json: serde_json::Value) -> Event {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn an_all_day_event_on_a_dst_day_blocks_that_local_day_exactly() {
        let ny: Tz = "America/New_York".parse().unwrap();
        // 8 March 2026: clocks go from 02:00 EST to 03:00 EDT; the day has 23 hours.
        let e = event(serde_json::json!({"id": "a1b2c", "status": "confirmed",
            "start": {"date": "2026-03-08"}, "end": {"date": "2026-03-09"}}));
        let (start, end) = range(&e, ny).unwrap();
        assert_eq!(start.to_rfc3339(), "2026-03-08T05:00:00+00:00");
        assert_eq!(end.to_rfc3339(), "2026-03-09T04:00:00+00:00");
        assert_eq!((end - start).num_hours(), 23);
    }

    #[test]
    fn free_declined_cancelled_and_our_own_events_are_not_busy() {
        let utc: Tz = "UTC".parse().unwrap();
        let times = serde_json::json!({"start": {"dateTime": "2026-03-02T10:00:00+01:00"},
                                       "end": {"dateTime": "2026-03-02T11:00:00+01:00"}});
        let with = |extra: serde_json::Value| {
            let mut e = serde_json::json!({"id": "e1", "status": "confirmed"});
            for (k, v) in times.as_object().unwrap().iter().chain(extra.as_object().unwrap()) {
                e[k] = v.clone();
            }
            event(e)
        };
        let busy = range(&with(serde_json::json!({})), utc).unwrap();
        assert_eq!(busy.0.to_rfc3339(), "2026-03-02T09:00:00+00:00");
        assert!(range(&with(serde_json::json!({"transparency": "transparent"})), utc).is_none());
        assert!(range(&with(serde_json::json!({"status": "cancelled"})), utc).is_none());
        let declined =
            serde_json::json!({"attendees": [{"email": "me@x", "self": true, "responseStatus": "declined"}]});
        assert!(range(&with(declined), utc).is_none());
        let other_declined = serde_json::json!({"attendees": [{"email": "o@x", "responseStatus": "declined"}, {"email": "me@x", "self": true, "responseStatus": "accepted"}]});
        assert!(range(&with(other_declined), utc).is_some(), "someone else declining changes nothing");
        let ours = serde_json::json!({"extendedProperties": {"private": {"kairos_appointment": "0190aaaa-0000-7000-8000-000000000000"}}});
        assert!(range(&with(ours), utc).is_none());
    }
}
