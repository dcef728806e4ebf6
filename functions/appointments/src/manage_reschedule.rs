//! A customer moves their appointment through their manage link: to another offered
//! slot, while outside the cancellation notice. Atomic, like staff rescheduling.

use axum::extract::State;
use axum::routing::post;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use shared::{Access, ApiError, ApiResult, App, Json, Operation, Path};
use uuid::Uuid;

use availability::slots::{self, Request};

use crate::booking::{Booked, Move, move_to, not_offered};
use crate::events;
use crate::manage_get;
use crate::model;
use crate::reschedule::live;

pub const OP: Operation = Operation::http(
    "appointments",
    "appointments-manage-reschedule",
    "POST",
    "/v1/public/manage/{token}/reschedule",
    Access::CustomerLink,
    "A customer moves their appointment",
    || post(handler),
)
.publishes(&[events::RESCHEDULED])
.permissions(&[shared::operation::DATABASE_SECRET, shared::operation::JWT_SECRET]);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MoveRequest {
    pub start: DateTime<Utc>,
    pub staff_id: Option<Uuid>,
}

async fn handler(
    State(app): State<App>,
    Path(token): Path<String>,
    Json(req): Json<MoveRequest>,
) -> ApiResult<Json<Booked>> {
    let (mut tx, business_id, appointment_id) = model::from_manage_token(&app, &token).await?;
    model::lock(&mut tx, appointment_id).await?;
    let current = live(&mut tx, appointment_id).await?;
    let view = manage_get::load(&mut tx, appointment_id, app.now()).await?;
    if !view.can_change {
        return Err(ApiError::conflict(
            "TOO_LATE_TO_CHANGE",
            format!("online changes closed at {}; please call the business", view.changeable_until.to_rfc3339()),
        ));
    }
    let rules = slots::service_rules(&mut tx, current.service_id).await?;
    let request = Request {
        service_id: current.service_id,
        staff_id: req.staff_id,
        from: req.start.date_naive(),
        to: req.start.date_naive(),
        now: app.now(),
        ignore_appointment: Some(appointment_id),
        count_bookings: true,
    };
    let free = slots::free_at(&mut tx, &rules, &request, req.start).await?;
    // Stay with the same staff member when they are free.
    let staff_id = if free.contains(&current.staff_id) { Some(current.staff_id) } else { free.first().copied() };
    let Some(staff_id) = staff_id else {
        return Err(not_offered(&mut tx, &rules, &request, req.start).await.into());
    };
    let to = Move { business_id, rules: &rules, id: appointment_id, staff_id, start: req.start, allow_outside: false };
    let moved = move_to(&app, &mut tx, to).await?;
    let booked = Booked::of(&app, business_id, moved).await?;
    tx.commit().await?;
    Ok(Json(booked))
}
