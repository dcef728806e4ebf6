use axum::http::StatusCode;
use e2e::TestApp;
use serde_json::json;
use shared::Role;

const NOW: &str = "2026-11-21T08:00:00Z";

#[tokio::test]
async fn weekly_hours_and_overrides_round_trip() {
    let t = TestApp::spawn_at(NOW).await;
    let a = t.tenant("Hours").await;
    let b = t.tenant("Other").await;
    let viewer = t.member(&a, Role::Staff).await;
    let alex = t.post("/v1/staff", Some(&a.owner), json!({"name": "Alex", "email": "alex@example.com"})).await.id();

    let weekly = json!({"weekly": [
        {"weekday": 1, "start": "14:00", "end": "18:00"},
        {"weekday": 1, "start": "09:00", "end": "12:30"},
        {"weekday": 6, "start": "10:00", "end": "24:00"}]});
    let res = t.put(&format!("/v1/staff/{alex}/availability"), Some(&a.owner), weekly).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(
        res.body["weekly"],
        json!([{"weekday": 1, "start": "09:00", "end": "12:30"}, {"weekday": 1, "start": "14:00", "end": "18:00"},
               {"weekday": 6, "start": "10:00", "end": "24:00"}])
    );
    let res = t.put(&format!("/v1/staff/{alex}/overrides/2026-12-24"), Some(&a.owner), json!({"intervals": []})).await;
    assert_eq!((res.status, &res.body["intervals"]), (StatusCode::OK, &json!([])));
    let res = t
        .put(
            &format!("/v1/staff/{alex}/overrides/2026-12-23"),
            Some(&a.owner),
            json!({"intervals": [{"start": "10:00", "end": "14:00"}]}),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK);
    // Setting the same date again replaces it.
    t.put(
        &format!("/v1/staff/{alex}/overrides/2026-12-23"),
        Some(&a.owner),
        json!({"intervals": [{"start": "11:00", "end": "13:00"}]}),
    )
    .await;
    let got = t.get(&format!("/v1/staff/{alex}/availability"), Some(&viewer)).await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.body["time_zone"], "Europe/Berlin");
    assert_eq!(
        got.body["overrides"],
        json!([{"date": "2026-12-23", "intervals": [{"start": "11:00", "end": "13:00"}]}, {"date": "2026-12-24", "intervals": []}])
    );

    // Bad input names the field.
    for (body, field) in [
        (json!({"weekly": [{"weekday": 8, "start": "09:00", "end": "10:00"}]}), "weekly[0].weekday"),
        (json!({"weekly": [{"weekday": 1, "start": "9:00", "end": "10:00"}]}), "weekly[0].start"),
        (json!({"weekly": [{"weekday": 1, "start": "10:00", "end": "09:00"}]}), "weekly[0].end"),
        (
            json!({"weekly": [{"weekday": 1, "start": "09:00", "end": "12:00"}, {"weekday": 1, "start": "11:00", "end": "13:00"}]}),
            "weekly[1]",
        ),
    ] {
        let res = t.put(&format!("/v1/staff/{alex}/availability"), Some(&a.owner), body).await;
        assert_eq!((res.status, res.field()), (StatusCode::UNPROCESSABLE_ENTITY, field), "{}", res.body);
    }
    let res = t.put(&format!("/v1/staff/{alex}/overrides/2026-02-30"), Some(&a.owner), json!({"intervals": []})).await;
    assert_eq!((res.status, res.field()), (StatusCode::UNPROCESSABLE_ENTITY, "date"));
    let res = t
        .put(
            &format!("/v1/staff/{alex}/overrides/2026-12-25"),
            Some(&a.owner),
            json!({"intervals": [{"start": "10:00", "end": "10:00"}]}),
        )
        .await;
    assert_eq!((res.status, res.field()), (StatusCode::UNPROCESSABLE_ENTITY, "intervals[0].end"));

    // Another business: 404 and nothing of A's; staff may look but not change.
    for res in [
        t.get(&format!("/v1/staff/{alex}/availability"), Some(&b.owner)).await,
        t.put(&format!("/v1/staff/{alex}/availability"), Some(&b.owner), json!({"weekly": []})).await,
        t.put(&format!("/v1/staff/{alex}/overrides/2026-12-26"), Some(&b.owner), json!({"intervals": []})).await,
    ] {
        assert_eq!(res.status, StatusCode::NOT_FOUND, "{}", res.body);
    }
    assert_eq!(
        t.put(&format!("/v1/staff/{alex}/availability"), Some(&viewer), json!({"weekly": []})).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        t.put(&format!("/v1/staff/{alex}/overrides/2026-12-26"), Some(&viewer), json!({"intervals": []})).await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn holidays_create_list_delete() {
    let t = TestApp::spawn_at(NOW).await;
    let a = t.tenant("Holidays").await;
    let b = t.tenant("Other").await;
    let viewer = t.member(&a, Role::Staff).await;
    let alex = t.post("/v1/staff", Some(&a.owner), json!({"name": "Alex", "email": "alex@example.com"})).await.id();
    let b_staff = t.post("/v1/staff", Some(&b.owner), json!({"name": "Bo", "email": "bo@example.com"})).await.id();

    let res = t.post("/v1/holidays", Some(&a.owner), json!({"date": "2026-12-25", "name": "Christmas"})).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let christmas = res.id();
    let res = t
        .post("/v1/holidays", Some(&a.owner), json!({"date": "2026-12-28", "name": "Alex away", "staff_id": alex}))
        .await;
    assert_eq!((res.status, &res.body["staff_id"]), (StatusCode::CREATED, &json!(alex)));
    let dup = t.post("/v1/holidays", Some(&a.owner), json!({"date": "2026-12-25", "name": "Again"})).await;
    assert_eq!((dup.status, dup.field()), (StatusCode::CONFLICT, "date"));

    let list = t.get("/v1/holidays?from=2026-12-26", Some(&viewer)).await;
    assert_eq!(list.body["data"].as_array().map(Vec::len), Some(1));
    assert_eq!(t.get("/v1/holidays", Some(&viewer)).await.body["data"].as_array().map(Vec::len), Some(2));

    for (body, field) in [
        (json!({"date": "25.12.2026", "name": "X"}), "date"),
        (json!({"date": "2026-12-26", "name": ""}), "name"),
        (json!({"date": "2026-12-26", "name": "X", "staff_id": b_staff}), "staff_id"),
    ] {
        let res = t.post("/v1/holidays", Some(&a.owner), body).await;
        assert_eq!((res.status, res.field()), (StatusCode::UNPROCESSABLE_ENTITY, field), "{}", res.body);
    }
    assert_eq!(t.get("/v1/holidays?from=soon", Some(&viewer)).await.field(), "from");

    assert_eq!(t.delete(&format!("/v1/holidays/{christmas}"), Some(&b.owner)).await.status, StatusCode::NOT_FOUND);
    assert_eq!(t.get("/v1/holidays", Some(&b.owner)).await.body["data"], json!([]));
    assert_eq!(
        t.post("/v1/holidays", Some(&viewer), json!({"date": "2026-12-31", "name": "X"})).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(t.delete(&format!("/v1/holidays/{christmas}"), Some(&viewer)).await.status, StatusCode::FORBIDDEN);
    assert_eq!(t.delete(&format!("/v1/holidays/{christmas}"), Some(&a.owner)).await.status, StatusCode::NO_CONTENT);
    assert_eq!(t.delete(&format!("/v1/holidays/{christmas}"), Some(&a.owner)).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn slots_follow_hours_overrides_holidays_buffers_and_bookings() {
    let t = TestApp::spawn_at(NOW).await;
    // Mondays 09:00-12:00 Berlin (winter: UTC+1); 60-minute service with 15 minutes after.
    let salon = t
        .salon(
            "Europe/Berlin",
            2,
            &[(1, "09:00", "12:00")],
            json!({"name": "Massage", "duration_minutes": 60, "buffer_after_minutes": 15}),
        )
        .await;
    let owner = Some(salon.tenant.owner.as_str());
    t.patch("/v1/business/settings", owner, json!({"slot_interval_minutes": 30})).await;
    let monday = t.slots(&salon, "2026-11-30", "2026-11-30", None).await;
    let starts: Vec<&str> = monday.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(
        starts,
        [
            "2026-11-30T08:00:00Z",
            "2026-11-30T08:30:00Z",
            "2026-11-30T09:00:00Z",
            "2026-11-30T09:30:00Z",
            "2026-11-30T10:00:00Z"
        ]
    );
    assert!(monday.iter().all(|(_, staff)| staff.len() == 2), "both staff free: {monday:?}");

    // One staff member booked 09:00-10:00 local (+15 min after): the other remains.
    let (alex, sam) = (&salon.staff[0], &salon.staff[1]);
    let res = t.book(&salon, "2026-11-30T08:00:00Z", Some(alex), "c1@example.com").await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let alex_slots = t.slots(&salon, "2026-11-30", "2026-11-30", Some(alex)).await;
    let starts: Vec<&str> = alex_slots.iter().map(|(s, _)| s.as_str()).collect();
    // 09:00-10:15 is held; a new start needs [start, start+75) clear: 10:30 local onwards.
    assert_eq!(starts, ["2026-11-30T09:30:00Z", "2026-11-30T10:00:00Z"]);
    let union = t.slots(&salon, "2026-11-30", "2026-11-30", None).await;
    assert_eq!(union[0], ("2026-11-30T08:00:00Z".to_owned(), vec![sam.clone()]));

    // An override replaces the Monday; a business holiday removes the next one; a staff
    // holiday removes just that person.
    t.put(
        &format!("/v1/staff/{sam}/overrides/2026-12-07"),
        owner,
        json!({"intervals": [{"start": "13:00", "end": "14:00"}]}),
    )
    .await;
    let dec7 = t.slots(&salon, "2026-12-07", "2026-12-07", Some(sam)).await;
    assert_eq!(dec7, vec![("2026-12-07T12:00:00Z".to_owned(), vec![sam.clone()])]);
    t.post("/v1/holidays", owner, json!({"date": "2026-12-14", "name": "Closed"})).await;
    assert!(t.slots(&salon, "2026-12-14", "2026-12-14", None).await.is_empty());
    t.post("/v1/holidays", owner, json!({"date": "2026-12-21", "name": "Sam away", "staff_id": sam})).await;
    let dec21 = t.slots(&salon, "2026-12-21", "2026-12-21", None).await;
    assert!(!dec21.is_empty() && dec21.iter().all(|(_, staff)| staff == &vec![alex.clone()]));

    // Bad queries name the field.
    let base = format!("/v1/public/businesses/{}/slots", salon.tenant.slug);
    for (query, field) in [
        (format!("service_id={}&from=2026-12-01", salon.service), "to"),
        (format!("service_id={}&from=2026-12-10&to=2026-12-01", salon.service), "to"),
        (format!("service_id={}&from=2026-12-01&to=2027-03-01", salon.service), "to"),
        ("service_id=nope&from=2026-12-01&to=2026-12-01".to_owned(), "service_id"),
        (format!("service_id={}&from=2026-12-01&to=2026-12-01", uuid::Uuid::now_v7()), "service_id"),
        (
            format!("service_id={}&from=2026-12-01&to=2026-12-01&staff_id={}", salon.service, uuid::Uuid::now_v7()),
            "staff_id",
        ),
    ] {
        let res = t.get(&format!("{base}?{query}"), None).await;
        assert_eq!((res.status, res.field()), (StatusCode::UNPROCESSABLE_ENTITY, field), "{query}: {}", res.body);
    }
    assert_eq!(
        t.get(
            &format!("/v1/public/businesses/nobody/slots?service_id={}&from=2026-12-01&to=2026-12-01", salon.service),
            None
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn slots_respect_notice_and_advance() {
    // Now is Monday 2026-11-30 08:20 Berlin.
    let t = TestApp::spawn_at("2026-11-30T07:20:00Z").await;
    let salon =
        t.salon("Europe/Berlin", 1, &[(1, "09:00", "11:00")], json!({"name": "Cut", "duration_minutes": 30})).await;
    let owner = Some(salon.tenant.owner.as_str());
    t.patch(
        "/v1/business/settings",
        owner,
        json!({"min_notice_minutes": 60, "max_advance_days": 7, "slot_interval_minutes": 30}),
    )
    .await;
    let today = t.slots(&salon, "2026-11-30", "2026-11-30", None).await;
    let starts: Vec<&str> = today.iter().map(|(s, _)| s.as_str()).collect();
    // 09:20 is the earliest start: 09:30, 10:00, 10:30 local.
    assert_eq!(starts, ["2026-11-30T08:30:00Z", "2026-11-30T09:00:00Z", "2026-11-30T09:30:00Z"]);
    // Exactly seven days ahead: up to 08:20 local on the next Monday, so nothing.
    assert!(t.slots(&salon, "2026-12-07", "2026-12-07", None).await.is_empty());
}

/// Expected UTC starts for a one-staff salon open `window` on `date` in `zone`.
async fn dst_case(zone: &str, weekday: u8, window: (&str, &str), minutes: u32, date: &str, expected: &[&str]) {
    let t = TestApp::spawn_at(NOW).await;
    let salon = t
        .salon(zone, 1, &[(weekday, window.0, window.1)], json!({"name": "Session", "duration_minutes": minutes}))
        .await;
    t.patch("/v1/business/settings", Some(&salon.tenant.owner), json!({"slot_interval_minutes": minutes})).await;
    let got = t.slots(&salon, date, date, None).await;
    let starts: Vec<&str> = got.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(starts, expected, "{zone} {date} {window:?}");

    // Booking the slot inside the shifted hour stores exactly that instant.
    let pick = expected[expected.len() / 2];
    let res = t.book(&salon, pick, None, "dst@example.com").await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    assert_eq!(res.body["start"], pick);
    let stored: chrono::DateTime<chrono::Utc> =
        sqlx::query_scalar("SELECT starts_at FROM appointments").fetch_one(&t.db.admin).await.unwrap();
    assert_eq!(stored.to_rfc3339_opts(chrono::SecondsFormat::Secs, true), pick);
    // And it is gone from the offer.
    let after = t.slots(&salon, date, date, None).await;
    assert!(!after.iter().any(|(s, _)| s == pick));
}

#[tokio::test]
async fn dst_berlin_spring_forward() {
    // 2027-03-28: 02:00 CET -> 03:00 CEST. Window 01:00-05:00 local is three real hours.
    dst_case(
        "Europe/Berlin",
        7,
        ("01:00", "05:00"),
        60,
        "2027-03-28",
        &["2027-03-28T00:00:00Z", "2027-03-28T01:00:00Z", "2027-03-28T02:00:00Z"],
    )
    .await;
}

#[tokio::test]
async fn dst_berlin_fall_back() {
    // 2027-10-31: 03:00 CEST -> 02:00 CET. Window 01:00-04:00 local is four real hours;
    // a window starting at the repeated 02:30 starts at its first occurrence.
    dst_case(
        "Europe/Berlin",
        7,
        ("01:00", "04:00"),
        60,
        "2027-10-31",
        &["2027-10-30T23:00:00Z", "2027-10-31T00:00:00Z", "2027-10-31T01:00:00Z", "2027-10-31T02:00:00Z"],
    )
    .await;
    dst_case(
        "Europe/Berlin",
        7,
        ("02:30", "04:00"),
        60,
        "2027-10-31",
        &["2027-10-31T00:30:00Z", "2027-10-31T01:30:00Z"],
    )
    .await;
}

#[tokio::test]
async fn dst_new_york_both_transitions() {
    // 2027-03-14: 02:00 EST -> 03:00 EDT; 2027-11-07: 02:00 EDT -> 01:00 EST.
    dst_case(
        "America/New_York",
        7,
        ("01:00", "04:00"),
        60,
        "2027-03-14",
        &["2027-03-14T06:00:00Z", "2027-03-14T07:00:00Z"],
    )
    .await;
    dst_case(
        "America/New_York",
        7,
        ("00:30", "02:00"),
        60,
        "2027-11-07",
        &["2027-11-07T04:30:00Z", "2027-11-07T05:30:00Z"],
    )
    .await;
}

#[tokio::test]
async fn dst_lord_howe_half_hour_shift() {
    // 2027-10-03: 02:00 (+10:30) -> 02:30 (+11); 2027-04-04: 02:00 (+11) -> 01:30 (+10:30).
    dst_case(
        "Australia/Lord_Howe",
        7,
        ("01:30", "03:30"),
        30,
        "2027-10-03",
        &["2027-10-02T15:00:00Z", "2027-10-02T15:30:00Z", "2027-10-02T16:00:00Z"],
    )
    .await;
    dst_case(
        "Australia/Lord_Howe",
        7,
        ("01:00", "02:00"),
        30,
        "2027-04-04",
        &["2027-04-03T14:00:00Z", "2027-04-03T14:30:00Z", "2027-04-03T15:00:00Z"],
    )
    .await;
}

#[tokio::test]
async fn kolkata_half_hour_offset() {
    dst_case(
        "Asia/Kolkata",
        1,
        ("09:00", "11:00"),
        60,
        "2027-01-04",
        &["2027-01-04T03:30:00Z", "2027-01-04T04:30:00Z"],
    )
    .await;
}
