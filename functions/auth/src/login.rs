//! Sign in with email and password.

use axum::extract::State;
use axum::routing::post;
use serde::Deserialize;
use shared::auth::password;
use shared::db::Tx;
use shared::types::Email;
use shared::{Access, ApiError, ApiResult, App, Auth, Json, Operation, Role, SourceIp};
use uuid::Uuid;

use crate::throttle::{self, Subjects};
use crate::tokens::{self, Tokens};

pub const OP: Operation = Operation::http(
    "auth",
    "auth-login",
    "POST",
    "/v1/auth/login",
    Access::Public,
    "Sign in with email and password",
    || post(login),
)
.permissions(&[shared::operation::DATABASE_SECRET, shared::operation::JWT_SECRET])
.memory(1024);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: Email,
    pub password: String,
}

pub async fn login(
    State(app): State<App>,
    SourceIp(ip): SourceIp,
    Json(req): Json<LoginRequest>,
) -> ApiResult<Json<Tokens>> {
    let auth = check_password(&app, &ip, &req.email, &req.password).await?;
    let mut tx = app.db.tenant_tx(auth.business_id).await?;
    ensure_active(&mut tx, auth.business_id).await?;
    ensure_not_deactivated(&mut tx, &auth).await?;
    let tokens = tokens::issue(&app, &mut tx, &auth, None).await?;
    tx.commit().await?;
    Ok(Json(tokens))
}

/// The account behind an email and password, under the sign-in throttle (also used by
/// the staff app's sign-in).
pub async fn check_password(app: &App, ip: &str, email: &Email, password: &str) -> ApiResult<Auth> {
    let subjects = Subjects::new(email.as_ref(), ip);
    throttle::check(app, &subjects).await?;

    // Which business the email belongs to is not known yet: the one explicit
    // cross-tenant lookup, through a SECURITY DEFINER function.
    let mut tx = app.db.system_tx().await?;
    let account = sqlx::query!(
        r#"SELECT user_id AS "user_id!", business_id AS "business_id!", password_hash, role AS "role!"
           FROM auth_user_by_email($1)"#,
        email.as_ref()
    )
    .fetch_optional(&mut *tx)
    .await?;
    tx.commit().await?;

    let stored_hash = account.as_ref().and_then(|a| a.password_hash.as_deref());
    let valid = password::verify(password, stored_hash).await;
    let (Some(account), true) = (account, valid) else {
        throttle::failed(app, &subjects).await?;
        return Err(ApiError::unauthorized("email or password is wrong").with_code("INVALID_CREDENTIALS"));
    };
    throttle::succeeded(app, &subjects).await?;
    let role = Role::parse(&account.role).ok_or_else(|| ApiError::internal("unknown role in users"))?;
    Ok(Auth { business_id: account.business_id, user_id: account.user_id, role, session_id: None })
}

/// Refuse a staff-role login whose staff profile the business deactivated. (Owners and
/// managers keep signing in: they run the business, whether or not they take bookings.)
pub async fn ensure_not_deactivated(tx: &mut Tx, auth: &Auth) -> ApiResult<()> {
    if auth.role != Role::Staff {
        return Ok(());
    }
    let active = sqlx::query_scalar!(
        "SELECT bool_or(active) FROM staff WHERE user_id = $1 AND deleted_at IS NULL",
        auth.user_id
    )
    .fetch_one(&mut **tx)
    .await?;
    if active == Some(false) {
        return Err(ApiError::forbidden("this staff member has been deactivated").with_code("STAFF_DEACTIVATED"));
    }
    Ok(())
}

/// Refuse to sign anyone in to a suspended business.
pub async fn ensure_active(tx: &mut Tx, business_id: Uuid) -> ApiResult<()> {
    let status =
        sqlx::query_scalar!("SELECT status FROM businesses WHERE id = $1", business_id).fetch_one(&mut **tx).await?;
    if status != "active" {
        return Err(ApiError::forbidden("this business is suspended").with_code("BUSINESS_SUSPENDED"));
    }
    Ok(())
}
