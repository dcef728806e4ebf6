//! The events reviews produce.

use serde::{Deserialize, Serialize};
use shared::events::{Event, EventKind};
use uuid::Uuid;

/// A customer is to be asked to review their completed appointment. The link is minted
/// when the message is sent ([`crate::link::link_token`]).
pub const REQUESTED: EventKind = "review.requested";

/// The payload of `review.requested`. The sweep's SQL function (the reviews migration)
/// writes these rows with this kind, payload and dedup key; consumers read them as this.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Requested {
    pub appointment_id: Uuid,
}

impl Event for Requested {
    fn kind(&self) -> EventKind {
        REQUESTED
    }

    /// Once per appointment.
    fn dedup_key(&self) -> String {
        format!("review:{}:requested", self.appointment_id)
    }
}
