//! The HTTP side of the API: the secret key, idempotency keys, `expand[]` and Stripe's
//! response headers, around the endpoints in `resources`.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State as Extract;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use serde_json::Value;

use crate::error::ApiError;
use crate::events::Origin;
use crate::form::Form;
use crate::ids::new_id;
use crate::state::{SavedResponse, State};
use crate::{API_KEY, Fake, pages};

/// One API request, as the endpoints see it.
#[derive(Debug)]
pub(crate) struct Call {
    pub method: String,
    /// The path without the query, such as `/v1/customers/cus_123`.
    pub path: String,
    pub form: Form,
    bearer: Option<String>,
    idempotency_key: Option<String>,
}

impl Call {
    fn new(method: &Method, uri: &Uri, headers: &HeaderMap, body: &[u8]) -> Self {
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        Call {
            method: method.as_str().to_owned(),
            path: uri.path().to_owned(),
            form: Form::from_query_and_body(uri.query().unwrap_or_default(), body),
            bearer: header(header::AUTHORIZATION.as_str())
                .and_then(|v| v.strip_prefix("Bearer "))
                .map(|key| key.trim().to_owned()),
            idempotency_key: header("idempotency-key").map(str::to_owned),
        }
    }

    /// The path after `/v1/`, split: `["checkout", "sessions", "cs_test_..."]`.
    pub fn segments(&self) -> Vec<&str> {
        self.path.trim_start_matches("/v1/").split('/').filter(|s| !s.is_empty()).collect()
    }
}

/// A response with Stripe's headers: `Request-Id` always, `Idempotent-Replayed` on replays.
#[derive(Debug)]
pub(crate) struct Answer {
    status: u16,
    body: Value,
    request_id: String,
    replayed: bool,
}

impl Answer {
    fn new(result: Result<Value, ApiError>, request_id: String) -> Self {
        let (status, body) = match result {
            Ok(body) => (200, body),
            Err(error) => (error.status, error.body()),
        };
        Answer { status, body, request_id, replayed: false }
    }
}

impl IntoResponse for Answer {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (status, axum::Json(self.body)).into_response();
        let headers = response.headers_mut();
        if let Ok(id) = self.request_id.parse() {
            headers.insert("request-id", id);
        }
        if self.replayed {
            headers.insert("idempotent-replayed", header::HeaderValue::from_static("true"));
        }
        response
    }
}

pub(crate) fn router(fake: Fake) -> Router {
    Router::new().route("/v1/{*path}", any(api)).merge(pages::routes()).with_state(fake)
}

async fn api(Extract(fake): Extract<Fake>, method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Answer {
    let call = Call::new(&method, &uri, &headers, &body);
    fake.with_state(|state| state.serve(&call))
}

impl State {
    /// Answers one API call, recording it first so tests can count calls, refused or not.
    fn serve(&mut self, call: &Call) -> Answer {
        self.requests.push((call.method.clone(), call.path.clone()));
        let request_id = new_id("req");
        if call.bearer.as_deref() != Some(API_KEY) {
            return Answer::new(Err(ApiError::unauthorized(call.bearer.as_deref())), request_id);
        }
        let key = call.idempotency_key.as_deref().filter(|_| call.method == "POST");
        if let Some(saved) = key.and_then(|k| self.idempotency.get(k)) {
            return replay(saved, call);
        }
        let origin = Origin { request_id: Some(request_id.clone()), idempotency_key: key.map(str::to_owned) };
        let result = self.route(call, &origin).map(|mut body| {
            self.expand(&mut body, &call.form.values("expand"));
            body
        });
        let answer = Answer::new(result, request_id);
        if let Some(key) = key.filter(|_| answer.status == 200) {
            self.idempotency.insert(key.to_owned(), saved_response(call, &answer));
        }
        answer
    }

    /// Replaces each id named by an `expand[]` path (`subscription`, `items.data.price`,
    /// `data.customer`) with the object it names, as far as the fake has that object.
    fn expand(&self, body: &mut Value, paths: &[&str]) {
        for path in paths {
            let fields: Vec<&str> = path.split('.').collect();
            self.expand_fields(body, &fields);
        }
    }

    fn expand_fields(&self, object: &mut Value, fields: &[&str]) {
        let Some((field, rest)) = fields.split_first() else { return };
        if *field == "line_items" {
            self.fill_line_items(object);
        }
        if let Some(child) = object.get_mut(*field) {
            self.expand_value(child, rest);
        }
    }

    fn expand_value(&self, value: &mut Value, rest: &[&str]) {
        match value {
            Value::Array(items) => items.iter_mut().for_each(|item| self.expand_value(item, rest)),
            Value::String(id) => {
                if let Some(object) = self.object_json(id) {
                    *value = object;
                    self.expand_fields(value, rest);
                }
            }
            Value::Object(_) => self.expand_fields(value, rest),
            _ => {}
        }
    }

    /// A checkout session's `line_items` exist only when expanded.
    fn fill_line_items(&self, object: &mut Value) {
        let Some(session) = object.get("id").and_then(Value::as_str).and_then(|id| self.sessions.get(id)) else {
            return;
        };
        if let Some(price) = self.prices.get(&session.price) {
            let product = self.products.get(&price.product);
            object["line_items"] = crate::render::checkout_line_items(session, price, product);
        }
    }
}

/// The first answer under an idempotency key, or Stripe's refusal when the key comes back
/// with a different request.
fn replay(saved: &SavedResponse, call: &Call) -> Answer {
    let same = saved.method == call.method && saved.path == call.path && saved.params == call.form.canonical();
    if !same {
        let key = call.idempotency_key.as_deref().unwrap_or_default();
        return Answer::new(Err(ApiError::idempotency_mismatch(key)), new_id("req"));
    }
    Answer { status: saved.status, body: saved.body.clone(), request_id: saved.request_id.clone(), replayed: true }
}

fn saved_response(call: &Call, answer: &Answer) -> SavedResponse {
    SavedResponse {
        method: call.method.clone(),
        path: call.path.clone(),
        params: call.form.canonical(),
        status: answer.status,
        body: answer.body.clone(),
        request_id: answer.request_id.clone(),
    }
}
