//! The events billing produces.

use serde::{Deserialize, Serialize};
use shared::events::{Event, EventKind};

/// Something changed at Stripe for this customer (a webhook event, the owner back from
/// Checkout): the sync re-reads the subscription and writes it.
pub const SYNC: EventKind = "billing.sync";

/// The owner's trial ends soon, or today (queued by the daily trial check's SQL, which
/// writes the payload: email, name, business_name, plan_name, ends_on, days_left).
pub const TRIAL_ENDING: EventKind = "billing.trial_ending";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Sync {
    pub customer: String,
    /// What asked for it: a Stripe event id, or `refresh`.
    pub cause: String,
}

impl Event for Sync {
    fn kind(&self) -> EventKind {
        SYNC
    }

    /// One sync per Stripe event, however often Stripe delivers it.
    fn dedup_key(&self) -> String {
        format!("billing:sync:{}", self.cause)
    }
}
