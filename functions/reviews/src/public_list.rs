//! The published reviews of a business, by slug, newest first, with their average rating
//! and count. Public: no token, and nothing about the author beyond a first name and an
//! initial.

use axum::extract::State;
use axum::routing::get;
use chrono::{DateTime, Utc};
use serde::Serialize;
use shared::page::{Page, PageParams};
use shared::{Access, ApiResult, App, Json, Operation, Path, Query};
use uuid::Uuid;

pub const OP: Operation = Operation::http(
    "reviews",
    "reviews-public-list",
    "GET",
    "/v1/public/businesses/{slug}/reviews",
    Access::Public,
    "A business's published reviews",
    || get(handler),
);

#[derive(Debug, Serialize)]
pub struct PublicReviews {
    /// Over every published review, to one decimal; null while there is none.
    pub average_rating: Option<f64>,
    /// How many reviews are published.
    pub count: i64,
    #[serde(flatten)]
    pub page: Page<PublicReview>,
}

#[derive(Debug, Serialize)]
pub struct PublicReview {
    pub id: Uuid,
    pub rating: i32,
    pub text: String,
    pub service_name: String,
    /// The customer's first name and initial ("Chris C.").
    pub author: String,
    pub submitted_at: DateTime<Utc>,
    pub published_at: DateTime<Utc>,
}

async fn handler(
    State(app): State<App>,
    Path(slug): Path<String>,
    Query(page): Query<PageParams>,
) -> ApiResult<Json<PublicReviews>> {
    let business_id = app.db.business_id_by_slug(&slug).await?;
    let mut tx = app.db.tenant_tx(business_id).await?;
    let rows = sqlx::query!(
        r#"SELECT r.id, r.rating, r.text, s.name AS service_name, c.name AS customer_name, r.submitted_at,
                  r.published_at AS "published_at!"
           FROM reviews r
           JOIN appointments a ON a.id = r.appointment_id
           JOIN services s ON s.id = a.service_id
           JOIN customers c ON c.id = a.customer_id
           WHERE r.status = 'published' AND ($1::uuid IS NULL OR r.id < $1)
           ORDER BY r.id DESC
           LIMIT $2"#,
        page.cursor.map(|c| c.0),
        page.fetch()
    )
    .fetch_all(&mut *tx)
    .await?;
    let totals = sqlx::query!(
        r#"SELECT round(avg(rating), 1)::float8 AS "average_rating?", count(*) AS "count!"
           FROM reviews WHERE status = 'published'"#
    )
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    let reviews = rows
        .into_iter()
        .map(|r| PublicReview {
            id: r.id,
            rating: r.rating,
            text: r.text,
            service_name: r.service_name,
            author: author(&r.customer_name),
            submitted_at: r.submitted_at,
            published_at: r.published_at,
        })
        .collect();
    Ok(Json(PublicReviews {
        average_rating: totals.average_rating,
        count: totals.count,
        page: Page::from_rows(reviews, &page, |r| r.id),
    }))
}

/// How a customer signs a public review: the first name and the initial of the last
/// ("Chris Carter" → "Chris C."); a single name stays as it is.
pub fn author(name: &str) -> String {
    let mut words = name.split_whitespace();
    let first = words.next().unwrap_or_default();
    match words.last().and_then(|last| last.chars().next()) {
        Some(initial) => format!("{first} {}.", initial.to_uppercase()),
        None => first.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authors_show_a_first_name_and_an_initial_only() {
        assert_eq!(author("Chris Customer"), "Chris C.");
        assert_eq!(author("  Anna Maria  von berg "), "Anna B.");
        assert_eq!(author("Émile çelik"), "Émile Ç.");
        assert_eq!(author("Cher"), "Cher");
    }
}
