//! A 50,000-recipient campaign against real PostgreSQL and moto (SQS and SES): the send
//! request (the audience snapshot), the time to hand every recipient to the email queue
//! (the chain of batches), and the time until the email consumer has sent every email,
//! with four consumers as Lambda would run them. Prints a markdown table. Run through
//! `scripts/bench campaigns`, which starts a moto of its own.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::disallowed_methods)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use e2e::TestApp;
use serde_json::{Value, json};

const RECIPIENTS: i64 = 50_000;
const EMAIL_CONSUMERS: usize = 4;

async fn stats(t: &TestApp, owner: &str, id: &str) -> Value {
    t.get(&format!("/v1/campaigns/{id}/stats"), Some(owner)).await.body
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    // The owner's token outlives the run (it is longer than the default 15 minutes).
    let t = TestApp::spawn_with(|c| c.access_token_ttl = Duration::from_secs(4 * 3600)).await;
    // The tests' queues hold a message invisible for one second; these two get the
    // fleet's six minutes, so a slow moment does not hand a message to a second consumer.
    for queue in ["campaigns-deliver", "notifications-email"] {
        let url = shared::outbox::queue_url(&t.app, queue).await.unwrap();
        shared::outbox::sqs()
            .await
            .set_queue_attributes()
            .queue_url(url)
            .attributes(aws_sdk_sqs::types::QueueAttributeName::VisibilityTimeout, "360")
            .send()
            .await
            .unwrap();
    }
    let tenant = t.tenant("Bench Campaigns").await;
    // Beyond any plan's monthly allowance (Pro's is 20,000): this database's plan has none.
    sqlx::query("UPDATE plans SET max_monthly_campaign_emails = NULL WHERE id = 'pro'")
        .execute(&t.db.admin)
        .await
        .unwrap();
    let setup = Instant::now();
    sqlx::query(
        "INSERT INTO customers (id, business_id, name, email, marketing_consent, marketing_consent_source,
                                marketing_consent_changed_at)
         SELECT gen_random_uuid(), $1, 'Customer ' || i, 'c' || i || '@bench.campaign.test', true, 'booking', timestamptz '2026-01-01'
         FROM generate_series(1, $2::int) i",
    )
    .bind(tenant.business_id)
    .bind(RECIPIENTS as i32)
    .execute(&t.db.admin)
    .await
    .unwrap();
    eprintln!("{RECIPIENTS} customers in {:.1} s", setup.elapsed().as_secs_f64());

    let body = json!({"name": "Bench", "subject": "Hello {{first_name}}", "audience": {"kind": "all"},
                      "body": "Dear {{name}},\n\nthis is a benchmark of {{business_name}}."});
    let id = t.post("/v1/campaigns", Some(&tenant.owner), body).await.id();

    let started = Instant::now();
    let res = t.post(&format!("/v1/campaigns/{id}/send"), Some(&tenant.owner), json!({})).await;
    let send_request = started.elapsed();
    assert_eq!(res.body["recipients"], RECIPIENTS, "{}", res.body);

    // The email consumers run from the start, as Lambda's pollers would.
    let done = Arc::new(AtomicBool::new(false));
    let mut consumers = Vec::new();
    for _ in 0..EMAIL_CONSUMERS {
        let (app, done) = (t.app.clone(), done.clone());
        consumers.push(tokio::spawn(async move {
            while !done.load(Ordering::Relaxed) {
                // A failed receive or delete is retried as Lambda's poller would.
                if let Err(e) =
                    local::workers::poll_once(&app, &notifications::email::OP, Duration::from_millis(500)).await
                {
                    eprintln!("email consumer: {e:?}");
                }
            }
        }));
    }
    let mut queued_at = None;
    let mut last_report = Instant::now();
    loop {
        if let Err(e) = local::workers::poll_once(&t.app, &campaigns::deliver::OP, Duration::from_millis(200)).await {
            eprintln!("batch consumer: {e:?}");
        }
        let s = stats(&t, &tenant.owner, &id).await;
        assert!(s["status"].is_string(), "campaigns-stats answered {s}");
        if queued_at.is_none() && s["status"] == "sent" {
            queued_at = Some(started.elapsed());
        }
        if last_report.elapsed() > Duration::from_secs(15) {
            eprintln!(
                "{:>5.0} s: pending {} queued {} sent {}",
                started.elapsed().as_secs_f64(),
                s["pending"],
                s["queued"],
                s["sent"]
            );
            last_report = Instant::now();
        }
        if s["sent"].as_i64() == Some(RECIPIENTS) {
            break;
        }
        if queued_at.is_some() {
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
    let drained = started.elapsed();
    done.store(true, Ordering::Relaxed);
    for c in consumers {
        c.await.unwrap();
    }
    let queued = queued_at.expect("the campaign was marked sent");
    let s = stats(&t, &tenant.owner, &id).await;
    assert_eq!((s["failed"].as_i64(), s["skipped"].as_i64()), (Some(0), Some(0)), "{s}");

    let rate = |d: Duration| format!("{:.0} per second", RECIPIENTS as f64 / d.as_secs_f64());
    println!("| {RECIPIENTS} recipients | time | rate |");
    println!("|---|---:|---:|");
    println!("| `campaigns-send` (audience snapshot) | {:.2} s | — |", send_request.as_secs_f64());
    println!("| every recipient handed to the email queue | {:.1} s | {} |", queued.as_secs_f64(), rate(queued));
    println!(
        "| every email sent through SES ({EMAIL_CONSUMERS} consumers) | {:.1} s | {} |",
        drained.as_secs_f64(),
        rate(drained)
    );
}
