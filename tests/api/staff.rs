use axum::http::StatusCode;
use e2e::TestApp;
use serde_json::json;
use shared::Role;

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
