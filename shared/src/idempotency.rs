//! `Idempotency-Key` for creating POSTs.
//!
//! The key is claimed inside the handler's own transaction, and the response is stored in
//! that same transaction: if the work rolls back, so does the claim, and a retry runs
//! afresh. A second request with the key waits for the first to commit (the unique index
//! makes it), then gets the stored response. The same key with another body is a 422.
//!
//! A creating handler takes [`Create`], which does all of that before the handler runs:
//!
//! ```ignore
//! async fn handler(
//!     State(app): State<App>,
//!     Create { business_id, request, mut tx, claim }: Create<CreateCustomer>,
//! ) -> ApiResult<Response> {
//!     let customer = model::insert(&mut tx, business_id, &request).await?;
//!     claim.commit(tx, StatusCode::CREATED, &customer).await
//! }
//! ```

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::app::App;
use crate::auth::Auth;
use crate::db::Tx;
use crate::error::ApiError;
use crate::extract::{IdempotencyKey, Json, Path};
use crate::operation::{Access, Routed};

/// How long a key is remembered (the housekeeping job deletes keys older than this).
pub const RETENTION: chrono::TimeDelta = chrono::TimeDelta::hours(24);

pub struct Claim {
    business_id: Uuid,
    key: Option<String>,
}

/// Claim the key for this request. `Ok(Err(response))` is a replay to return as is.
pub async fn begin<R: Serialize>(
    tx: &mut Tx,
    business_id: Uuid,
    key: IdempotencyKey,
    operation: &str,
    request: &R,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Result<Claim, Response>, ApiError> {
    let Some(key) = key.0 else {
        return Ok(Ok(Claim { business_id, key: None }));
    };
    let mut hasher = Sha256::new();
    hasher.update(operation.as_bytes());
    hasher.update([0]);
    hasher.update(serde_json::to_vec(request).map_err(ApiError::internal)?);
    let hash = hasher.finalize().to_vec();

    // A key older than the retention is forgotten: its reuse is a new request.
    sqlx::query("DELETE FROM idempotency_keys WHERE business_id = $1 AND key = $2 AND created_at < $3")
        .bind(business_id)
        .bind(&key)
        .bind(now - RETENTION)
        .execute(&mut **tx)
        .await?;
    let claimed = sqlx::query(
        "INSERT INTO idempotency_keys (business_id, key, request_hash, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT DO NOTHING",
    )
    .bind(business_id)
    .bind(&key)
    .bind(&hash)
    .bind(now)
    .execute(&mut **tx)
    .await?
    .rows_affected()
        == 1;
    if claimed {
        return Ok(Ok(Claim { business_id, key: Some(key) }));
    }

    let (stored_hash, status, body): (Vec<u8>, Option<i16>, Option<serde_json::Value>) = sqlx::query_as(
        "SELECT request_hash, response_status, response_body FROM idempotency_keys \
         WHERE business_id = $1 AND key = $2",
    )
    .bind(business_id)
    .bind(&key)
    .fetch_one(&mut **tx)
    .await?;
    if stored_hash != hash {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "IDEMPOTENCY_KEY_REUSED",
            "this Idempotency-Key was used with a different request",
        )
        .with_field("Idempotency-Key"));
    }
    let (Some(status), Some(body)) = (status, body) else {
        return Err(ApiError::internal("idempotency row committed without a response"));
    };
    let status = StatusCode::from_u16(status as u16).map_err(ApiError::internal)?;
    Ok(Err(json_response(status, &body, true)))
}

impl Claim {
    /// Store the response with the key, commit the work and the claim together, answer.
    pub async fn commit<T: Serialize>(self, mut tx: Tx, status: StatusCode, body: &T) -> Result<Response, ApiError> {
        let body = serde_json::to_value(body).map_err(ApiError::internal)?;
        if let Some(key) = &self.key {
            sqlx::query(
                "UPDATE idempotency_keys SET response_status = $3, response_body = $4 \
                 WHERE business_id = $1 AND key = $2",
            )
            .bind(self.business_id)
            .bind(key)
            .bind(status.as_u16() as i16)
            .bind(&body)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(json_response(status, &body, false))
    }
}

/// A creating request, ready for its work. Before the handler runs, the caller has passed
/// the operation's access, the body has parsed into `T`, the business's transaction is
/// open and the `Idempotency-Key` is claimed in it. A replay never reaches the handler:
/// the extractor answers it with the stored response.
///
/// The business is the caller's on a signed-in route, and the one named by the path's
/// `{slug}` on a public one.
pub struct Create<T> {
    pub business_id: Uuid,
    pub request: T,
    pub tx: Tx,
    pub claim: Claim,
}

impl<T> FromRequest<App> for Create<T>
where
    T: DeserializeOwned + Serialize + Send + Sync,
{
    type Rejection = Response;

    async fn from_request(req: Request, app: &App) -> Result<Self, Response> {
        let (mut parts, body) = req.into_parts();
        let Some(routed) = parts.extensions.get::<Routed>().copied() else {
            return Err(ApiError::internal("a creating route mounted without its operation").into_response());
        };
        let tenant = match routed.access {
            Access::Public => Tenant::Slug(Path::<String>::from_request_parts(&mut parts, app).await?.0),
            _ => Tenant::Caller(Auth::from_request_parts(&mut parts, app).await?.business_id),
        };
        let key = IdempotencyKey::from_request_parts(&mut parts, app).await?;
        let Json(request) = Json::<T>::from_request(Request::from_parts(parts, body), app).await?;
        let business_id = match tenant {
            Tenant::Caller(id) => id,
            Tenant::Slug(slug) => app.db.business_id_by_slug(&slug).await?,
        };
        let mut tx = app.db.tenant_tx(business_id).await?;
        match begin(&mut tx, business_id, key, routed.name, &request, app.now()).await? {
            Ok(claim) => Ok(Create { business_id, request, tx, claim }),
            Err(replay) => Err(replay),
        }
    }
}

enum Tenant {
    Caller(Uuid),
    Slug(String),
}

fn json_response(status: StatusCode, body: &serde_json::Value, replayed: bool) -> Response {
    let mut response = (status, body.to_string()).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    if replayed {
        headers.insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    response
}
