//! Invite a staff member to sign in: an email with a one-time link (seven days) to choose
//! a password. A new invitation replaces the ones before it.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use chrono::Duration;
use shared::db::Tx;
use shared::{Access, ApiError, ApiResult, App, Auth, Operation, Path, Permission, outbox};
use uuid::Uuid;

use auth::onetime::{self, Purpose, Subject};

use crate::events::{INVITATION, Invitation};

pub const OP: Operation = Operation::http(
    "staff",
    "staff-invite",
    "POST",
    "/v1/staff/{staff_id}/invitation",
    Access::Can(Permission::ManageStaff),
    "Email a staff member an invitation to sign in",
    || post(handler),
)
.publishes(&[INVITATION]);

async fn handler(auth: Auth, State(app): State<App>, Path(staff_id): Path<Uuid>) -> ApiResult<StatusCode> {
    let mut tx = app.db.tenant_tx(auth.business_id).await?;
    send(&app, &mut tx, auth.business_id, staff_id).await?;
    tx.commit().await?;
    Ok(StatusCode::ACCEPTED)
}

/// Invitations per staff member per day.
const INVITATIONS_PER_DAY: i64 = 3;

/// Queue the invitation email for a staff member without a login, in the caller's
/// transaction.
pub async fn send(app: &App, tx: &mut Tx, business_id: Uuid, staff_id: Uuid) -> ApiResult<()> {
    let staff = sqlx::query!(
        "SELECT s.name, s.email, s.user_id, b.name AS business_name
         FROM staff s JOIN businesses b ON b.id = s.business_id
         WHERE s.id = $1 AND s.deleted_at IS NULL",
        staff_id
    )
    .fetch_optional(&mut **tx)
    .await?
    .ok_or_else(|| ApiError::not_found("staff member"))?;
    if staff.user_id.is_some() {
        return Err(ApiError::conflict("ALREADY_HAS_ACCOUNT", "this staff member can already sign in"));
    }
    // Kairos sends these in the business's name to any address it types: a few a day.
    let today =
        onetime::recent(tx, Purpose::StaffInvitation, Subject::Staff(staff_id), app.now() - Duration::days(1)).await?;
    if today >= INVITATIONS_PER_DAY {
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "TOO_MANY_INVITATIONS",
            "this person was invited several times today; try again tomorrow",
        ));
    }
    onetime::retire_others(tx, Purpose::StaffInvitation, Subject::Staff(staff_id), app.now()).await?;
    let token = onetime::create(app, tx, business_id, Purpose::StaffInvitation, Subject::Staff(staff_id)).await?;
    let invitation = Invitation {
        email: staff.email,
        name: staff.name,
        business_name: staff.business_name,
        token: token.plain,
        expires_at: token.expires_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        staff_id,
        token_id: token.id,
    };
    outbox::push(tx, business_id, &invitation).await?;
    Ok(())
}
