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
    Access::Can(Permission::ViewCustomers),
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
    let q = search.q.trim();
    if q.chars().count() < 2 || q.chars().count() > 100 {
        return Err(ApiError::validation("q", "must be 2 to 100 characters"));
    }
    let limit = i64::from(search.limit.unwrap_or(20));
    if !(1..=100).contains(&limit) {
        return Err(ApiError::validation("limit", "must be a number from 1 to 100"));
    }
    let mut tx = app.db.tenant_tx(auth.business_id).await?;
    let data = sqlx::query_as!(
        Customer,
        // search_customers() reads the trigram-indexed side table for this tenant only
        // (see the migration for why it cannot be an index on customers under RLS).
        "SELECT c.id, c.name, c.email, c.phone, c.whatsapp_opt_in, c.notes, c.marketing_consent,
                c.marketing_consent_changed_at, c.marketing_consent_source, c.marketing_consent_changed_by, c.tags,
                c.created_at
         FROM search_customers($1, $2) s JOIN customers c ON c.id = s.customer_id
         ORDER BY s.score DESC, c.id",
        q,
        limit as i32
    )
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Json(Found { data }))
}
