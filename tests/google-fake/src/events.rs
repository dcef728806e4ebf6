//! events.insert, get, patch and delete. Every change takes a new change number (which
//! sync tokens count in) and notifies the calendar's channels.

use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use serde_json::{Map, Value, json};

use crate::clock::rfc3339;
use crate::error::ApiError;
use crate::ids::{new_event_id, valid_event_id};
use crate::state::{State, Stored};
use crate::time::{self, Shape, When};

/// Fields only the server writes; a client's values are ignored.
const READ_ONLY: [&str; 11] = [
    "kind",
    "etag",
    "id",
    "htmlLink",
    "created",
    "updated",
    "iCalUID",
    "sequence",
    "creator",
    "organizer",
    "recurringEventId",
];

impl State {
    /// events.insert on `calendar_id` by `creator`.
    pub fn insert_event(&mut self, calendar_id: &str, creator: &str, event: Value) -> Result<Value, ApiError> {
        let Value::Object(fields) = event else { return Err(ApiError::parse_error()) };
        let id = match fields.get("id") {
            None | Some(Value::Null) => new_event_id(),
            Some(Value::String(id)) if valid_event_id(id) => id.clone(),
            Some(_) => return Err(ApiError::invalid("Invalid resource id value.")),
        };
        if self.calendar(calendar_id)?.events.iter().any(|e| e.json["id"] == id) {
            return Err(ApiError::duplicate());
        }
        let event = Value::Object(fields);
        time::shape(&event).map_err(ApiError::invalid)?;
        let (now, seq) = (self.now(), self.next_seq());
        let eid = STANDARD_NO_PAD.encode(format!("{id} {calendar_id}"));
        let mut stored = json!({
            "kind": "calendar#event",
            "etag": etag(seq),
            "id": id,
            "status": "confirmed",
            "htmlLink": format!("https://www.google.com/calendar/event?eid={eid}"),
            "created": rfc3339(now),
            "updated": rfc3339(now),
        });
        for (key, value) in event.as_object().into_iter().flatten() {
            if !READ_ONLY.contains(&key.as_str()) && !value.is_null() {
                stored[key] = value.clone();
            }
        }
        stored["creator"] = json!({ "email": creator, "self": true });
        stored["organizer"] = json!({ "email": calendar_id, "self": true });
        stored["iCalUID"] = json!(format!("{id}@google.com"));
        stored["sequence"] = json!(0);
        for (key, default) in [("eventType", json!("default")), ("reminders", json!({ "useDefault": true }))] {
            if stored.get(key).is_none() {
                stored[key] = default;
            }
        }
        clean_properties(&mut stored);
        let calendar = self.calendar_mut(calendar_id)?;
        calendar.events.push(Stored { json: stored.clone(), seq });
        calendar.updated = now;
        self.changed(calendar_id);
        Ok(stored)
    }

    /// events.get: tombstones too, and instances of recurring events by their ids.
    pub fn get_event(&self, calendar_id: &str, event_id: &str) -> Result<Value, ApiError> {
        let calendar = self.calendar(calendar_id)?;
        if let Some(event) = calendar.events.iter().find(|e| e.json["id"] == event_id) {
            return Ok(event.json.clone());
        }
        let (series, _) = event_id.rsplit_once('_').ok_or_else(ApiError::not_found)?;
        let series = calendar.events.iter().find(|e| e.json["id"] == series).ok_or_else(ApiError::not_found)?;
        let instances = self.instances(&series.json, calendar.zone, None);
        instances.into_iter().find(|i| i["id"] == event_id).ok_or_else(ApiError::not_found)
    }

    /// events.patch: a JSON merge patch (objects merge, `null` removes, arrays are
    /// replaced), so `extendedProperties.private` merges per key.
    pub fn patch_event(
        &mut self,
        calendar_id: &str,
        event_id: &str,
        patch: Value,
        if_match: Option<&str>,
    ) -> Result<Value, ApiError> {
        let Value::Object(mut fields) = patch else { return Err(ApiError::parse_error()) };
        fields.retain(|key, _| !READ_ONLY.contains(&key.as_str()));
        let (now, seq) = (self.now(), self.seq + 1);
        let calendar = self.calendar_mut(calendar_id)?;
        let stored = calendar.event_mut(event_id).ok_or_else(ApiError::not_found)?;
        if if_match.is_some_and(|tag| stored.json["etag"] != tag) {
            return Err(ApiError::condition_not_met());
        }
        let mut next = stored.json.clone();
        merge(&mut next, Value::Object(fields));
        time::shape(&next).map_err(ApiError::invalid)?;
        if next["start"] != stored.json["start"] || next["end"] != stored.json["end"] {
            next["sequence"] = json!(next["sequence"].as_i64().unwrap_or(0) + 1);
        }
        next["etag"] = json!(etag(seq));
        next["updated"] = json!(rfc3339(now));
        clean_properties(&mut next);
        stored.json = next.clone();
        stored.seq = seq;
        calendar.updated = now;
        self.seq = seq;
        self.changed(calendar_id);
        Ok(next)
    }

    /// events.delete: the event becomes a tombstone (`status: cancelled`).
    pub fn delete_event(&mut self, calendar_id: &str, event_id: &str) -> Result<(), ApiError> {
        let (now, seq) = (self.now(), self.seq + 1);
        let calendar = self.calendar_mut(calendar_id)?;
        let stored = calendar.event_mut(event_id).ok_or_else(ApiError::not_found)?;
        if stored.json["status"] == "cancelled" {
            return Err(ApiError::deleted());
        }
        stored.json["status"] = json!("cancelled");
        stored.json["etag"] = json!(etag(seq));
        stored.json["updated"] = json!(rfc3339(now));
        stored.seq = seq;
        calendar.updated = now;
        self.seq = seq;
        self.changed(calendar_id);
        Ok(())
    }

    /// The instances of a recurring event that start before `limit`; without one, up to
    /// two years after the fake's now unless COUNT or UNTIL ends the rule. A non-recurring
    /// event is its own one instance.
    pub fn instances(&self, series: &Value, calendar_zone: chrono_tz::Tz, limit: Option<i64>) -> Vec<Value> {
        let Ok(shape) = time::shape(series) else { return Vec::new() };
        self.occurrences(&shape, calendar_zone, limit)
            .map(|list| {
                list.into_iter().map(|(start, end)| instance(series, &shape, start, end, calendar_zone)).collect()
            })
            .unwrap_or_else(|| vec![series.clone()])
    }

    /// The occurrences of `shape` if it recurs (see `instances`).
    pub fn occurrences(
        &self,
        shape: &Shape,
        calendar_zone: chrono_tz::Tz,
        limit: Option<i64>,
    ) -> Option<Vec<(When, When)>> {
        let rule = shape.rule.as_ref()?;
        let cap = DateTime::<Utc>::from_timestamp(self.now(), 0).unwrap_or_default() + Duration::days(730);
        let limit = match limit.and_then(|l| DateTime::from_timestamp(l, 0)) {
            Some(limit) => limit,
            None if rule.count.is_none() && rule.until.is_none() => cap,
            None => DateTime::<Utc>::MAX_UTC,
        };
        Some(time::occurrences(shape, rule, shape.zone.unwrap_or(calendar_zone), limit))
    }
}

/// One instance of a series: the series' fields with the instance's id and times.
pub(crate) fn instance(series: &Value, shape: &Shape, start: When, end: When, calendar_zone: chrono_tz::Tz) -> Value {
    let zone = shape.zone.unwrap_or(calendar_zone);
    let series_id = series["id"].as_str().unwrap_or_default();
    let mut instance = series.clone();
    if let Some(fields) = instance.as_object_mut() {
        fields.remove("recurrence");
        fields.insert("id".into(), json!(format!("{series_id}_{}", start.id_suffix())));
        fields.insert("start".into(), start.render(zone));
        fields.insert("end".into(), end.render(zone));
        fields.insert("recurringEventId".into(), json!(series_id));
        fields.insert("originalStartTime".into(), start.render(zone));
    }
    instance
}

fn etag(seq: u64) -> String {
    format!("\"{}\"", 3_100_000_000_000_000 + seq)
}

/// RFC 7396 merge: objects merge key by key, `null` removes, anything else replaces.
fn merge(target: &mut Value, patch: Value) {
    let Value::Object(patch) = patch else {
        *target = patch;
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    if let Value::Object(target) = target {
        for (key, value) in patch {
            if value.is_null() {
                target.remove(&key);
            } else {
                merge(target.entry(key).or_insert(Value::Null), value);
            }
        }
    }
}

/// Google's limits on extended properties: keys over 44 characters are dropped, values
/// over 1024 characters truncated.
fn clean_properties(event: &mut Value) {
    for kind in ["private", "shared"] {
        let Some(Value::Object(properties)) = event.pointer_mut(&format!("/extendedProperties/{kind}")) else {
            continue;
        };
        properties.retain(|key, _| key.chars().count() <= 44);
        for value in properties.values_mut() {
            if let Value::String(text) = value {
                *text = text.chars().take(1024).collect();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_patch_merges_objects_and_removes_nulls() {
        let mut event = json!({ "summary": "a", "extendedProperties": { "private": { "k": "1", "gone": "x" } } });
        merge(&mut event, json!({ "summary": "b", "extendedProperties": { "private": { "n": "2", "gone": null } } }));
        assert_eq!(event, json!({ "summary": "b", "extendedProperties": { "private": { "k": "1", "n": "2" } } }));
    }

    #[test]
    fn long_properties_are_cut() {
        let long_key = "k".repeat(45);
        let mut event = json!({ "extendedProperties": { "private": { long_key: "x", "v": "y".repeat(2000) } } });
        clean_properties(&mut event);
        let private = &event["extendedProperties"]["private"];
        assert!(private.get("k".repeat(45)).is_none());
        assert_eq!(private["v"].as_str().map(str::len), Some(1024));
    }
}
