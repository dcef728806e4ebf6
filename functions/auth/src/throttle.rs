//! Sign-in throttling: at most 10 failures per account and per source address in 15
//! minutes, then 429 with Retry-After until the oldest failure leaves the window. The
//! state is in PostgreSQL, so it holds across Lambda instances. A successful sign-in
//! clears the account's failures.

use axum::http::{HeaderValue, StatusCode, header};
use chrono::Duration;
use shared::{ApiError, App};

pub const MAX_FAILURES: i64 = 10;
pub const WINDOW_MINUTES: i64 = 15;

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
    .fetch_all(&app.db.pool)
    .await?
    .into_iter()
    .map(|r| r.oldest)
    .max();
    let Some(oldest) = oldest_blocking else { return Ok(()) };
    let wait = (oldest + Duration::minutes(WINDOW_MINUTES) - app.now()).num_seconds().max(1);
    Err(ApiError::new(StatusCode::TOO_MANY_REQUESTS, "TOO_MANY_ATTEMPTS", "too many failed sign-ins; try again later")
        .with_header(header::RETRY_AFTER, HeaderValue::from(wait)))
}

/// Record a failure for both subjects, dropping their records older than a day.
pub async fn failed(app: &App, subjects: &Subjects) -> Result<(), ApiError> {
    let now = app.now();
    sqlx::query!(
        "DELETE FROM login_failures WHERE subject = ANY($1) AND failed_at < $2",
        &subjects.both(),
        now - Duration::days(1)
    )
    .execute(&app.db.pool)
    .await?;
    sqlx::query!(
        "INSERT INTO login_failures (id, subject, failed_at) SELECT gen_random_uuid(), s, $2 FROM unnest($1::text[]) s",
        &subjects.both(),
        now
    )
    .execute(&app.db.pool)
    .await?;
    Ok(())
}

/// A correct password clears the account's failures (not the address's).
pub async fn succeeded(app: &App, subjects: &Subjects) -> Result<(), ApiError> {
    sqlx::query!("DELETE FROM login_failures WHERE subject = $1", subjects.account).execute(&app.db.pool).await?;
    Ok(())
}
