use std::sync::Arc;

use axum::http::{Method, StatusCode};
use e2e::TestApp;
use serde_json::{Value, json};
use shared::Role;

const NOW: &str = "2026-11-21T08:00:00Z";
/// Monday 2026-11-30, 10:00 Berlin.
const MONDAY_10: &str = "2026-11-30T09:00:00Z";

async fn salon(t: &TestApp, staff: usize) -> e2e::Salon {
    t.salon(
        "Europe/Berlin",
        staff,
        &[
            (1, "09:00", "17:00"),
            (2, "09:00", "17:00"),
            (3, "09:00", "17:00"),
            (4, "09:00", "17:00"),
            (5, "09:00", "17:00"),
        ],
        json!({"name": "Cut", "duration_minutes": 30, "buffer_before_minutes": 5, "buffer_after_minutes": 10}),
    )
    .await
}

#[tokio::test]
async fn public_booking_creates_customer_outbox_row_and_manage_link() {
    let t = TestApp::spawn_at(NOW).await;
    let s = salon(&t, 1).await;
    let res = t.book(&s, MONDAY_10, None, "Casey@Example.com").await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let keys: Vec<&str> = res.body.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["id", "status", "start", "end", "staff_id", "manage_token"]);
    assert_eq!(res.body["status"], "confirmed");
    assert_eq!(res.body["end"], "2026-11-30T09:30:00Z");
    assert_eq!(res.body["staff_id"], json!(s.staff[0]));

    let (customers, outbox, blocked): (i64, Vec<String>, String) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM customers WHERE email = 'casey@example.com'),
                (SELECT array_agg(dedup_key) FROM outbox WHERE dedup_key LIKE 'appointment:%'),
                (SELECT blocked::text FROM appointments)",
    )
    .fetch_one(&t.db.admin)
    .await
    .unwrap();
    assert_eq!(customers, 1);
    assert_eq!(outbox, [format!("appointment:{}:booked", res.id())]);
    assert_eq!(blocked, r#"["2026-11-30 08:55:00+00","2026-11-30 09:40:00+00")"#, "buffers on both sides");

    // The same customer books again: found by email, not duplicated.
    let again = t.book(&s, "2026-11-30T10:00:00Z", None, "casey@example.com").await;
    assert_eq!(again.status, StatusCode::CREATED);
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM customers").fetch_one(&t.db.admin).await.unwrap();
    assert_eq!(n, 1);

    let view = t.get(&format!("/v1/public/manage/{}", res.body["manage_token"].as_str().unwrap()), None).await;
    assert_eq!(view.status, StatusCode::OK);
    assert_eq!(view.body["service_name"], "Cut");
    assert_eq!(view.body["can_change"], true);
}

#[tokio::test]
async fn booking_refuses_what_is_not_offered() {
    let t = TestApp::spawn_at(NOW).await;
    let s = salon(&t, 1).await;
    for (start, why) in [
        ("2026-11-30T09:05:00Z", "off the 15-minute lattice"),
        ("2026-11-29T09:00:00Z", "a Sunday"),
        ("2026-11-30T15:45:00Z", "does not fit before 17:00"),
        ("2026-11-21T09:00:00Z", "in the past"),
    ] {
        let res = t.book(&s, start, None, "c@example.com").await;
        assert_eq!(
            (res.status, res.code(), res.field()),
            (StatusCode::UNPROCESSABLE_ENTITY, "SLOT_UNAVAILABLE", "start"),
            "{why}"
        );
    }
    let first = t.book(&s, MONDAY_10, None, "a@example.com").await;
    assert_eq!(first.status, StatusCode::CREATED);
    // Taken now (inside the buffers too): 409, not "never offered".
    let taken = t.book(&s, MONDAY_10, None, "b@example.com").await;
    assert_eq!((taken.status, taken.code()), (StatusCode::CONFLICT, "SLOT_TAKEN"));
    assert_eq!(t.book(&s, "2026-11-30T09:30:00Z", None, "b@example.com").await.code(), "SLOT_TAKEN");
    assert_eq!(t.book(&s, "2026-11-30T09:45:00Z", None, "b@example.com").await.status, StatusCode::CREATED);

    let path = format!("/v1/public/businesses/{}/appointments", s.tenant.slug);
    for (body, field) in [
        (
            json!({"service_id": s.service, "start": "monday", "customer": {"name": "C", "email": "c@example.com"}}),
            "start",
        ),
        (
            json!({"service_id": s.service, "start": MONDAY_10, "customer": {"name": "C", "email": "c"}}),
            "customer.email",
        ),
        (json!({"service_id": s.service, "start": MONDAY_10, "customer": {"email": "c@example.com"}}), "customer.name"),
        (
            json!({"service_id": uuid::Uuid::now_v7(), "start": MONDAY_10, "customer": {"name": "C", "email": "c@example.com"}}),
            "service_id",
        ),
    ] {
        let res = t.post(&path, None, body).await;
        assert_eq!((res.status, res.field()), (StatusCode::UNPROCESSABLE_ENTITY, field), "{}", res.body);
    }
}

#[tokio::test]
async fn booking_twice_with_one_idempotency_key_books_once() {
    let t = TestApp::spawn_at(NOW).await;
    let s = salon(&t, 1).await;
    let path = format!("/v1/public/businesses/{}/appointments", s.tenant.slug);
    let body = json!({"service_id": s.service, "start": MONDAY_10, "customer": {"name": "Casey", "email": "casey@example.com"}});
    let key = [("idempotency-key", "book-casey-1")];
    let first = t.call(Method::POST, &path, None, Some(body.clone()), &key).await;
    let second = t.call(Method::POST, &path, None, Some(body), &key).await;
    assert_eq!((first.status, second.status), (StatusCode::CREATED, StatusCode::CREATED));
    assert_eq!(first.body, second.body, "the same response, manage token included");
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM appointments").fetch_one(&t.db.admin).await.unwrap();
    assert_eq!(n, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_parallel_bookings_of_one_slot_give_one_booking() {
    let t = TestApp::spawn_at(NOW).await;
    let s = salon(&t, 1).await;
    let base = t.serve().await;
    let client = reqwest::Client::new();
    let url = format!("{base}/v1/public/businesses/{}/appointments", s.tenant.slug);
    let mut tasks = Vec::new();
    for i in 0..50 {
        let (client, url, service) = (client.clone(), url.clone(), s.service.clone());
        tasks.push(tokio::spawn(async move {
            let body = json!({"service_id": service, "start": MONDAY_10, "customer": {"name": "C", "email": format!("c{i}@example.com")}});
            let res = client.post(&url).json(&body).send().await.expect("send");
            let status = res.status().as_u16();
            let body: Value = res.json().await.unwrap_or(Value::Null);
            (status, body["code"].as_str().unwrap_or_default().to_owned())
        }));
    }
    let mut created = 0;
    for task in tasks {
        match task.await.unwrap() {
            (201, _) => created += 1,
            // Lost the race at the database, or arrived after the winner committed: the
            // same answer either way.
            (409, code) => assert_eq!(code, "SLOT_TAKEN"),
            other => panic!("unexpected answer {other:?}"),
        }
    }
    assert_eq!(created, 1);
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM appointments").fetch_one(&t.db.admin).await.unwrap();
    assert_eq!(n, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn five_hundred_random_parallel_bookings_never_overlap() {
    let t = TestApp::spawn_at(NOW).await;
    let s = salon(&t, 4).await;
    let staff_token = t.member(&s.tenant, Role::Staff).await;
    let base = t.serve().await;
    let client = reqwest::Client::new();
    let limit = Arc::new(tokio::sync::Semaphore::new(24));
    let monday = chrono::DateTime::parse_from_rfc3339("2026-11-30T08:00:00Z").unwrap();
    let mut tasks = Vec::new();
    for i in 0..500 {
        // Random staff and start within two working days; half online on the lattice,
        // half by staff anywhere (outside hours allowed), where only the database stops
        // an overlap.
        let staff = s.staff[rand::random_range(0..4)].clone();
        let minutes = rand::random_range(0..(2 * 24 * 60 / 5)) * 5;
        let start = (monday + chrono::Duration::minutes(minutes)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let (client, base, slug, service, token, limit) = (
            client.clone(),
            base.clone(),
            s.tenant.slug.clone(),
            s.service.clone(),
            staff_token.clone(),
            limit.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let _permit = limit.acquire().await.unwrap();
            let customer = json!({"name": "C", "email": format!("c{i}@example.com")});
            let res = if i % 2 == 0 {
                client
                    .post(format!("{base}/v1/public/businesses/{slug}/appointments"))
                    .json(&json!({"service_id": service, "start": start, "staff_id": staff, "customer": customer}))
                    .send()
                    .await
            } else {
                client
                    .post(format!("{base}/v1/appointments"))
                    .bearer_auth(token)
                    .json(&json!({"service_id": service, "staff_id": staff, "start": start, "customer": customer,
                                  "allow_outside_availability": true}))
                    .send()
                    .await
            };
            res.expect("send").status().as_u16()
        }));
    }
    let mut by_status = std::collections::BTreeMap::new();
    for task in tasks {
        *by_status.entry(task.await.unwrap()).or_insert(0) += 1;
    }
    assert!(by_status.keys().all(|s| [201, 409, 422].contains(s)), "{by_status:?}");
    assert!(by_status.get(&201).copied().unwrap_or(0) > 50, "{by_status:?}");
    assert!(by_status.get(&409).copied().unwrap_or(0) > 0, "some races must have been lost: {by_status:?}");

    let overlaps: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM appointments a JOIN appointments b
           ON a.staff_id = b.staff_id AND a.id < b.id AND a.blocked && b.blocked
         WHERE a.status <> 'cancelled' AND b.status <> 'cancelled'",
    )
    .fetch_one(&t.db.admin)
    .await
    .unwrap();
    assert_eq!(overlaps, 0);
}

#[tokio::test]
async fn staff_book_outside_hours_only_when_asked_and_never_over_another() {
    let t = TestApp::spawn_at(NOW).await;
    let s = salon(&t, 1).await;
    let staff = t.member(&s.tenant, Role::Staff).await;
    let b = t.tenant("Other").await;
    let customer = json!({"name": "Walk In", "email": "walkin@example.com"});
    let evening = "2026-11-30T18:00:00Z"; // 19:00 local, after hours
    let body = |start: &str, outside: bool| json!({"service_id": s.service, "staff_id": s.staff[0], "start": start, "customer": customer, "allow_outside_availability": outside});
    let res = t.post("/v1/appointments", Some(&staff), body(evening, false)).await;
    assert_eq!((res.status, res.code()), (StatusCode::UNPROCESSABLE_ENTITY, "SLOT_UNAVAILABLE"));
    let res = t.post("/v1/appointments", Some(&staff), body(evening, true)).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    assert_eq!(res.body["created_by"], "staff");
    let res = t.post("/v1/appointments", Some(&staff), body("2026-11-30T18:20:00Z", true)).await;
    assert_eq!((res.status, res.code()), (StatusCode::CONFLICT, "SLOT_TAKEN"));
    // Staff are not held to the customers' notice: a slot ten minutes from now is fine.
    let res = t.post("/v1/appointments", Some(&staff), body(MONDAY_10, false)).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);

    for (patch, field) in [
        (json!({"customer_id": uuid::Uuid::now_v7()}), "customer_id"),
        (json!({"staff_id": uuid::Uuid::now_v7()}), "staff_id"),
        (json!({"start": "later"}), "start"),
    ] {
        let mut b = body("2026-12-01T09:00:00Z", false);
        if patch.get("customer_id").is_some() {
            b.as_object_mut().unwrap().remove("customer");
        }
        for (k, v) in patch.as_object().unwrap() {
            b[k] = v.clone();
        }
        let res = t.post("/v1/appointments", Some(&staff), b).await;
        assert_eq!((res.status, res.field()), (StatusCode::UNPROCESSABLE_ENTITY, field), "{}", res.body);
    }
    // Another business cannot book this business's staff or service.
    let res = t.post("/v1/appointments", Some(&b.owner), body("2026-12-01T09:00:00Z", true)).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(res.field(), "service_id");
}

#[tokio::test]
async fn cancel_reschedule_status_and_views() {
    let t = TestApp::spawn_at(NOW).await;
    let s = salon(&t, 2).await;
    let staff = t.member(&s.tenant, Role::Staff).await;
    let other = t.tenant("Other").await;
    let booked = t.book(&s, MONDAY_10, Some(&s.staff[0]), "casey@example.com").await;
    let id = booked.id();
    let neighbour = t.book(&s, "2026-11-30T10:00:00Z", Some(&s.staff[0]), "nico@example.com").await;
    assert_eq!(neighbour.status, StatusCode::CREATED);

    let res = t.get(&format!("/v1/appointments/{id}"), Some(&staff)).await;
    assert_eq!((res.status, &res.body["sequence"]), (StatusCode::OK, &json!(0)));
    let list =
        t.get(&format!("/v1/appointments?staff_id={}&from=2026-11-30T00:00:00Z", s.staff[0]), Some(&staff)).await;
    let ids: Vec<&str> = list.body["data"].as_array().unwrap().iter().map(|a| a["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [id.as_str(), neighbour.id().as_str()], "ordered by start");

    // Moving by 15 minutes overlaps its own old time: allowed, atomically.
    let res = t
        .post(&format!("/v1/appointments/{id}/reschedule"), Some(&staff), json!({"start": "2026-11-30T09:15:00Z"}))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!((res.body["start"].as_str(), res.body["sequence"].as_i64()), (Some("2026-11-30T09:15:00Z"), Some(1)));
    // Onto the neighbour's time: refused, and nothing moved.
    let res = t
        .post(
            &format!("/v1/appointments/{id}/reschedule"),
            Some(&staff),
            json!({"start": "2026-11-30T10:00:00Z", "allow_outside_availability": true}),
        )
        .await;
    assert_eq!((res.status, res.code()), (StatusCode::CONFLICT, "SLOT_TAKEN"));
    assert_eq!(t.get(&format!("/v1/appointments/{id}"), Some(&staff)).await.body["start"], "2026-11-30T09:15:00Z");
    // To the other staff member at the neighbour's time: fine.
    let res = t
        .post(
            &format!("/v1/appointments/{id}/reschedule"),
            Some(&staff),
            json!({"start": "2026-11-30T10:00:00Z", "staff_id": s.staff[1]}),
        )
        .await;
    assert_eq!((res.status, &res.body["staff_id"]), (StatusCode::OK, &json!(s.staff[1])));

    let res = t.post(&format!("/v1/appointments/{id}/status"), Some(&staff), json!({"status": "no_show"})).await;
    assert_eq!((res.status, &res.body["status"]), (StatusCode::OK, &json!("no_show")));
    let res = t.post(&format!("/v1/appointments/{id}/status"), Some(&staff), json!({"status": "lost"})).await;
    assert_eq!((res.status, res.field()), (StatusCode::UNPROCESSABLE_ENTITY, "status"));
    let res = t.post(&format!("/v1/appointments/{id}/cancel"), Some(&staff), json!({})).await;
    assert_eq!((res.status, res.code()), (StatusCode::CONFLICT, "NOT_CANCELLABLE"));
    t.post(&format!("/v1/appointments/{id}/status"), Some(&staff), json!({"status": "confirmed"})).await;

    // Cancel with no body at all; again is harmless; the time is free again.
    let res = t.call(Method::POST, &format!("/v1/appointments/{id}/cancel"), Some(&staff), None, &[]).await;
    assert_eq!((res.status, &res.body["status"]), (StatusCode::OK, &json!("cancelled")), "{}", res.body);
    let again = t.post(&format!("/v1/appointments/{id}/cancel"), Some(&staff), json!({"reason": "twice"})).await;
    assert_eq!((again.status, &again.body["sequence"]), (StatusCode::OK, &res.body["sequence"]));
    let outbox: Vec<String> = sqlx::query_scalar("SELECT dedup_key FROM outbox WHERE dedup_key LIKE $1 ORDER BY id")
        .bind(format!("appointment:{id}:%"))
        .fetch_all(&t.db.admin)
        .await
        .unwrap();
    assert_eq!(
        outbox,
        [
            format!("appointment:{id}:booked"),
            format!("appointment:{id}:rescheduled:1"),
            format!("appointment:{id}:rescheduled:2"),
            format!("appointment:{id}:cancelled")
        ]
    );
    let res = t.post(&format!("/v1/appointments/{id}/status"), Some(&staff), json!({"status": "completed"})).await;
    assert_eq!((res.status, res.code()), (StatusCode::CONFLICT, "CANCELLED"));
    let res = t.post(&format!("/v1/appointments/{id}/reschedule"), Some(&staff), json!({"start": MONDAY_10})).await;
    assert_eq!((res.status, res.code()), (StatusCode::CONFLICT, "NOT_MOVABLE"));

    // Another business sees none of it.
    for res in [
        t.get(&format!("/v1/appointments/{id}"), Some(&other.owner)).await,
        t.post(&format!("/v1/appointments/{id}/cancel"), Some(&other.owner), json!({})).await,
        t.post(&format!("/v1/appointments/{id}/reschedule"), Some(&other.owner), json!({"start": MONDAY_10})).await,
        t.post(&format!("/v1/appointments/{id}/status"), Some(&other.owner), json!({"status": "completed"})).await,
        t.post(&format!("/v1/appointments/series/{id}/cancel"), Some(&other.owner), json!({})).await,
    ] {
        assert_eq!(res.status, StatusCode::NOT_FOUND, "{}", res.body);
    }
    assert_eq!(t.get("/v1/appointments", Some(&other.owner)).await.body["data"], json!([]));
    assert_eq!(t.get("/v1/appointments?status=gone", Some(&staff)).await.field(), "status");
    assert_eq!(t.get("/v1/appointments/123", Some(&staff)).await.field(), "appointment_id");
}

#[tokio::test]
async fn customers_cancel_and_move_only_before_the_notice() {
    let t = TestApp::spawn_at(NOW).await;
    let s = salon(&t, 1).await;
    // 24 hours' notice (the default).
    let soon = t.book(&s, "2026-11-23T09:00:00Z", None, "soon@example.com").await; // Monday, 49 h ahead
    let later = t.book(&s, "2026-11-24T09:00:00Z", None, "later@example.com").await;
    let token = |r: &e2e::Res| r.body["manage_token"].as_str().unwrap().to_owned();

    // Moving: to another offered slot; the ICS follows with a higher SEQUENCE.
    let moved = t
        .post(
            &format!("/v1/public/manage/{}/reschedule", token(&later)),
            None,
            json!({"start": "2026-11-24T13:00:00Z"}),
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.body);
    let res = t
        .post(
            &format!("/v1/public/manage/{}/reschedule", token(&later)),
            None,
            json!({"start": "2026-11-24T13:10:00Z"}),
        )
        .await;
    assert_eq!((res.status, res.code()), (StatusCode::UNPROCESSABLE_ENTITY, "SLOT_UNAVAILABLE"));
    let ics = t.get(&format!("/v1/public/manage/{}/ics", token(&moved)), None).await;
    let ics = ics.body.as_str().unwrap().to_owned();
    assert!(
        ics.contains(&format!("UID:{}@kairos", later.id()))
            && ics.contains("SEQUENCE:1")
            && ics.contains("METHOD:REQUEST")
    );
    assert!(ics.contains("DTSTART:20261124T130000Z"));

    let cancelled =
        t.post(&format!("/v1/public/manage/{}/cancel", token(&later)), None, json!({"reason": "ill"})).await;
    assert_eq!((cancelled.status, &cancelled.body["status"]), (StatusCode::OK, &json!("cancelled")));
    let ics = t.get(&format!("/v1/public/manage/{}/ics", token(&later)), None).await;
    let ics = ics.body.as_str().unwrap();
    assert!(ics.contains("METHOD:CANCEL") && ics.contains("STATUS:CANCELLED") && ics.contains("SEQUENCE:2"));

    // Inside the notice: the business decides, not the link.
    t.patch("/v1/business/settings", Some(&s.tenant.owner), json!({"cancellation_notice_minutes": 3000})).await;
    let res = t.post(&format!("/v1/public/manage/{}/cancel", token(&soon)), None, json!({})).await;
    assert_eq!((res.status, res.code()), (StatusCode::CONFLICT, "TOO_LATE_TO_CANCEL"));
    let res = t
        .post(&format!("/v1/public/manage/{}/reschedule", token(&soon)), None, json!({"start": "2026-11-24T14:00:00Z"}))
        .await;
    assert_eq!((res.status, res.code()), (StatusCode::CONFLICT, "TOO_LATE_TO_CHANGE"));
    assert_eq!(t.get(&format!("/v1/public/manage/{}", token(&soon)), None).await.body["can_change"], false);
    // Staff always can.
    let res = t.post(&format!("/v1/appointments/{}/cancel", soon.id()), Some(&s.tenant.owner), json!({})).await;
    assert_eq!(res.status, StatusCode::OK);

    // A forged or foreign link is simply not found.
    for bad in ["nope", &token(&soon)[..token(&soon).len() - 2]] {
        let res = t.get(&format!("/v1/public/manage/{bad}"), None).await;
        assert_eq!((res.status, res.code()), (StatusCode::NOT_FOUND, "LINK_INVALID"));
    }
}

#[tokio::test]
async fn recurring_series_skip_or_fail_and_keep_local_time_across_dst() {
    // Weekly from Monday 2027-03-22 10:00 Berlin (CET) across the 2027-03-28 change.
    let t = TestApp::spawn_at(NOW).await;
    let s = salon(&t, 1).await;
    let staff = t.member(&s.tenant, Role::Staff).await;
    let blocker = t.book(&s, "2027-04-05T08:00:00Z", None, "blocker@example.com").await; // third week, 10:00 CEST
    assert_eq!(blocker.status, StatusCode::CREATED, "{}", blocker.body);
    let body = |mode: &str| {
        json!({"service_id": s.service, "staff_id": s.staff[0], "start": "2027-03-22T09:00:00Z", "count": 4,
               "on_conflict": mode, "customer": {"name": "Regular", "email": "regular@example.com"}})
    };
    let res = t.post("/v1/appointments/recurring", Some(&staff), body("fail")).await;
    assert_eq!((res.status, res.code()), (StatusCode::CONFLICT, "SLOT_TAKEN"), "{}", res.body);
    assert!(res.body["detail"].as_str().unwrap().contains("2027-04-05T08:00:00"));
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM appointments").fetch_one(&t.db.admin).await.unwrap();
    assert_eq!(n, 1, "nothing of the failed series remains");

    let res = t.post("/v1/appointments/recurring", Some(&staff), body("skip")).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let starts: Vec<&str> =
        res.body["appointments"].as_array().unwrap().iter().map(|a| a["start"].as_str().unwrap()).collect();
    // 10:00 local every week: 09:00Z before the change, 08:00Z after.
    assert_eq!(starts, ["2027-03-22T09:00:00Z", "2027-03-29T08:00:00Z", "2027-04-12T08:00:00Z"]);
    assert_eq!(res.body["skipped"], json!([{"start": "2027-04-05T08:00:00Z", "code": "SLOT_TAKEN"}]));
    let series = res.body["series_id"].as_str().unwrap().to_owned();

    for (patch, field) in [
        (json!({"count": null, "until": null}), "count"),
        (json!({"count": 0}), "count"),
        (json!({"count": null, "until": "2027-01-01"}), "until"),
        (json!({"every_weeks": 0}), "every_weeks"),
        (json!({"on_conflict": "maybe"}), "on_conflict"),
    ] {
        let mut b = body("skip");
        for (k, v) in patch.as_object().unwrap() {
            if v.is_null() {
                b.as_object_mut().unwrap().remove(k);
            } else {
                b[k] = v.clone();
            }
        }
        let res = t.post("/v1/appointments/recurring", Some(&staff), b).await;
        assert_eq!((res.status, res.field()), (StatusCode::UNPROCESSABLE_ENTITY, field), "{}", res.body);
    }

    // Cancel the rest of the series (all of it is in the future here).
    let res = t
        .post(&format!("/v1/appointments/series/{series}/cancel"), Some(&staff), json!({"reason": "moved away"}))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.body["cancelled"].as_array().map(Vec::len), Some(3));
    let live: i64 =
        sqlx::query_scalar("SELECT count(*) FROM appointments WHERE series_id = $1::uuid AND status <> 'cancelled'")
            .bind(&series)
            .fetch_one(&t.db.admin)
            .await
            .unwrap();
    assert_eq!(live, 0);
    assert_eq!(
        t.post(&format!("/v1/appointments/series/{}/cancel", uuid::Uuid::now_v7()), Some(&staff), json!({}))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}
