//! Domain events: declared by the domain that produces them, subscribed to by the
//! operations that react, routed by what the operations say.
//!
//! A producing domain owns its events: a kind constant (`appointment.cancelled`), a payload
//! type, and the dedup key that makes a repeated change queue nothing new (the [`Event`]
//! trait). A consumer says on its [`Operation`] which kinds it takes
//! ([`Operation::subscribes`]); a publisher says which kinds it writes
//! ([`Operation::publishes`]). From the operation list come the queues, where each kind
//! goes ([`Routes`]) and what each function may send to: `functions.json` carries a
//! publisher's routes to its Lambda (`EVENT_ROUTES`), and the local fleet computes them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::operation::{Handler, Operation, Queue};

/// The name of a kind of event, declared once as a constant by the domain producing it.
pub type EventKind = &'static str;

/// An event a domain writes to the outbox; the value itself is the payload.
pub trait Event: Serialize {
    fn kind(&self) -> EventKind;
    /// Names the message naturally (`appointment:<id>:cancelled`): unique per business,
    /// so a retried or repeated change never queues a second one.
    fn dedup_key(&self) -> String;
    /// The FIFO group its message travels in: messages of one group are delivered one at
    /// a time, in order. `None`: the business's group (a calendar sync names its
    /// connection, so syncs of one connection never interleave).
    fn group(&self) -> Option<uuid::Uuid> {
        None
    }
}

/// Where each kind of event goes: the queues of the operations subscribed to it. A kind
/// listed with no queue is known and wanted by nobody (yet); a kind not listed at all is
/// one this process cannot route, left for the relay.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Routes(BTreeMap<String, Vec<String>>);

impl Routes {
    /// The routes of every kind the operations publish or subscribe to.
    pub fn of(operations: &[&Operation]) -> Routes {
        let mut routes: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for op in operations {
            for kind in op.publishes {
                routes.entry(kind.to_string()).or_default();
            }
        }
        for op in operations {
            if let Handler::Sqs { queue, .. } = op.handler {
                for kind in op.subscribes {
                    let queues = routes.entry(kind.to_string()).or_default();
                    if !queues.iter().any(|q| q == queue.name) {
                        queues.push(queue.name.to_owned());
                    }
                }
            }
        }
        for queues in routes.values_mut() {
            queues.sort_unstable();
        }
        Routes(routes)
    }

    /// What one publisher needs: the routes of the kinds it writes, or all of them for a
    /// relay (it publishes whatever any function left behind).
    pub fn for_publisher(&self, op: &Operation) -> Routes {
        if op.relays {
            return self.clone();
        }
        let mine = self.0.iter().filter(|(kind, _)| op.publishes.contains(&kind.as_str()));
        Routes(mine.map(|(k, q)| (k.clone(), q.clone())).collect())
    }

    /// The queues a kind goes to; `None` when this process does not know the kind.
    pub fn queues(&self, kind: &str) -> Option<&[String]> {
        self.0.get(kind).map(Vec::as_slice)
    }

    /// Every queue some kind goes to, each once, sorted.
    pub fn destinations(&self) -> Vec<&str> {
        let mut all: Vec<&str> = self.0.values().flatten().map(String::as_str).collect();
        all.sort_unstable();
        all.dedup();
        all
    }
}

/// Every queue the operations consume, each once, by name.
pub fn queues(operations: &[&Operation]) -> Vec<&'static Queue> {
    let mut queues: Vec<&'static Queue> = operations
        .iter()
        .filter_map(|op| match op.handler {
            Handler::Sqs { queue, .. } => Some(queue),
            _ => None,
        })
        .collect();
    queues.sort_by_key(|q| q.name);
    queues.dedup_by_key(|q| q.name);
    queues
}
