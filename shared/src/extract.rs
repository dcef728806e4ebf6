//! Extractors that turn bad input into a 422 naming the field, and a JSON response type.
//!
//! Domain types parse on deserialization (`Email`, `Name`, ...), so a value that does not
//! parse is reported at its JSON path by serde_path_to_error.

use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{FromRequest, FromRequestParts, RawPathParams, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// A JSON body in, or a JSON response out.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

impl<T, S> FromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json") || v.contains("+json"));
        if !is_json {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "UNSUPPORTED_MEDIA_TYPE",
                "send the body as application/json",
            ));
        }
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "BAD_REQUEST", e.body_text()))?;
        parse_json(&bytes).map(Json)
    }
}

/// A JSON body that may be left out entirely (then `T::default()`), for requests whose
/// every field is optional, such as `POST .../cancel` with an optional reason.
#[derive(Debug, Clone, Copy, Default)]
pub struct OptionalJson<T>(pub T);

impl<T, S> FromRequest<S> for OptionalJson<T>
where
    T: DeserializeOwned + Default,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let has_type = req.headers().contains_key(header::CONTENT_TYPE);
        if !has_type {
            let bytes = Bytes::from_request(req, state)
                .await
                .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "BAD_REQUEST", e.body_text()))?;
            if bytes.iter().all(u8::is_ascii_whitespace) {
                return Ok(OptionalJson(T::default()));
            }
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "UNSUPPORTED_MEDIA_TYPE",
                "send the body as application/json",
            ));
        }
        Json::<T>::from_request(req, state).await.map(|Json(v)| OptionalJson(v))
    }
}

/// Deserialize JSON, reporting the path of the first value that does not fit.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|err| {
        let field = field_of(&err.path().to_string(), &err.inner().to_string());
        let inner = err.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            ApiError::new(StatusCode::BAD_REQUEST, "MALFORMED_JSON", format!("body is not valid JSON: {inner}"))
                .with_field("body")
        } else {
            ApiError::validation(field, strip_position(&inner.to_string()))
        }
    })
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        match serde_json::to_vec(&self.0) {
            Ok(body) => ([(header::CONTENT_TYPE, "application/json")], body).into_response(),
            Err(e) => ApiError::internal(e).into_response(),
        }
    }
}

/// Path parameters; a value that does not parse is a 422 naming the parameter.
#[derive(Debug, Clone, Copy)]
pub struct Path<T>(pub T);

impl<T, S> FromRequestParts<S> for Path<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(Path(value)),
            Err(PathRejection::FailedToDeserializePathParams(e)) => {
                use axum::extract::path::ErrorKind;
                let (key, index) = match e.kind() {
                    ErrorKind::ParseErrorAtKey { key, .. } => (Some(key.clone()), 0),
                    ErrorKind::InvalidUtf8InPathParam { key } => (Some(key.clone()), 0),
                    ErrorKind::DeserializeError { key, .. } => (Some(key.clone()), 0),
                    ErrorKind::ParseErrorAtIndex { index, .. } => (None, *index),
                    _ => (None, 0),
                };
                // A tuple or single value reports a position, not a name: look it up.
                let key = match key {
                    Some(key) => key,
                    None => RawPathParams::from_request_parts(parts, state)
                        .await
                        .ok()
                        .and_then(|p| p.iter().nth(index).map(|(k, _)| k.to_owned()))
                        .unwrap_or_else(|| "path".into()),
                };
                Err(ApiError::validation(key.clone(), format!("{key} is not valid")))
            }
            Err(e) => Err(ApiError::internal(e)),
        }
    }
}

/// Query string parameters; a value that does not parse is a 422 naming the parameter.
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<T>(pub T);

impl<T, S> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or_default();
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(de).map(Query).map_err(|err| {
            let field = field_of(&err.path().to_string(), &err.inner().to_string());
            ApiError::validation(field, err.into_inner().to_string())
        })
    }
}

/// The optional `Idempotency-Key` header of a creating POST.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IdempotencyKey(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for IdempotencyKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let Some(value) = parts.headers.get("idempotency-key") else {
            return Ok(IdempotencyKey(None));
        };
        let key = value.to_str().unwrap_or_default();
        let valid = (1..=255).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic());
        if !valid {
            return Err(ApiError::validation(
                "Idempotency-Key",
                "Idempotency-Key must be 1 to 255 visible ASCII characters",
            ));
        }
        Ok(IdempotencyKey(Some(key.to_owned())))
    }
}

/// The field a serde error is about: its path, plus the name inside a
/// "missing field `x`" message, which serde reports at the parent.
fn field_of(path: &str, message: &str) -> String {
    let parent = if path == "." { "" } else { path };
    let named = message.strip_prefix("missing field `").and_then(|rest| rest.split('`').next());
    match (parent, named) {
        ("", Some(name)) => name.to_owned(),
        (parent, Some(name)) => format!("{parent}.{name}"),
        ("", None) => "body".to_owned(),
        (parent, None) => parent.to_owned(),
    }
}

/// serde_json appends " at line 1 column 42"; the client needs the field, not the column.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Inner {
        email: crate::types::Email,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Outer {
        name: crate::types::Name,
        customer: Inner,
    }

    fn field(json: &str) -> Option<String> {
        parse_json::<Outer>(json.as_bytes()).err().and_then(|e| e.field)
    }

    #[test]
    fn names_the_field_at_fault() {
        assert_eq!(field(r#"{"customer":{"email":"a@b.co"}}"#).as_deref(), Some("name"));
        assert_eq!(field(r#"{"name":"x","customer":{}}"#).as_deref(), Some("customer.email"));
        assert_eq!(field(r#"{"name":"x","customer":{"email":"nope"}}"#).as_deref(), Some("customer.email"));
        assert_eq!(field(r#"{"name":"  ","customer":{"email":"a@b.co"}}"#).as_deref(), Some("name"));
        assert_eq!(field(r#"{"name":"x","extra":1,"customer":{"email":"a@b.co"}}"#).as_deref(), Some("extra"));
        assert_eq!(field(r#"{"name":"#).as_deref(), Some("body"));
        assert!(parse_json::<Outer>(br#"{"name":"x","customer":{"email":"a@b.co"}}"#).is_ok());
    }
}

/// The caller's address: API Gateway's `sourceIp` under Lambda; locally the first
/// `x-forwarded-for` hop (the local fleet has no proxy in front to forge it past).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceIp(pub String);

impl<S: Send + Sync> FromRequestParts<S> for SourceIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        use lambda_http::RequestExt;
        use lambda_http::request::RequestContext;
        if let Some(RequestContext::ApiGatewayV2(ctx)) = parts.extensions.request_context_ref()
            && let Some(ip) = ctx.http.source_ip.as_deref().filter(|ip| !ip.is_empty())
        {
            return Ok(SourceIp(ip.to_owned()));
        }
        let forwarded = parts
            .headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty() && v.len() <= 64);
        Ok(SourceIp(forwarded.unwrap_or_else(|| "unknown".into())))
    }
}
