//! Find customers by any part of their name, email or phone (trigram-indexed).

use axum::extract::State;
use axum::routing::get;
use serde::{Deserialize, Serialize};
use shared::{Access, ApiError, ApiResult, App, Auth, Json, Operation, Permission, Query};

use crate::model::Customer;

pub const OP: Operation = Operation::http(
    "customers",
    "customers-search",
    "GET",
    "/v1/customers/search",
    Access::Staff,
    "Search customers by name, email or phone",
    || get(handler),
);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Search {
    pub q: String,
    pub limit: Option<u16>,
}

#[derive(Debug, Serialize)]
pub struct Found {
    pub data: Vec<Customer>,
}

async fn handler(auth: Auth, State(app): State<App>, Query(search): Query<Search>) -> ApiResult<Json<Found>> {
    auth.require(Permission::ViewCustomers)?;
    let q = search.q.trim();
    if q.chars().count() < 2 || q.chars().count() > 100 {
        return Err(ApiError::validation("q", "must be 2 to 100 characters"));
    }
    let limit = i64::from(search.limit.unwrap_or(20));
    if !(1..=100).contains(&limit) {
        return Err(ApiError::validation("limit", "must be a number from 1 to 100"));
    }
    // LIKE wildcards in the query are matched literally.
    let pattern = format!("%{}%", q.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
    let mut tx = app.db.tenant_tx(auth.business_id).await?;
    let data = sqlx::query_as!(
        Customer,
        "SELECT id, name, email, phone, whatsapp_opt_in, notes, created_at FROM customers
         WHERE name ILIKE $1 OR email ILIKE $1 OR phone ILIKE $1
         ORDER BY greatest(similarity(name, $2), similarity(email, $2)) DESC, id
         LIMIT $3",
        pattern,
        q,
        limit
    )
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Json(Found { data }))
}
