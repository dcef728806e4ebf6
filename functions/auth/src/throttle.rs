//! Sign-in throttling: at most 10 failures per account and per source address in 15
//! minutes, then 429 with Retry-After until the oldest failure leaves the window. The
//! state is in PostgreSQL, so it holds across Lambda instances. A successful sign-in
//! clears the account's failures.
//!
//! The same table counts requests that send email to an address the caller names
//! (password reset): per source address, under their own subject, see [`request`].

use axum::http::{HeaderValue, StatusCode, header};
use chrono::Duration;
use shared::{ApiError, App};

pub const MAX_FAILURES: i64 = 10;
pub const WINDOW_MINUTES: i64 = 15;
/// How long a record is kept (well past the window); older ones are trimmed here for the
/// subject being recorded, and for every subject by the housekeeping job.
pub const RECORDS_KEPT: Duration = Duration::days(1);

pub struct Subjects {
    account: String,
    address: String,
}

impl Subjects {
    pub fn new(email: &str, ip: &str) -> Subjects {
        Subjects { account: format!("email:{email}"), address: format!("ip:{ip}") }
    }

    fn both(&self) -> Vec<String> {
        vec![self.account.clone(), self.address.clone()]
    }
}

/// Refuse with 429 while either subject is over the limit.
pub async fn check(app: &App, subjects: &Subjects) -> Result<(), ApiError> {
    let since = app.now() - Duration::minutes(WINDOW_MINUTES);
    let oldest_blocking = sqlx::query!(
        r#"SELECT min(failed_at) AS "oldest!" FROM login_failures
           WHERE subject = ANY($1) AND failed_at > $2
           GROUP BY subject HAVING count(*) >= $3"#,
        &subjects.both(),
        since,
        MAX_FAILURES
    )
    .fetch_all(&mut *app.db.acquire().await?)
    .await?
    .into_iter()
    .map(|r| r.oldest)
    .max();
    let Some(oldest) = oldest_blocking else { return Ok(()) };
    Err(too_many(app, oldest, "too many failed sign-ins; try again later"))
}

fn too_many(app: &App, oldest: chrono::DateTime<chrono::Utc>, detail: &str) -> ApiError {
    let wait = (oldest + Duration::minutes(WINDOW_MINUTES) - app.now()).num_seconds().max(1);
    ApiError::new(StatusCode::TOO_MANY_REQUESTS, "TOO_MANY_ATTEMPTS", detail)
        .with_header(header::RETRY_AFTER, HeaderValue::from(wait))
}

/// Count one request of `kind` from `ip`; past `max` in the window, 429 with Retry-After.
/// The limit is per address only, so the answer says nothing about any account.
pub async fn request(app: &App, kind: &str, ip: &str, max: i64) -> Result<(), ApiError> {
    let subject = format!("{kind}:ip:{ip}");
    let now = app.now();
    let since = now - Duration::minutes(WINDOW_MINUTES);
    let recent = sqlx::query!(
        r#"SELECT count(*) AS "n!", min(failed_at) AS oldest FROM login_failures
           WHERE subject = $1 AND failed_at > $2"#,
        subject,
        since
    )
    .fetch_one(&mut *app.db.acquire().await?)
    .await?;
    if let (true, Some(oldest)) = (recent.n >= max, recent.oldest) {
        return Err(too_many(app, oldest, "too many requests from this address; try again later"));
    }
    sqlx::query!("DELETE FROM login_failures WHERE subject = $1 AND failed_at < $2", subject, now - RECORDS_KEPT)
        .execute(&mut *app.db.acquire().await?)
        .await?;
    sqlx::query!(
        "INSERT INTO login_failures (id, subject, failed_at) VALUES (gen_random_uuid(), $1, $2)",
        subject,
        now
    )
    .execute(&mut *app.db.acquire().await?)
    .await?;
    Ok(())
}

/// Record a failure for both subjects, dropping their records older than a day.
pub async fn failed(app: &App, subjects: &Subjects) -> Result<(), ApiError> {
    let now = app.now();
    sqlx::query!(
        "DELETE FROM login_failures WHERE subject = ANY($1) AND failed_at < $2",
        &subjects.both(),
        now - RECORDS_KEPT
    )
    .execute(&mut *app.db.acquire().await?)
    .await?;
    sqlx::query!(
        "INSERT INTO login_failures (id, subject, failed_at) SELECT gen_random_uuid(), s, $2 FROM unnest($1::text[]) s",
        &subjects.both(),
        now
    )
    .execute(&mut *app.db.acquire().await?)
    .await?;
    Ok(())
}

/// Clear an account's failures: its owner proved who they are another way (a reset link).
pub async fn clear_account(app: &App, email: &str) -> Result<(), ApiError> {
    sqlx::query!("DELETE FROM login_failures WHERE subject = $1", format!("email:{email}"))
        .execute(&mut *app.db.acquire().await?)
        .await?;
    Ok(())
}

/// A correct password clears the account's failures (not the address's).
pub async fn succeeded(app: &App, subjects: &Subjects) -> Result<(), ApiError> {
    sqlx::query!("DELETE FROM login_failures WHERE subject = $1", subjects.account)
        .execute(&mut *app.db.acquire().await?)
        .await?;
    Ok(())
}
