//! Sign in with a Google ID token (see `social` for who gets in).

use axum::extract::State;
use axum::routing::post;
use shared::{Access, ApiResult, App, Json, Operation};

use crate::social::{self, ProviderSignIn};
use crate::tokens::Tokens;

pub const OP: Operation = Operation::http(
    "auth",
    "auth-google",
    "POST",
    "/v1/auth/google",
    Access::Public,
    "Sign in with a Google ID token",
    || post(handler),
)
.permissions(&[shared::operation::DATABASE_SECRET, shared::operation::JWT_SECRET])
.env(&["GOOGLE_CLIENT_ID"]);

async fn handler(State(app): State<App>, Json(req): Json<ProviderSignIn>) -> ApiResult<Json<Tokens>> {
    let config = &app.config;
    let tokens =
        social::sign_in(&app, &crate::oidc::GOOGLE, &config.google_jwks_url, &config.google_client_ids, &req).await?;
    Ok(Json(tokens))
}
