//! A customer claims the slot their waitlist offer names, through the link in the offer.
//! It is booked only if it is still free (409 `SLOT_TAKEN` otherwise); an expired offer
//! is a 410.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use shared::{Access, ApiError, ApiResult, App, Json, Operation, Path};

use appointments::booking::{Booked, OnlineBooking, SlotError, Wanted, claim_online, free_staff};

use crate::model::Status;
use availability::slots;

pub const OP: Operation = Operation::http(
    "waitlist",
    "waitlist-claim",
    "POST",
    "/v1/public/waitlist/{token}/claim",
    Access::CustomerLink,
    "Claim a waitlist offer",
    || post(handler),
)
.publishes(&[appointments::events::BOOKED])
.permissions(&[shared::operation::DATABASE_SECRET, shared::operation::JWT_SECRET]);

async fn handler(State(app): State<App>, Path(token): Path<String>) -> ApiResult<(StatusCode, Json<Booked>)> {
    let (business_id, entry_id) = app
        .signing_keys()
        .await?
        .verify_link("waitlist", &token, app.now())
        .map_err(|_| ApiError::not_found("waitlist offer").with_code("LINK_INVALID"))?;
    let mut tx = app.db.tenant_tx(business_id).await?;
    let entry = sqlx::query!(
        r#"SELECT status AS "status: Status", service_id, customer_id, offered_start, offered_staff_id, offer_expires_at
         FROM waitlist_entries WHERE id = $1 FOR UPDATE"#,
        entry_id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| ApiError::not_found("waitlist offer"))?;
    let (Some(start), Some(staff_id), Some(expires)) =
        (entry.offered_start, entry.offered_staff_id, entry.offer_expires_at)
    else {
        return Err(ApiError::conflict("NO_OFFER", "there is no offer to claim"));
    };
    if entry.status != Status::Offered {
        return Err(ApiError::conflict("NO_OFFER", format!("this entry is {}", entry.status)));
    }
    if expires <= app.now() {
        return Err(ApiError::new(StatusCode::GONE, "OFFER_EXPIRED", "this offer has expired"));
    }
    let rules = slots::service_rules(&mut tx, entry.service_id).await?;
    let wanted = Wanted { service_id: entry.service_id, staff_id: Some(staff_id), start };
    let free = match free_staff(&app, &mut tx, &rules, wanted).await {
        Ok(free) => free,
        // No longer offered (notice, hours changed): for the customer, gone all the same.
        Err(SlotError::Unavailable) => return Err(taken()),
        Err(e) => return Err(e.into()),
    };
    let booking = OnlineBooking {
        business_id,
        rules: &rules,
        service_id: entry.service_id,
        free: &free,
        start,
        customer_id: entry.customer_id,
    };
    let booked = claim_online(&app, &mut tx, booking).await?;
    sqlx::query!(
        "UPDATE waitlist_entries SET status = 'booked', appointment_id = $2, updated_at = now() WHERE id = $1",
        entry_id,
        booked.id
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(booked)))
}

fn taken() -> ApiError {
    ApiError::conflict("SLOT_TAKEN", "this time has been taken in the meantime").with_field("start")
}
