//! Stripe's error answers: an HTTP status and the `{"error": {...}}` body that the SDK
//! parses into `stripe_shared::ApiErrors`.

use serde_json::{Value, json};

/// One failed API call, as Stripe would describe it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ApiError {
    pub status: u16,
    kind: &'static str,
    code: Option<&'static str>,
    message: String,
    param: Option<String>,
}

impl ApiError {
    fn invalid_request(status: u16, code: Option<&'static str>, message: String, param: Option<&str>) -> Self {
        ApiError { status, kind: "invalid_request_error", code, message, param: param.map(str::to_owned) }
    }

    pub fn missing(param: &str) -> Self {
        Self::invalid_request(400, Some("parameter_missing"), format!("Missing required param: {param}."), Some(param))
    }

    pub fn no_such(object: &str, id: &str, param: &str) -> Self {
        Self::invalid_request(404, Some("resource_missing"), format!("No such {object}: '{id}'"), Some(param))
    }

    /// A parameter that is present but unusable; Stripe answers these without a code.
    pub fn invalid(param: &str, message: impl Into<String>) -> Self {
        Self::invalid_request(400, None, message.into(), Some(param))
    }

    pub fn invalid_integer(param: &str, value: &str) -> Self {
        Self::invalid_request(400, Some("parameter_invalid_integer"), format!("Invalid integer: {value}"), Some(param))
    }

    /// A request that is well formed but not allowed in the object's current state.
    pub fn refused(message: impl Into<String>) -> Self {
        Self::invalid_request(400, None, message.into(), None)
    }

    pub fn unrecognized_url(method: &str, path: &str) -> Self {
        let message = format!(
            "Unrecognized request URL ({method}: {path}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/."
        );
        Self::invalid_request(404, None, message, None)
    }

    /// A missing or wrong secret key. Stripe shows only the key's last four characters.
    pub fn unauthorized(presented: Option<&str>) -> Self {
        let message = match presented {
            None => "You did not provide an API key. You need to provide your API key in the Authorization header, \
                     using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY')."
                .to_owned(),
            Some(key) => format!("Invalid API Key provided: {}", mask(key)),
        };
        Self::invalid_request(401, None, message, None)
    }

    pub fn idempotency_mismatch(key: &str) -> Self {
        ApiError {
            status: 400,
            kind: "idempotency_error",
            code: None,
            message: format!(
                "Keys for idempotent requests can only be used with the same parameters they were first used with. \
                 Try using a key other than '{key}' if you meant to execute a different request."
            ),
            param: None,
        }
    }

    pub fn body(&self) -> Value {
        let mut error = json!({ "type": self.kind, "message": self.message });
        if let Some(code) = self.code {
            error["code"] = json!(code);
            error["doc_url"] = json!(format!("https://stripe.com/docs/error-codes/{}", code.replace('_', "-")));
        }
        if let Some(param) = &self.param {
            error["param"] = json!(param);
        }
        json!({ "error": error })
    }
}

/// `sk_test_abcdef1234` becomes `sk_test_******1234`, the way Stripe echoes a bad key:
/// the kind and mode prefix and the last four characters stay readable.
fn mask(key: &str) -> String {
    let (head, tail) = key.split_at(key.len().saturating_sub(4));
    let prefix_len = head.match_indices('_').nth(1).map_or(0, |(i, _)| i + 1);
    let (prefix, hidden) = head.split_at(prefix_len);
    format!("{prefix}{}{tail}", "*".repeat(hidden.chars().count()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_key_is_echoed_masked() {
        assert_eq!(mask("sk_test_wrong_key1234"), "sk_test_*********1234");
        assert_eq!(mask("abc"), "abc");
    }

    #[test]
    fn a_missing_param_is_named() {
        let body = ApiError::missing("line_items").body();
        assert_eq!(body["error"]["code"], "parameter_missing");
        assert_eq!(body["error"]["param"], "line_items");
        assert_eq!(body["error"]["type"], "invalid_request_error");
    }
}
