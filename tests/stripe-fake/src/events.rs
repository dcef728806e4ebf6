//! Events: immutable snapshots of an object at the moment something happened to it, in
//! the envelope `stripe_webhook::Webhook` parses.

use serde_json::{Map, Value, json};

use crate::ids::new_id;
use crate::state::State;

/// The API request that caused an event, if any (`event.request`). Events caused by time
/// passing or by a customer's action on a hosted page have none.
#[derive(Debug, Clone, Default)]
pub(crate) struct Origin {
    pub request_id: Option<String>,
    pub idempotency_key: Option<String>,
}

impl Origin {
    /// For changes nobody requested through the API: the clock, the bank, the customer.
    pub fn none() -> Self {
        Origin::default()
    }
}

#[derive(Debug, Clone)]
pub(crate) struct StoredEvent {
    pub json: Value,
    /// The endpoints that have not yet answered this event with a 2xx: Stripe's
    /// `pending_webhooks` is their count.
    pub undelivered: Vec<String>,
}

impl StoredEvent {
    pub fn id(&self) -> &str {
        self.json["id"].as_str().unwrap_or_default()
    }

    pub fn event_type(&self) -> &str {
        self.json["type"].as_str().unwrap_or_default()
    }

    /// One endpoint answered with a 2xx.
    pub fn delivered_to(&mut self, url: &str) {
        self.undelivered.retain(|u| u != url);
        self.json["pending_webhooks"] = json!(self.undelivered.len());
    }
}

impl State {
    /// Records an event about `object` and queues it for every endpoint (or holds it).
    pub fn emit(&mut self, event_type: &str, object: Value, previous: Option<Value>, origin: &Origin) -> String {
        let id = new_id("evt");
        let mut data = json!({ "object": object });
        if let Some(previous) = previous {
            data["previous_attributes"] = previous;
        }
        let undelivered = self.hooks.endpoint_urls();
        let json = json!({
            "id": id,
            "object": "event",
            "api_version": stripe_shared::version::VERSION.as_str(),
            "created": self.now(),
            "data": data,
            "livemode": false,
            "pending_webhooks": undelivered.len(),
            "request": { "id": origin.request_id, "idempotency_key": origin.idempotency_key },
            "type": event_type,
        });
        self.events.push(StoredEvent { json, undelivered });
        self.hooks.created(&id);
        id
    }

    pub fn event(&self, id: &str) -> Option<&StoredEvent> {
        self.events.iter().find(|e| e.id() == id)
    }

    pub fn event_mut(&mut self, id: &str) -> Option<&mut StoredEvent> {
        self.events.iter_mut().find(|e| e.id() == id)
    }
}

/// `previous_attributes` of an update: the old value of every top-level field that changed.
pub(crate) fn previous_attributes(before: &Value, after: &Value) -> Option<Value> {
    let (Value::Object(before), Value::Object(after)) = (before, after) else { return None };
    let changed: Map<String, Value> =
        before.iter().filter(|(key, old)| after.get(*key) != Some(*old)).map(|(k, v)| (k.clone(), v.clone())).collect();
    (!changed.is_empty()).then_some(Value::Object(changed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn previous_attributes_keep_only_what_changed() {
        let before = json!({ "status": "trialing", "metadata": {}, "cancel_at_period_end": false });
        let after = json!({ "status": "active", "metadata": {}, "cancel_at_period_end": false });
        assert_eq!(previous_attributes(&before, &after), Some(json!({ "status": "trialing" })));
        assert_eq!(previous_attributes(&after, &after), None);
    }
}
