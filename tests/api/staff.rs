use axum::http::StatusCode;
use e2e::TestApp;
use serde_json::json;
use shared::Role;
use staff::live::{Require, is_live};
use uuid::Uuid;

#[tokio::test]
async fn staff_create_get_list_update_delete() {
    let t = TestApp::spawn().await;
    let a = t.tenant("Staff A").await;
    let viewer = t.member(&a, Role::Staff).await;
    let location = t.post("/v1/locations", Some(&a.owner), json!({"name": "Mitte"})).await.id();

    let res = t
        .post(
            "/v1/staff",
            Some(&a.owner),
            json!({"name": "Alex", "email": "Alex@Example.com", "location_id": location}),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    assert_eq!(res.body["email"], "alex@example.com");
    assert_eq!(res.body["active"], true);
    let id = res.id();

    let dup = t.post("/v1/staff", Some(&a.owner), json!({"name": "Alex 2", "email": "alex@example.com"})).await;
    assert_eq!((dup.status, dup.field()), (StatusCode::CONFLICT, "email"));

    let res = t.get(&format!("/v1/staff/{id}"), Some(&viewer)).await;
    assert_eq!((res.status, &res.body["name"]), (StatusCode::OK, &json!("Alex")));
    let list = t.get("/v1/staff", Some(&viewer)).await;
    assert_eq!(list.body["data"].as_array().unwrap().len(), 1);

    let res = t
        .patch(
            &format!("/v1/staff/{id}"),
            Some(&a.owner),
            json!({"title": "Senior stylist", "location_id": null, "active": false}),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.body["title"], "Senior stylist");
    assert_eq!(res.body["location_id"], serde_json::Value::Null);
    assert_eq!(res.body["active"], false);

    assert_eq!(t.delete(&format!("/v1/staff/{id}"), Some(&a.owner)).await.status, StatusCode::NO_CONTENT);
    assert_eq!(t.get(&format!("/v1/staff/{id}"), Some(&a.owner)).await.status, StatusCode::NOT_FOUND);
    // The email is free again once its holder left.
    let res = t.post("/v1/staff", Some(&a.owner), json!({"name": "Alex again", "email": "alex@example.com"})).await;
    assert_eq!(res.status, StatusCode::CREATED);
}

#[tokio::test]
async fn staff_refuse_bad_input_other_tenants_and_staff() {
    let t = TestApp::spawn().await;
    let a = t.tenant("Staff A").await;
    let b = t.tenant("Staff B").await;
    let viewer = t.member(&a, Role::Staff).await;
    let id = t.post("/v1/staff", Some(&a.owner), json!({"name": "Alex", "email": "alex@example.com"})).await.id();
    let b_location = t.post("/v1/locations", Some(&b.owner), json!({"name": "B place"})).await.id();

    let res = t.post("/v1/staff", Some(&a.owner), json!({"name": "Sam"})).await;
    assert_eq!((res.status, res.field()), (StatusCode::UNPROCESSABLE_ENTITY, "email"));
    let res = t
        .post(
            "/v1/staff",
            Some(&a.owner),
            json!({"name": "Sam", "email": "sam@example.com", "location_id": b_location}),
        )
        .await;
    assert_eq!(
        (res.status, res.field()),
        (StatusCode::UNPROCESSABLE_ENTITY, "location_id"),
        "another tenant's location"
    );
    let res = t.patch(&format!("/v1/staff/{id}"), Some(&a.owner), json!({"name": ""})).await;
    assert_eq!((res.status, res.field()), (StatusCode::UNPROCESSABLE_ENTITY, "name"));
    let res = t.get("/v1/staff/123", Some(&a.owner)).await;
    assert_eq!((res.status, res.field()), (StatusCode::UNPROCESSABLE_ENTITY, "staff_id"));

    for res in [
        t.get(&format!("/v1/staff/{id}"), Some(&b.owner)).await,
        t.patch(&format!("/v1/staff/{id}"), Some(&b.owner), json!({"name": "Hijacked"})).await,
        t.delete(&format!("/v1/staff/{id}"), Some(&b.owner)).await,
    ] {
        assert_eq!(res.status, StatusCode::NOT_FOUND);
        assert!(!res.body.to_string().contains("alex@example.com"));
    }
    assert_eq!(t.get("/v1/staff", Some(&b.owner)).await.body["data"], json!([]));

    assert_eq!(
        t.post("/v1/staff", Some(&viewer), json!({"name": "Sam", "email": "sam@example.com"})).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        t.patch(&format!("/v1/staff/{id}"), Some(&viewer), json!({"name": "X"})).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(t.delete(&format!("/v1/staff/{id}"), Some(&viewer)).await.status, StatusCode::FORBIDDEN);
    assert_eq!(t.get(&format!("/v1/staff/{id}"), Some(&viewer)).await.status, StatusCode::OK);
}

#[tokio::test]
async fn schedule_resolves_hours_per_local_date_across_dst() {
    let t = TestApp::spawn().await;
    let a = t.tenant("Sched A").await; // Europe/Berlin
    let b = t.tenant("Sched B").await;
    let viewer = t.member(&a, Role::Staff).await;
    let alex = t.post("/v1/staff", Some(&a.owner), json!({"name": "Alex", "email": "alex@example.com"})).await.id();
    let service = t
        .post("/v1/services", Some(&a.owner), json!({"name": "Cut", "duration_minutes": 30, "staff_ids": [alex]}))
        .await
        .id();
    // Hours are set through the availability operations once they exist; here directly.
    let setup = format!(
        "INSERT INTO staff_weekly_hours (business_id, staff_id, weekday, start_minute, end_minute)
           SELECT '{b}', '{alex}', d, 540, 1020 FROM generate_series(1, 7) d;
         INSERT INTO availability_overrides (business_id, staff_id, date, start_minutes, end_minutes)
           VALUES ('{b}', '{alex}', '2026-10-26', '{{600}}', '{{720}}');
         INSERT INTO holidays (id, business_id, date, name) VALUES (gen_random_uuid(), '{b}', '2026-10-27', 'Team day');
         INSERT INTO customers (id, business_id, name, email) VALUES ('{c}', '{b}', 'Chris', 'chris@example.com');
         INSERT INTO appointments (id, business_id, service_id, staff_id, customer_id, starts_at, ends_at, blocked,
                                   scheduled_at)
           VALUES (gen_random_uuid(), '{b}', '{service}', '{alex}', '{c}', '2026-10-25T09:00Z', '2026-10-25T09:30Z',
                   tstzrange('2026-10-25T09:00Z', '2026-10-25T09:30Z'), '2026-10-01T09:00Z');",
        b = a.business_id,
        c = uuid::Uuid::now_v7(),
    );
    sqlx::raw_sql(&setup).execute(&t.db.admin).await.unwrap();

    let res = t.get(&format!("/v1/staff/{alex}/schedule?from=2026-10-24&to=2026-10-27"), Some(&viewer)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let days = res.body["days"].as_array().unwrap();
    assert_eq!(days.len(), 4);
    // Saturday in summer time (+02:00), Sunday after the clocks went back (+01:00).
    assert_eq!(days[0]["open"], json!([{"start": "2026-10-24T07:00:00Z", "end": "2026-10-24T15:00:00Z"}]));
    assert_eq!(days[1]["open"], json!([{"start": "2026-10-25T08:00:00Z", "end": "2026-10-25T16:00:00Z"}]));
    assert_eq!(days[1]["appointments"][0]["customer_name"], "Chris");
    assert_eq!(days[1]["appointments"][0]["start"], "2026-10-25T09:00:00Z");
    assert_eq!(days[2]["source"], json!({"kind": "override"}));
    assert_eq!(days[2]["open"], json!([{"start": "2026-10-26T09:00:00Z", "end": "2026-10-26T11:00:00Z"}]));
    assert_eq!(days[3]["source"], json!({"kind": "holiday", "name": "Team day"}));
    assert_eq!(days[3]["open"], json!([]));

    let res = t.get(&format!("/v1/staff/{alex}/schedule?from=2026-10-30&to=2026-10-01"), Some(&viewer)).await;
    assert_eq!((res.status, res.field()), (StatusCode::UNPROCESSABLE_ENTITY, "to"));
    let res = t.get(&format!("/v1/staff/{alex}/schedule?from=tomorrow"), Some(&viewer)).await;
    assert_eq!((res.status, res.field()), (StatusCode::UNPROCESSABLE_ENTITY, "from"));
    let res = t.get(&format!("/v1/staff/{alex}/schedule?from=2026-01-01&to=2026-12-31"), Some(&viewer)).await;
    assert_eq!((res.status, res.field()), (StatusCode::UNPROCESSABLE_ENTITY, "to"));

    let res = t.get(&format!("/v1/staff/{alex}/schedule"), Some(&b.owner)).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    assert!(!res.body.to_string().contains("Chris"));
    assert_eq!(t.get(&format!("/v1/staff/{alex}/schedule"), None).await.status, StatusCode::UNAUTHORIZED);
    // Without a range: a week from today.
    let res = t.get(&format!("/v1/staff/{alex}/schedule"), Some(&viewer)).await;
    assert_eq!(res.body["days"].as_array().map(Vec::len), Some(7));
}

/// `staff::live::is_live` knows only this business's staff who are not removed, and each
/// requirement narrows it: `active` leaves out a deactivated person, `service_id` one who
/// does not perform the service; the lock changes no answer.
#[tokio::test]
async fn live_staff_are_this_business_s_not_removed_and_meet_what_is_required() {
    // A reference, so the `add` closure can copy it.
    let t = &TestApp::spawn().await;
    let salon = t.salon("Europe/Berlin", 1, &[], json!({"name": "Cut", "duration_minutes": 30})).await;
    let owner = Some(salon.tenant.owner.as_str());
    let service: Uuid = salon.service.parse().unwrap();
    let performer: Uuid = salon.staff[0].parse().unwrap();
    let add = |name: &'static str| async move {
        let res = t.post("/v1/staff", owner, json!({"name": name, "email": format!("{name}@example.com")})).await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
        res.id().parse::<Uuid>().unwrap()
    };
    let other = add("other").await;
    let paused = add("paused").await;
    let res = t.patch(&format!("/v1/staff/{paused}"), owner, json!({"active": false})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let removed = add("removed").await;
    assert_eq!(t.delete(&format!("/v1/staff/{removed}"), owner).await.status, StatusCode::NO_CONTENT);
    let b = t.tenant("Elsewhere").await;
    let res = t.post("/v1/staff", Some(&b.owner), json!({"name": "Stranger", "email": "s@example.com"})).await;
    let stranger: Uuid = res.id().parse().unwrap();

    let plain = Require::default();
    let locked = Require { lock: true, ..plain };
    let active = Require { active: true, ..plain };
    let performs = Require { service_id: Some(service), ..plain };
    let everything = Require { lock: true, active: true, service_id: Some(service) };
    let cases = [
        (performer, plain, true),
        (performer, everything, true),
        (other, locked, true),
        (other, performs, false),
        (paused, plain, true),
        (paused, active, false),
        (removed, plain, false),
        (removed, locked, false),
        (stranger, plain, false),
    ];
    let mut tx = t.app.db.tenant_tx(salon.tenant.business_id).await.unwrap();
    for (id, require, live) in cases {
        assert_eq!(is_live(&mut tx, id, require).await.unwrap(), live, "{id} with {require:?}");
    }
}
