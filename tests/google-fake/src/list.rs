//! events.list: full lists filtered by time, incremental lists from a sync token, and
//! pagination.
//!
//! A list is a snapshot: the first page fixes the last change number it covers, every
//! page shows only events last changed at or before it, and the sync token on the last
//! page points at it, so an event changed while paging shows up in the next incremental
//! list. Page tokens carry the whole query (base64 JSON) and a cursor: the sort key of the
//! last item shown.

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::DateTime;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::clock::rfc3339;
use crate::error::ApiError;
use crate::events::instance;
use crate::ids::random_string;
use crate::state::{Calendar, State};
use crate::time::{self, When};

/// `(start, change number, instance index)`; start is 0 unless `orderBy=startTime`.
type Key = (i64, u64, usize);

/// Parameters that may not come with a `syncToken`.
const NOT_WITH_SYNC_TOKEN: [&str; 8] = [
    "timeMin",
    "timeMax",
    "orderBy",
    "updatedMin",
    "q",
    "iCalUID",
    "privateExtendedProperty",
    "sharedExtendedProperty",
];

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Cursor {
    calendar: String,
    /// The sync token's change number, for an incremental list.
    since: Option<u64>,
    snapshot: u64,
    time_min: Option<i64>,
    time_max: Option<i64>,
    single_events: bool,
    show_deleted: bool,
    order_by: Option<String>,
    max_results: Option<usize>,
    after: Option<Key>,
    /// The empty page before the next real one has been answered.
    empty_shown: bool,
}

impl State {
    pub fn list_events(&mut self, calendar_id: &str, params: &HashMap<String, String>) -> Result<Value, ApiError> {
        let get = |name: &str| params.get(name).map(String::as_str);
        let since = match get("syncToken") {
            Some(token) => {
                if let Some(param) = NOT_WITH_SYNC_TOKEN.iter().find(|p| params.contains_key(**p)) {
                    let message = format!("Sync token cannot be combined with {param}.");
                    return Err(ApiError::invalid_param(message, "syncToken"));
                }
                let point = self.sync_tokens.get(token).filter(|(calendar, _)| calendar == calendar_id);
                Some(point.ok_or_else(ApiError::full_sync_required)?.1)
            }
            None => None,
        };
        let mut cursor = match get("pageToken") {
            Some(token) => decode(token)
                .filter(|c| c.calendar == calendar_id)
                .ok_or_else(|| ApiError::invalid_param("Invalid page token value.", "pageToken"))?,
            None => self.first_cursor(calendar_id, since, params)?,
        };
        let calendar = self.calendar(calendar_id)?;
        let mut answer = json!({
            "kind": "calendar#events",
            "etag": format!("\"{}\"", cursor.snapshot),
            "summary": calendar.summary,
            "updated": rfc3339(calendar.updated),
            "timeZone": calendar.zone.name(),
            "accessRole": "owner",
            "defaultReminders": [],
            "items": [],
        });
        if self.empty_pages && !cursor.empty_shown {
            cursor.empty_shown = true;
            answer["nextPageToken"] = json!(encode(&cursor));
            return Ok(answer);
        }
        let mut items = self.items(calendar, &cursor);
        items.sort_by_key(|(key, _)| *key);
        items.retain(|(key, _)| cursor.after.is_none_or(|after| *key > after));
        let size = self.page_size.min(cursor.max_results.unwrap_or(250)).max(1);
        let more = items.len() > size;
        items.truncate(size);
        if more {
            cursor.after = items.last().map(|(key, _)| *key);
            cursor.empty_shown = false;
            answer["nextPageToken"] = json!(encode(&cursor));
        } else if cursor.order_by.is_none() {
            let token = format!("CPfake{}", random_string(24));
            self.sync_tokens.insert(token.clone(), (calendar_id.to_owned(), cursor.snapshot));
            answer["nextSyncToken"] = json!(token);
        }
        answer["items"] = Value::Array(items.into_iter().map(|(_, item)| item).collect());
        Ok(answer)
    }

    fn first_cursor(
        &self,
        calendar_id: &str,
        since: Option<u64>,
        params: &HashMap<String, String>,
    ) -> Result<Cursor, ApiError> {
        let get = |name: &str| params.get(name).map(String::as_str);
        let time_min = parse_time(get("timeMin"), "timeMin")?;
        let time_max = parse_time(get("timeMax"), "timeMax")?;
        if let (Some(min), Some(max)) = (time_min, time_max)
            && max <= min
        {
            return Err(ApiError::time_range_empty());
        }
        let single_events = get("singleEvents") == Some("true");
        let order_by = get("orderBy").map(str::to_owned);
        match order_by.as_deref() {
            None | Some("updated") => {}
            Some("startTime") if single_events => {}
            Some(_) => {
                let message = "The requested ordering is not available for the particular query.";
                return Err(ApiError::invalid_param(message, "orderBy"));
            }
        }
        let max_results = match get("maxResults") {
            Some(n) => Some(n.parse().ok().filter(|n| *n >= 1).ok_or_else(|| {
                ApiError::invalid_param(format!("Invalid value '{n}'. Values must be at least 1."), "maxResults")
            })?),
            None => None,
        };
        Ok(Cursor {
            calendar: calendar_id.to_owned(),
            since,
            snapshot: self.seq,
            time_min,
            time_max,
            single_events,
            show_deleted: get("showDeleted") == Some("true"),
            order_by,
            max_results,
            after: None,
            empty_shown: false,
        })
    }

    /// Every item the whole list shows, with its sort key, unsorted.
    fn items(&self, calendar: &Calendar, cursor: &Cursor) -> Vec<(Key, Value)> {
        let incremental = cursor.since.is_some();
        // Incremental lists are not filtered by time.
        let (min, max) = if incremental { (None, None) } else { (cursor.time_min, cursor.time_max) };
        let zone = calendar.zone;
        let overlaps = |start: When, end: When| {
            min.is_none_or(|min| end.instant(zone).timestamp() > min)
                && max.is_none_or(|max| start.instant(zone).timestamp() < max)
        };
        let key = |start: When, seq: u64, index: usize| {
            let start =
                if cursor.order_by.as_deref() == Some("startTime") { start.instant(zone).timestamp() } else { 0 };
            (start, seq, index)
        };
        let mut items = Vec::new();
        for event in &calendar.events {
            let changed = cursor.since.is_none_or(|since| event.seq > since) && event.seq <= cursor.snapshot;
            let hidden = !incremental && !cursor.show_deleted && event.json["status"] == "cancelled";
            let Ok(shape) = time::shape(&event.json) else { continue };
            if !changed || hidden {
                continue;
            }
            match self.occurrences(&shape, zone, max) {
                None if overlaps(shape.start, shape.end) => {
                    items.push((key(shape.start, event.seq, 0), event.json.clone()))
                }
                None => {}
                Some(occurrences) if cursor.single_events => {
                    for (index, (start, end)) in
                        occurrences.into_iter().enumerate().filter(|(_, (s, e))| overlaps(*s, *e))
                    {
                        items.push((key(start, event.seq, index), instance(&event.json, &shape, start, end, zone)));
                    }
                }
                Some(occurrences) if occurrences.iter().any(|(start, end)| overlaps(*start, *end)) => {
                    items.push((key(shape.start, event.seq, 0), event.json.clone()));
                }
                Some(_) => {}
            }
        }
        items
    }
}

fn parse_time(value: Option<&str>, param: &'static str) -> Result<Option<i64>, ApiError> {
    let Some(value) = value else { return Ok(None) };
    let at = DateTime::parse_from_rfc3339(value).map_err(|_| ApiError::invalid_param("Bad Request", param))?;
    Ok(Some(at.timestamp()))
}

fn encode(cursor: &Cursor) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(cursor).unwrap_or_default())
}

fn decode(token: &str) -> Option<Cursor> {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(token).ok()?).ok()
}
