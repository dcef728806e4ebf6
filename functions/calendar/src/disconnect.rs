//! calendar-disconnect: stop syncing a staff member's Google Calendar. The push channels
//! are stopped and the grant revoked at Google first (Google unreachable: 503, and
//! nothing is removed, so the call can simply be made again); then the credentials, the
//! busy time read and the sync state are deleted. Events already written to Google stay
//! there, as a calendar user expects.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::delete;
use serde::Deserialize;
use shared::operation::DATABASE_SECRET;
use shared::{Access, ApiError, ApiResult, App, Auth, Operation, Permission, Query};
use uuid::Uuid;

use crate::connect::whose;
use crate::connection::{self, CallError, GOOGLE_SECRET, KEYS_SECRET, Session};
use crate::google::{self, GoogleError};

pub const OP: Operation = Operation::http(
    "calendar",
    "calendar-disconnect",
    "DELETE",
    "/v1/calendar/connection",
    Access::Can(Permission::ConnectOwnCalendar),
    "Disconnect a staff member's Google Calendar (revoke, stop the channels, forget the credentials)",
    || delete(handler),
)
.permissions(&[DATABASE_SECRET, GOOGLE_SECRET, KEYS_SECRET])
// A refresh, a stop per channel and the revocation, within API Gateway's 30 s.
.timeout(29)
.env(&["GOOGLE_OAUTH_TOKEN_URL", "GOOGLE_OAUTH_REVOKE_URL", "GOOGLE_CALENDAR_API_BASE"]);

#[derive(Debug, Deserialize)]
pub struct Which {
    #[serde(default)]
    pub staff_id: Option<Uuid>,
}

async fn handler(auth: Auth, State(app): State<App>, Query(q): Query<Which>) -> ApiResult<StatusCode> {
    let mut tx = app.db.tenant_tx(auth.business_id).await?;
    let staff_id = whose(&mut tx, &auth, q.staff_id).await?;
    let Some(conn) = connection::of_staff(&mut tx, staff_id).await? else {
        return Err(ApiError::not_found("calendar connection"));
    };
    connection::short_lock_wait(&mut tx).await?;
    let Some(conn) = connection::lock(&mut tx, conn.id).await? else {
        return Err(ApiError::not_found("calendar connection"));
    };
    if conn.status == "active" {
        stop_channels(&app, &mut tx, &conn).await?;
        let refresh_token = conn.refresh_token(&app).await?;
        google::revoke(&app, &refresh_token).await.map_err(|e| e.to_api())?;
        tracing::info!(connection_id = %conn.id, "grant revoked at Google");
    }
    sqlx::query("DELETE FROM calendar_connections WHERE id = $1").bind(conn.id).execute(&mut *tx).await?;
    tx.commit().await?;
    connection::forget_access(conn.id);
    tracing::info!(business_id = %auth.business_id, %staff_id, connection_id = %conn.id, "calendar disconnected");
    Ok(StatusCode::NO_CONTENT)
}

/// Stop every channel of the connection (a grant Google already refuses has none left).
async fn stop_channels(app: &App, tx: &mut shared::db::Tx, conn: &connection::Connection) -> ApiResult<()> {
    let channels: Vec<(Uuid, String)> = sqlx::query_as(
        "SELECT channel_id, resource_id FROM calendar_feeds
         WHERE connection_id = $1 AND channel_id IS NOT NULL AND resource_id IS NOT NULL",
    )
    .bind(conn.id)
    .fetch_all(&mut **tx)
    .await?;
    let session = Session { app, connection: conn };
    for (channel, resource) in channels {
        let stopped = session
            .call(|access| {
                let (channel, resource) = (channel.to_string(), resource.clone());
                async move { google::stop_channel(app, &access, &channel, &resource).await }
            })
            .await;
        match stopped {
            Ok(()) | Err(CallError::Broken(_)) => {}
            Err(CallError::Google(GoogleError::Refused(code, reason))) => {
                tracing::warn!(%channel, code, reason, "Google refused to stop a channel; it expires by itself");
            }
            Err(CallError::Google(e)) => return Err(e.to_api()),
            Err(CallError::Failed(e)) => return Err(e),
        }
    }
    Ok(())
}
