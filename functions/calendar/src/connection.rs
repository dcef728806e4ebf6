//! A staff member's calendar connection: its sealed refresh token, the access tokens made
//! from it (kept in memory only, per warm function), and what happens when Google refuses
//! the grant: the connection is marked broken, the staff member is told once, and nothing
//! syncs until they connect again.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};
use shared::db::Tx;
use shared::operation::AwsPermission;
use shared::seal::{self, MasterKeys, Sealed};
use shared::{ApiError, ApiResult, App, outbox, secrets};
use uuid::Uuid;

use crate::events::Broken;
use crate::google::{self, GoogleError};

/// Read the OAuth client of the calendar integration.
pub const GOOGLE_SECRET: AwsPermission =
    AwsPermission { actions: &["secretsmanager:GetSecretValue"], resource: "secret:google-calendar" };
/// Read the master keys that seal the refresh tokens.
pub const KEYS_SECRET: AwsPermission =
    AwsPermission { actions: &["secretsmanager:GetSecretValue"], resource: "secret:calendar-token-keys" };

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Connection {
    pub id: Uuid,
    pub business_id: Uuid,
    pub staff_id: Uuid,
    pub google_email: String,
    pub write_calendar_id: String,
    pub token_key_id: String,
    pub token_wrapped_key: Vec<u8>,
    pub token_ciphertext: Vec<u8>,
    pub status: String,
    pub connected_at: DateTime<Utc>,
}

const COLUMNS: &str = "id, business_id, staff_id, google_email, write_calendar_id, token_key_id, token_wrapped_key,
                       token_ciphertext, status, connected_at";

/// The connection, locked for this transaction (one sync or push of it at a time).
pub async fn lock(tx: &mut Tx, id: Uuid) -> ApiResult<Option<Connection>> {
    let sql = format!("SELECT {COLUMNS} FROM calendar_connections WHERE id = $1 FOR UPDATE");
    Ok(sqlx::query_as(&sql).bind(id).fetch_optional(&mut **tx).await?)
}

/// The connection, not locked (a push, which must not wait behind a sync).
pub async fn find(tx: &mut Tx, id: Uuid) -> ApiResult<Option<Connection>> {
    let sql = format!("SELECT {COLUMNS} FROM calendar_connections WHERE id = $1");
    Ok(sqlx::query_as(&sql).bind(id).fetch_optional(&mut **tx).await?)
}

/// Wait at most a few seconds for a connection a sync holds (an HTTP request answers 503
/// rather than time out).
pub async fn short_lock_wait(tx: &mut Tx) -> ApiResult<()> {
    sqlx::query("SET LOCAL lock_timeout = '3s'").execute(&mut **tx).await?;
    Ok(())
}

/// The staff member's connection, if they have one.
pub async fn of_staff(tx: &mut Tx, staff_id: Uuid) -> ApiResult<Option<Connection>> {
    let sql = format!("SELECT {COLUMNS} FROM calendar_connections WHERE staff_id = $1");
    Ok(sqlx::query_as(&sql).bind(staff_id).fetch_optional(&mut **tx).await?)
}

pub async fn master_keys(app: &App) -> Result<MasterKeys, ApiError> {
    let raw = secrets::get_string(&app.config.calendar_keys_secret_id).await.map_err(|e| {
        tracing::error!(error = %e, "the calendar token keys are unreadable");
        ApiError::unavailable()
    })?;
    MasterKeys::from_secret_json(&raw).map_err(|e| {
        tracing::error!(error = %e, "the calendar token keys do not parse");
        ApiError::unavailable()
    })
}

/// What the refresh token is bound to: its connection.
fn context(connection_id: Uuid) -> Vec<u8> {
    format!("calendar-connection:{connection_id}").into_bytes()
}

pub fn seal_token(keys: &MasterKeys, connection_id: Uuid, refresh_token: &str) -> ApiResult<Sealed> {
    seal::seal(keys, refresh_token.as_bytes(), &context(connection_id)).map_err(ApiError::internal)
}

impl Connection {
    pub async fn refresh_token(&self, app: &App) -> ApiResult<String> {
        let sealed = Sealed {
            key_id: self.token_key_id.clone(),
            wrapped_key: self.token_wrapped_key.clone(),
            ciphertext: self.token_ciphertext.clone(),
        };
        let keys = master_keys(app).await?;
        let plain = seal::open(&keys, &sealed, &context(self.id)).map_err(ApiError::internal)?;
        String::from_utf8(plain).map_err(ApiError::internal)
    }
}

/// An access token and when to stop using it.
type Access = (String, DateTime<Utc>);

/// Access tokens by connection, until shortly before they expire (per warm function).
static ACCESS: Mutex<Option<HashMap<Uuid, Access>>> = Mutex::new(None);

pub fn remember_access(connection_id: Uuid, token: &str, expires_in: i64, now: DateTime<Utc>) {
    let until = now + Duration::seconds(expires_in - 60);
    let mut cache = ACCESS.lock().unwrap_or_else(|p| p.into_inner());
    cache.get_or_insert_with(HashMap::new).insert(connection_id, (token.to_owned(), until));
}

pub fn forget_access(connection_id: Uuid) {
    let mut cache = ACCESS.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(cache) = cache.as_mut() {
        cache.remove(&connection_id);
    }
}

/// Why a call on a connection could not be made.
#[derive(Debug)]
pub enum CallError {
    /// Google refused the grant (the reason): the caller marks the connection broken.
    Broken(String),
    Google(GoogleError),
    Failed(ApiError),
}

impl From<ApiError> for CallError {
    fn from(e: ApiError) -> CallError {
        CallError::Failed(e)
    }
}

impl From<GoogleError> for CallError {
    fn from(e: GoogleError) -> CallError {
        CallError::Google(e)
    }
}

impl CallError {
    /// For a queue consumer: broken is done (no retry storm), and so is a request Google
    /// refuses for good (a retry would be refused the same way; it is logged as an
    /// error); Google unavailable and our own failures are retried.
    pub fn into_result(self) -> ApiResult<()> {
        match self {
            CallError::Broken(_) => Ok(()),
            CallError::Google(GoogleError::Refused(code, reason)) => {
                tracing::error!(code, reason, "Google refused the request; not retried");
                Ok(())
            }
            CallError::Google(e) => Err(ApiError::internal(e)),
            CallError::Failed(e) => Err(e),
        }
    }
}

/// A connection in use: calls Google with a valid access token, refreshing it when it
/// expires or Google refuses it.
pub struct Session<'a> {
    pub app: &'a App,
    pub connection: &'a Connection,
}

impl Session<'_> {
    /// A valid access token (cached, or refreshed now).
    pub async fn access(&self, fresh: bool) -> Result<String, CallError> {
        let now = self.app.now();
        if !fresh {
            let cache = ACCESS.lock().unwrap_or_else(|p| p.into_inner());
            if let Some((token, until)) = cache.as_ref().and_then(|c| c.get(&self.connection.id))
                && *until > now
            {
                return Ok(token.clone());
            }
        }
        let client = google::client_secret(self.app).await?;
        let refresh_token = self.connection.refresh_token(self.app).await?;
        match google::refresh(self.app, &client, &refresh_token).await {
            Ok(t) => {
                remember_access(self.connection.id, &t.access_token, t.expires_in, now);
                Ok(t.access_token)
            }
            Err(GoogleError::InvalidGrant(reason)) => Err(CallError::Broken(reason)),
            Err(e) => Err(e.into()),
        }
    }

    /// Run a call with the access token; a refused token is refreshed once and the call
    /// made again.
    pub async fn call<T, F, Fut>(&self, f: F) -> Result<T, CallError>
    where
        F: Fn(String) -> Fut,
        Fut: std::future::Future<Output = Result<T, GoogleError>>,
    {
        let token = self.access(false).await?;
        match f(token).await {
            Err(GoogleError::Unauthorized) => {
                forget_access(self.connection.id);
                let token = self.access(true).await?;
                Ok(f(token).await?)
            }
            other => Ok(other?),
        }
    }
}

/// Google refused the grant: mark the connection broken and tell the staff member, once
/// per grant (in the caller's transaction, which holds the connection's lock).
pub async fn mark_broken(tx: &mut Tx, app: &App, connection: &Connection, reason: &str) -> ApiResult<()> {
    let now = app.now();
    let changed = sqlx::query(
        "UPDATE calendar_connections SET status = 'broken', broken_reason = $2, broken_at = $3, updated_at = $3
         WHERE id = $1 AND status = 'active'",
    )
    .bind(connection.id)
    .bind(reason)
    .bind(now)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if changed == 1 {
        // Its busy time is no longer kept current, so it no longer blocks bookings.
        sqlx::query("SELECT calendar_busy_write_lock($1)").bind(connection.staff_id).execute(&mut **tx).await?;
        sqlx::query("DELETE FROM calendar_busy WHERE connection_id = $1")
            .bind(connection.id)
            .execute(&mut **tx)
            .await?;
        let staff: Option<(String, Option<String>)> = sqlx::query_as("SELECT name, email FROM staff WHERE id = $1")
            .bind(connection.staff_id)
            .fetch_optional(&mut **tx)
            .await?;
        let (name, email) = staff.unwrap_or_default();
        let email = email.unwrap_or_else(|| connection.google_email.clone());
        let event = Broken {
            connection_id: connection.id,
            connected_at: connection.connected_at,
            email,
            name,
            google_email: connection.google_email.clone(),
        };
        outbox::push(tx, connection.business_id, &event).await?;
    }
    forget_access(connection.id);
    tracing::warn!(connection_id = %connection.id, staff_id = %connection.staff_id, reason, "calendar connection broken; sync stopped");
    Ok(())
}
