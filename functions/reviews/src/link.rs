//! The customer's review link: a signed token naming one appointment of one business.

use chrono::Duration;
use shared::{ApiError, ApiResult, App};
use uuid::Uuid;

/// What review links are for (part of the token's audience: no other link works here).
pub const PURPOSE: &str = "review";

/// How long a review link holds after it is minted.
pub const VALID_FOR: Duration = Duration::days(30);

/// The token of the link that asks for a review of this appointment, valid for
/// [`VALID_FOR`] from now on the application's clock.
pub async fn link_token(app: &App, business_id: Uuid, appointment_id: Uuid) -> ApiResult<String> {
    let until = app.now() + VALID_FOR;
    app.signing_keys()
        .await?
        .issue_link(PURPOSE, business_id, appointment_id, until.timestamp().max(0) as u64)
        .map_err(ApiError::internal)
}

/// `(business_id, appointment_id)` of a review link valid now; 404 `LINK_INVALID` for a
/// forged, expired or other kind of link.
pub async fn verify(app: &App, token: &str) -> ApiResult<(Uuid, Uuid)> {
    app.signing_keys()
        .await?
        .verify_link(PURPOSE, token, app.now())
        .map_err(|_| ApiError::not_found("review link").with_code("LINK_INVALID"))
}
