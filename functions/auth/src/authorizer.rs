//! The API Gateway HTTP API Lambda authorizer (simple responses).
//!
//! Verifies the bearer token (signature against the current or a previous key, issuer,
//! audience, expiry) and that the business is active, then passes business, user and
//! role to the route as context. The local fleet calls [`authorize`] from its layer.

use aws_lambda_events::apigw::{ApiGatewayV2CustomAuthorizerSimpleResponse, ApiGatewayV2CustomAuthorizerV2Request};
use futures_util::FutureExt;
use shared::{ApiError, App, Auth, Operation};

pub const OP: Operation =
    Operation::authorizer("auth", "auth-authorizer", "Verify the bearer token for API Gateway", |app, request| {
        decide(app, request).boxed()
    });

pub async fn decide(
    app: App,
    request: ApiGatewayV2CustomAuthorizerV2Request,
) -> ApiGatewayV2CustomAuthorizerSimpleResponse {
    let header = request
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| request.identity_source.as_ref().and_then(|s| s.first().cloned()));
    let mut response = ApiGatewayV2CustomAuthorizerSimpleResponse::default();
    match authorize(&app, header.as_deref()).await {
        Ok(auth) => {
            response.is_authorized = true;
            response.context = serde_json::to_value(auth.to_context()).unwrap_or_default();
        }
        Err(e) => {
            tracing::info!(reason = %e.detail, "request not authorized");
            response.is_authorized = false;
        }
    }
    response
}

/// The identity behind an `Authorization: Bearer ...` header, or why there is none.
pub async fn authorize(app: &App, header: Option<&str>) -> Result<Auth, ApiError> {
    let token = header
        .and_then(|h| h.strip_prefix("Bearer ").or_else(|| h.strip_prefix("bearer ")))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ApiError::unauthorized("a bearer token is required"))?;
    let auth = app
        .signing_keys()
        .await?
        .verify(token, app.now())
        .map_err(|e| ApiError::unauthorized(format!("invalid token: {e}")))?;

    let mut tx = app.db.tenant_tx(auth.business_id).await?;
    let state = sqlx::query!(
        r#"SELECT b.status,
                  ($2::uuid IS NOT NULL
                   AND NOT EXISTS (SELECT 1 FROM sessions s WHERE s.id = $2 AND s.revoked_at IS NULL)) AS "revoked!"
           FROM businesses b WHERE b.id = $1"#,
        auth.business_id,
        auth.session_id
    )
    .fetch_optional(&mut *tx)
    .await?;
    tx.commit().await?;
    if state.as_ref().is_some_and(|s| s.revoked) {
        return Err(ApiError::unauthorized("this session has ended; sign in again").with_code("SESSION_REVOKED"));
    }
    match state.as_ref().map(|s| s.status.as_str()) {
        Some("active") => Ok(auth),
        Some(_) => Err(ApiError::forbidden("this business is suspended").with_code("BUSINESS_SUSPENDED")),
        None => Err(ApiError::unauthorized("unknown business")),
    }
}
