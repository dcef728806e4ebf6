//! HTTP benchmarks over the local fleet (real PostgreSQL, served on a local port):
//! the public slots endpoint for one staff-month, and booking throughput, sequential and
//! concurrent. Prints a markdown table. Run through `scripts/bench slots`, which provides
//! PostgreSQL and moto.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::disallowed_methods)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{Datelike, Duration as Days, NaiveDate, Utc};
use e2e::TestApp;
use serde_json::json;

const WEEKDAYS: &[(u8, &str, &str)] = &[
    (1, "09:00", "17:00"),
    (2, "09:00", "17:00"),
    (3, "09:00", "17:00"),
    (4, "09:00", "17:00"),
    (5, "09:00", "17:00"),
];

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let t = TestApp::spawn().await;
    let salon = t
        .salon("Europe/Berlin", 4, WEEKDAYS, json!({"name": "Cut", "duration_minutes": 30, "buffer_after_minutes": 0}))
        .await;
    let base = t.serve().await;
    shared::tls::ensure_provider();
    let client = reqwest::Client::new();

    // Next calendar month, in full.
    let today = Utc::now().date_naive();
    let first =
        NaiveDate::from_ymd_opt(today.year() + i32::from(today.month() == 12), today.month() % 12 + 1, 1).unwrap();
    let last = NaiveDate::from_ymd_opt(first.year() + i32::from(first.month() == 12), first.month() % 12 + 1, 1)
        .unwrap()
        - Days::days(1);
    let owner = Some(salon.tenant.owner.as_str());
    t.patch("/v1/business/settings", owner, json!({"max_advance_days": 120})).await;

    let slots_url = format!(
        "{base}/v1/public/businesses/{}/slots?service_id={}&staff_id={}&from={first}&to={last}",
        salon.tenant.slug, salon.service, salon.staff[0]
    );
    let measure_slots = |rounds: usize| {
        let (client, url) = (client.clone(), slots_url.clone());
        async move {
            let mut times = Vec::with_capacity(rounds);
            let mut count = 0;
            for _ in 0..rounds {
                let started = Instant::now();
                let res = client.get(&url).send().await.expect("slots");
                let body: serde_json::Value = res.json().await.expect("json");
                times.push(started.elapsed());
                count = body["slots"].as_array().map(Vec::len).unwrap_or(0);
            }
            times.sort();
            (times, count)
        }
    };
    measure_slots(20).await; // warm-up
    let (empty, empty_count) = measure_slots(500).await;

    // Every 30-minute start of the month for each staff member: disjoint bookings.
    let mut starts = Vec::new();
    for day in first.iter_days().take_while(|d| *d <= last) {
        if day.weekday().number_from_monday() > 5 {
            continue;
        }
        for half_hour in 0..16 {
            let at = shared::time::local_instant(
                "Europe/Berlin".parse().unwrap(),
                day,
                9 * 60 + half_hour * 30,
                shared::time::Edge::Start,
            );
            for staff in &salon.staff {
                starts.push((at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true), staff.clone()));
            }
        }
    }
    let book_url = format!("{base}/v1/public/businesses/{}/appointments", salon.tenant.slug);
    let book = |client: reqwest::Client, url: String, service: String, (start, staff): (String, String), i: usize| async move {
        let body = json!({"service_id": service, "start": start, "staff_id": staff,
                          "customer": {"name": "Bench", "email": format!("bench{i}@example.com")}});
        let started = Instant::now();
        let status = client.post(&url).json(&body).send().await.expect("book").status();
        assert_eq!(status.as_u16(), 201, "booking {start} failed");
        started.elapsed()
    };

    let sequential_n = 200;
    let started = Instant::now();
    let mut seq_times = Vec::new();
    for (i, slot) in starts.iter().take(sequential_n).cloned().enumerate() {
        seq_times.push(book(client.clone(), book_url.clone(), salon.service.clone(), slot, i).await);
    }
    let seq_elapsed = started.elapsed();
    seq_times.sort();

    let concurrent_n = 400;
    let limit = Arc::new(tokio::sync::Semaphore::new(16));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (i, slot) in starts.iter().skip(sequential_n).take(concurrent_n).cloned().enumerate() {
        let (client, url, service, limit) = (client.clone(), book_url.clone(), salon.service.clone(), limit.clone());
        tasks.push(tokio::spawn(async move {
            let _permit = limit.acquire().await.unwrap();
            book(client, url, service, slot, sequential_n + i).await
        }));
    }
    let mut con_times = Vec::new();
    for task in tasks {
        con_times.push(task.await.unwrap());
    }
    let con_elapsed = started.elapsed();
    con_times.sort();

    // The same month again, now with bookings in it.
    let (busy, busy_count) = measure_slots(500).await;

    println!("| measurement | n | result | p50 | p99 |");
    println!("|---|---:|---|---:|---:|");
    println!(
        "| slots, 1 staff, {first}..{last}, no bookings | 500 | {empty_count} slots | {} | {} |",
        ms(percentile(&empty, 0.5)),
        ms(percentile(&empty, 0.99))
    );
    println!(
        "| slots, same month, {} bookings on this staff member | 500 | {busy_count} slots | {} | {} |",
        (sequential_n + concurrent_n) / 4,
        ms(percentile(&busy, 0.5)),
        ms(percentile(&busy, 0.99))
    );
    println!(
        "| bookings, sequential | {sequential_n} | {:.0} bookings/s | {} | {} |",
        sequential_n as f64 / seq_elapsed.as_secs_f64(),
        ms(percentile(&seq_times, 0.5)),
        ms(percentile(&seq_times, 0.99))
    );
    println!(
        "| bookings, 16 concurrent clients | {concurrent_n} | {:.0} bookings/s | {} | {} |",
        concurrent_n as f64 / con_elapsed.as_secs_f64(),
        ms(percentile(&con_times, 0.5)),
        ms(percentile(&con_times, 0.99))
    );
}
