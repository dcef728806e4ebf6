//! Sign out: the caller's session ends, with its refresh tokens and access tokens.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use shared::{Access, ApiResult, App, Auth, Operation};

use crate::tokens;

pub const OP: Operation =
    Operation::http("auth", "auth-logout", "POST", "/v1/auth/logout", Access::Member, "Sign out", || post(handler));

async fn handler(auth: Auth, State(app): State<App>) -> ApiResult<StatusCode> {
    // Tokens from before sessions existed have nothing to end.
    if let Some(session) = auth.session_id {
        let mut tx = app.db.tenant_tx(auth.business_id).await?;
        tokens::revoke_session(&mut tx, session, "logout", app.now()).await?;
        tx.commit().await?;
    }
    Ok(StatusCode::NO_CONTENT)
}
