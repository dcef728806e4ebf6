//! A customer joins the waitlist for a service over a range of dates, optionally with one
//! staff member. Public, by business slug. Honours `Idempotency-Key`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::post;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use shared::idempotency::Create;
use shared::{Access, ApiError, ApiResult, App, Operation};
use uuid::Uuid;

use availability::slots;
use customers::model::{CustomerDetails, find_or_create};
use staff::live::{Require, is_live};

use crate::model;

const NAME: &str = "waitlist-join";

pub const OP: Operation = Operation::http(
    "waitlist",
    NAME,
    "POST",
    "/v1/public/businesses/{slug}/waitlist",
    Access::Public,
    "Join the waitlist for a service",
    || post(handler),
);

/// How far ahead one may wait.
const MAX_RANGE_DAYS: i64 = 92;

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JoinRequest {
    pub service_id: Uuid,
    pub staff_id: Option<Uuid>,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub customer: CustomerDetails,
}

async fn handler(
    State(app): State<App>,
    Create { business_id, request: req, mut tx, claim }: Create<JoinRequest>,
) -> ApiResult<Response> {
    if req.to < req.from {
        return Err(ApiError::validation("to", "must not be before from"));
    }
    if (req.to - req.from).num_days() >= MAX_RANGE_DAYS {
        return Err(ApiError::validation("to", format!("at most {MAX_RANGE_DAYS} days")));
    }
    let rules = slots::service_rules(&mut tx, req.service_id).await?;
    if req.to < app.now().with_timezone(&rules.tz).date_naive() {
        return Err(ApiError::validation("to", "is in the past"));
    }
    if let Some(staff_id) = req.staff_id {
        let bookable = Require { active: true, service_id: Some(req.service_id), ..Require::default() };
        if !is_live(&mut tx, staff_id, bookable).await? {
            return Err(ApiError::validation("staff_id", "this staff member does not perform the service"));
        }
    }
    let customer_id = find_or_create(&mut tx, business_id, &req.customer, app.now()).await?;
    let id = Uuid::now_v7();
    sqlx::query!(
        "INSERT INTO waitlist_entries (id, business_id, service_id, staff_id, customer_id, from_date, to_date)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        id,
        business_id,
        req.service_id,
        req.staff_id,
        customer_id,
        req.from,
        req.to
    )
    .execute(&mut *tx)
    .await?;
    let entry = model::fetch(&mut tx, id).await?;
    claim.commit(tx, StatusCode::CREATED, &entry).await
}
