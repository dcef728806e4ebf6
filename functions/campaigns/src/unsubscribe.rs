//! The unsubscribe link of a campaign email: one POST, no login (RFC 8058 one-click: the
//! mail client posts `List-Unsubscribe=One-Click`; the web page behind the link in the
//! body posts nothing). The customer hears no further campaign from this business until
//! they consent again; transactional mail is unaffected. Repeating it changes nothing.

use axum::extract::State;
use axum::routing::post;
use serde::Serialize;
use shared::{Access, ApiError, ApiResult, App, Json, Operation, Path};

use crate::message::UNSUBSCRIBE;

pub const OP: Operation = Operation::http(
    "campaigns",
    "campaigns-unsubscribe",
    "POST",
    "/v1/public/unsubscribe/{token}",
    Access::CustomerLink,
    "Unsubscribe from a business's campaigns",
    || post(handler),
)
.permissions(&[shared::operation::DATABASE_SECRET, shared::operation::JWT_SECRET]);

#[derive(Debug, Serialize)]
pub struct Unsubscribed {
    pub unsubscribed: bool,
    pub business_name: String,
}

async fn handler(State(app): State<App>, Path(token): Path<String>) -> ApiResult<Json<Unsubscribed>> {
    let (business_id, recipient_id) = app
        .signing_keys()
        .await?
        .verify_link(UNSUBSCRIBE, &token, app.now())
        .map_err(|_| ApiError::not_found("subscription").with_code("LINK_INVALID"))?;
    let now = app.now();
    let mut tx = app.db.tenant_tx(business_id).await?;
    let customer_id = sqlx::query_scalar!(
        "UPDATE campaign_recipients SET unsubscribed_at = COALESCE(unsubscribed_at, $2) WHERE id = $1
         RETURNING customer_id",
        recipient_id,
        now
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| ApiError::not_found("subscription").with_code("LINK_INVALID"))?;
    sqlx::query!(
        "UPDATE customers SET marketing_consent = false, marketing_consent_source = 'unsubscribe',
                marketing_consent_changed_at = $2, marketing_consent_changed_by = NULL,
                marketing_unsubscribed_at = $2, updated_at = now()
         WHERE id = $1 AND marketing_unsubscribed_at IS NULL",
        customer_id,
        now
    )
    .execute(&mut *tx)
    .await?;
    let business_name =
        sqlx::query_scalar!("SELECT name FROM businesses WHERE id = $1", business_id).fetch_one(&mut *tx).await?;
    tx.commit().await?;
    tracing::info!(%business_id, %customer_id, "unsubscribed from campaigns");
    Ok(Json(Unsubscribed { unsubscribed: true, business_name }))
}
