//! A customer claims the slot their waitlist offer names, through the link in the offer.
//! It is booked only if it is still free (409 `SLOT_TAKEN` otherwise); an expired offer
//! is a 410.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use shared::{Access, ApiError, ApiResult, App, Json, Operation, Path};

use appointments::book::{Booked, claim_for, free_staff};
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
        "SELECT status, service_id, customer_id, offered_start, offered_staff_id, offer_expires_at
         FROM waitlist_entries WHERE id = $1 FOR UPDATE",
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
    if entry.status != "offered" {
        return Err(ApiError::conflict("NO_OFFER", format!("this entry is {}", entry.status)));
    }
    if expires <= app.now() {
        return Err(ApiError::new(StatusCode::GONE, "OFFER_EXPIRED", "this offer has expired"));
    }
    let rules = slots::service_rules(&mut tx, entry.service_id).await?;
    let free = free_staff(&app, &mut tx, &rules, entry.service_id, Some(staff_id), start)
        .await
        .map_err(|e| if e.code == "SLOT_UNAVAILABLE" { taken() } else { e })?;
    let booked =
        claim_for(&app, &mut tx, business_id, &rules, entry.service_id, &free, start, entry.customer_id).await?;
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
