//! Google and Apple sign-in against a local JWKS server: a real HTTP server publishing the
//! public half of an RSA key made for these tests (tests/fixtures/), whose private half
//! signs the ID tokens.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use e2e::{PASSWORD, TestApp};
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use sha2::Digest;
use tokio::sync::Mutex;

const GOOGLE_CLIENT: &str = "kairos-web.apps.googleusercontent.com";
const APPLE_CLIENT: &str = "app.kairos.signin";
const KID: &str = "provider-key-1";

/// A PKCS#1 PEM key from tests/fixtures (decoded here: the workspace's jsonwebtoken is
/// built without PEM support, which the platform does not need).
fn key(file: &str) -> EncodingKey {
    use base64::Engine;
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(file);
    let pem = std::fs::read_to_string(path).unwrap();
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    EncodingKey::from_rsa_der(&base64::engine::general_purpose::STANDARD.decode(body).unwrap())
}

fn jwk(file: &str, kid: &str) -> Jwk {
    let mut jwk = Jwk::from_encoding_key(&key(file), Algorithm::RS256).unwrap();
    jwk.common.key_id = Some(kid.into());
    jwk
}

/// A JWKS endpoint that counts its fetches; the set it serves can be swapped.
#[derive(Clone)]
struct Jwks {
    url: String,
    set: Arc<Mutex<JwkSet>>,
    fetches: Arc<AtomicUsize>,
}

impl Jwks {
    async fn serve(set: JwkSet) -> Jwks {
        let set = Arc::new(Mutex::new(set));
        let fetches = Arc::new(AtomicUsize::new(0));
        let (s, f) = (set.clone(), fetches.clone());
        let app = Router::new().route(
            "/keys",
            get(move || {
                let (s, f) = (s.clone(), f.clone());
                async move {
                    f.fetch_add(1, Ordering::SeqCst);
                    axum::Json(serde_json::to_value(&*s.lock().await).unwrap())
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Jwks { url: format!("http://{addr}/keys"), set, fetches }
    }

    fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }
}

/// The fleet configured for both providers, each with its own JWKS server.
async fn fleet() -> (TestApp, Jwks, Jwks) {
    let google = Jwks::serve(JwkSet { keys: vec![jwk("oidc-provider-key.pem", KID)] }).await;
    let apple = Jwks::serve(JwkSet { keys: vec![jwk("oidc-provider-key.pem", KID)] }).await;
    let (g, a) = (google.url.clone(), apple.url.clone());
    let t = TestApp::spawn_with(move |c| {
        c.google_client_ids = vec!["kairos-ios.apps.googleusercontent.com".into(), GOOGLE_CLIENT.into()];
        c.google_jwks_url = g;
        c.apple_client_ids = vec![APPLE_CLIENT.into()];
        c.apple_jwks_url = a;
    })
    .await;
    (t, google, apple)
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Claims of a good Google ID token for `sub`/`email`, nonce "n-1".
fn google_claims(sub: &str, email: &str) -> Value {
    json!({"iss": "https://accounts.google.com", "aud": GOOGLE_CLIENT, "sub": sub, "email": email,
           "email_verified": true, "nonce": "n-1", "iat": now(), "exp": now() + 600})
}

fn sign(claims: &Value, key_file: &str, kid: &str) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(kid.into());
    jsonwebtoken::encode(&header, claims, &key(key_file)).unwrap()
}

fn good(claims: &Value) -> String {
    sign(claims, "oidc-provider-key.pem", KID)
}

async fn register(t: &TestApp, email: &str) -> Value {
    let res = t
        .post(
            "/v1/auth/register",
            None,
            json!({"business_name": "Social", "email": email, "password": PASSWORD, "time_zone": "UTC"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    res.body
}

#[tokio::test]
async fn google_signs_in_the_linked_account_or_the_one_with_the_verified_email() {
    let (t, google, _) = fleet().await;
    let owner = register(&t, "gina@example.com").await;
    // The account's address is verified (the verification email was followed).
    sqlx::query("UPDATE users SET email_verified_at = now()").execute(&t.db.admin).await.unwrap();

    let token = good(&google_claims("g-1001", "Gina@Example.com"));
    let res = t.post("/v1/auth/google", None, json!({"id_token": token, "nonce": "n-1"})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    // The same ID token again (copied from the device, say) does not sign in twice.
    let replay = t.post("/v1/auth/google", None, json!({"id_token": token, "nonce": "n-1"})).await;
    assert_eq!((replay.status, replay.code()), (StatusCode::UNAUTHORIZED, "INVALID_ID_TOKEN"));
    let access = res.body["access_token"].as_str().unwrap();
    let me = t.get("/v1/auth/me", Some(access)).await;
    assert_eq!(me.body["user"]["id"], owner["user"]["id"]);
    assert_eq!(me.body["user"]["role"], "owner");
    let linked: (String, String) =
        sqlx::query_as("SELECT provider, subject FROM user_identities").fetch_one(&t.db.admin).await.unwrap();
    assert_eq!(linked, ("google".into(), "g-1001".into()));
    // The password still works: this address was proven before.
    let login = t.post("/v1/auth/login", None, json!({"email": "gina@example.com", "password": PASSWORD})).await;
    assert_eq!(login.status, StatusCode::OK);

    // Later the Google account's address changes: the link (by subject) still signs in.
    let mut claims = google_claims("g-1001", "gina.new@example.com");
    claims["iss"] = json!("accounts.google.com");
    let res = t.post("/v1/auth/google", None, json!({"id_token": good(&claims), "nonce": "n-1"})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    // Keys are cached: one fetch for both sign-ins.
    assert_eq!(google.fetches(), 1);
}

#[tokio::test]
async fn an_unknown_person_is_told_to_register_and_unverified_emails_do_not_link() {
    let (t, _, _) = fleet().await;
    let res = t
        .post(
            "/v1/auth/google",
            None,
            json!({"id_token": good(&google_claims("g-2", "new@example.com")), "nonce": "n-1"}),
        )
        .await;
    assert_eq!((res.status, res.code()), (StatusCode::NOT_FOUND, "ACCOUNT_NOT_FOUND"), "{}", res.body);

    register(&t, "unproven@example.com").await;
    let mut claims = google_claims("g-3", "unproven@example.com");
    claims["email_verified"] = json!(false);
    let res = t.post("/v1/auth/google", None, json!({"id_token": good(&claims), "nonce": "n-1"})).await;
    assert_eq!((res.status, res.code()), (StatusCode::NOT_FOUND, "ACCOUNT_NOT_FOUND"));
    let links: i64 = sqlx::query_scalar("SELECT count(*) FROM user_identities").fetch_one(&t.db.admin).await.unwrap();
    assert_eq!(links, 0);
}

#[tokio::test]
async fn google_refuses_bad_tokens_with_401() {
    let (t, google, _) = fleet().await;
    register(&t, "rita@example.com").await;
    let base = google_claims("g-9", "rita@example.com");
    let with = |field: &str, value: Value| {
        let mut c = base.clone();
        c[field] = value;
        c
    };
    let hs256 = jsonwebtoken::encode(
        &Header { kid: Some(KID.into()), ..Header::new(Algorithm::HS256) },
        &base,
        &EncodingKey::from_secret(b"0123456789abcdef0123456789abcdef"),
    )
    .unwrap();
    let cases: Vec<(&str, String, &str)> = vec![
        ("wrong audience", good(&with("aud", json!("someone-else.apps.googleusercontent.com"))), "n-1"),
        ("wrong issuer", good(&with("iss", json!("https://appleid.apple.com"))), "n-1"),
        ("expired", good(&with("exp", json!(now() - 3600))), "n-1"),
        ("bad signature", sign(&base, "oidc-forger-key.pem", KID), "n-1"),
        ("unknown key", sign(&base, "oidc-forger-key.pem", "forged-kid"), "n-1"),
        ("wrong nonce", good(&base), "n-2"),
        ("no nonce in the token", good(&with("nonce", Value::Null)), "n-1"),
        ("empty nonce", good(&with("nonce", json!(""))), ""),
        ("HS256 with the key id", hs256, "n-1"),
        ("not a token", "abc.def.ghi".into(), "n-1"),
    ];
    for (case, token, nonce) in cases {
        let res = t.post("/v1/auth/google", None, json!({"id_token": token, "nonce": nonce})).await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED, "{case}: {}", res.body);
        assert_eq!(res.code(), "INVALID_ID_TOKEN", "{case}");
    }
    // The unknown key id made no second fetch: at most one a minute.
    assert_eq!(google.fetches(), 1);
    // And the good token still works.
    let res = t.post("/v1/auth/google", None, json!({"id_token": good(&base), "nonce": "n-1"})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let res = t.post("/v1/auth/google", None, json!({"id_token": good(&base)})).await;
    assert_eq!((res.status, res.field()), (StatusCode::UNPROCESSABLE_ENTITY, "nonce"));
}

#[tokio::test]
async fn apple_checks_its_own_issuer_and_audience_and_accepts_a_hashed_nonce() {
    let (t, _, apple) = fleet().await;
    let owner = register(&t, "adam@example.com").await;
    sqlx::query("UPDATE users SET email_verified_at = now()").execute(&t.db.admin).await.unwrap();
    let hashed: String = sha2::Sha256::digest(b"raw-nonce").iter().map(|b| format!("{b:02x}")).collect();
    let claims = json!({"iss": "https://appleid.apple.com", "aud": APPLE_CLIENT, "sub": "001234.abcd",
        "email": "adam@example.com", "email_verified": "true", "nonce": hashed, "iat": now(), "exp": now() + 600});
    let res = t.post("/v1/auth/apple", None, json!({"id_token": good(&claims), "nonce": "raw-nonce"})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let me = t.get("/v1/auth/me", res.body["access_token"].as_str()).await;
    assert_eq!(me.body["user"]["id"], owner["user"]["id"]);
    assert_eq!(apple.fetches(), 1);

    // A Google token is not an Apple token, nor the other way round.
    let google_token = good(&google_claims("g-1", "adam@example.com"));
    let res = t.post("/v1/auth/apple", None, json!({"id_token": google_token, "nonce": "n-1"})).await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    let res = t.post("/v1/auth/google", None, json!({"id_token": good(&claims), "nonce": "raw-nonce"})).await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn claiming_an_unverified_address_drops_the_password_and_sessions_set_by_whoever_registered_it() {
    let (t, _, _) = fleet().await;
    // Someone registered with this address but never proved it was theirs.
    let squatter = register(&t, "victim@example.com").await;
    let squatter_access = squatter["access_token"].as_str().unwrap();

    let res = t
        .post(
            "/v1/auth/google",
            None,
            json!({"id_token": good(&google_claims("g-42", "victim@example.com")), "nonce": "n-1"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let me = t.get("/v1/auth/me", Some(squatter_access)).await;
    assert_eq!((me.status, me.code()), (StatusCode::UNAUTHORIZED, "SESSION_REVOKED"));
    let login = t.post("/v1/auth/login", None, json!({"email": "victim@example.com", "password": PASSWORD})).await;
    assert_eq!(login.status, StatusCode::UNAUTHORIZED);
    let verified: bool =
        sqlx::query_scalar("SELECT email_verified_at IS NOT NULL FROM users").fetch_one(&t.db.admin).await.unwrap();
    assert!(verified);
}

#[tokio::test]
async fn a_suspended_business_cannot_sign_in_with_google_and_an_unconfigured_provider_says_so() {
    let (t, _, _) = fleet().await;
    let owner = register(&t, "sus@example.com").await;
    sqlx::query("UPDATE users SET email_verified_at = now()").execute(&t.db.admin).await.unwrap();
    sqlx::query("UPDATE businesses SET status = 'suspended' WHERE id = $1::uuid")
        .bind(owner["business"]["id"].as_str().unwrap())
        .execute(&t.db.admin)
        .await
        .unwrap();
    let token = good(&google_claims("g-7", "sus@example.com"));
    let res = t.post("/v1/auth/google", None, json!({"id_token": token, "nonce": "n-1"})).await;
    assert_eq!((res.status, res.code()), (StatusCode::FORBIDDEN, "BUSINESS_SUSPENDED"));

    let bare = TestApp::spawn_with(|c| c.google_client_ids.clear()).await;
    let res = bare.post("/v1/auth/google", None, json!({"id_token": token, "nonce": "n-1"})).await;
    assert_eq!((res.status, res.code()), (StatusCode::SERVICE_UNAVAILABLE, "PROVIDER_NOT_CONFIGURED"));
}

#[tokio::test]
async fn keys_are_fetched_again_for_an_unknown_key_id_but_not_more_than_allowed() {
    let jwks = Jwks::serve(JwkSet { keys: vec![jwk("oidc-provider-key.pem", "k1")] }).await;
    // A cache that may refetch at once, and one that may not for a minute.
    let eager = auth::oidc::KeyCache::new(Duration::ZERO, Duration::from_secs(3600));
    let patient = auth::oidc::KeyCache::new(Duration::from_secs(60), Duration::from_secs(3600));
    assert!(eager.find(&jwks.url, "k1").await.unwrap().is_some());
    assert!(patient.find(&jwks.url, "k1").await.unwrap().is_some());
    assert_eq!(jwks.fetches(), 2);
    assert!(eager.find(&jwks.url, "k1").await.unwrap().is_some(), "cached");
    assert_eq!(jwks.fetches(), 2);

    // The provider rotates: k2 appears.
    jwks.set.lock().await.keys.push(jwk("oidc-forger-key.pem", "k2"));
    assert!(eager.find(&jwks.url, "k2").await.unwrap().is_some());
    assert_eq!(jwks.fetches(), 3);
    assert!(patient.find(&jwks.url, "k2").await.unwrap().is_none(), "fetched less than a minute ago");
    assert_eq!(jwks.fetches(), 3);
}
