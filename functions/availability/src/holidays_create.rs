//! Add a holiday for the business or one staff member. Honours `Idempotency-Key`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::post;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use shared::types::Name;
use shared::{Access, ApiError, ApiResult, App, Auth, IdempotencyKey, Json, Operation, Permission, idempotency};
use uuid::Uuid;

use crate::holidays_list::Holiday;

const NAME: &str = "holidays-create";

pub const OP: Operation =
    Operation::http("availability", NAME, "POST", "/v1/holidays", Access::Owner, "Add a holiday", || post(handler));

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateHoliday {
    pub date: NaiveDate,
    pub name: Name,
    pub staff_id: Option<Uuid>,
}

async fn handler(
    auth: Auth,
    State(app): State<App>,
    key: IdempotencyKey,
    Json(req): Json<CreateHoliday>,
) -> ApiResult<Response> {
    auth.require(Permission::ManageAvailability)?;
    let mut tx = app.db.tenant_tx(auth.business_id).await?;
    let claim = match idempotency::begin(&mut tx, auth.business_id, key, NAME, &req, app.now()).await? {
        Ok(claim) => claim,
        Err(replay) => return Ok(replay),
    };
    if let Some(staff_id) = req.staff_id {
        let known = sqlx::query_scalar!("SELECT id FROM staff WHERE id = $1 AND deleted_at IS NULL", staff_id)
            .fetch_optional(&mut *tx)
            .await?;
        if known.is_none() {
            return Err(ApiError::validation("staff_id", "unknown staff member"));
        }
    }
    let holiday = sqlx::query_as!(
        Holiday,
        "INSERT INTO holidays (id, business_id, date, name, staff_id) VALUES ($1, $2, $3, $4, $5)
         RETURNING id, date, name, staff_id",
        Uuid::now_v7(),
        auth.business_id,
        req.date,
        req.name.as_ref(),
        req.staff_id
    )
    .fetch_one(&mut *tx)
    .await?;
    let response = claim.finish(&mut tx, StatusCode::CREATED, &holiday).await?;
    tx.commit().await?;
    Ok(response)
}
