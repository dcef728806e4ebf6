//! Housekeeping: what is past its retention goes, what is not stays, in bounded batches,
//! by the application's clock alone, and only the jobs login may run it.
//!
//! The clock is pinned far from today's date: a rule that read PostgreSQL's clock instead
//! would delete the rows that must stay.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use e2e::TestApp;
use housekeeping::run::{delete_batch, sweep_bounded};
use housekeeping::{RETENTION, Table};
use sqlx::postgres::PgPoolOptions;
use uuid::Uuid;

const NOW: &str = "2025-06-01T12:00:00Z";

fn keep(table: Table) -> Duration {
    table.retention().unwrap()
}

/// A business and its owner, inserted directly (no request writes rows of its own).
async fn business(t: &TestApp) -> (Uuid, Uuid) {
    let (business_id, user_id) = (Uuid::now_v7(), Uuid::now_v7());
    sqlx::query("INSERT INTO businesses (id, name, slug, time_zone) VALUES ($1, 'Tidy', $2, 'Europe/Berlin')")
        .bind(business_id)
        .bind(format!("tidy-{}", business_id.simple()))
        .execute(&t.db.admin)
        .await
        .unwrap();
    sqlx::query("INSERT INTO users (id, business_id, email, role) VALUES ($1, $2, $3, 'owner')")
        .bind(user_id)
        .bind(business_id)
        .bind(format!("owner-{}@example.com", user_id.simple()))
        .execute(&t.db.admin)
        .await
        .unwrap();
    (business_id, user_id)
}

/// A one-time token whose hash is its label, so the test can tell which are left.
async fn auth_token(
    t: &TestApp,
    (business_id, user_id): (Uuid, Uuid),
    label: &str,
    expires_at: DateTime<Utc>,
    used_at: Option<DateTime<Utc>>,
) {
    sqlx::query(
        "INSERT INTO auth_tokens (id, business_id, purpose, user_id, token_hash, expires_at, used_at, created_at)
         VALUES ($1, $2, 'password_reset', $3, $4, $5, $6, $7)",
    )
    .bind(Uuid::now_v7())
    .bind(business_id)
    .bind(user_id)
    .bind(label.as_bytes())
    .bind(expires_at)
    .bind(used_at)
    .bind(used_at.map_or(expires_at, |used| used.min(expires_at)) - Duration::hours(1))
    .execute(&t.db.admin)
    .await
    .unwrap();
}

async fn outbox(t: &TestApp, business_id: Uuid, label: &str, published_at: Option<DateTime<Utc>>) -> Uuid {
    let id = Uuid::now_v7();
    let created_at = published_at.unwrap_or_else(|| t.app.now() - Duration::days(365)) - Duration::minutes(1);
    sqlx::query(
        "INSERT INTO outbox (id, business_id, dedup_key, kind, payload, created_at, published_at)
         VALUES ($1, $2, $3, 'appointment.booked', '{}', $4, $5)",
    )
    .bind(id)
    .bind(business_id)
    .bind(label)
    .bind(created_at)
    .bind(published_at)
    .execute(&t.db.admin)
    .await
    .unwrap();
    id
}

/// A delivery of an outbox row, its kind the row's label.
async fn delivery(t: &TestApp, business_id: Uuid, outbox_id: Uuid, label: &str, claimed_at: DateTime<Utc>) {
    sqlx::query(
        "INSERT INTO deliveries (outbox_id, channel, business_id, kind, status, claimed_at, sent_at)
         VALUES ($1, 'email', $2, $3, 'sent', $4, $4)",
    )
    .bind(outbox_id)
    .bind(business_id)
    .bind(label)
    .bind(claimed_at)
    .execute(&t.db.admin)
    .await
    .unwrap();
}

/// The labels left, sorted.
async fn labels(t: &TestApp, sql: &str) -> Vec<String> {
    sqlx::query_scalar(sql).fetch_all(&t.db.admin).await.unwrap()
}

/// How many rows a sweep deleted from `table`.
fn deleted(summary: &[(&str, u64)], table: Table) -> u64 {
    summary.iter().find(|(name, _)| *name == table.name()).map_or(0, |(_, n)| *n)
}

fn permission_denied(e: &sqlx::Error) -> bool {
    e.as_database_error().and_then(|d| d.code()).is_some_and(|code| code == "42501")
}

const TOKENS_LEFT: &str = "SELECT convert_from(token_hash, 'UTF8') FROM auth_tokens ORDER BY 1";
const FAILURES_LEFT: &str = "SELECT subject FROM login_failures ORDER BY 1";
const ID_TOKENS_LEFT: &str = "SELECT convert_from(token_hash, 'UTF8') FROM id_token_uses ORDER BY 1";
const KEYS_LEFT: &str = "SELECT key FROM idempotency_keys ORDER BY 1";
const OUTBOX_LEFT: &str = "SELECT dedup_key FROM outbox ORDER BY 1";
const DELIVERIES_LEFT: &str = "SELECT kind FROM deliveries ORDER BY 1";

#[tokio::test]
async fn rows_past_their_retention_go_and_the_rest_stay() {
    let t = TestApp::spawn_at(NOW).await;
    let now = t.app.now();
    let owner = business(&t).await;
    let business_id = owner.0;
    // A minute past each table's retention, and a minute short of it.
    let past = |table: Table| now - keep(table) - Duration::minutes(1);
    let within = |table: Table| now - keep(table) + Duration::minutes(1);

    auth_token(&t, owner, "expired-long-ago", past(Table::AuthTokens), None).await;
    auth_token(&t, owner, "expired-lately", within(Table::AuthTokens), None).await;
    auth_token(&t, owner, "used-long-ago", within(Table::AuthTokens), Some(past(Table::AuthTokens))).await;
    auth_token(&t, owner, "used-lately", now + Duration::hours(1), Some(within(Table::AuthTokens))).await;
    auth_token(&t, owner, "open", now + Duration::hours(1), None).await;

    for (subject, failed_at) in [("old", past(Table::LoginFailures)), ("recent", within(Table::LoginFailures))] {
        sqlx::query("INSERT INTO login_failures (id, subject, failed_at) VALUES ($1, $2, $3)")
            .bind(Uuid::now_v7())
            .bind(subject)
            .bind(failed_at)
            .execute(&t.db.admin)
            .await
            .unwrap();
    }
    for (label, used_at) in [("old", past(Table::IdTokenUses)), ("recent", within(Table::IdTokenUses))] {
        sqlx::query("INSERT INTO id_token_uses (token_hash, business_id, used_at) VALUES ($1, $2, $3)")
            .bind(label.as_bytes())
            .bind(business_id)
            .bind(used_at)
            .execute(&t.db.admin)
            .await
            .unwrap();
    }
    for (key, created_at) in [("old", past(Table::IdempotencyKeys)), ("recent", within(Table::IdempotencyKeys))] {
        sqlx::query(
            "INSERT INTO idempotency_keys (business_id, key, request_hash, response_status, response_body, created_at)
             VALUES ($1, $2, '\\x00', 201, '{}', $3)",
        )
        .bind(business_id)
        .bind(key)
        .bind(created_at)
        .execute(&t.db.admin)
        .await
        .unwrap();
    }

    for (event, received_at) in [("evt_old", past(Table::StripeEvents)), ("evt_recent", within(Table::StripeEvents))] {
        sqlx::query(
            "INSERT INTO stripe_events (event_id, business_id, type, stripe_created, received_at)
             VALUES ($1, $2, 'invoice.paid', $3, $3)",
        )
        .bind(event)
        .bind(business_id)
        .bind(received_at)
        .execute(&t.db.admin)
        .await
        .unwrap();
    }

    // Published long ago, nothing delivered: goes.
    outbox(&t, business_id, "alone", Some(past(Table::Outbox))).await;
    // Published long ago, delivered long ago: the delivery goes first, then the row.
    let id = outbox(&t, business_id, "delivered-long-ago", Some(past(Table::Outbox))).await;
    delivery(&t, business_id, id, "delivered-long-ago", past(Table::Deliveries)).await;
    // Published long ago, delivered lately (a retried message): both wait, the delivery log
    // must not lose a row to the cascade.
    let id = outbox(&t, business_id, "delivered-lately", Some(past(Table::Outbox))).await;
    delivery(&t, business_id, id, "delivered-lately", within(Table::Deliveries)).await;
    // Published lately.
    let id = outbox(&t, business_id, "recent", Some(within(Table::Outbox))).await;
    delivery(&t, business_id, id, "recent", within(Table::Deliveries)).await;
    // Never published: the relay's, whatever its age.
    outbox(&t, business_id, "unpublished", None).await;

    let summary: BTreeMap<&str, u64> = housekeeping::sweep(&t.app, now).await.unwrap().into_iter().collect();
    assert_eq!(
        summary,
        BTreeMap::from([
            ("auth_tokens", 2),
            ("login_failures", 1),
            ("id_token_uses", 1),
            ("idempotency_keys", 1),
            ("deliveries", 1),
            ("outbox", 2),
            ("stripe_events", 1),
        ])
    );
    assert_eq!(labels(&t, "SELECT event_id FROM stripe_events ORDER BY 1").await, ["evt_recent"]);
    assert_eq!(labels(&t, TOKENS_LEFT).await, ["expired-lately", "open", "used-lately"]);
    assert_eq!(labels(&t, FAILURES_LEFT).await, ["recent"]);
    assert_eq!(labels(&t, ID_TOKENS_LEFT).await, ["recent"]);
    assert_eq!(labels(&t, KEYS_LEFT).await, ["recent"]);
    assert_eq!(labels(&t, OUTBOX_LEFT).await, ["delivered-lately", "recent", "unpublished"]);
    assert_eq!(labels(&t, DELIVERIES_LEFT).await, ["delivered-lately", "recent"]);

    // Again at the same time: nothing more to do.
    let again = housekeeping::sweep(&t.app, now).await.unwrap();
    assert!(again.iter().all(|(_, n)| *n == 0), "{again:?}");
    assert_eq!(again.len(), RETENTION.len());

    // Once the retried delivery is past its retention, it goes, and its outbox row with it.
    housekeeping::sweep(&t.app, now + Duration::minutes(2)).await.unwrap();
    assert!(!labels(&t, DELIVERIES_LEFT).await.contains(&"delivered-lately".to_owned()));
    assert!(!labels(&t, OUTBOX_LEFT).await.contains(&"delivered-lately".to_owned()));
    assert!(labels(&t, OUTBOX_LEFT).await.contains(&"unpublished".to_owned()));
}

#[tokio::test]
async fn a_batch_deletes_at_most_its_limit_and_a_run_at_most_its_batches() {
    let t = TestApp::spawn_at(NOW).await;
    let now = t.app.now();
    let cutoff = now - keep(Table::LoginFailures);
    sqlx::query(
        "INSERT INTO login_failures (id, subject, failed_at)
         SELECT gen_random_uuid(), 'ip:192.0.2.' || g, $1 FROM generate_series(1, 25) g",
    )
    .bind(cutoff - Duration::hours(1))
    .execute(&t.db.admin)
    .await
    .unwrap();

    // One call of the function deletes no more than it is asked to.
    assert_eq!(delete_batch(&t.app, Table::LoginFailures, cutoff, 4).await.unwrap(), 4);
    assert_eq!(labels(&t, FAILURES_LEFT).await.len(), 21);

    // A run stops after its batches; the next run carries on, and stops when a batch
    // comes back short.
    let summary = sweep_bounded(&t.app, now, 5, 2).await.unwrap();
    assert_eq!(deleted(&summary, Table::LoginFailures), 10);
    assert_eq!(labels(&t, FAILURES_LEFT).await.len(), 11);
    let summary = sweep_bounded(&t.app, now, 5, 10).await.unwrap();
    assert_eq!(deleted(&summary, Table::LoginFailures), 11);
    assert_eq!(labels(&t, FAILURES_LEFT).await.len(), 0);
}

#[tokio::test]
async fn only_the_jobs_login_may_run_housekeeping() {
    let t = TestApp::spawn_at(NOW).await;
    let now = t.app.now();
    // The request path's login cannot execute any of the functions.
    let app_pool = PgPoolOptions::new().max_connections(1).connect(&t.db.app_url()).await.unwrap();
    let role: String = sqlx::query_scalar("SELECT current_user::text").fetch_one(&app_pool).await.unwrap();
    assert_eq!(role, "kairos_app");
    for &(table, _) in RETENTION {
        let err = sqlx::query(table.batch_sql()).bind(now).bind(10).execute(&app_pool).await.unwrap_err();
        assert!(permission_denied(&err), "kairos_app ran {}: {err}", table.batch_sql());
    }

    // The jobs login can, but touches no table itself.
    let mut jobs = t.app.jobs_db().acquire().await.unwrap();
    for &(table, _) in RETENTION {
        let deleted: i32 =
            sqlx::query_scalar(table.batch_sql()).bind(now).bind(10).fetch_one(&mut *jobs).await.unwrap();
        assert_eq!(deleted, 0, "{}", table.name());
        let err = sqlx::query(&format!("DELETE FROM {}", table.name())).execute(&mut *jobs).await.unwrap_err();
        assert!(permission_denied(&err), "the jobs login deleted from {} directly: {err}", table.name());
    }

    // In the catalog: each function runs as kairos_worker, and besides its owner only the
    // jobs login may execute it.
    let functions: Vec<(String, String, bool, bool, bool, bool)> = sqlx::query_as(
        "SELECT p.proname::text, pg_get_userbyid(p.proowner)::text, p.prosecdef,
                has_function_privilege('public', p.oid, 'EXECUTE'),
                has_function_privilege('kairos_app', p.oid, 'EXECUTE'),
                has_function_privilege('kairos_jobs', p.oid, 'EXECUTE')
         FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
         WHERE n.nspname = 'public' AND p.proname LIKE 'housekeep\\_%' ORDER BY 1",
    )
    .fetch_all(&t.db.admin)
    .await
    .unwrap();
    assert_eq!(functions.len(), RETENTION.len(), "{functions:?}");
    for (name, owner, definer, by_public, by_app, by_jobs) in functions {
        let found = (owner.as_str(), definer, by_public, by_app, by_jobs);
        assert_eq!(found, ("kairos_worker", true, false, false, true), "{name}");
    }
}
