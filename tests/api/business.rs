use axum::http::StatusCode;
use e2e::TestApp;
use serde_json::json;
use shared::Role;

#[tokio::test]
async fn business_profile_get_and_update() {
    let t = TestApp::spawn().await;
    let a = t.tenant("Profile A").await;
    let b = t.tenant("Profile B").await;
    let staff = t.member(&a, Role::Staff).await;

    let res = t.get("/v1/business", Some(&staff)).await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.body["id"], a.business_id.to_string());
    assert_eq!(res.body["time_zone"], "Europe/Berlin");

    let res = t
        .patch(
            "/v1/business",
            Some(&a.owner),
            json!({"name": "Profile A+", "website": "https://a.example", "phone": "+49 30 1234567"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.body["name"], "Profile A+");
    assert_eq!(res.body["phone"], "+49301234567");
    let res = t.patch("/v1/business", Some(&a.owner), json!({"website": null})).await;
    assert_eq!(res.body["website"], serde_json::Value::Null);
    assert_eq!(res.body["name"], "Profile A+", "absent fields stay");

    // Each business sees and changes only itself.
    let other = t.get("/v1/business", Some(&b.owner)).await;
    assert_eq!(other.body["id"], b.business_id.to_string());
    assert_ne!(other.body["name"], "Profile A+");

    let res = t.patch("/v1/business", Some(&a.owner), json!({"website": "ftp://x"})).await;
    assert_eq!((res.status, res.field()), (StatusCode::UNPROCESSABLE_ENTITY, "website"));
    let res = t.patch("/v1/business", Some(&a.owner), json!({"colour": "red"})).await;
    assert_eq!((res.status, res.field()), (StatusCode::UNPROCESSABLE_ENTITY, "colour"));
    let res = t.patch("/v1/business", Some(&staff), json!({"name": "Mine now"})).await;
    assert_eq!((res.status, res.code()), (StatusCode::FORBIDDEN, "FORBIDDEN"));
}

#[tokio::test]
async fn booking_settings_get_and_update() {
    let t = TestApp::spawn().await;
    let a = t.tenant("Settings A").await;
    let manager = t.member(&a, Role::Manager).await;
    let staff = t.member(&a, Role::Staff).await;

    let res = t.get("/v1/business/settings", Some(&staff)).await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.body["slot_interval_minutes"], 15);
    assert_eq!(res.body["review_requests_enabled"], true);
    assert_eq!(res.body["review_request_delay_hours"], 2);

    let res = t
        .patch(
            "/v1/business/settings",
            Some(&manager),
            json!({"time_zone": "America/New_York", "min_notice_minutes": 120,
            "max_advance_days": 30, "slot_interval_minutes": 30, "cancellation_notice_minutes": 60,
            "reminder_evening": "19:30", "whatsapp_enabled": true, "review_requests_enabled": false,
            "review_request_delay_hours": 24}),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(
        res.body,
        json!({"time_zone": "America/New_York", "min_notice_minutes": 120, "max_advance_days": 30,
        "slot_interval_minutes": 30, "cancellation_notice_minutes": 60, "reminder_evening": "19:30",
        "whatsapp_enabled": true, "review_requests_enabled": false, "review_request_delay_hours": 24})
    );

    for (field, value) in [
        ("slot_interval_minutes", json!(0)),
        ("max_advance_days", json!(1000)),
        ("time_zone", json!("Berlin")),
        ("min_notice_minutes", json!("soon")),
        ("reminder_evening", json!("7pm")),
        ("whatsapp_enabled", json!("yes")),
        ("review_requests_enabled", json!(1)),
        ("review_request_delay_hours", json!(169)),
        ("review_request_delay_hours", json!(-1)),
    ] {
        let res = t.patch("/v1/business/settings", Some(&a.owner), json!({ field: value })).await;
        assert_eq!((res.status, res.field()), (StatusCode::UNPROCESSABLE_ENTITY, field), "{}", res.body);
    }
    let res = t.patch("/v1/business/settings", Some(&staff), json!({"min_notice_minutes": 0})).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn public_profile_by_slug() {
    let t = TestApp::spawn().await;
    let a = t.tenant("Public Place").await;
    let res = t.get(&format!("/v1/public/businesses/{}", a.slug), None).await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.body["name"], "Public Place");
    assert!(res.body.get("email").is_none() && res.body.get("status").is_none());

    let res = t.get("/v1/public/businesses/no-such-business", None).await;
    assert_eq!((res.status, res.code()), (StatusCode::NOT_FOUND, "NOT_FOUND"));

    sqlx::query("UPDATE businesses SET status = 'suspended' WHERE id = $1")
        .bind(a.business_id)
        .execute(&t.db.admin)
        .await
        .unwrap();
    assert_eq!(t.get(&format!("/v1/public/businesses/{}", a.slug), None).await.status, StatusCode::NOT_FOUND);
}
