//! A stand-in for the WhatsApp Cloud API's send endpoint, for the local fleet and the
//! tests: it checks the request as the real API would (bearer token, template message)
//! and remembers what it accepted. It can be told to fail the next N calls with a 500.

use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{Value, json};

#[derive(Clone, Default)]
pub struct Fake {
    inner: Arc<Mutex<Inner>>,
}

#[derive(Default)]
struct Inner {
    accepted: Vec<Value>,
    fail_next: usize,
    calls: usize,
}

impl Fake {
    pub fn router(&self) -> Router {
        Router::new().route("/{phone_number_id}/messages", post(send)).with_state(self.clone())
    }

    /// Answer the next `n` sends with 500.
    pub fn fail_next(&self, n: usize) {
        if let Ok(mut i) = self.inner.lock() {
            i.fail_next = n;
        }
    }

    /// The messages accepted so far (request bodies).
    pub fn accepted(&self) -> Vec<Value> {
        self.inner.lock().map(|i| i.accepted.clone()).unwrap_or_default()
    }

    /// Every call, failed or not.
    pub fn calls(&self) -> usize {
        self.inner.lock().map(|i| i.calls).unwrap_or_default()
    }
}

async fn send(
    State(fake): State<Fake>,
    Path(_phone_number_id): Path<String>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> (StatusCode, Json<Value>) {
    let Ok(mut inner) = fake.inner.lock() else {
        return (StatusCode::INTERNAL_SERVER_ERROR, Json(json!({})));
    };
    inner.calls += 1;
    if inner.fail_next > 0 {
        inner.fail_next -= 1;
        return (StatusCode::INTERNAL_SERVER_ERROR, Json(json!({"error": {"message": "fake outage", "code": 2}})));
    }
    let authorized =
        headers.get("authorization").and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("Bearer "));
    if !authorized {
        return (StatusCode::UNAUTHORIZED, Json(json!({"error": {"message": "no token", "code": 190}})));
    }
    if body["messaging_product"] != "whatsapp" || body["type"] != "template" || !body["to"].is_string() {
        return (StatusCode::BAD_REQUEST, Json(json!({"error": {"message": "not a template message", "code": 100}})));
    }
    let id = format!("wamid.fake.{}", inner.accepted.len() + 1);
    inner.accepted.push(body.clone());
    (
        StatusCode::OK,
        Json(json!({"messaging_product": "whatsapp", "contacts": [{"wa_id": body["to"]}], "messages": [{"id": id}]})),
    )
}
