//! Account flows: password reset and change, email verification, staff invitations,
//! staff sign-in and staff passwords. Emails are checked where they start: the outbox rows
//! written in the same transaction, in the kinds and shapes the email consumer renders.

use axum::http::{Method, StatusCode};
use e2e::{PASSWORD, Res, Tenant, TestApp};
use serde_json::{Value, json};
use sha2::Digest;
use shared::Role;
use uuid::Uuid;

/// Outbox messages of `kind`, oldest first: (dedup key, payload).
async fn outbox(t: &TestApp, kind: &str) -> Vec<(String, Value)> {
    sqlx::query_as("SELECT dedup_key, payload FROM outbox WHERE kind = $1 ORDER BY created_at, id")
        .bind(kind)
        .fetch_all(&t.db.admin)
        .await
        .unwrap()
}

/// The token of the newest message of `kind` to `email`.
async fn emailed_token(t: &TestApp, kind: &str, email: &str) -> String {
    let messages = outbox(t, kind).await;
    let (_, payload) = messages.iter().rev().find(|(_, p)| p["email"] == email).expect("an email to that address");
    payload["token"].as_str().unwrap().to_owned()
}

fn keys(payload: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = payload.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort();
    keys
}

async fn register(t: &TestApp, email: &str, name: &str) -> Value {
    let res = t
        .post(
            "/v1/auth/register",
            None,
            json!({"business_name": format!("{name}'s"), "email": email, "password": PASSWORD,
                   "time_zone": "Europe/Berlin", "name": name}),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    res.body
}

async fn login(t: &TestApp, path: &str, email: &str, password: &str) -> Res {
    t.post(path, None, json!({"email": email, "password": password})).await
}

async fn from(t: &TestApp, path: &str, ip: &str, body: Value) -> Res {
    t.call(Method::POST, path, None, Some(body), &[("x-forwarded-for", ip)]).await
}

/// Ask for a reset link (from `ip`, or the default address), then let the consumer that
/// looks the address up run, as SQS would run it.
async fn forgot(t: &TestApp, ip: Option<&str>, email: &str) -> Res {
    let body = json!({ "email": email });
    let res = match ip {
        Some(ip) => from(t, "/v1/auth/password/forgot", ip, body).await,
        None => t.post("/v1/auth/password/forgot", None, body).await,
    };
    t.drain(&auth::password_forgot_send::OP).await;
    res
}

#[tokio::test]
async fn forgot_password_takes_the_same_steps_for_known_and_unknown_addresses() {
    let t = TestApp::spawn().await;
    register(&t, "known@example.com", "Kim").await;
    let tokens = || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM auth_tokens WHERE purpose = 'password_reset'")
            .fetch_one(&t.db.admin)
            .await
            .unwrap()
    };
    let mut answers = Vec::new();
    for email in ["known@example.com", "unknown@example.com"] {
        let before = (tokens().await, outbox(&t, "auth.password_reset").await.len());
        let res = t.post("/v1/auth/password/forgot", None, json!({ "email": email })).await;
        // The request did one thing, the same for both: it queued the address. No token,
        // no outbox row, no lookup result anywhere yet.
        assert_eq!(t.queue_depth("auth-requests").await, 1, "{email}");
        assert_eq!((tokens().await, outbox(&t, "auth.password_reset").await.len()), before, "{email}");
        let mut headers: Vec<String> =
            res.headers.iter().filter(|(k, _)| *k != "x-request-id").map(|(k, v)| format!("{k}: {v:?}")).collect();
        headers.sort();
        answers.push((res.status, res.body.clone(), headers));
        assert_eq!(t.drain(&auth::password_forgot_send::OP).await, 1);
    }
    assert_eq!(answers[0], answers[1], "the answers must not tell the addresses apart");
    assert_eq!(answers[0].0, StatusCode::ACCEPTED);
    // After the answers, the consumer emailed the known address only.
    assert_eq!(tokens().await, 1);
    let messages = outbox(&t, "auth.password_reset").await;
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].1["email"], "known@example.com");
}

#[tokio::test]
async fn forgot_password_emails_a_one_hour_single_use_token_and_reset_ends_every_session() {
    let t = TestApp::spawn().await;
    let owner = register(&t, "rosa@example.com", "Rosa").await;
    let user_id = owner["user"]["id"].as_str().unwrap().to_owned();
    let old_access = owner["access_token"].as_str().unwrap().to_owned();
    let old_refresh = owner["refresh_token"].as_str().unwrap().to_owned();

    // An unknown address gets the same answer and no email.
    let res = forgot(&t, None, "nobody@example.com").await;
    assert_eq!((res.status, &res.body), (StatusCode::ACCEPTED, &Value::Null));
    assert!(outbox(&t, "auth.password_reset").await.is_empty());

    let res = forgot(&t, None, "ROSA@example.com").await;
    assert_eq!((res.status, &res.body), (StatusCode::ACCEPTED, &Value::Null));
    let messages = outbox(&t, "auth.password_reset").await;
    assert_eq!(messages.len(), 1);
    let (key, payload) = &messages[0];
    assert_eq!(keys(payload), ["email", "expires_at", "name", "token"]);
    assert_eq!((&payload["email"], &payload["name"]), (&json!("rosa@example.com"), &json!("Rosa")));
    let token = payload["token"].as_str().unwrap();
    let expires: chrono::DateTime<chrono::Utc> = payload["expires_at"].as_str().unwrap().parse().unwrap();
    let left = expires - t.app.now();
    assert!(left > chrono::Duration::minutes(58) && left <= chrono::Duration::minutes(60), "{left}");
    // Stored only as its hash; the row id is in the message key.
    let (row_id, stored): (Uuid, Vec<u8>) =
        sqlx::query_as("SELECT id, token_hash FROM auth_tokens WHERE purpose = 'password_reset'")
            .fetch_one(&t.db.admin)
            .await
            .unwrap();
    assert_eq!(stored, sha2::Sha256::digest(token.as_bytes()).to_vec());
    assert_eq!(key, &format!("user:{user_id}:password_reset:{row_id}"));

    let res = t.post("/v1/auth/password/reset", None, json!({"token": token, "password": "short"})).await;
    assert_eq!((res.status, res.field()), (StatusCode::UNPROCESSABLE_ENTITY, "password"));
    let res =
        t.post("/v1/auth/password/reset", None, json!({"token": token, "password": "a-brand-new-password"})).await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.body);

    assert_eq!(login(&t, "/v1/auth/login", "rosa@example.com", PASSWORD).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(login(&t, "/v1/auth/login", "rosa@example.com", "a-brand-new-password").await.status, StatusCode::OK);
    let me = t.get("/v1/auth/me", Some(&old_access)).await;
    assert_eq!((me.status, me.code()), (StatusCode::UNAUTHORIZED, "SESSION_REVOKED"));
    let res = t.post("/v1/auth/refresh", None, json!({"refresh_token": old_refresh})).await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);

    // Once only.
    let res =
        t.post("/v1/auth/password/reset", None, json!({"token": token, "password": "another-new-password"})).await;
    assert_eq!((res.status, res.code(), res.field()), (StatusCode::UNPROCESSABLE_ENTITY, "TOKEN_USED", "token"));
    let res =
        t.post("/v1/auth/password/reset", None, json!({"token": "made-up", "password": "another-new-pass"})).await;
    assert_eq!((res.status, res.code(), res.field()), (StatusCode::UNPROCESSABLE_ENTITY, "TOKEN_INVALID", "token"));

    // An hour later a link is dead.
    forgot(&t, None, "rosa@example.com").await;
    let late = emailed_token(&t, "auth.password_reset", "rosa@example.com").await;
    assert_ne!(late, token);
    sqlx::query("UPDATE auth_tokens SET expires_at = $1 WHERE used_at IS NULL")
        .bind(t.app.now() - chrono::Duration::seconds(1))
        .execute(&t.db.admin)
        .await
        .unwrap();
    let res = t.post("/v1/auth/password/reset", None, json!({"token": late, "password": "another-new-password"})).await;
    assert_eq!((res.status, res.code(), res.field()), (StatusCode::UNPROCESSABLE_ENTITY, "TOKEN_EXPIRED", "token"));

    // A reset token is not a verification token.
    forgot(&t, None, "rosa@example.com").await;
    let fresh = emailed_token(&t, "auth.password_reset", "rosa@example.com").await;
    let res = t.post("/v1/auth/email/verify", None, json!({"token": fresh})).await;
    assert_eq!((res.status, res.code()), (StatusCode::UNPROCESSABLE_ENTITY, "TOKEN_INVALID"));
}

#[tokio::test]
async fn forgot_password_is_throttled_without_telling_who_is_registered() {
    let t = TestApp::spawn().await;
    register(&t, "flood@example.com", "Flo").await;
    // One account gets at most three reset emails an hour; the answer never changes.
    for i in 0..5 {
        let res = forgot(&t, Some(&format!("198.51.100.{i}")), "flood@example.com").await;
        assert_eq!(res.status, StatusCode::ACCEPTED);
    }
    assert_eq!(outbox(&t, "auth.password_reset").await.len(), 3);

    // One address gets ten requests per window, known addresses or not, then 429.
    for i in 0..10 {
        let res =
            from(&t, "/v1/auth/password/forgot", "203.0.113.9", json!({"email": format!("x{i}@example.com")})).await;
        assert_eq!(res.status, StatusCode::ACCEPTED);
    }
    let res = from(&t, "/v1/auth/password/forgot", "203.0.113.9", json!({"email": "flood@example.com"})).await;
    assert_eq!((res.status, res.code()), (StatusCode::TOO_MANY_REQUESTS, "TOO_MANY_ATTEMPTS"));
    let wait: i64 = res.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=900).contains(&wait));
    let res = from(&t, "/v1/auth/password/forgot", "203.0.113.10", json!({"email": "a@example.com"})).await;
    assert_eq!(res.status, StatusCode::ACCEPTED, "other addresses are not affected");
    let res = from(&t, "/v1/auth/password/forgot", "203.0.113.10", json!({"email": "not-an-email"})).await;
    assert_eq!((res.status, res.field()), (StatusCode::UNPROCESSABLE_ENTITY, "email"));
}

#[tokio::test]
async fn registration_queues_the_verification_email_and_the_token_verifies() {
    let t = TestApp::spawn().await;
    let owner = register(&t, "vera@example.com", "Vera").await;
    let access = owner["access_token"].as_str().unwrap();
    let messages = outbox(&t, "auth.email_verify").await;
    assert_eq!(messages.len(), 1);
    let (key, payload) = &messages[0];
    assert_eq!(keys(payload), ["email", "name", "token"]);
    assert_eq!((&payload["email"], &payload["name"]), (&json!("vera@example.com"), &json!("Vera")));
    assert!(key.starts_with(&format!("user:{}:email_verify:", owner["user"]["id"].as_str().unwrap())));

    // Asking again sends a second email; either link works, once.
    let res = t.post("/v1/auth/email/resend", Some(access), json!({})).await;
    assert_eq!(res.status, StatusCode::ACCEPTED, "{}", res.body);
    assert_eq!(outbox(&t, "auth.email_verify").await.len(), 2);
    let token = emailed_token(&t, "auth.email_verify", "vera@example.com").await;

    let verified = || async {
        sqlx::query_scalar::<_, bool>(
            "SELECT email_verified_at IS NOT NULL FROM users WHERE email = 'vera@example.com'",
        )
        .fetch_one(&t.db.admin)
        .await
        .unwrap()
    };
    assert!(!verified().await);
    assert_eq!(t.get("/v1/auth/me", Some(access)).await.body["user"]["email_verified"], false);
    let res = t.post("/v1/auth/email/verify", None, json!({"token": token})).await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.body);
    assert!(verified().await);
    assert_eq!(t.get("/v1/auth/me", Some(access)).await.body["user"]["email_verified"], true);
    let res = t.post("/v1/auth/email/verify", None, json!({"token": token})).await;
    assert_eq!((res.status, res.code(), res.field()), (StatusCode::UNPROCESSABLE_ENTITY, "TOKEN_USED", "token"));
    // The first email's link is retired too.
    let first = payload["token"].as_str().unwrap();
    let res = t.post("/v1/auth/email/verify", None, json!({"token": first})).await;
    assert_eq!(res.code(), "TOKEN_USED");

    let res = t.post("/v1/auth/email/resend", Some(access), json!({})).await;
    assert_eq!((res.status, res.code()), (StatusCode::CONFLICT, "EMAIL_ALREADY_VERIFIED"));
    assert_eq!(t.post("/v1/auth/email/resend", None, json!({})).await.status, StatusCode::UNAUTHORIZED);
    let res = t.post("/v1/auth/email/verify", None, json!({})).await;
    assert_eq!((res.status, res.field()), (StatusCode::UNPROCESSABLE_ENTITY, "token"));
}

#[tokio::test]
async fn verification_resends_are_capped() {
    let t = TestApp::spawn().await;
    let owner = register(&t, "cap@example.com", "Cap").await;
    let access = owner["access_token"].as_str().unwrap();
    // Registration sent one; four more within the hour, then 429.
    for _ in 0..4 {
        assert_eq!(t.post("/v1/auth/email/resend", Some(access), json!({})).await.status, StatusCode::ACCEPTED);
    }
    let res = t.post("/v1/auth/email/resend", Some(access), json!({})).await;
    assert_eq!((res.status, res.code()), (StatusCode::TOO_MANY_REQUESTS, "TOO_MANY_ATTEMPTS"));
    assert!(res.headers.contains_key("retry-after"));
}

#[tokio::test]
async fn password_change_needs_the_current_password_and_ends_the_other_sessions() {
    let t = TestApp::spawn().await;
    let owner = register(&t, "carl@example.com", "Carl").await;
    let here = owner["access_token"].as_str().unwrap().to_owned();
    let elsewhere = login(&t, "/v1/auth/login", "carl@example.com", PASSWORD).await;
    let elsewhere = elsewhere.body["access_token"].as_str().unwrap().to_owned();

    let change = |current: &str, new: &str| json!({"current_password": current, "new_password": new});
    let res = t.post("/v1/auth/password/change", Some(&here), change("wrong-password-1", "new-password-123")).await;
    assert_eq!(
        (res.status, res.code(), res.field()),
        (StatusCode::UNPROCESSABLE_ENTITY, "INVALID_CURRENT_PASSWORD", "current_password")
    );
    let res = t.post("/v1/auth/password/change", Some(&here), change(PASSWORD, "short")).await;
    assert_eq!((res.status, res.field()), (StatusCode::UNPROCESSABLE_ENTITY, "new_password"));
    let res = t.post("/v1/auth/password/change", None, change(PASSWORD, "new-password-123")).await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);

    let res = t.post("/v1/auth/password/change", Some(&here), change(PASSWORD, "new-password-123")).await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.body);
    assert_eq!(t.get("/v1/auth/me", Some(&here)).await.status, StatusCode::OK, "this session stays");
    assert_eq!(t.get("/v1/auth/me", Some(&elsewhere)).await.code(), "SESSION_REVOKED");
    assert_eq!(login(&t, "/v1/auth/login", "carl@example.com", PASSWORD).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(login(&t, "/v1/auth/login", "carl@example.com", "new-password-123").await.status, StatusCode::OK);
}

#[tokio::test]
async fn wrong_current_passwords_count_towards_the_sign_in_throttle() {
    let t = TestApp::spawn().await;
    let owner = register(&t, "guess@example.com", "Gus").await;
    let access = owner["access_token"].as_str().unwrap();
    for _ in 0..10 {
        let body = json!({"current_password": "wrong-password-1", "new_password": "new-password-123"});
        assert_eq!(t.post("/v1/auth/password/change", Some(access), body).await.code(), "INVALID_CURRENT_PASSWORD");
    }
    let body = json!({"current_password": PASSWORD, "new_password": "new-password-123"});
    let res = t.post("/v1/auth/password/change", Some(access), body).await;
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS);
}

/// A staff member of `tenant` invited by email; returns (staff id, invitation token).
async fn invite(t: &TestApp, tenant: &Tenant, name: &str, email: &str) -> (String, String) {
    let res = t.post("/v1/staff", Some(&tenant.owner), json!({"name": name, "email": email, "invite": true})).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    (res.id(), emailed_token(t, "staff.invitation", email).await)
}

#[tokio::test]
async fn an_invited_staff_member_accepts_sets_a_password_and_signs_in_to_the_staff_app() {
    let t = TestApp::spawn().await;
    let a = t.tenant("Invite Studio").await;
    let (staff_id, token) = invite(&t, &a, "Nina", "nina@example.com").await;
    let messages = outbox(&t, "staff.invitation").await;
    let (key, payload) = &messages[0];
    assert_eq!(keys(payload), ["business_name", "email", "expires_at", "name", "token"]);
    assert_eq!(payload["business_name"], "Invite Studio");
    assert_eq!(payload["name"], "Nina");
    assert!(key.starts_with(&format!("staff:{staff_id}:invitation:")), "{key}");

    // No login before accepting.
    assert_eq!(login(&t, "/v1/auth/staff/login", "nina@example.com", PASSWORD).await.status, StatusCode::UNAUTHORIZED);
    let accept = |token: &str, password: &str| json!({"token": token, "password": password});
    let res = t.post("/v1/auth/staff/invitations/accept", None, accept(&token, "short")).await;
    assert_eq!((res.status, res.field()), (StatusCode::UNPROCESSABLE_ENTITY, "password"));
    let res = t.post("/v1/auth/staff/invitations/accept", None, accept(&token, PASSWORD)).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    assert_eq!(res.body["staff_id"], staff_id);
    assert_eq!(res.body["user"]["role"], "staff");
    let me = t.get("/v1/auth/me", res.body["access_token"].as_str()).await;
    assert_eq!(
        (me.body["user"]["email"].as_str(), me.body["user"]["role"].as_str()),
        (Some("nina@example.com"), Some("staff"))
    );
    let staff = t.get(&format!("/v1/staff/{staff_id}"), Some(&a.owner)).await;
    assert_eq!(staff.body["user_id"], res.body["user"]["id"]);

    let res = t.post("/v1/auth/staff/invitations/accept", None, accept(&token, PASSWORD)).await;
    assert_eq!((res.status, res.code(), res.field()), (StatusCode::UNPROCESSABLE_ENTITY, "TOKEN_USED", "token"));

    let res = login(&t, "/v1/auth/staff/login", "nina@example.com", PASSWORD).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.body["staff"]["id"], staff_id);
    assert_eq!(res.body["staff"]["name"], "Nina");
    let nina = res.body["access_token"].as_str().unwrap().to_owned();
    assert_eq!(t.get(&format!("/v1/staff/{staff_id}/schedule"), Some(&nina)).await.status, StatusCode::OK);

    // An owner is not a staff member unless a staff profile is theirs; one made with the
    // owner's address is linked to the owner's login at once.
    let owner_email: String = sqlx::query_scalar("SELECT email FROM users WHERE id = $1")
        .bind(a.owner_id)
        .fetch_one(&t.db.admin)
        .await
        .unwrap();
    let res = login(&t, "/v1/auth/staff/login", &owner_email, PASSWORD).await;
    assert_eq!((res.status, res.code()), (StatusCode::FORBIDDEN, "NOT_A_STAFF_MEMBER"));
    let me_too = t.post("/v1/staff", Some(&a.owner), json!({"name": "Boss", "email": owner_email})).await;
    assert_eq!(me_too.body["user_id"], a.owner_id.to_string(), "{}", me_too.body);
    let res = t.post(&format!("/v1/staff/{}/invitation", me_too.id()), Some(&a.owner), json!({})).await;
    assert_eq!((res.status, res.code()), (StatusCode::CONFLICT, "ALREADY_HAS_ACCOUNT"));
    let res = login(&t, "/v1/auth/staff/login", &owner_email, PASSWORD).await;
    assert_eq!((res.status, &res.body["staff"]["id"]), (StatusCode::OK, &me_too.body["id"]));

    // Removing the staff member removes the login and ends its sessions.
    assert_eq!(t.delete(&format!("/v1/staff/{staff_id}"), Some(&a.owner)).await.status, StatusCode::NO_CONTENT);
    assert_eq!(t.get("/v1/auth/me", Some(&nina)).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(login(&t, "/v1/auth/staff/login", "nina@example.com", PASSWORD).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn invitations_are_sent_again_by_owners_only_and_replace_the_old_link() {
    let t = TestApp::spawn().await;
    let a = t.tenant("Resend Studio").await;
    let b = t.tenant("Other Studio").await;
    let staff_member = t.member(&a, Role::Staff).await;
    let (staff_id, first) = invite(&t, &a, "Otto", "otto@example.com").await;

    let path = format!("/v1/staff/{staff_id}/invitation");
    assert_eq!(t.post(&path, Some(&staff_member), json!({})).await.status, StatusCode::FORBIDDEN);
    assert_eq!(t.post(&path, Some(&b.owner), json!({})).await.status, StatusCode::NOT_FOUND);
    let res = t.post(&path, Some(&a.owner), json!({})).await;
    assert_eq!(res.status, StatusCode::ACCEPTED, "{}", res.body);
    let second = emailed_token(&t, "staff.invitation", "otto@example.com").await;
    assert_ne!(first, second);

    let accept = |token: &str| json!({"token": token, "password": PASSWORD});
    let res = t.post("/v1/auth/staff/invitations/accept", None, accept(&first)).await;
    assert_eq!((res.status, res.field()), (StatusCode::UNPROCESSABLE_ENTITY, "token"));
    let res = t.post("/v1/auth/staff/invitations/accept", None, accept(&second)).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let res = t.post(&path, Some(&a.owner), json!({})).await;
    assert_eq!((res.status, res.code()), (StatusCode::CONFLICT, "ALREADY_HAS_ACCOUNT"));

    // An address that already signs in somewhere cannot be taken by an invitation.
    let taken: String = sqlx::query_scalar("SELECT email FROM users WHERE id = $1")
        .bind(b.owner_id)
        .fetch_one(&t.db.admin)
        .await
        .unwrap();
    let (_, token) = invite(&t, &a, "Twin", &taken).await;
    let res = t.post("/v1/auth/staff/invitations/accept", None, accept(&token)).await;
    assert_eq!((res.status, res.code()), (StatusCode::CONFLICT, "EMAIL_TAKEN"));
}

#[tokio::test]
async fn staff_passwords_are_set_by_owners_or_changed_by_the_person() {
    let t = TestApp::spawn().await;
    let a = t.tenant("Password Studio").await;
    let b = t.tenant("Elsewhere").await;
    let manager = t.member(&a, Role::Manager).await;
    let ida = t.post("/v1/staff", Some(&a.owner), json!({"name": "Ida", "email": "ida@example.com"})).await.id();
    let jon = t.post("/v1/staff", Some(&a.owner), json!({"name": "Jon", "email": "jon@example.com"})).await.id();
    let set = |password: &str| json!({"password": password});

    // Setting a password makes no login: only the person, accepting an invitation, does.
    let res = t.put(&format!("/v1/staff/{ida}/password"), Some(&a.owner), set("first-password-1")).await;
    assert_eq!((res.status, res.code()), (StatusCode::CONFLICT, "NO_LOGIN"), "{}", res.body);
    let invitation = |staff: String| {
        let t = &t;
        let owner = a.owner.clone();
        async move {
            let res = t.post(&format!("/v1/staff/{staff}/invitation"), Some(&owner), json!({})).await;
            assert_eq!(res.status, StatusCode::ACCEPTED, "{}", res.body);
            sqlx::query_scalar::<_, String>(
                "SELECT payload ->> 'token' FROM outbox WHERE kind = 'staff.invitation' ORDER BY created_at DESC LIMIT 1",
            )
            .fetch_one(&t.db.admin)
            .await
            .unwrap()
        }
    };
    // An invitation dies with the address it went to.
    let old = invitation(jon.clone()).await;
    let res = t.patch(&format!("/v1/staff/{jon}"), Some(&a.owner), json!({"email": "jon.new@example.com"})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let res =
        t.post("/v1/auth/staff/invitations/accept", None, json!({"token": old, "password": "jon-password-123"})).await;
    assert_eq!((res.status, res.field()), (StatusCode::UNPROCESSABLE_ENTITY, "token"), "{}", res.body);
    let token = invitation(ida.clone()).await;
    let res = t
        .post("/v1/auth/staff/invitations/accept", None, json!({"token": token, "password": "first-password-1"}))
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let res = login(&t, "/v1/auth/staff/login", "ida@example.com", "first-password-1").await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let ida_token = res.body["access_token"].as_str().unwrap().to_owned();
    let ida_other = login(&t, "/v1/auth/staff/login", "ida@example.com", "first-password-1").await;
    let ida_other = ida_other.body["access_token"].as_str().unwrap().to_owned();

    // Ida changes her own: the current password is required and right.
    let path = format!("/v1/staff/{ida}/password");
    let res = t.put(&path, Some(&ida_token), set("second-password-2")).await;
    assert_eq!((res.status, res.field()), (StatusCode::UNPROCESSABLE_ENTITY, "current_password"));
    let res = t
        .put(&path, Some(&ida_token), json!({"password": "second-password-2", "current_password": "wrong-password-1"}))
        .await;
    assert_eq!((res.status, res.code()), (StatusCode::UNPROCESSABLE_ENTITY, "INVALID_CURRENT_PASSWORD"));
    let res = t
        .put(&path, Some(&ida_token), json!({"password": "second-password-2", "current_password": "first-password-1"}))
        .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.body);
    assert_eq!(t.get("/v1/auth/me", Some(&ida_token)).await.status, StatusCode::OK);
    assert_eq!(t.get("/v1/auth/me", Some(&ida_other)).await.code(), "SESSION_REVOKED");

    // Nobody else's: not another staff member's, not another business's.
    let res = t.put(&format!("/v1/staff/{jon}/password"), Some(&ida_token), set("jon-password-123")).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    let res = t.put(&path, Some(&b.owner), set("stolen-password-1")).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);

    // A manager may reset a staff member's password, which ends that person's sessions.
    let res = t.put(&path, Some(&manager), set("reset-by-manager-1")).await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.body);
    assert_eq!(t.get("/v1/auth/me", Some(&ida_token)).await.code(), "SESSION_REVOKED");
    assert_eq!(login(&t, "/v1/auth/login", "ida@example.com", "reset-by-manager-1").await.status, StatusCode::OK);

    // Deactivated: signed out everywhere and refused at every door, until reactivated.
    let session = login(&t, "/v1/auth/login", "ida@example.com", "reset-by-manager-1").await;
    let session = session.body["access_token"].as_str().unwrap().to_owned();
    let res = t.patch(&format!("/v1/staff/{ida}"), Some(&a.owner), json!({"active": false})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(t.get("/v1/auth/me", Some(&session)).await.code(), "SESSION_REVOKED");
    for door in ["/v1/auth/login", "/v1/auth/staff/login"] {
        let res = login(&t, door, "ida@example.com", "reset-by-manager-1").await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{door}: {}", res.body);
    }
    assert_eq!(login(&t, "/v1/auth/login", "ida@example.com", "reset-by-manager-1").await.code(), "STAFF_DEACTIVATED");
    let res = t.patch(&format!("/v1/staff/{ida}"), Some(&a.owner), json!({"active": true})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(login(&t, "/v1/auth/login", "ida@example.com", "reset-by-manager-1").await.status, StatusCode::OK);

    // The owner also performs services; a manager cannot take over the owner's login.
    let owner_staff: Uuid = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO staff (id, business_id, name, email, user_id) SELECT $1, business_id, 'Owner', email, id FROM users WHERE id = $2",
    )
    .bind(owner_staff)
    .bind(a.owner_id)
    .execute(&t.db.admin)
    .await
    .unwrap();
    let res = t.put(&format!("/v1/staff/{owner_staff}/password"), Some(&manager), set("takeover-password")).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    let res = t.put(&format!("/v1/staff/{owner_staff}/password"), Some(&a.owner), set("takeover-password")).await;
    assert_eq!((res.status, res.field()), (StatusCode::UNPROCESSABLE_ENTITY, "current_password"), "self needs it");
}

#[tokio::test]
async fn one_time_tokens_stay_in_their_tenant_and_the_lookup_tells_only_the_business() {
    let t = TestApp::spawn().await;
    let a = t.tenant("Token A").await;
    let b = t.tenant("Token B").await;
    let (_, token) = invite(&t, &a, "Pia", "pia@example.com").await;
    let hash = sha2::Sha256::digest(token.as_bytes()).to_vec();

    // Business B's transaction sees only B's tokens (its verification email), none of A's.
    let mut tx = t.app.db.tenant_tx(b.business_id).await.unwrap();
    let owners: Vec<Uuid> =
        sqlx::query_scalar("SELECT business_id FROM auth_tokens").fetch_all(&mut *tx).await.unwrap();
    assert_eq!(owners, vec![b.business_id]);
    let found: Option<Uuid> = sqlx::query_scalar("SELECT staff_id FROM auth_tokens WHERE token_hash = $1")
        .bind(&hash)
        .fetch_optional(&mut *tx)
        .await
        .unwrap();
    assert_eq!(found, None);
    drop(tx);
    // Without a tenant, nothing; through the lookup, the business and nothing else.
    let mut conn = t.app.db.acquire().await.unwrap();
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM auth_tokens").fetch_one(&mut *conn).await.unwrap();
    assert_eq!(n, 0);
    let business: Option<Uuid> =
        sqlx::query_scalar("SELECT auth_token_business($1)").bind(&hash).fetch_one(&mut *conn).await.unwrap();
    assert_eq!(business, Some(a.business_id));
}
