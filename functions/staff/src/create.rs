//! Add a staff member. Honours `Idempotency-Key`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::post;
use serde::{Deserialize, Serialize};
use shared::idempotency::Create;
use shared::plan::Limit;
use shared::types::{Email, Name, Phone, Text};
use shared::{Access, ApiResult, App, Operation, Permission};
use uuid::Uuid;

use crate::model;

const NAME: &str = "staff-create";

pub const OP: Operation = Operation::http(
    "staff",
    NAME,
    "POST",
    "/v1/staff",
    Access::Can(Permission::ManageStaff),
    "Add a staff member",
    || post(handler),
)
.publishes(&[crate::events::INVITATION]);

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateStaff {
    pub name: Name,
    pub email: Email,
    pub phone: Option<Phone>,
    pub title: Option<Name>,
    pub bio: Option<Text>,
    pub location_id: Option<Uuid>,
    /// Email the staff member an invitation to sign in (see `invite`).
    #[serde(default)]
    pub invite: bool,
}

async fn handler(
    State(app): State<App>,
    Create { business_id, request: req, mut tx, claim }: Create<CreateStaff>,
) -> ApiResult<Response> {
    model::check_location(&mut tx, req.location_id).await?;
    shared::plan::check_count(&mut tx, business_id, app.now(), Limit::Staff).await?;
    let id = Uuid::now_v7();
    sqlx::query!(
        // A login of this business with the same address (an owner or manager who also
        // performs services) is theirs: linked at once, nothing to invite.
        "INSERT INTO staff (id, business_id, name, email, phone, title, bio, location_id, user_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, (SELECT id FROM users WHERE email = $4))",
        id,
        business_id,
        req.name.as_ref(),
        req.email.as_ref(),
        req.phone.as_ref().map(AsRef::as_ref),
        req.title.as_ref().map(AsRef::as_ref).unwrap_or(""),
        req.bio.as_ref().map(AsRef::as_ref).unwrap_or(""),
        req.location_id,
    )
    .execute(&mut *tx)
    .await?;
    if req.invite {
        crate::invite::send(&app, &mut tx, business_id, id).await?;
    }
    let staff = model::fetch(&mut tx, id).await?;
    claim.commit(tx, StatusCode::CREATED, &staff).await
}
