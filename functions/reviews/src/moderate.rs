//! Staff publish a review or hide it. Hiding needs a reason; the reason given, who gave it
//! and when are kept with the review. A hidden review may be published again, and the
//! other way round.

use axum::extract::State;
use axum::routing::post;
use serde::Deserialize;
use shared::types::Text;
use shared::{Access, ApiError, ApiResult, App, Auth, Json, Operation, Path, Permission};
use uuid::Uuid;

use crate::model::{self, Review, Status};

pub const OP: Operation = Operation::http(
    "reviews",
    "reviews-moderate",
    "POST",
    "/v1/reviews/{review_id}/moderate",
    Access::Can(Permission::ModerateReviews),
    "Publish or hide a review",
    || post(handler),
);

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Publish,
    Hide,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModerateRequest {
    pub action: Action,
    /// Why; required to hide.
    pub reason: Option<Text>,
}

async fn handler(
    auth: Auth,
    State(app): State<App>,
    Path(review_id): Path<Uuid>,
    Json(req): Json<ModerateRequest>,
) -> ApiResult<Json<Review>> {
    let reason = req.reason.as_ref().map(AsRef::as_ref).filter(|r: &&str| !r.is_empty());
    let status = match req.action {
        Action::Publish => Status::Published,
        Action::Hide if reason.is_none() => return Err(ApiError::validation("reason", "is required to hide a review")),
        Action::Hide => Status::Hidden,
    };
    let mut tx = app.db.tenant_tx(auth.business_id).await?;
    // `published_at` moves only when the review goes public from another status.
    let updated = sqlx::query!(
        "UPDATE reviews SET
            published_at = CASE WHEN $2::text = 'published' AND status <> 'published' THEN $5 ELSE published_at END,
            status = $2::text,
            moderation_reason = $3,
            moderated_by = $4,
            moderated_at = $5,
            updated_at = now()
         WHERE id = $1",
        review_id,
        status.as_str(),
        reason,
        auth.user_id,
        app.now()
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if updated == 0 {
        return Err(ApiError::not_found("review"));
    }
    let review = model::fetch(&mut tx, review_id).await?;
    tx.commit().await?;
    Ok(Json(review))
}
