use axum::http::StatusCode;
use e2e::{PASSWORD, TestApp};
use serde_json::json;
use shared::auth::{Auth, Role};
use uuid::Uuid;

#[tokio::test]
async fn register_returns_business_user_and_tokens() {
    let t = TestApp::spawn().await;
    let res = t
        .post(
            "/v1/auth/register",
            None,
            json!({"business_name": "Anna's Studio", "email": "Anna@Example.com",
            "password": PASSWORD, "time_zone": "Asia/Kolkata"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    assert_eq!(res.body["business"]["slug"], "anna-s-studio");
    assert_eq!(res.body["business"]["time_zone"], "Asia/Kolkata");
    assert_eq!(res.body["user"]["email"], "anna@example.com");
    assert_eq!(res.body["user"]["role"], "owner");
    assert_eq!(res.body["expires_in"], 900);
    assert!(res.body["refresh_token"].as_str().is_some_and(|s| s.len() >= 40));

    // The password is stored as an argon2id hash, never as given.
    let hash: String = sqlx::query_scalar("SELECT password_hash FROM users WHERE email = 'anna@example.com'")
        .fetch_one(&t.db.admin)
        .await
        .unwrap();
    assert!(hash.starts_with("$argon2id$"));

    // The same name again gets another slug; the same email is refused.
    let again = t
        .post(
            "/v1/auth/register",
            None,
            json!({"business_name": "Anna's Studio", "email": "other@example.com",
            "password": PASSWORD, "time_zone": "Europe/Berlin"}),
        )
        .await;
    assert_eq!(again.status, StatusCode::CREATED);
    assert_ne!(again.body["business"]["slug"], "anna-s-studio");
    let dup = t
        .post(
            "/v1/auth/register",
            None,
            json!({"business_name": "X", "email": "ANNA@example.com",
            "password": PASSWORD, "time_zone": "Europe/Berlin"}),
        )
        .await;
    assert_eq!(dup.status, StatusCode::CONFLICT);
    assert_eq!(dup.code(), "EMAIL_TAKEN");
    assert_eq!(dup.field(), "email");
}

#[tokio::test]
async fn register_names_the_bad_field() {
    let t = TestApp::spawn().await;
    let ok =
        json!({"business_name": "B", "email": "b@example.com", "password": PASSWORD, "time_zone": "Europe/Berlin"});
    for (field, value) in [
        ("email", json!("not-an-email")),
        ("password", json!("short")),
        ("time_zone", json!("Mars/Base")),
        ("business_name", json!("   ")),
    ] {
        let mut body = ok.clone();
        body[field] = value;
        let res = t.post("/v1/auth/register", None, body).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{field}: {}", res.body);
        assert_eq!(res.code(), "VALIDATION_FAILED");
        assert_eq!(res.field(), field);
        assert_eq!(res.headers["content-type"], "application/problem+json");
    }
    let mut missing = ok.clone();
    missing.as_object_mut().unwrap().remove("time_zone");
    let res = t.post("/v1/auth/register", None, missing).await;
    assert_eq!((res.status, res.field()), (StatusCode::UNPROCESSABLE_ENTITY, "time_zone"));
}

#[tokio::test]
async fn login_checks_the_password() {
    let t = TestApp::spawn().await;
    let tenant = t.tenant("Login Co").await;
    let email: String = sqlx::query_scalar("SELECT email FROM users WHERE id = $1")
        .bind(tenant.owner_id)
        .fetch_one(&t.db.admin)
        .await
        .unwrap();

    let ok = t.post("/v1/auth/login", None, json!({"email": email.to_uppercase(), "password": PASSWORD})).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    let token = ok.body["access_token"].as_str().unwrap();
    assert_eq!(t.get("/v1/auth/me", Some(token)).await.status, StatusCode::OK);

    let wrong = t.post("/v1/auth/login", None, json!({"email": email, "password": "wrong-password-1"})).await;
    assert_eq!((wrong.status, wrong.code()), (StatusCode::UNAUTHORIZED, "INVALID_CREDENTIALS"));
    let unknown = t.post("/v1/auth/login", None, json!({"email": "nobody@example.com", "password": PASSWORD})).await;
    assert_eq!((unknown.status, unknown.code()), (StatusCode::UNAUTHORIZED, "INVALID_CREDENTIALS"));
    let bad = t.post("/v1/auth/login", None, json!({"email": "nobody", "password": PASSWORD})).await;
    assert_eq!((bad.status, bad.field()), (StatusCode::UNPROCESSABLE_ENTITY, "email"));
}

#[tokio::test]
async fn me_shows_the_callers_own_user_and_business() {
    let t = TestApp::spawn().await;
    let a = t.tenant("Alpha").await;
    let b = t.tenant("Beta").await;
    let staff = t.member(&b, Role::Staff).await;

    let me = t.get("/v1/auth/me", Some(&a.owner)).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["business"]["id"], a.business_id.to_string());
    assert_eq!(me.body["user"]["role"], "owner");

    let me = t.get("/v1/auth/me", Some(&staff)).await;
    assert_eq!(me.body["business"]["id"], b.business_id.to_string());
    assert_eq!(me.body["user"]["role"], "staff");
    assert!(!me.body["permissions"].as_array().unwrap().contains(&json!("ManageStaff")));

    assert_eq!(t.get("/v1/auth/me", None).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn authorizer_refuses_bad_tokens_and_suspended_businesses() {
    let t = TestApp::spawn().await;
    let a = t.tenant("Gamma").await;

    for header in ["", "Bearer", "Bearer nonsense", "Basic abc"] {
        let res = t.call(axum::http::Method::GET, "/v1/auth/me", None, None, &[("authorization", header)]).await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED, "{header:?}");
    }
    // A well-signed token for a business that does not exist.
    let ghost = t
        .token_for(&Auth { business_id: Uuid::now_v7(), user_id: Uuid::now_v7(), role: Role::Owner, session_id: None })
        .await;
    assert_eq!(t.get("/v1/auth/me", Some(&ghost)).await.status, StatusCode::UNAUTHORIZED);

    sqlx::query("UPDATE businesses SET status = 'suspended' WHERE id = $1")
        .bind(a.business_id)
        .execute(&t.db.admin)
        .await
        .unwrap();
    let res = t.get("/v1/auth/me", Some(&a.owner)).await;
    assert_eq!((res.status, res.code()), (StatusCode::FORBIDDEN, "BUSINESS_SUSPENDED"));
}

#[tokio::test]
async fn authorizer_lambda_answers_with_the_identity_as_context() {
    let t = TestApp::spawn().await;
    let a = t.tenant("Delta").await;
    let mut request: aws_lambda_events::apigw::ApiGatewayV2CustomAuthorizerV2Request =
        serde_json::from_value(json!({"version": "2.0", "type": "REQUEST", "routeKey": "GET /v1/auth/me",
            "headers": {"authorization": format!("Bearer {}", a.owner)},
            "requestContext": {"http": {"method": "GET", "path": "/v1/auth/me", "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1", "userAgent": "test"}}}))
        .unwrap();
    let allowed = auth::authorizer::decide(t.app.clone(), request.clone()).await;
    assert!(allowed.is_authorized);
    assert_eq!(allowed.context["business_id"], a.business_id.to_string());
    assert_eq!(allowed.context["role"], "owner");

    request.headers.insert("authorization", "Bearer forged".parse().unwrap());
    let denied = auth::authorizer::decide(t.app.clone(), request).await;
    assert!(!denied.is_authorized);
    assert!(denied.context.is_null());
}

#[tokio::test]
async fn refresh_tokens_rotate_and_a_reused_one_revokes_the_session() {
    let t = TestApp::spawn().await;
    let a = t.tenant("Refresh").await;
    let email: String = sqlx::query_scalar("SELECT email FROM users WHERE id = $1")
        .bind(a.owner_id)
        .fetch_one(&t.db.admin)
        .await
        .unwrap();
    let login = t.post("/v1/auth/login", None, json!({"email": email, "password": PASSWORD})).await;
    let first = login.body["refresh_token"].as_str().unwrap().to_owned();

    let second = t.post("/v1/auth/refresh", None, json!({"refresh_token": first})).await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.body);
    let second_refresh = second.body["refresh_token"].as_str().unwrap().to_owned();
    let second_access = second.body["access_token"].as_str().unwrap().to_owned();
    assert_ne!(second_refresh, first);
    assert_eq!(t.get("/v1/auth/me", Some(&second_access)).await.status, StatusCode::OK);

    // The first token again: someone copied it. The whole session goes.
    let reuse = t.post("/v1/auth/refresh", None, json!({"refresh_token": first})).await;
    assert_eq!((reuse.status, reuse.code()), (StatusCode::UNAUTHORIZED, "REFRESH_TOKEN_REUSED"));
    let later = t.post("/v1/auth/refresh", None, json!({"refresh_token": second_refresh})).await;
    assert_eq!((later.status, later.code()), (StatusCode::UNAUTHORIZED, "INVALID_REFRESH_TOKEN"));
    let me = t.get("/v1/auth/me", Some(&second_access)).await;
    assert_eq!((me.status, me.code()), (StatusCode::UNAUTHORIZED, "SESSION_REVOKED"));
    // Other sessions of the same user are untouched.
    assert_eq!(t.get("/v1/auth/me", Some(&a.owner)).await.status, StatusCode::OK);

    let res = t.post("/v1/auth/refresh", None, json!({"refresh_token": "made-up"})).await;
    assert_eq!((res.status, res.code()), (StatusCode::UNAUTHORIZED, "INVALID_REFRESH_TOKEN"));
    let res = t.post("/v1/auth/refresh", None, json!({})).await;
    assert_eq!((res.status, res.field()), (StatusCode::UNPROCESSABLE_ENTITY, "refresh_token"));
}

#[tokio::test]
async fn logout_ends_the_session_and_its_tokens() {
    let t = TestApp::spawn().await;
    let res = t
        .post(
            "/v1/auth/register",
            None,
            json!({"business_name": "Bye", "email": "bye@example.com", "password": PASSWORD, "time_zone": "UTC"}),
        )
        .await;
    let access = res.body["access_token"].as_str().unwrap().to_owned();
    let refresh = res.body["refresh_token"].as_str().unwrap().to_owned();
    let other = t.post("/v1/auth/login", None, json!({"email": "bye@example.com", "password": PASSWORD})).await;
    let other_access = other.body["access_token"].as_str().unwrap().to_owned();

    assert_eq!(t.post("/v1/auth/logout", Some(&access), json!({})).await.status, StatusCode::NO_CONTENT);
    assert_eq!(t.get("/v1/auth/me", Some(&access)).await.code(), "SESSION_REVOKED");
    let res = t.post("/v1/auth/refresh", None, json!({"refresh_token": refresh})).await;
    assert_eq!((res.status, res.code()), (StatusCode::UNAUTHORIZED, "INVALID_REFRESH_TOKEN"));
    assert_eq!(t.get("/v1/auth/me", Some(&other_access)).await.status, StatusCode::OK, "only that session ends");
    assert_eq!(t.post("/v1/auth/logout", None, json!({})).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn failed_logins_are_throttled_per_account_and_per_address_then_reset() {
    let fleet = TestApp::spawn().await;
    let t = &fleet;
    let res = t
        .post(
            "/v1/auth/register",
            None,
            json!({"business_name": "Lock", "email": "lock@example.com", "password": PASSWORD, "time_zone": "UTC"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED);
    let login = |email: &str, password: &str, ip: &str| {
        let body = json!({"email": email, "password": password});
        let headers = [("x-forwarded-for", ip.to_owned())];
        async move {
            let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
            t.call(axum::http::Method::POST, "/v1/auth/login", None, Some(body), &headers).await
        }
    };
    // Ten wrong passwords for one account, from different addresses.
    for i in 0..10 {
        let res = login("lock@example.com", "wrong-password-1", &format!("198.51.100.{i}")).await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    }
    // Now even the right password waits, with a Retry-After of at most 15 minutes.
    let res = login("lock@example.com", PASSWORD, "198.51.100.99").await;
    assert_eq!((res.status, res.code()), (StatusCode::TOO_MANY_REQUESTS, "TOO_MANY_ATTEMPTS"), "{}", res.body);
    let wait: i64 = res.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=900).contains(&wait), "{wait}");

    // One address trying many accounts is stopped too.
    for i in 0..10 {
        login(&format!("nobody{i}@example.com"), "wrong-password-1", "203.0.113.7").await;
    }
    let res = login("someone-else@example.com", "wrong-password-1", "203.0.113.7").await;
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS);

    // Fifteen minutes later the account may try again, and a success clears its count.
    sqlx::query(
        "UPDATE login_failures SET failed_at = failed_at - interval '16 minutes' WHERE subject LIKE 'email:lock@%'",
    )
    .execute(&t.db.admin)
    .await
    .unwrap();
    let res = login("lock@example.com", PASSWORD, "198.51.100.99").await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM login_failures WHERE subject = 'email:lock@example.com'")
        .fetch_one(&t.db.admin)
        .await
        .unwrap();
    assert_eq!(left, 0);
}

#[tokio::test]
async fn expired_tokens_and_unknown_keys_are_refused() {
    let t = TestApp::spawn().await;
    let a = t.tenant("Keys").await;
    let who = Auth { business_id: a.business_id, user_id: a.owner_id, role: Role::Owner, session_id: None };
    let keys = t.app.signing_keys().await.unwrap();

    let now = t.app.now();
    let fresh = keys.issue_until(&who, epoch(now) + 60, now).unwrap();
    assert_eq!(t.get("/v1/auth/me", Some(&fresh)).await.status, StatusCode::OK);
    let expired = keys.issue_until(&who, epoch(now) - 60, now).unwrap();
    assert_eq!(t.get("/v1/auth/me", Some(&expired)).await.status, StatusCode::UNAUTHORIZED);

    // Signed by a key the platform does not have (an old key retired, or a forger's).
    let stranger = shared::auth::token::SigningKeys::from_secret_json(
        r#"{"keys":[{"kid":"retired-1","secret":"MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="}]}"#,
    )
    .unwrap();
    let foreign = stranger.issue_until(&who, epoch(now) + 60, now).unwrap();
    let res = t.get("/v1/auth/me", Some(&foreign)).await;
    assert_eq!((res.status, res.code()), (StatusCode::UNAUTHORIZED, "UNAUTHORIZED"));
}

fn epoch(t: chrono::DateTime<chrono::Utc>) -> u64 {
    t.timestamp() as u64
}
