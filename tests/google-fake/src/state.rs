//! Everything the fake knows, behind the one lock in `Fake`. Each request or test action
//! runs under the lock as one step and awaits nothing; notifications it causes are queued
//! in `outbox` and sent once the lock is released.

use std::collections::HashMap;
use std::time::Duration;

use chrono_tz::Tz;
use serde_json::Value;

use crate::api::Call;
use crate::clock::Clock;
use crate::error::ApiError;
use crate::ids::random_string;
use crate::oauth::OAuth;
use crate::push::{ChannelState, Delivery, Notice};

/// One calendar, shared by every user whose calendarList holds it.
#[derive(Debug)]
pub(crate) struct Calendar {
    pub summary: String,
    pub zone: Tz,
    /// The first user it was added for: the creator of events made in the UI.
    pub owner: String,
    /// The watch `resourceId`, stable per calendar.
    pub resource_id: String,
    /// Events and tombstones, in insertion order.
    pub events: Vec<Stored>,
    pub updated: i64,
}

/// An event as stored, with the change number of its last change.
#[derive(Debug)]
pub(crate) struct Stored {
    pub json: Value,
    pub seq: u64,
}

impl Calendar {
    pub fn event_mut(&mut self, id: &str) -> Option<&mut Stored> {
        self.events.iter_mut().find(|e| e.json["id"] == id)
    }
}

/// Failures injected by `Fake::fail_next`.
#[derive(Debug)]
pub(crate) struct Failure {
    pub remaining: usize,
    pub status: u16,
    pub reason: String,
    pub retry_after: Option<u64>,
}

#[derive(Debug)]
pub(crate) struct State {
    pub base_url: String,
    pub clock: Clock,
    /// Each user's calendarList: calendar ids, the primary first.
    pub users: HashMap<String, Vec<String>>,
    pub calendars: HashMap<String, Calendar>,
    pub oauth: OAuth,
    /// The last change number handed out, across all calendars.
    pub seq: u64,
    /// Issued sync tokens: `(calendar id, change number)`.
    pub sync_tokens: HashMap<String, (String, u64)>,
    pub page_size: usize,
    pub empty_pages: bool,
    pub list_delay: Duration,
    /// Per calendar: events.list calls in flight now, and the most ever.
    pub lists: HashMap<String, (usize, usize)>,
    pub failure: Option<Failure>,
    pub channels: Vec<ChannelState>,
    pub outbox: Vec<Notice>,
    pub deliveries: Vec<Delivery>,
    pub calls: Vec<Call>,
}

impl State {
    pub fn new(base_url: String) -> Self {
        State {
            base_url,
            clock: Clock::default(),
            users: HashMap::new(),
            calendars: HashMap::new(),
            oauth: OAuth::default(),
            seq: 0,
            sync_tokens: HashMap::new(),
            page_size: 250,
            empty_pages: false,
            list_delay: Duration::ZERO,
            lists: HashMap::new(),
            failure: None,
            channels: Vec::new(),
            outbox: Vec::new(),
            deliveries: Vec::new(),
            calls: Vec::new(),
        }
    }

    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// Adds `calendar_id` to the user's calendarList, creating the calendar if it is new.
    pub fn add_calendar(&mut self, email: &str, calendar_id: &str, summary: &str, time_zone: &str) {
        let zone: Tz = time_zone.parse().unwrap_or_else(|_| panic!("unknown time zone {time_zone}"));
        let list = self.users.get_mut(email).unwrap_or_else(|| panic!("no Google user {email}"));
        if !list.iter().any(|c| c == calendar_id) {
            list.push(calendar_id.to_owned());
        }
        let now = self.clock.now();
        self.calendars.entry(calendar_id.to_owned()).or_insert_with(|| Calendar {
            summary: summary.to_owned(),
            zone,
            owner: email.to_owned(),
            resource_id: format!("fake-resource-{}", random_string(20).to_lowercase()),
            events: Vec::new(),
            updated: now,
        });
    }

    /// The calendar `calendar_id` (or `primary`) names for `email`, if it is in their list.
    pub fn own_calendar(&self, email: &str, calendar_id: &str) -> Result<String, ApiError> {
        let list = self.users.get(email).ok_or_else(ApiError::not_found)?;
        let found = match calendar_id {
            "primary" => list.first(),
            id => list.iter().find(|c| *c == id),
        };
        found.cloned().ok_or_else(ApiError::not_found)
    }

    /// Hands out the next change number.
    pub fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    pub fn calendar(&self, id: &str) -> Result<&Calendar, ApiError> {
        self.calendars.get(id).ok_or_else(ApiError::not_found)
    }

    pub fn calendar_mut(&mut self, id: &str) -> Result<&mut Calendar, ApiError> {
        self.calendars.get_mut(id).ok_or_else(ApiError::not_found)
    }
}
