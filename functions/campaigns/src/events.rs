//! The events campaigns produce: the chain of batches that hands a campaign's recipients
//! to the outbox, and one email per recipient.

use serde::{Deserialize, Serialize};
use shared::events::{Event, EventKind};
use uuid::Uuid;

/// Hand the campaign's next batch of recipients to the outbox.
pub const BATCH: EventKind = "campaign.batch";
/// One campaign email to one recipient.
pub const EMAIL: EventKind = "campaign.email";

#[derive(Debug, Serialize, Deserialize)]
pub struct Batch {
    pub campaign_id: Uuid,
    /// The batch's place in the chain (the first is 1): its dedup key, so a retried batch
    /// queues its successor once.
    pub number: i32,
}

impl Event for Batch {
    fn kind(&self) -> EventKind {
        BATCH
    }

    fn dedup_key(&self) -> String {
        format!("campaign:{}:batch:{}", self.campaign_id, self.number)
    }

    /// One campaign's batches run one at a time, and never hold up the business's other mail.
    fn group(&self) -> Option<Uuid> {
        Some(self.campaign_id)
    }
}

/// The email's payload: the recipient row names the campaign and the customer.
#[derive(Debug, Serialize, Deserialize)]
pub struct Email {
    pub campaign_id: Uuid,
    pub recipient_id: Uuid,
}

/// The dedup key of a recipient's email: one per campaign and customer.
pub fn email_key(campaign_id: Uuid, customer_id: Uuid) -> String {
    format!("campaign:{campaign_id}:customer:{customer_id}")
}
