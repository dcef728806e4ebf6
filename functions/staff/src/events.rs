//! The events staff management produces.

use serde::Serialize;
use shared::events::{Event, EventKind};
use uuid::Uuid;

/// Somebody was invited to join a business as staff.
pub const INVITATION: EventKind = "staff.invitation";

#[derive(Debug, Serialize)]
pub struct Invitation {
    pub email: String,
    pub name: String,
    pub business_name: String,
    pub token: String,
    /// RFC 3339, to the second, as the email states it.
    pub expires_at: String,
    #[serde(skip)]
    pub staff_id: Uuid,
    #[serde(skip)]
    pub token_id: Uuid,
}

impl Event for Invitation {
    fn kind(&self) -> EventKind {
        INVITATION
    }

    fn dedup_key(&self) -> String {
        format!("staff:{}:invitation:{}", self.staff_id, self.token_id)
    }
}
