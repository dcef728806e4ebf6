//! The plans on offer, cheapest first, with their price, trial and limits. Public: a
//! visitor compares them before signing up. The Stripe price ids stay on the server.

use axum::extract::State;
use axum::routing::get;
use serde::Serialize;
use shared::page::Page;
use shared::{Access, ApiResult, App, Json, Operation};

pub const OP: Operation = Operation::http(
    "billing",
    "billing-plans-list",
    "GET",
    "/v1/billing/plans",
    Access::Public,
    "The plans on offer and what each allows",
    || get(handler),
);

#[derive(Debug, Serialize)]
pub struct Plan {
    pub id: String,
    pub name: String,
    pub price: Price,
    pub trial_days: i32,
    pub limits: Limits,
}

/// A monthly price in minor units (cents) of its currency.
#[derive(Debug, Serialize)]
pub struct Price {
    pub amount: i32,
    pub currency: String,
    pub interval: &'static str,
}

/// What a business on the plan may have or send; `null` is no limit.
#[derive(Debug, Serialize)]
pub struct Limits {
    pub staff: Option<i32>,
    pub locations: Option<i32>,
    pub monthly_bookings: Option<i32>,
    pub whatsapp: bool,
    pub monthly_campaign_emails: Option<i32>,
}

/// Every plan on one page: the catalog is a handful of rows.
async fn handler(State(app): State<App>) -> ApiResult<Json<Page<Plan>>> {
    let mut conn = app.db.acquire().await?;
    let rows = sqlx::query!(
        "SELECT id, name, currency, monthly_price_minor, trial_days, max_staff, max_locations,
                max_monthly_bookings, whatsapp, max_monthly_campaign_emails
         FROM plans WHERE active ORDER BY position"
    )
    .fetch_all(&mut *conn)
    .await?;
    let data = rows
        .into_iter()
        .map(|r| Plan {
            id: r.id,
            name: r.name,
            price: Price { amount: r.monthly_price_minor, currency: r.currency, interval: "month" },
            trial_days: r.trial_days,
            limits: Limits {
                staff: r.max_staff,
                locations: r.max_locations,
                monthly_bookings: r.max_monthly_bookings,
                whatsapp: r.whatsapp,
                monthly_campaign_emails: r.max_monthly_campaign_emails,
            },
        })
        .collect();
    Ok(Json(Page { data, next_cursor: None }))
}
