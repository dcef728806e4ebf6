use axum::http::StatusCode;
use e2e::TestApp;
use serde_json::json;
use shared::Role;

#[tokio::test]
async fn services_create_get_list_update_delete() {
    let t = TestApp::spawn().await;
    let a = t.tenant("Svc A").await;
    let viewer = t.member(&a, Role::Staff).await;
    let alex = t.post("/v1/staff", Some(&a.owner), json!({"name": "Alex", "email": "alex@example.com"})).await.id();
    let sam = t.post("/v1/staff", Some(&a.owner), json!({"name": "Sam", "email": "sam@example.com"})).await.id();

    let res = t
        .post(
            "/v1/services",
            Some(&a.owner),
            json!({"name": "Haircut", "duration_minutes": 30, "buffer_before_minutes": 5,
            "buffer_after_minutes": 10, "price": {"amount": 3500, "currency": "eur"}, "staff_ids": [alex, alex]}),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    assert_eq!(res.body["price"], json!({"amount": 3500, "currency": "EUR"}));
    assert_eq!(res.body["staff_ids"], json!([alex]));
    let id = res.id();

    assert_eq!(t.get(&format!("/v1/services/{id}"), Some(&viewer)).await.body["buffer_after_minutes"], 10);
    assert_eq!(t.get(&format!("/v1/staff/{alex}"), Some(&viewer)).await.body["service_ids"], json!([id]));

    let res = t
        .patch(
            &format!("/v1/services/{id}"),
            Some(&a.owner),
            json!({"duration_minutes": 45, "price": null, "staff_ids": [sam]}),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.body["duration_minutes"], 45);
    assert_eq!(res.body["price"], serde_json::Value::Null);
    assert_eq!(res.body["staff_ids"], json!([sam]));
    assert_eq!(res.body["name"], "Haircut");

    let public = t.get(&format!("/v1/public/businesses/{}/services", a.slug), None).await;
    assert_eq!(public.status, StatusCode::OK);
    assert_eq!(public.body["data"][0]["staff"], json!([{"id": sam, "name": "Sam"}]));
    assert!(!public.body.to_string().contains("sam@example.com"), "no staff emails in public lists");

    // A removed staff member is taken off the service.
    assert_eq!(t.delete(&format!("/v1/staff/{sam}"), Some(&a.owner)).await.status, StatusCode::NO_CONTENT);
    assert_eq!(t.get(&format!("/v1/services/{id}"), Some(&viewer)).await.body["staff_ids"], json!([]));

    assert_eq!(t.get("/v1/services", Some(&viewer)).await.body["data"].as_array().unwrap().len(), 1);
    assert_eq!(t.delete(&format!("/v1/services/{id}"), Some(&a.owner)).await.status, StatusCode::NO_CONTENT);
    assert_eq!(t.get(&format!("/v1/services/{id}"), Some(&viewer)).await.status, StatusCode::NOT_FOUND);
    assert_eq!(t.get(&format!("/v1/public/businesses/{}/services", a.slug), None).await.body["data"], json!([]));
}

#[tokio::test]
async fn services_refuse_bad_input_other_tenants_and_staff() {
    let t = TestApp::spawn().await;
    let a = t.tenant("Svc A").await;
    let b = t.tenant("Svc B").await;
    let viewer = t.member(&a, Role::Staff).await;
    let b_staff = t.post("/v1/staff", Some(&b.owner), json!({"name": "Bo", "email": "bo@example.com"})).await.id();
    let id = t
        .post("/v1/services", Some(&a.owner), json!({"name": "Cut", "duration_minutes": 30, "staff_ids": []}))
        .await
        .id();

    for (body, field) in [
        (json!({"name": "X", "duration_minutes": 0, "staff_ids": []}), "duration_minutes"),
        (json!({"name": "X", "duration_minutes": 30}), "staff_ids"),
        (json!({"name": "X", "duration_minutes": 30, "staff_ids": [b_staff]}), "staff_ids"),
        (json!({"name": "X", "duration_minutes": 30, "staff_ids": ["nope"]}), "staff_ids[0]"),
        (
            json!({"name": "X", "duration_minutes": 30, "staff_ids": [], "price": {"amount": -1, "currency": "EUR"}}),
            "price.amount",
        ),
        (
            json!({"name": "X", "duration_minutes": 30, "staff_ids": [], "price": {"amount": 100, "currency": "EURO"}}),
            "price.currency",
        ),
    ] {
        let res = t.post("/v1/services", Some(&a.owner), body).await;
        assert_eq!((res.status, res.field()), (StatusCode::UNPROCESSABLE_ENTITY, field), "{}", res.body);
    }
    let res = t.patch(&format!("/v1/services/{id}"), Some(&a.owner), json!({"buffer_after_minutes": 500})).await;
    assert_eq!((res.status, res.field()), (StatusCode::UNPROCESSABLE_ENTITY, "buffer_after_minutes"));
    let res = t.patch(&format!("/v1/services/{id}"), Some(&a.owner), json!({"staff_ids": [b_staff]})).await;
    assert_eq!((res.status, res.field()), (StatusCode::UNPROCESSABLE_ENTITY, "staff_ids"));

    for res in [
        t.get(&format!("/v1/services/{id}"), Some(&b.owner)).await,
        t.patch(&format!("/v1/services/{id}"), Some(&b.owner), json!({"name": "Hijacked"})).await,
        t.delete(&format!("/v1/services/{id}"), Some(&b.owner)).await,
    ] {
        assert_eq!(res.status, StatusCode::NOT_FOUND);
    }
    assert_eq!(t.get("/v1/services", Some(&b.owner)).await.body["data"], json!([]));
    assert_eq!(t.get("/v1/public/businesses/nobody-here/services", None).await.status, StatusCode::NOT_FOUND);

    assert_eq!(
        t.post("/v1/services", Some(&viewer), json!({"name": "X", "duration_minutes": 30, "staff_ids": []}))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        t.patch(&format!("/v1/services/{id}"), Some(&viewer), json!({"name": "X"})).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(t.delete(&format!("/v1/services/{id}"), Some(&viewer)).await.status, StatusCode::FORBIDDEN);
}
