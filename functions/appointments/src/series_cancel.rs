//! Staff cancel the rest of a series: every occurrence from now on that still holds time.

use axum::extract::State;
use axum::routing::post;
use serde::Serialize;
use shared::{Access, ApiError, ApiResult, App, Auth, Json, Operation, Path, Permission};
use uuid::Uuid;

use crate::cancel::{self, CancelRequest};
use crate::events;
use crate::model::Appointment;

pub const OP: Operation = Operation::http(
    "appointments",
    "appointments-series-cancel",
    "POST",
    "/v1/appointments/series/{series_id}/cancel",
    Access::Can(Permission::ManageAppointments),
    "Cancel the remaining occurrences of a series",
    || post(handler),
)
.publishes(&[events::CANCELLED]);

#[derive(Debug, Serialize)]
pub struct SeriesCancelled {
    pub series_id: Uuid,
    pub cancelled: Vec<Appointment>,
}

async fn handler(
    auth: Auth,
    State(app): State<App>,
    Path(series_id): Path<Uuid>,
    shared::OptionalJson(req): shared::OptionalJson<CancelRequest>,
) -> ApiResult<Json<SeriesCancelled>> {
    let mut tx = app.db.tenant_tx(auth.business_id).await?;
    let any = sqlx::query_scalar!(r#"SELECT count(*) AS "n!" FROM appointments WHERE series_id = $1"#, series_id)
        .fetch_one(&mut *tx)
        .await?;
    if any == 0 {
        return Err(ApiError::not_found("series"));
    }
    let upcoming = sqlx::query_scalar!(
        "SELECT id FROM appointments WHERE series_id = $1 AND status = 'confirmed' AND starts_at >= $2
         ORDER BY starts_at FOR UPDATE",
        series_id,
        app.now()
    )
    .fetch_all(&mut *tx)
    .await?;
    let mut cancelled = Vec::with_capacity(upcoming.len());
    for id in upcoming {
        cancelled.push(cancel::cancel(&mut tx, auth.business_id, id, req.reason.as_ref(), app.now()).await?);
    }
    tx.commit().await?;
    Ok(Json(SeriesCancelled { series_id, cancelled }))
}
