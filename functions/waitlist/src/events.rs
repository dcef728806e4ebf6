//! The events the waitlist produces.

use chrono::{DateTime, Utc};
use serde::Serialize;
use shared::events::{Event, EventKind};
use uuid::Uuid;

/// A waiting customer was offered a freed time (the link is minted when it is sent).
pub const OFFERED: EventKind = "waitlist.offered";

#[derive(Debug, Serialize)]
pub struct Offered {
    pub entry_id: Uuid,
    pub start: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// The cancelled appointment whose time this is: one offer per entry and cancellation.
    #[serde(skip)]
    pub freed_by: Uuid,
}

impl Event for Offered {
    fn kind(&self) -> EventKind {
        OFFERED
    }

    fn dedup_key(&self) -> String {
        format!("waitlist:{}:offer:{}", self.entry_id, self.freed_by)
    }
}
