//! A customer cancels through their manage link, while outside the business's
//! cancellation notice.

use axum::extract::State;
use axum::routing::post;
use shared::{Access, ApiError, ApiResult, App, Json, Operation, OptionalJson, Path};

use crate::cancel::{self, CancelRequest};
use crate::events;
use crate::manage_get;
use crate::model::{self, Appointment, Status};

pub const OP: Operation = Operation::http(
    "appointments",
    "appointments-manage-cancel",
    "POST",
    "/v1/public/manage/{token}/cancel",
    Access::CustomerLink,
    "A customer cancels their appointment",
    || post(handler),
)
.publishes(&[events::CANCELLED])
.permissions(&[shared::operation::DATABASE_SECRET, shared::operation::JWT_SECRET]);

async fn handler(
    State(app): State<App>,
    Path(token): Path<String>,
    OptionalJson(req): OptionalJson<CancelRequest>,
) -> ApiResult<Json<Appointment>> {
    let (mut tx, business_id, appointment_id) = model::from_manage_token(&app, &token).await?;
    model::lock(&mut tx, appointment_id).await?;
    let view = manage_get::load(&mut tx, appointment_id, app.now()).await?;
    if view.status == Status::Confirmed && !view.can_change {
        return Err(ApiError::conflict(
            "TOO_LATE_TO_CANCEL",
            format!("online cancellation closed at {}; please call the business", view.changeable_until.to_rfc3339()),
        ));
    }
    let appointment = cancel::cancel(&mut tx, business_id, appointment_id, req.reason.as_ref(), app.now()).await?;
    tx.commit().await?;
    Ok(Json(appointment))
}
