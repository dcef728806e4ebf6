//! Errors as RFC 9457 problem details with a stable machine `code` and the request id.
//!
//! The client sees the status, a stable code, a human detail and, for invalid input, the
//! field at fault. The log sees everything else; SQL text never leaves the process.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::request_id;

pub type ApiResult<T> = Result<T, ApiError>;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub detail: String,
    pub field: Option<String>,
    /// Every field at fault, when there is more than one to name (a form's answers).
    pub errors: Vec<FieldError>,
    headers: Vec<(header::HeaderName, HeaderValue)>,
}

/// One invalid field: its JSON path and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub detail: String,
}

#[derive(Serialize)]
struct Problem<'a> {
    #[serde(rename = "type")]
    kind: String,
    title: &'a str,
    status: u16,
    detail: &'a str,
    code: &'a str,
    request_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    errors: &'a [FieldError],
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> ApiError {
        ApiError { status, code, detail: detail.into(), field: None, errors: Vec::new(), headers: Vec::new() }
    }

    /// Invalid input: 422 naming the field (a JSON path such as `customer.email`).
    pub fn validation(field: impl Into<String>, detail: impl Into<String>) -> ApiError {
        let mut e = ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED", detail);
        e.field = Some(field.into());
        e
    }

    /// Several invalid fields at once: 422 whose `field` is the first and whose `errors`
    /// list every one, so a form can mark them all.
    pub fn invalid_fields(errors: Vec<FieldError>) -> ApiError {
        let first = errors.first().cloned().unwrap_or(FieldError { field: String::new(), detail: String::new() });
        let detail = match errors.len() {
            1 => first.detail.clone(),
            n => format!(
                "{n} fields are invalid: {}",
                errors.iter().map(|e| e.field.as_str()).collect::<Vec<_>>().join(", ")
            ),
        };
        let mut e = ApiError::validation(first.field, detail);
        e.errors = errors;
        e
    }

    pub fn not_found(what: &str) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "NOT_FOUND", format!("{what} not found"))
    }

    pub fn unauthorized(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "UNAUTHORIZED", detail)
            .with_header(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"))
    }

    pub fn forbidden(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "FORBIDDEN", detail)
    }

    pub fn conflict(code: &'static str, detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::CONFLICT, code, detail)
    }

    /// Anything the client cannot act on. The cause goes to the log, not the response.
    pub fn internal(cause: impl std::fmt::Display) -> ApiError {
        tracing::error!(error = %cause, "internal error");
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL", "internal error")
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> ApiError {
        self.detail = detail.into();
        self
    }

    pub fn with_code(mut self, code: &'static str) -> ApiError {
        self.code = code;
        self
    }

    pub fn with_field(mut self, field: impl Into<String>) -> ApiError {
        self.field = Some(field.into());
        self
    }

    pub fn with_header(mut self, name: header::HeaderName, value: HeaderValue) -> ApiError {
        self.headers.push((name, value));
        self
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status.as_u16(), self.code, self.detail)
    }
}

impl std::error::Error for ApiError {}

/// So an extractor whose rejection is a whole response (a replay) can still use `?`.
impl From<ApiError> for Response {
    fn from(e: ApiError) -> Response {
        e.into_response()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let problem = Problem {
            kind: format!("https://docs.kairos.app/problems/{}", self.code.to_lowercase()),
            title: self.status.canonical_reason().unwrap_or("Error"),
            status: self.status.as_u16(),
            detail: &self.detail,
            code: self.code,
            request_id: request_id::current(),
            field: self.field.as_deref(),
            errors: &self.errors,
        };
        let body = serde_json::to_vec(&problem).unwrap_or_default();
        let mut response = (self.status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        for (name, value) in self.headers {
            headers.insert(name, value);
        }
        response
    }
}

/// Database constraints whose violation is the client's doing, with what to tell them.
/// A constraint not listed here falls back to the generic mapping by SQLSTATE.
const CONSTRAINTS: &[(&str, StatusCode, &str, &str, &str)] = &[
    // (constraint, status, code, field, detail)
    ("users_email_key", StatusCode::CONFLICT, "EMAIL_TAKEN", "email", "this email is already registered"),
    (
        "staff_business_email_key",
        StatusCode::CONFLICT,
        "ALREADY_EXISTS",
        "email",
        "a staff member with this email exists",
    ),
    (
        "service_staff_staff_fkey",
        StatusCode::UNPROCESSABLE_ENTITY,
        "VALIDATION_FAILED",
        "staff_ids",
        "unknown staff member",
    ),
    ("holidays_one_per_day", StatusCode::CONFLICT, "ALREADY_EXISTS", "date", "there is already a holiday on this date"),
    (
        "customers_business_email_key",
        StatusCode::CONFLICT,
        "ALREADY_EXISTS",
        "email",
        "a customer with this email exists",
    ),
    ("appointments_no_overlap", StatusCode::CONFLICT, "SLOT_TAKEN", "start", "this time was just taken; pick another"),
    ("staff_location_fkey", StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED", "location_id", "unknown location"),
];

impl ApiError {
    /// A dependency that is down: 503 with a stable code and Retry-After, never a 500.
    pub fn unavailable() -> ApiError {
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "UNAVAILABLE", "try again shortly")
            .with_header(header::RETRY_AFTER, HeaderValue::from_static("1"))
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(err: sqlx::Error) -> ApiError {
        match &err {
            sqlx::Error::RowNotFound => ApiError::not_found("resource"),
            sqlx::Error::PoolTimedOut => {
                tracing::error!(error = %err, "database pool exhausted");
                ApiError::unavailable()
            }
            sqlx::Error::Io(_) | sqlx::Error::Tls(_) | sqlx::Error::PoolClosed | sqlx::Error::WorkerCrashed => {
                tracing::error!(error = %err, "database unreachable");
                ApiError::unavailable()
            }
            // Refused credentials (after one re-read of the secret), a server shutting down
            // or out of connections, a broken connection: the database is down for us.
            sqlx::Error::Database(db)
                if db.code().is_some_and(|c| {
                    ["28P01", "28000", "57P01", "57P02", "57P03", "53300"].contains(&c.as_ref()) || c.starts_with("08")
                }) =>
            {
                tracing::error!(error = %err, "database unavailable");
                ApiError::unavailable()
            }
            // A lock not granted within the transaction's `lock_timeout`: busy, try again.
            sqlx::Error::Database(db) if db.code().as_deref() == Some("55P03") => {
                tracing::warn!(error = %err, "a lock was not granted in time");
                ApiError::unavailable()
            }
            sqlx::Error::Database(db) => {
                let constraint = db.constraint().unwrap_or_default();
                tracing::info!(code = ?db.code(), constraint, message = db.message(), "database refused");
                if let Some((_, status, code, field, detail)) = CONSTRAINTS.iter().find(|c| c.0 == constraint) {
                    return ApiError::new(*status, code, *detail).with_field(*field);
                }
                match db.code().as_deref() {
                    Some("23505") => ApiError::conflict("ALREADY_EXISTS", "already exists"),
                    Some("23P01") => ApiError::conflict("CONFLICT", "conflicts with an existing record"),
                    Some("23503") => ApiError::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "VALIDATION_FAILED",
                        "refers to something that does not exist",
                    ),
                    Some("40001") | Some("40P01") => ApiError::conflict("RETRY", "concurrent update, retry"),
                    _ => ApiError::internal(&err),
                }
            }
            _ => ApiError::internal(&err),
        }
    }
}
