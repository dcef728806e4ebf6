//! The events appointments produce. Each carries the appointment as it is after the
//! change, under `appointment`; a consumer reads the part it needs through [`Payload`].

use serde::{Deserialize, Serialize};
use shared::db::Tx;
use shared::events::{Event, EventKind};
use shared::{ApiResult, outbox};
use uuid::Uuid;

use crate::model::Appointment;

/// A customer booked, or staff entered, an appointment.
pub const BOOKED: EventKind = "appointment.booked";
/// The appointment was cancelled (by staff, the customer's link or its series).
pub const CANCELLED: EventKind = "appointment.cancelled";
/// The appointment moved to another time (its `sequence` counts the moves).
pub const RESCHEDULED: EventKind = "appointment.rescheduled";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Booked,
    Cancelled,
    Rescheduled,
}

/// An appointment that changed, as its event carries it.
#[derive(Debug, Serialize)]
pub struct Changed<'a> {
    #[serde(skip)]
    pub change: Change,
    pub appointment: &'a Appointment,
}

impl Event for Changed<'_> {
    fn kind(&self) -> EventKind {
        match self.change {
            Change::Booked => BOOKED,
            Change::Cancelled => CANCELLED,
            Change::Rescheduled => RESCHEDULED,
        }
    }

    /// Booked and cancelled happen once; each move is its own message.
    fn dedup_key(&self) -> String {
        let id = self.appointment.id;
        match self.change {
            Change::Booked => format!("appointment:{id}:booked"),
            Change::Cancelled => format!("appointment:{id}:cancelled"),
            Change::Rescheduled => format!("appointment:{id}:rescheduled:{}", self.appointment.sequence),
        }
    }
}

/// What an appointment event's payload reads as, for the fields `T` picks.
#[derive(Debug, Deserialize)]
pub struct Payload<T> {
    pub appointment: T,
}

/// Write the change to the outbox (same transaction), keyed so it is sent once.
pub async fn record(tx: &mut Tx, business_id: Uuid, appointment: &Appointment, change: Change) -> ApiResult<()> {
    outbox::push(tx, business_id, &Changed { change, appointment }).await?;
    Ok(())
}
