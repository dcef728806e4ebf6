//! Behaviour every operation shares: problem+json errors, request ids, idempotency.

use axum::http::{Method, StatusCode};
use e2e::TestApp;
use serde_json::json;

#[tokio::test]
async fn errors_are_problem_json_with_code_and_request_id() {
    let t = TestApp::spawn().await;
    let res = t.call(Method::GET, "/v1/auth/me", None, None, &[("x-request-id", "req-123")]).await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    assert_eq!(res.headers["content-type"], "application/problem+json");
    assert_eq!(res.body["status"], 401);
    assert_eq!(res.body["code"], "UNAUTHORIZED");
    assert_eq!(res.body["title"], "Unauthorized");
    assert_eq!(res.body["request_id"], "req-123");
    assert_eq!(res.headers["x-request-id"], "req-123");
    assert!(res.body["detail"].as_str().is_some_and(|d| !d.is_empty()));

    let res = t.get("/v1/no-such-route", None).await;
    assert_eq!((res.status, res.code()), (StatusCode::NOT_FOUND, "NOT_FOUND"));
    assert!(res.body["request_id"].as_str().is_some_and(|id| id.len() >= 32), "a generated id");

    let res = t.call(Method::POST, "/v1/auth/login", None, None, &[("content-type", "text/plain")]).await;
    assert_eq!((res.status, res.code()), (StatusCode::UNSUPPORTED_MEDIA_TYPE, "UNSUPPORTED_MEDIA_TYPE"));
    let res = t.call(Method::POST, "/v1/auth/login", None, None, &[("content-type", "application/json")]).await;
    assert_eq!((res.status, res.code()), (StatusCode::BAD_REQUEST, "MALFORMED_JSON"));
}

#[tokio::test]
async fn database_errors_never_reach_the_client_as_sql() {
    let t = TestApp::spawn().await;
    let a = t.tenant("Sql").await;
    t.post("/v1/staff", Some(&a.owner), json!({"name": "A", "email": "a@example.com"})).await;
    let res = t.post("/v1/staff", Some(&a.owner), json!({"name": "B", "email": "a@example.com"})).await;
    assert_eq!(res.status, StatusCode::CONFLICT);
    let text = res.body.to_string().to_lowercase();
    for leak in ["duplicate key", "constraint", "staff_business_email_key", "insert", "sqlstate"] {
        assert!(!text.contains(leak), "{leak} in {text}");
    }
}

#[tokio::test]
async fn idempotency_key_replays_the_first_response() {
    let t = TestApp::spawn().await;
    let a = t.tenant("Idem").await;
    let body = json!({"name": "Alex", "email": "alex@example.com"});
    let key = [("idempotency-key", "create-alex-1")];

    let first = t.call(Method::POST, "/v1/staff", Some(&a.owner), Some(body.clone()), &key).await;
    assert_eq!(first.status, StatusCode::CREATED);
    let second = t.call(Method::POST, "/v1/staff", Some(&a.owner), Some(body.clone()), &key).await;
    assert_eq!(second.status, StatusCode::CREATED);
    assert_eq!(second.body, first.body);
    assert_eq!(second.headers["idempotent-replayed"], "true");
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM staff WHERE business_id = $1")
        .bind(a.business_id)
        .fetch_one(&t.db.admin)
        .await
        .unwrap();
    assert_eq!(count, 1);

    let other = t
        .call(Method::POST, "/v1/staff", Some(&a.owner), Some(json!({"name": "Sam", "email": "sam@example.com"})), &key)
        .await;
    assert_eq!((other.status, other.code()), (StatusCode::UNPROCESSABLE_ENTITY, "IDEMPOTENCY_KEY_REUSED"));

    // Keys are per business: another business may use the same key for its own request.
    let b = t.tenant("Idem B").await;
    let res = t.call(Method::POST, "/v1/staff", Some(&b.owner), Some(body.clone()), &key).await;
    assert_eq!(res.status, StatusCode::CREATED);
    assert_ne!(res.body["id"], first.body["id"]);
}

#[tokio::test]
async fn a_failed_request_does_not_use_up_its_key() {
    let t = TestApp::spawn().await;
    let a = t.tenant("Idem fail").await;
    let key = [("idempotency-key", "svc-1")];
    let bad = json!({"name": "Cut", "duration_minutes": 30, "staff_ids": ["018f0000-0000-7000-8000-000000000000"]});
    let res = t.call(Method::POST, "/v1/services", Some(&a.owner), Some(bad), &key).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM idempotency_keys").fetch_one(&t.db.admin).await.unwrap();
    assert_eq!(stored, 0, "the claim rolled back with the work");

    let good = json!({"name": "Cut", "duration_minutes": 30, "staff_ids": []});
    let res = t.call(Method::POST, "/v1/services", Some(&a.owner), Some(good), &key).await;
    assert_eq!(res.status, StatusCode::CREATED);

    let res = t.call(Method::POST, "/v1/services", Some(&a.owner), Some(json!({})), &[("idempotency-key", "")]).await;
    assert_eq!((res.status, res.field()), (StatusCode::UNPROCESSABLE_ENTITY, "Idempotency-Key"));
}

#[tokio::test]
async fn concurrent_requests_with_one_key_create_once() {
    let t = TestApp::spawn().await;
    let a = t.tenant("Idem race").await;
    let body = json!({"name": "Mitte"});
    let calls = (0..8).map(|_| {
        t.call(Method::POST, "/v1/locations", Some(&a.owner), Some(body.clone()), &[("idempotency-key", "race")])
    });
    // Polled together: the calls interleave at every await, racing for the key.
    let results = futures_util::future::join_all(calls).await;
    let ids: std::collections::HashSet<_> = results
        .iter()
        .map(|r| {
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
            r.body["id"].clone()
        })
        .collect();
    assert_eq!(ids.len(), 1);
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM locations").fetch_one(&t.db.admin).await.unwrap();
    assert_eq!(count, 1);
}

#[tokio::test]
async fn the_demo_seed_goes_through_the_api_and_runs_once() {
    let t = TestApp::spawn().await;
    let first = local::seed::demo(t.app.clone()).await.expect("seed");
    assert!(first.contains("created"), "{first}");
    let again = local::seed::demo(t.app.clone()).await.expect("second seed");
    assert!(again.contains("exists"), "{again}");
    let counts: (i64, i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM businesses), (SELECT count(*) FROM staff),
                (SELECT count(*) FROM services), (SELECT count(*) FROM staff_weekly_hours)",
    )
    .fetch_one(&t.db.admin)
    .await
    .unwrap();
    assert_eq!(counts, (1, 2, 3, 12));
    let login = t
        .post("/v1/auth/login", None, json!({"email": local::seed::DEMO_EMAIL, "password": local::seed::DEMO_PASSWORD}))
        .await;
    assert_eq!(login.status, StatusCode::OK);
}

#[tokio::test]
async fn list_parameters_are_validated() {
    let t = TestApp::spawn().await;
    let a = t.tenant("Lists").await;
    let public = format!("/v1/public/businesses/{}/services", a.slug);
    for base in ["/v1/locations", "/v1/staff", "/v1/services", public.as_str()] {
        for (query, field) in
            [("limit=0", "limit"), ("limit=201", "limit"), ("cursor=zzz", "cursor"), ("sort=name", "sort")]
        {
            let res = t.get(&format!("{base}?{query}"), Some(&a.owner)).await;
            assert_eq!((res.status, res.field()), (StatusCode::UNPROCESSABLE_ENTITY, field), "{base}?{query}");
        }
    }
}

#[tokio::test]
async fn security_headers_and_cors_for_the_configured_origin_only() {
    // The test fleet allows https://app.kairos.test.
    let t = TestApp::spawn().await;
    let res = t.get("/v1/public/businesses/nobody", None).await;
    for (name, value) in [
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "no-referrer"),
        ("cache-control", "no-store"),
    ] {
        assert_eq!(res.headers[name], value, "{name}");
    }
    assert!(res.headers.get("access-control-allow-origin").is_none(), "no Origin, no CORS");

    let allowed = [("origin", "https://app.kairos.test")];
    let res = t.call(Method::GET, "/v1/public/businesses/nobody", None, None, &allowed).await;
    assert_eq!(res.headers["access-control-allow-origin"], "https://app.kairos.test");
    let evil = [("origin", "https://evil.example")];
    let res = t.call(Method::GET, "/v1/public/businesses/nobody", None, None, &evil).await;
    assert!(res.headers.get("access-control-allow-origin").is_none());

    let preflight = [("origin", "https://app.kairos.test"), ("access-control-request-method", "POST")];
    let res = t.call(Method::OPTIONS, "/v1/staff", None, None, &preflight).await;
    assert_eq!(res.status, StatusCode::NO_CONTENT);
    assert!(res.headers["access-control-allow-headers"].to_str().unwrap().contains("idempotency-key"));
    let res = t
        .call(
            Method::OPTIONS,
            "/v1/staff",
            None,
            None,
            &[("origin", "https://evil.example"), ("access-control-request-method", "POST")],
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert!(res.headers.get("access-control-allow-origin").is_none());
}
