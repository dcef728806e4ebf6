//! Sign in to the staff app: the same email and password (and throttle) as the business
//! sign-in, for an account that belongs to an active staff member, whose profile comes
//! back with the tokens.

use axum::extract::State;
use axum::routing::post;
use serde::{Deserialize, Serialize};
use shared::types::Email;
use shared::{Access, ApiError, ApiResult, App, Json, Operation, SourceIp};
use uuid::Uuid;

use auth::tokens::{self, Tokens};

pub const OP: Operation = Operation::http(
    "staff",
    "staff-login",
    "POST",
    "/v1/auth/staff/login",
    Access::Public,
    "Sign in as a staff member",
    || post(handler),
)
.permissions(&[shared::operation::DATABASE_SECRET, shared::operation::JWT_SECRET])
.memory(1024);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaffLoginRequest {
    pub email: Email,
    pub password: String,
}

#[derive(Debug, Serialize)]
pub struct StaffSession {
    pub staff: StaffRef,
    #[serde(flatten)]
    pub tokens: Tokens,
}

#[derive(Debug, Serialize)]
pub struct StaffRef {
    pub id: Uuid,
    pub name: String,
    pub location_id: Option<Uuid>,
}

async fn handler(
    State(app): State<App>,
    SourceIp(ip): SourceIp,
    Json(req): Json<StaffLoginRequest>,
) -> ApiResult<Json<StaffSession>> {
    let auth = auth::login::check_password(&app, &ip, &req.email, &req.password).await?;
    let mut tx = app.db.tenant_tx(auth.business_id).await?;
    auth::login::ensure_active(&mut tx, auth.business_id).await?;
    // The password was right, so saying the account has no staff profile reveals nothing.
    let staff = sqlx::query_as!(
        StaffRef,
        "SELECT id, name, location_id FROM staff WHERE user_id = $1 AND deleted_at IS NULL AND active",
        auth.user_id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| {
        ApiError::forbidden("this account is not an active staff member; sign in to the business instead")
            .with_code("NOT_A_STAFF_MEMBER")
    })?;
    let tokens = tokens::issue(&app, &mut tx, &auth, None).await?;
    tx.commit().await?;
    Ok(Json(StaffSession { staff, tokens }))
}
