//! The events accounts produce: mail whose link carries a one-time token (the consumer
//! renders the link, then the token is dropped from what it keeps).

use serde::Serialize;
use shared::events::{Event, EventKind};
use uuid::Uuid;

/// A new address to confirm (at registration and on request).
pub const EMAIL_VERIFY: EventKind = "auth.email_verify";
/// A password reset somebody asked for.
pub const PASSWORD_RESET: EventKind = "auth.password_reset";

#[derive(Debug, Serialize)]
pub struct EmailVerify {
    pub email: String,
    pub name: String,
    pub token: String,
    #[serde(skip)]
    pub user_id: Uuid,
    #[serde(skip)]
    pub token_id: Uuid,
}

impl Event for EmailVerify {
    fn kind(&self) -> EventKind {
        EMAIL_VERIFY
    }

    fn dedup_key(&self) -> String {
        format!("user:{}:email_verify:{}", self.user_id, self.token_id)
    }
}

#[derive(Debug, Serialize)]
pub struct PasswordReset {
    pub email: String,
    pub name: String,
    pub token: String,
    /// RFC 3339, to the second, as the email states it.
    pub expires_at: String,
    #[serde(skip)]
    pub user_id: Uuid,
    #[serde(skip)]
    pub token_id: Uuid,
}

impl Event for PasswordReset {
    fn kind(&self) -> EventKind {
        PASSWORD_RESET
    }

    fn dedup_key(&self) -> String {
        format!("user:{}:password_reset:{}", self.user_id, self.token_id)
    }
}
