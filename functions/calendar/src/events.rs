//! The events calendar sync produces.

use serde::{Deserialize, Serialize};
use shared::events::{Event, EventKind};
use uuid::Uuid;

/// Read a connection's calendars from Google now (a notification, the schedule, a new
/// connection). Travels in the connection's FIFO group: syncs of one connection run one
/// after the other.
pub const SYNC: EventKind = "calendar.sync";

/// Google refused a connection's grant: the staff member is told to connect again (the
/// payload carries the mail's facts: email, name, google_email).
pub const BROKEN: EventKind = "calendar.broken";

/// Someone deleted or moved one of our events in Google: the appointment stands, and the
/// business is told so it can act (payload: email, name, appointment_id, change, when).
pub const CHANGED_IN_GOOGLE: EventKind = "calendar.changed_in_google";

/// Write this appointment to Google (a new connection's upcoming appointments). The
/// payload names it as the appointment events do: `{"appointment": {"id"}}`.
pub const PUSH: EventKind = "calendar.push";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AppointmentRef {
    pub id: Uuid,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Push {
    pub appointment: AppointmentRef,
    /// The connection's grant it was asked for: a reconnection asks again.
    pub connected_at: chrono::DateTime<chrono::Utc>,
}

impl Event for Push {
    fn kind(&self) -> EventKind {
        PUSH
    }

    fn dedup_key(&self) -> String {
        format!("calendar:push:{}:{}", self.appointment.id, self.connected_at.timestamp_micros())
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Sync {
    pub connection_id: Uuid,
    /// `notification:<channel>:<message number>`, `connected`, `schedule` or `renew`.
    pub cause: String,
}

impl Event for Sync {
    fn kind(&self) -> EventKind {
        SYNC
    }

    /// A notification Google delivers twice queues one sync.
    fn dedup_key(&self) -> String {
        format!("calendar:sync:{}:{}", self.connection_id, self.cause)
    }

    fn group(&self) -> Option<Uuid> {
        Some(self.connection_id)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Broken {
    pub connection_id: Uuid,
    /// When the broken grant was given: a later connection breaking is told again.
    pub connected_at: chrono::DateTime<chrono::Utc>,
    pub email: String,
    pub name: String,
    pub google_email: String,
}

impl Event for Broken {
    fn kind(&self) -> EventKind {
        BROKEN
    }

    /// Once per grant, however many calls meet the refusal.
    fn dedup_key(&self) -> String {
        format!("calendar:broken:{}:{}", self.connection_id, self.connected_at.timestamp_micros())
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChangedInGoogle {
    pub appointment_id: Uuid,
    /// `deleted` or `moved`.
    pub change: String,
    /// Who is told: the business's owners.
    pub email: String,
    pub name: String,
    pub staff_name: String,
    /// The appointment's time, as the customer still expects it (RFC 3339).
    pub when: String,
}

impl Event for ChangedInGoogle {
    fn kind(&self) -> EventKind {
        CHANGED_IN_GOOGLE
    }

    fn dedup_key(&self) -> String {
        format!("calendar:changed:{}:{}:{}", self.appointment_id, self.change, self.email)
    }
}
