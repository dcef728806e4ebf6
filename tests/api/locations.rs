use axum::http::StatusCode;
use e2e::TestApp;
use serde_json::json;
use shared::Role;

#[tokio::test]
async fn locations_create_list_update_amenities_delete() {
    let t = TestApp::spawn().await;
    let a = t.tenant("Loc A").await;
    let staff = t.member(&a, Role::Staff).await;

    let res = t
        .post(
            "/v1/locations",
            Some(&a.owner),
            json!({"name": "Mitte", "city": "Berlin", "country": "de",
            "amenities": ["wifi", "parking", "wifi"]}),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    assert_eq!(res.body["country"], "DE");
    assert_eq!(res.body["amenities"], json!(["parking", "wifi"]));
    let id = res.id();
    t.post("/v1/locations", Some(&a.owner), json!({"name": "Kreuzberg"})).await;

    let list = t.get("/v1/locations?limit=1", Some(&staff)).await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.body["data"][0]["name"], "Mitte");
    let cursor = list.body["next_cursor"].as_str().expect("a second page").to_owned();
    let page2 = t.get(&format!("/v1/locations?limit=1&cursor={cursor}"), Some(&staff)).await;
    assert_eq!(page2.body["data"][0]["name"], "Kreuzberg");
    assert_eq!(page2.body["next_cursor"], serde_json::Value::Null);

    let res = t
        .patch(&format!("/v1/locations/{id}"), Some(&a.owner), json!({"name": "Berlin Mitte", "phone": "+4930999999"}))
        .await;
    assert_eq!((res.status, &res.body["name"]), (StatusCode::OK, &json!("Berlin Mitte")));
    assert_eq!(res.body["city"], "Berlin");

    let res = t
        .put(&format!("/v1/locations/{id}/amenities"), Some(&a.owner), json!({"amenities": ["wheelchair_access"]}))
        .await;
    assert_eq!((res.status, &res.body["amenities"]), (StatusCode::OK, &json!(["wheelchair_access"])));

    assert_eq!(t.delete(&format!("/v1/locations/{id}"), Some(&a.owner)).await.status, StatusCode::NO_CONTENT);
    assert_eq!(t.delete(&format!("/v1/locations/{id}"), Some(&a.owner)).await.status, StatusCode::NOT_FOUND);
    let list = t.get("/v1/locations", Some(&staff)).await;
    assert_eq!(list.body["data"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn locations_refuse_bad_input_other_tenants_and_staff() {
    let t = TestApp::spawn().await;
    let a = t.tenant("Loc A").await;
    let b = t.tenant("Loc B").await;
    let staff = t.member(&a, Role::Staff).await;
    let id = t.post("/v1/locations", Some(&a.owner), json!({"name": "Mitte"})).await.id();

    let res = t.post("/v1/locations", Some(&a.owner), json!({"name": "X", "country": "Germany"})).await;
    assert_eq!((res.status, res.field()), (StatusCode::UNPROCESSABLE_ENTITY, "country"));
    let res = t.post("/v1/locations", Some(&a.owner), json!({"name": "X", "amenities": ["Free WiFi"]})).await;
    assert_eq!((res.status, res.field()), (StatusCode::UNPROCESSABLE_ENTITY, "amenities[0]"));
    let res = t.patch(&format!("/v1/locations/{id}"), Some(&a.owner), json!({"phone": "12"})).await;
    assert_eq!((res.status, res.field()), (StatusCode::UNPROCESSABLE_ENTITY, "phone"));
    let res = t.put(&format!("/v1/locations/{id}/amenities"), Some(&a.owner), json!({})).await;
    assert_eq!((res.status, res.field()), (StatusCode::UNPROCESSABLE_ENTITY, "amenities"));
    let res = t.delete("/v1/locations/not-a-uuid", Some(&a.owner)).await;
    assert_eq!((res.status, res.field()), (StatusCode::UNPROCESSABLE_ENTITY, "location_id"));

    // Business B cannot see, change or delete A's location, and learns nothing about it.
    let res = t.patch(&format!("/v1/locations/{id}"), Some(&b.owner), json!({"name": "Hijacked"})).await;
    assert_eq!((res.status, res.code()), (StatusCode::NOT_FOUND, "NOT_FOUND"));
    assert!(!res.body.to_string().contains("Mitte"));
    assert_eq!(
        t.put(&format!("/v1/locations/{id}/amenities"), Some(&b.owner), json!({"amenities": []})).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(t.delete(&format!("/v1/locations/{id}"), Some(&b.owner)).await.status, StatusCode::NOT_FOUND);
    assert_eq!(t.get("/v1/locations", Some(&b.owner)).await.body["data"], json!([]));

    // Staff may look but not change.
    assert_eq!(t.get("/v1/locations", Some(&staff)).await.status, StatusCode::OK);
    assert_eq!(t.post("/v1/locations", Some(&staff), json!({"name": "Mine"})).await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        t.patch(&format!("/v1/locations/{id}"), Some(&staff), json!({"name": "Mine"})).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        t.put(&format!("/v1/locations/{id}/amenities"), Some(&staff), json!({"amenities": []})).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(t.delete(&format!("/v1/locations/{id}"), Some(&staff)).await.status, StatusCode::FORBIDDEN);
    let name: String = sqlx::query_scalar("SELECT name FROM locations WHERE id = $1::uuid")
        .bind(&id)
        .fetch_one(&t.db.admin)
        .await
        .unwrap();
    assert_eq!(name, "Mitte");
}
