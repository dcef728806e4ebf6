//! The appointment as a calendar file (text/calendar) behind the customer's link.

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use shared::{Access, ApiResult, App, Operation, Path};

use crate::ical::{self, Event};
use crate::model::{self, Status};

pub const OP: Operation = Operation::http(
    "appointments",
    "appointments-ics",
    "GET",
    "/v1/public/manage/{token}/ics",
    Access::CustomerLink,
    "The appointment as an iCalendar file",
    || get(handler),
)
.permissions(&[shared::operation::DATABASE_SECRET, shared::operation::JWT_SECRET]);

async fn handler(State(app): State<App>, Path(token): Path<String>) -> ApiResult<impl IntoResponse> {
    let (mut tx, _, appointment_id) = model::from_manage_token(&app, &token).await?;
    let r = sqlx::query!(
        r#"SELECT a.id, a.status AS "status: Status", a.sequence, a.starts_at, a.ends_at, a.updated_at,
                  b.name AS business_name, s.name AS service_name, st.name AS staff_name
           FROM appointments a
           JOIN businesses b ON b.id = a.business_id
           JOIN services s ON s.id = a.service_id
           JOIN staff st ON st.id = a.staff_id
           WHERE a.id = $1"#,
        appointment_id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| shared::ApiError::not_found("appointment"))?;
    tx.commit().await?;
    let summary = format!("{} at {}", r.service_name, r.business_name);
    let description = format!("{} with {}", r.service_name, r.staff_name);
    let body = ical::calendar(&Event {
        uid: format!("{}@kairos", r.id),
        sequence: r.sequence,
        stamp: r.updated_at,
        start: r.starts_at,
        end: r.ends_at,
        summary: &summary,
        description: &description,
        cancelled: r.status == Status::Cancelled,
    });
    Ok((
        [
            (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"appointment.ics\""),
        ],
        body,
    ))
}
