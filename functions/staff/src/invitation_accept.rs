//! Accept a staff invitation: choose a password, get a login (role `staff`) linked to the
//! staff member, and be signed in. The invitation proved the address, so it counts as
//! verified.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use serde::{Deserialize, Serialize};
use shared::auth::password;
use shared::types::Password;
use shared::{Access, ApiError, ApiResult, App, Auth, Json, Operation, Role};
use uuid::Uuid;

use auth::onetime::{self, Purpose, Subject};
use auth::tokens::{self, Tokens};

pub const OP: Operation = Operation::http(
    "staff",
    "staff-invitation-accept",
    "POST",
    "/v1/auth/staff/invitations/accept",
    Access::Public,
    "Accept a staff invitation: set a password and sign in",
    || post(handler),
)
.permissions(&[shared::operation::DATABASE_SECRET, shared::operation::JWT_SECRET])
// Argon2id hashing wants CPU, and Lambda's CPU grows with memory.
.memory(1024);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AcceptRequest {
    pub token: String,
    pub password: Password,
}

#[derive(Debug, Serialize)]
pub struct Accepted {
    pub user: AcceptedUser,
    pub staff_id: Uuid,
    #[serde(flatten)]
    pub tokens: Tokens,
}

#[derive(Debug, Serialize)]
pub struct AcceptedUser {
    pub id: Uuid,
    pub email: String,
    pub role: Role,
}

async fn handler(State(app): State<App>, Json(req): Json<AcceptRequest>) -> ApiResult<(StatusCode, Json<Accepted>)> {
    let business_id = onetime::business_of(&app, &req.token).await?;
    let password_hash = password::hash(req.password.expose()).await?;

    let mut tx = app.db.tenant_tx(business_id).await?;
    let token = onetime::redeem(&app, &mut tx, Purpose::StaffInvitation, &req.token).await?;
    let staff_id = token.staff_id.ok_or_else(|| ApiError::internal("invitation without a staff member"))?;
    let staff = sqlx::query!("SELECT name, email, user_id FROM staff WHERE id = $1 AND deleted_at IS NULL", staff_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "TOKEN_INVALID", "this invitation was withdrawn")
                .with_field("token")
        })?;
    if staff.user_id.is_some() {
        return Err(ApiError::conflict("ALREADY_HAS_ACCOUNT", "this staff member can already sign in"));
    }
    auth::login::ensure_active(&mut tx, business_id).await?;

    let user_id = Uuid::now_v7();
    // An address with a login anywhere is refused (users_email_key → 409 EMAIL_TAKEN):
    // sign-in is by email alone.
    sqlx::query!(
        "INSERT INTO users (id, business_id, email, name, password_hash, role, email_verified_at)
         VALUES ($1, $2, $3, $4, $5, 'staff', $6)",
        user_id,
        business_id,
        staff.email,
        staff.name,
        password_hash,
        app.now(),
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!("UPDATE staff SET user_id = $2, updated_at = now() WHERE id = $1", staff_id, user_id)
        .execute(&mut *tx)
        .await?;
    onetime::retire_others(&mut tx, Purpose::StaffInvitation, Subject::Staff(staff_id), app.now()).await?;
    let auth = Auth { business_id, user_id, role: Role::Staff, session_id: None };
    let tokens = tokens::issue(&app, &mut tx, &auth, None).await?;
    tx.commit().await?;
    tracing::info!(%business_id, %staff_id, "staff invitation accepted");
    Ok((
        StatusCode::CREATED,
        Json(Accepted { user: AcceptedUser { id: user_id, email: staff.email, role: Role::Staff }, staff_id, tokens }),
    ))
}
