//! The signed-in user and their business.

use axum::extract::State;
use axum::routing::get;
use serde::Serialize;
use shared::{Access, ApiResult, App, Auth, Json, Operation};
use uuid::Uuid;

pub const OP: Operation =
    Operation::http("auth", "auth-me", "GET", "/v1/auth/me", Access::Member, "The signed-in user and business", || {
        get(me)
    });

#[derive(Debug, Serialize)]
pub struct Me {
    pub user: MeUser,
    pub business: MeBusiness,
    pub permissions: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct MeUser {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub role: String,
    /// Whether the address was confirmed (verification email, reset link, invitation or a
    /// sign-in provider); clients remind the user until it is.
    pub email_verified: bool,
}

#[derive(Debug, Serialize)]
pub struct MeBusiness {
    pub id: Uuid,
    pub name: String,
    pub slug: String,
    pub time_zone: String,
    pub status: String,
}

pub async fn me(auth: Auth, State(app): State<App>) -> ApiResult<Json<Me>> {
    let mut tx = app.db.tenant_tx(auth.business_id).await?;
    let user = sqlx::query_as!(
        MeUser,
        r#"SELECT id, email, name, role, email_verified_at IS NOT NULL AS "email_verified!" FROM users WHERE id = $1"#,
        auth.user_id
    )
    .fetch_one(&mut *tx)
    .await?;
    let business = sqlx::query_as!(
        MeBusiness,
        "SELECT id, name, slug, time_zone, status FROM businesses WHERE id = $1",
        auth.business_id
    )
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    let permissions =
        shared::auth::MATRIX.iter().filter(|(p, _)| p.allows(auth.role)).map(|(p, _)| format!("{p:?}")).collect();
    Ok(Json(Me { user, business, permissions }))
}
