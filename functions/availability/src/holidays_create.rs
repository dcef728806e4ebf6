//! Add a holiday for the business or one staff member. Honours `Idempotency-Key`.

use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::post;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use shared::idempotency::Create;
use shared::types::Name;
use shared::{Access, ApiError, ApiResult, Operation, Permission};
use staff::live::{self, Require};
use uuid::Uuid;

use crate::holidays_list::Holiday;

const NAME: &str = "holidays-create";

pub const OP: Operation = Operation::http(
    "availability",
    NAME,
    "POST",
    "/v1/holidays",
    Access::Can(Permission::ManageAvailability),
    "Add a holiday",
    || post(handler),
);

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateHoliday {
    pub date: NaiveDate,
    pub name: Name,
    pub staff_id: Option<Uuid>,
}

async fn handler(Create { business_id, request: req, mut tx, claim }: Create<CreateHoliday>) -> ApiResult<Response> {
    if let Some(staff_id) = req.staff_id
        && !live::is_live(&mut tx, staff_id, Require::default()).await?
    {
        return Err(ApiError::validation("staff_id", "unknown staff member"));
    }
    let holiday = sqlx::query_as!(
        Holiday,
        "INSERT INTO holidays (id, business_id, date, name, staff_id) VALUES ($1, $2, $3, $4, $5)
         RETURNING id, date, name, staff_id",
        Uuid::now_v7(),
        business_id,
        req.date,
        req.name.as_ref(),
        req.staff_id
    )
    .fetch_one(&mut *tx)
    .await?;
    claim.commit(tx, StatusCode::CREATED, &holiday).await
}
