//! Appointments by start time, filtered by range, staff member and status.

use axum::extract::State;
use axum::routing::get;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use shared::page::{Cursor, Limit, Page, PageParams};
use shared::{Access, ApiResult, App, Auth, Json, Operation, Permission, Query};
use uuid::Uuid;

use crate::model::{self, Appointment, Select, Status};

pub const OP: Operation = Operation::http(
    "appointments",
    "appointments-list",
    "GET",
    "/v1/appointments",
    Access::Can(Permission::ViewAppointments),
    "List appointments by start time",
    || get(handler),
);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Filter {
    /// Appointments ending after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Appointments starting before this instant.
    pub to: Option<DateTime<Utc>>,
    pub staff_id: Option<Uuid>,
    pub status: Option<Status>,
    pub cursor: Option<Cursor>,
    pub limit: Option<Limit>,
}

async fn handler(auth: Auth, State(app): State<App>, Query(f): Query<Filter>) -> ApiResult<Json<Page<Appointment>>> {
    let page = PageParams { cursor: f.cursor, limit: f.limit };
    let mut tx = app.db.tenant_tx(auth.business_id).await?;
    // Ordered by start; the cursor is the last appointment of the previous page.
    let which = Select { id: None, from: f.from, to: f.to, staff_id: f.staff_id, status: f.status };
    let rows = model::select(&mut tx, &which, &page).await?;
    tx.commit().await?;
    Ok(Json(Page::from_rows(rows, &page, |a| a.id)))
}
