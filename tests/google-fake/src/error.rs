//! Error answers: Google's Calendar envelope (`{"error": {"errors": [...], "code", "message"}}`)
//! and the OAuth shape (`{"error", "error_description"}`).

use serde_json::{Value, json};

/// One refused Calendar API call (boxed, so results stay small).
#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    pub status: u16,
    detail: Box<Detail>,
}

#[derive(Debug, Clone)]
struct Detail {
    domain: &'static str,
    reason: String,
    message: String,
    /// `(locationType, location)`, for parameter and header errors.
    location: Option<(&'static str, &'static str)>,
    /// The gRPC-style `status` Google's front end adds to auth and scope errors.
    grpc: Option<&'static str>,
    /// `Retry-After` seconds, only for injected failures.
    retry_after: Option<u64>,
}

impl ApiError {
    fn new(status: u16, domain: &'static str, reason: &str, message: impl Into<String>) -> Self {
        let (reason, message) = (reason.to_owned(), message.into());
        let detail = Detail { domain, reason, message, location: None, grpc: None, retry_after: None };
        ApiError { status, detail: Box::new(detail) }
    }

    fn at(mut self, kind: &'static str, name: &'static str) -> Self {
        self.detail.location = Some((kind, name));
        self
    }

    fn grpc(mut self, status: &'static str) -> Self {
        self.detail.grpc = Some(status);
        self
    }

    pub fn retry_after(&self) -> Option<u64> {
        self.detail.retry_after
    }

    pub fn unauthenticated() -> Self {
        Self::new(401, "global", "authError", "Invalid Credentials")
            .at("header", "Authorization")
            .grpc("UNAUTHENTICATED")
    }

    pub fn insufficient_scopes() -> Self {
        let message = "Request had insufficient authentication scopes.";
        Self::new(403, "global", "insufficientPermissions", message).grpc("PERMISSION_DENIED")
    }

    pub fn not_found() -> Self {
        Self::new(404, "global", "notFound", "Not Found")
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(400, "global", "invalid", message)
    }

    pub fn invalid_param(message: impl Into<String>, param: &'static str) -> Self {
        Self::invalid(message).at("parameter", param)
    }

    pub fn parse_error() -> Self {
        Self::new(400, "global", "parseError", "Parse Error")
    }

    pub fn required(field: &str) -> Self {
        Self::new(400, "global", "required", format!("Missing {field}."))
    }

    pub fn time_range_empty() -> Self {
        Self::new(400, "calendar", "timeRangeEmpty", "The specified time range is empty.").at("parameter", "timeMax")
    }

    pub fn duplicate() -> Self {
        Self::new(409, "global", "duplicate", "The requested identifier already exists.")
    }

    pub fn deleted() -> Self {
        Self::new(410, "global", "deleted", "Resource has been deleted")
    }

    pub fn full_sync_required() -> Self {
        let message = "Sync token is no longer valid, a full sync is required.";
        Self::new(410, "calendar", "fullSyncRequired", message).at("parameter", "syncToken")
    }

    pub fn condition_not_met() -> Self {
        Self::new(412, "global", "conditionNotMet", "Precondition Failed").at("header", "If-Match")
    }

    /// An injected failure (`Fake::fail_next`).
    pub fn injected(status: u16, reason: &str, retry_after: Option<u64>) -> Self {
        let (domain, message) = match reason {
            "rateLimitExceeded" => ("usageLimits", "Rate Limit Exceeded"),
            "userRateLimitExceeded" => ("usageLimits", "User Rate Limit Exceeded"),
            "quotaExceeded" => ("usageLimits", "Calendar usage limits exceeded."),
            "backendError" => ("global", "Backend Error"),
            _ => ("global", "Injected failure"),
        };
        let mut error = Self::new(status, domain, reason, message);
        error.detail.retry_after = retry_after;
        error
    }

    pub fn body(&self) -> Value {
        let detail = &self.detail;
        let mut item = json!({ "domain": detail.domain, "reason": detail.reason, "message": detail.message });
        if let Some((kind, name)) = detail.location {
            item["locationType"] = json!(kind);
            item["location"] = json!(name);
        }
        let mut error = json!({ "errors": [item], "code": self.status, "message": detail.message });
        if let Some(status) = detail.grpc {
            error["status"] = json!(status);
        }
        json!({ "error": error })
    }
}

/// One refused OAuth request.
#[derive(Debug, Clone)]
pub(crate) struct OAuthError {
    pub status: u16,
    pub error: &'static str,
    pub description: &'static str,
}

impl OAuthError {
    pub fn new(status: u16, error: &'static str, description: &'static str) -> Self {
        OAuthError { status, error, description }
    }

    pub fn invalid_grant(description: &'static str) -> Self {
        Self::new(400, "invalid_grant", description)
    }

    pub fn body(&self) -> Value {
        json!({ "error": self.error, "error_description": self.description })
    }
}
