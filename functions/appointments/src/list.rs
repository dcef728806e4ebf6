//! Appointments by start time, filtered by range, staff member and status.

use axum::extract::State;
use axum::routing::get;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use shared::page::{Cursor, Limit, Page, PageParams};
use shared::{Access, ApiResult, App, Auth, Json, Operation, Permission, Query};
use uuid::Uuid;

use crate::model::Appointment;

pub const OP: Operation = Operation::http(
    "appointments",
    "appointments-list",
    "GET",
    "/v1/appointments",
    Access::Can(Permission::ViewAppointments),
    "List appointments by start time",
    || get(handler),
);

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StatusFilter {
    Confirmed,
    Completed,
    NoShow,
    Cancelled,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Filter {
    /// Appointments ending after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Appointments starting before this instant.
    pub to: Option<DateTime<Utc>>,
    pub staff_id: Option<Uuid>,
    pub status: Option<StatusFilter>,
    pub cursor: Option<Cursor>,
    pub limit: Option<Limit>,
}

async fn handler(auth: Auth, State(app): State<App>, Query(f): Query<Filter>) -> ApiResult<Json<Page<Appointment>>> {
    let page = PageParams { cursor: f.cursor, limit: f.limit };
    let status = f.status.map(|s| match s {
        StatusFilter::Confirmed => "confirmed",
        StatusFilter::Completed => "completed",
        StatusFilter::NoShow => "no_show",
        StatusFilter::Cancelled => "cancelled",
    });
    let mut tx = app.db.tenant_tx(auth.business_id).await?;
    // Ordered by start; the cursor is the last appointment of the previous page.
    let rows = sqlx::query_as!(
        Appointment,
        r#"SELECT id, status, starts_at AS start, ends_at AS "end", staff_id, service_id, customer_id, series_id,
                  sequence, notes, cancel_reason, created_by, created_at, updated_at
           FROM appointments a
           WHERE ($1::timestamptz IS NULL OR a.ends_at > $1)
             AND ($2::timestamptz IS NULL OR a.starts_at < $2)
             AND ($3::uuid IS NULL OR a.staff_id = $3)
             AND ($4::text IS NULL OR a.status = $4)
             AND ($5::uuid IS NULL OR (a.starts_at, a.id) > (SELECT c.starts_at, c.id FROM appointments c WHERE c.id = $5))
           ORDER BY a.starts_at, a.id
           LIMIT $6"#,
        f.from,
        f.to,
        f.staff_id,
        status,
        page.cursor.map(|c| c.0),
        page.fetch()
    )
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Json(Page::from_rows(rows, &page, |a| a.id)))
}
