//! Test support: a fresh database per test (copied from a migrated template), the local
//! fleet's router in process, and helpers to register businesses and call routes.
//!
//! Needs PostgreSQL (`KAIROS_PG_HOST`/`KAIROS_PG_PORT`, default 127.0.0.1:5432, trust
//! auth for `postgres`, `kairos_app` and `kairos_jobs`), PostgreSQL's server binaries (the
//! rotation test starts a password-checking cluster of its own) and moto
//! (`AWS_ENDPOINT_URL`); `scripts/test` provides them.

use std::sync::OnceLock;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use base64::Engine;
use serde_json::{Value, json};
use shared::App;
use shared::auth::{Auth, Role};
use shared::config::Config;
use shared::db::{Db, MIGRATOR};
use sqlx::postgres::PgPoolOptions;
use sqlx::{Executor, PgPool};
use tokio::sync::OnceCell;
use tower::ServiceExt;
use uuid::Uuid;

pub const PASSWORD: &str = "test-password-123";

pub fn pg_url(user: &str, database: &str) -> String {
    let host = std::env::var("KAIROS_PG_HOST").unwrap_or_else(|_| "127.0.0.1".into());
    let port = std::env::var("KAIROS_PG_PORT").unwrap_or_else(|_| "5432".into());
    format!("postgres://{user}@{host}:{port}/{database}")
}

/// The template database for this set of migrations, created once (across processes too).
async fn template() -> &'static str {
    static TEMPLATE: OnceCell<String> = OnceCell::const_new();
    TEMPLATE
        .get_or_init(|| async {
            let mut checksum = sha2::Sha256::default();
            for m in MIGRATOR.iter() {
                sha2::Digest::update(&mut checksum, &m.checksum);
            }
            let hash = sha2::Digest::finalize(checksum);
            let name = format!("kairos_tpl_{}", &hex(&hash)[..16]);
            let admin = connect_admin("postgres").await;
            // Serialize template creation between test processes.
            let mut conn = admin.acquire().await.expect("admin connection");
            conn.execute("SELECT pg_advisory_lock(727274)").await.expect("advisory lock");
            let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
                .bind(&name)
                .fetch_one(&mut *conn)
                .await
                .expect("pg_database");
            if !exists {
                shared::db::migrate(&pg_url("postgres", &name)).await.expect("migrate template");
            }
            conn.execute("SELECT pg_advisory_unlock(727274)").await.expect("advisory unlock");
            name
        })
        .await
}

async fn connect_admin(database: &str) -> PgPool {
    PgPoolOptions::new().max_connections(2).connect(&pg_url("postgres", database)).await.unwrap_or_else(|e| {
        panic!("PostgreSQL at {} not reachable ({e}); run scripts/test", pg_url("postgres", database))
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A fresh database copied from `template` (the migrated schema), dropped on drop.
pub struct TestDb {
    pub name: String,
    /// Superuser connection: bypasses RLS, for arranging and inspecting.
    pub admin: PgPool,
}

impl TestDb {
    pub async fn new() -> TestDb {
        let template = template().await;
        let name = format!("kairos_test_{}", Uuid::new_v4().simple());
        let server = connect_admin("postgres").await;
        sqlx::query(&format!("CREATE DATABASE {name} TEMPLATE {template}"))
            .execute(&server)
            .await
            .expect("create test database");
        server.close().await;
        let admin = connect_admin(&name).await;
        TestDb { name, admin }
    }

    /// The URL the functions use: the unprivileged application role.
    pub fn app_url(&self) -> String {
        pg_url("kairos_app", &self.name)
    }

    /// The URL the cross-tenant workers use (relay, sweeps, housekeeping).
    pub fn jobs_url(&self) -> String {
        pg_url("kairos_jobs", &self.name)
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let name = self.name.clone();
        // Drop runs outside async; a short-lived thread with its own runtime removes the
        // database so test runs do not pile them up.
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
            rt.block_on(async {
                if let Ok(pool) = PgPoolOptions::new().max_connections(1).connect(&pg_url("postgres", "postgres")).await
                {
                    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&pool).await;
                }
            });
        })
        .join();
    }
}

/// Create the secret in moto unless it exists (`value` is made only then): keys made once
/// stay the keys every test process reads.
async fn create_secret_once(id: &str, value: impl FnOnce() -> Value) {
    let secrets = aws_sdk_secretsmanager::Client::new(shared::aws::sdk_config().await);
    if secrets.describe_secret().secret_id(id).send().await.is_err() {
        // Another test process may have created it meanwhile; either way it exists after.
        let _ = secrets.create_secret().name(id).secret_string(value().to_string()).send().await;
    }
}

/// A key set as the JWT signer and shared::seal read it: one random 32-byte key.
fn new_keys() -> Value {
    let mut key = [0u8; 32];
    rand::fill(&mut key);
    json!({"keys": [{"kid": "test-1", "secret": base64::engine::general_purpose::STANDARD.encode(key)}]})
}

/// The JWT signing secret in moto, created if missing. Returns its id.
pub async fn ensure_signing_secret() -> String {
    static DONE: OnceCell<String> = OnceCell::const_new();
    DONE.get_or_init(|| async {
        let id = std::env::var("JWT_SECRET_ID").unwrap_or_else(|_| "kairos/jwt-signing-keys".into());
        if std::env::var("AWS_ENDPOINT_URL").is_err() {
            panic!("AWS_ENDPOINT_URL is not set: the tests read secrets from moto; run scripts/test");
        }
        create_secret_once(&id, new_keys).await;
        id
    })
    .await
    .clone()
}

/// The local fleet over a fresh database.
pub struct TestApp {
    pub db: TestDb,
    pub app: App,
    pub router: Router,
    /// This test's WhatsApp Cloud API stand-in.
    pub whatsapp: local::whatsapp_fake::Fake,
    /// This test's Stripe (stateful; its webhooks reach the fleet after [`TestApp::stripe_webhooks`]).
    pub stripe: stripe_fake::Fake,
    /// This test's Google (OAuth and Calendar; its push notifications reach the fleet,
    /// which every test app serves on a port of its own, `config.api_url`).
    pub google: google_fake::Fake,
}

/// The signing secret of the fleet's Stripe webhook endpoint in the tests.
pub const STRIPE_WEBHOOK_SECRET: &str = "whsec_kairos_test_current";
/// The secret before the current one, still accepted while it is rolled.
pub const STRIPE_WEBHOOK_SECRET_OLD: &str = "whsec_kairos_test_previous";

#[derive(Debug)]
pub struct Res {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Res {
    /// The problem's `code`, for error responses.
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or_default()
    }
    pub fn field(&self) -> &str {
        self.body["field"].as_str().unwrap_or_default()
    }
    pub fn id(&self) -> String {
        self.body["id"].as_str().unwrap_or_else(|| panic!("no id in {}", self.body)).to_owned()
    }
}

/// A registered business with its owner signed in.
#[derive(Debug, Clone)]
pub struct Tenant {
    pub business_id: Uuid,
    pub slug: String,
    pub owner_id: Uuid,
    pub owner: String,
}

pub fn init_logs() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| shared::telemetry::init_local_with("warn,sqlx=error"));
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        TestApp::build(None, |_| {}).await
    }

    /// The fleet with its clock stopped at `now`.
    pub async fn spawn_at(now: &str) -> TestApp {
        TestApp::build(Some(now.parse().expect("an RFC 3339 instant")), |_| {}).await
    }

    /// The fleet with its clock stopped at `now` and some configuration of the test's own.
    pub async fn spawn_at_with(now: &str, configure: impl FnOnce(&mut Config)) -> TestApp {
        TestApp::build(Some(now.parse().expect("an RFC 3339 instant")), configure).await
    }

    /// The fleet with some configuration of the test's own (provider addresses, client ids).
    pub async fn spawn_with(configure: impl FnOnce(&mut Config)) -> TestApp {
        TestApp::build(None, configure).await
    }

    async fn build(now: Option<chrono::DateTime<chrono::Utc>>, configure: impl FnOnce(&mut Config)) -> TestApp {
        init_logs();
        shared::tls::ensure_provider();
        let jwt_secret_id = ensure_signing_secret().await;
        let db = TestDb::new().await;
        let mut config = Config::from_env();
        config.database_url = Some(db.app_url());
        config.database_max_connections = 20;
        config.jwt_secret_id = jwt_secret_id;
        config.cors_allowed_origin = Some("https://app.kairos.test".into());
        // Queues of this test's own, so tests running at once never read each other's messages.
        config.queue_prefix = format!("t{}-", &Uuid::new_v4().simple().to_string()[..12]);
        create_queues(&config.queue_prefix).await;
        local::wire(&mut config);
        ensure_provider_accounts().await;
        let whatsapp = local::whatsapp_fake::Fake::default();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        config.whatsapp_api_base = format!("http://{}", listener.local_addr().expect("addr"));
        let fake = whatsapp.router();
        tokio::spawn(async move { axum::serve(listener, fake).await });
        let stripe = stripe_fake::Fake::start().await;
        config.stripe_api_base = stripe.base_url();
        config.stripe_secret_id = ensure_stripe_secret(stripe.api_key()).await;
        // The plans' prices in this Stripe account (an environment sets its own once).
        sqlx::query("UPDATE plans SET stripe_price_id = 'price_kairos_' || id || '_monthly' WHERE id <> 'free'")
            .execute(&db.admin)
            .await
            .expect("set the plans' Stripe prices");
        let google = google_fake::Fake::start().await;
        config.google_oauth_auth_url = google.auth_url();
        config.google_oauth_token_url = google.token_url();
        config.google_oauth_revoke_url = google.revoke_url();
        config.google_calendar_api_base = google.api_base();
        config.google_calendar_secret_id = ensure_google_secrets().await;
        config.calendar_keys_secret_id = CALENDAR_KEYS_SECRET_ID.into();
        let fleet_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        config.api_url = format!("http://{}", fleet_listener.local_addr().expect("addr"));
        configure(&mut config);
        let pool = PgPoolOptions::new()
            .max_connections(config.database_max_connections)
            .connect_lazy(&db.app_url())
            .expect("app pool");
        let jobs_pool = PgPoolOptions::new().max_connections(4).connect_lazy(&db.jobs_url()).expect("jobs pool");
        let mut app = App::new(config, Db::from_pool(pool)).with_jobs_db(Some(Db::from_pool(jobs_pool)));
        if let Some(now) = now {
            app = app.with_now(now);
        }
        let router = local::router(app.clone());
        let served = router.clone();
        tokio::spawn(async move { axum::serve(fleet_listener, served).await });
        TestApp { db, app, router, whatsapp, stripe, google }
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Res {
        let mut req = Request::builder().method(method).uri(path);
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let body = match body {
            Some(b) => {
                req = req.header("content-type", "application/json");
                Body::from(b.to_string())
            }
            None => Body::empty(),
        };
        let res = self.router.clone().oneshot(req.body(body).expect("request")).await.expect("infallible");
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = axum::body::to_bytes(res.into_body(), 10 << 20).await.expect("body");
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()))
        };
        Res { status, headers, body }
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Res {
        self.call(Method::GET, path, token, None, &[]).await
    }
    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Res {
        self.call(Method::POST, path, token, Some(body), &[]).await
    }
    pub async fn patch(&self, path: &str, token: Option<&str>, body: Value) -> Res {
        self.call(Method::PATCH, path, token, Some(body), &[]).await
    }
    pub async fn put(&self, path: &str, token: Option<&str>, body: Value) -> Res {
        self.call(Method::PUT, path, token, Some(body), &[]).await
    }
    pub async fn delete(&self, path: &str, token: Option<&str>) -> Res {
        self.call(Method::DELETE, path, token, None, &[]).await
    }

    /// Register a business through the API, on the Pro plan (so that tests of other things
    /// never meet a plan limit; billing's own tests start from [`TestApp::unbilled_tenant`]).
    pub async fn tenant(&self, name: &str) -> Tenant {
        let tenant = self.unbilled_tenant(name).await;
        self.on_plan(&tenant, "pro").await;
        tenant
    }

    /// Put the business on a plan, paid up, as if a sync had read it from Stripe.
    pub async fn on_plan(&self, tenant: &Tenant, plan: &str) {
        sqlx::query(
            "INSERT INTO billing_accounts (business_id, stripe_customer_id, subscription_id, plan_id, status, synced_at)
             VALUES ($1, 'cus_fixture_' || $1, 'sub_fixture_' || $1, $2, 'active', $3)
             ON CONFLICT (business_id) DO UPDATE SET plan_id = $2, status = 'active', synced_at = $3",
        )
        .bind(tenant.business_id)
        .bind(plan)
        .bind(self.app.now())
        .execute(&self.db.admin)
        .await
        .expect("put the business on a plan");
    }

    /// Have the Stripe fake deliver its webhooks to this fleet (served on a port).
    pub async fn stripe_webhooks(&self) -> String {
        let base = self.serve().await;
        self.stripe.add_endpoint(&format!("{base}/v1/webhooks/stripe"), STRIPE_WEBHOOK_SECRET);
        base
    }

    /// Register a business through the API, with no billing account: the Free plan.
    pub async fn unbilled_tenant(&self, name: &str) -> Tenant {
        let email = format!("owner-{}@example.com", Uuid::new_v4().simple());
        let res = self
            .post(
                "/v1/auth/register",
                None,
                json!({"business_name": name, "email": email, "password": PASSWORD, "time_zone": "Europe/Berlin"}),
            )
            .await;
        assert_eq!(res.status, StatusCode::CREATED, "register: {}", res.body);
        Tenant {
            business_id: res.body["business"]["id"].as_str().and_then(|s| s.parse().ok()).expect("business id"),
            slug: res.body["business"]["slug"].as_str().expect("slug").to_owned(),
            owner_id: res.body["user"]["id"].as_str().and_then(|s| s.parse().ok()).expect("user id"),
            owner: res.body["access_token"].as_str().expect("token").to_owned(),
        }
    }

    /// A signed-in user with `role` in the tenant's business (inserted directly, then
    /// logged in through the API).
    pub async fn member(&self, tenant: &Tenant, role: Role) -> String {
        let email = format!("{}-{}@example.com", role.as_str(), Uuid::new_v4().simple());
        let hash = shared::auth::password::hash(PASSWORD).await.expect("hash");
        sqlx::query("INSERT INTO users (id, business_id, email, password_hash, role) VALUES ($1, $2, $3, $4, $5)")
            .bind(Uuid::now_v7())
            .bind(tenant.business_id)
            .bind(&email)
            .bind(hash)
            .bind(role.as_str())
            .execute(&self.db.admin)
            .await
            .expect("insert member");
        let res = self.post("/v1/auth/login", None, json!({"email": email, "password": PASSWORD})).await;
        assert_eq!(res.status, StatusCode::OK, "login: {}", res.body);
        res.body["access_token"].as_str().expect("token").to_owned()
    }

    /// A token for an identity, signed with the real keys (for tokens the API would not
    /// hand out, such as for a user that does not exist).
    pub async fn token_for(&self, auth: &Auth) -> String {
        let keys = self.app.signing_keys().await.expect("keys");
        keys.issue(auth, std::time::Duration::from_secs(300), self.app.now()).expect("token")
    }
}

/// A business ready to book: staff with weekly hours and a service they all perform.
#[derive(Debug, Clone)]
pub struct Salon {
    pub tenant: Tenant,
    pub staff: Vec<String>,
    pub service: String,
}

impl TestApp {
    /// A business in `time_zone` with `staff` people working `hours` (e.g. `[(1, "09:00",
    /// "17:00")]`, ISO weekdays) and one service of `duration` minutes with buffers.
    pub async fn salon(&self, time_zone: &str, staff: usize, hours: &[(u8, &str, &str)], service: Value) -> Salon {
        let tenant = self.tenant("Salon").await;
        let t = Some(tenant.owner.as_str());
        let res = self
            .patch(
                "/v1/business/settings",
                t,
                json!({"time_zone": time_zone, "max_advance_days": 730, "min_notice_minutes": 0}),
            )
            .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        let weekly: Vec<Value> = hours.iter().map(|(d, s, e)| json!({"weekday": d, "start": s, "end": e})).collect();
        let mut ids = Vec::new();
        for i in 0..staff {
            let id = self
                .post("/v1/staff", t, json!({"name": format!("Staff {i}"), "email": format!("s{i}@example.com")}))
                .await
                .id();
            let res = self.put(&format!("/v1/staff/{id}/availability"), t, json!({ "weekly": weekly })).await;
            assert_eq!(res.status, StatusCode::OK, "{}", res.body);
            ids.push(id);
        }
        let mut body = service;
        body["staff_ids"] = json!(ids);
        let res = self.post("/v1/services", t, body).await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
        Salon { tenant, staff: ids, service: res.id() }
    }

    /// Slot starts offered for the salon's service on local dates `from..=to`.
    pub async fn slots(&self, salon: &Salon, from: &str, to: &str, staff: Option<&str>) -> Vec<(String, Vec<String>)> {
        let mut path = format!(
            "/v1/public/businesses/{}/slots?service_id={}&from={from}&to={to}",
            salon.tenant.slug, salon.service
        );
        if let Some(s) = staff {
            path.push_str(&format!("&staff_id={s}"));
        }
        let res = self.get(&path, None).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        res.body["slots"]
            .as_array()
            .expect("slots")
            .iter()
            .map(|s| {
                let staff = s["staff_ids"]
                    .as_array()
                    .expect("staff_ids")
                    .iter()
                    .map(|v| v.as_str().unwrap_or_default().to_owned())
                    .collect();
                (s["start"].as_str().unwrap_or_default().to_owned(), staff)
            })
            .collect()
    }

    /// Book online as a customer.
    pub async fn book(&self, salon: &Salon, start: &str, staff: Option<&str>, email: &str) -> Res {
        let mut body =
            json!({"service_id": salon.service, "start": start, "customer": {"name": "Casey", "email": email}});
        if let Some(s) = staff {
            body["staff_id"] = json!(s);
        }
        self.post(&format!("/v1/public/businesses/{}/appointments", salon.tenant.slug), None, body).await
    }
}

impl TestApp {
    /// Serve the fleet on a free local port (for tests that want real HTTP); returns
    /// its base URL. The server lives as long as the test's runtime.
    pub async fn serve(&self) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let router = self.router.clone();
        tokio::spawn(async move { axum::serve(listener, router).await });
        format!("http://{addr}")
    }
}

/// The Stripe secret the tests' fleet reads (API key of the fake, the webhook signing
/// secrets, the current first). Returns its id.
pub async fn ensure_stripe_secret(api_key: &str) -> String {
    static DONE: OnceCell<String> = OnceCell::const_new();
    let api_key = api_key.to_owned();
    DONE.get_or_init(|| async move {
        let id = "kairos/test-stripe".to_owned();
        let secrets = aws_sdk_secretsmanager::Client::new(shared::aws::sdk_config().await);
        let value = json!({"api_key": api_key, "webhook_secrets": [STRIPE_WEBHOOK_SECRET, STRIPE_WEBHOOK_SECRET_OLD]});
        if secrets.describe_secret().secret_id(&id).send().await.is_err() {
            // Another test process may create it meanwhile; then it is put below.
            let created = secrets.create_secret().name(&id).secret_string(value.to_string()).send().await;
            if created.is_ok() {
                return id;
            }
        }
        secrets
            .put_secret_value()
            .secret_id(&id)
            .secret_string(value.to_string())
            .send()
            .await
            .expect("the Stripe secret");
        id
    })
    .await
    .clone()
}

/// The master keys that seal calendar refresh tokens in the tests.
pub const CALENDAR_KEYS_SECRET_ID: &str = "kairos/test-calendar-token-keys";

/// The Google Calendar OAuth client (the fake's) and the token sealing keys. Returns the
/// client secret's id.
pub async fn ensure_google_secrets() -> String {
    static DONE: OnceCell<String> = OnceCell::const_new();
    DONE.get_or_init(|| async {
        let id = "kairos/test-google-calendar".to_owned();
        let client = || json!({"client_id": google_fake::CLIENT_ID, "client_secret": google_fake::CLIENT_SECRET});
        create_secret_once(&id, client).await;
        create_secret_once(CALENDAR_KEYS_SECRET_ID, new_keys).await;
        id
    })
    .await
    .clone()
}

/// The WhatsApp account secret and the SES sender, as scripts/local-aws.py makes them.
pub async fn ensure_provider_accounts() {
    static DONE: OnceCell<()> = OnceCell::const_new();
    DONE.get_or_init(|| async {
        let id = std::env::var("WHATSAPP_SECRET_ID").unwrap_or_else(|_| "kairos/whatsapp".into());
        create_secret_once(&id, || json!({"access_token": "test-token", "phone_number_id": "100000000000001"})).await;
        let ses = aws_sdk_sesv2::Client::new(shared::aws::sdk_config().await);
        let sender = std::env::var("SES_FROM_ADDRESS").unwrap_or_else(|_| "bookings@kairos.local".into());
        let _ = ses.create_email_identity().email_identity(sender).send().await;
    })
    .await;
}

/// The manifest's queues under `prefix`, as scripts/local-aws.py creates them, except that
/// a message comes back one second (not minutes) after a consumer failed it.
pub async fn create_queues(prefix: &str) {
    let sqs = shared::outbox::sqs().await;
    for queue in shared::events::queues(&local::operations()) {
        let dlq = sqs
            .create_queue()
            .queue_name(format!("{prefix}{}.fifo", queue.dead_letter))
            .attributes(aws_sdk_sqs::types::QueueAttributeName::FifoQueue, "true")
            .send()
            .await
            .expect("create the dead-letter queue (is moto running?)");
        let dlq_arn = sqs
            .get_queue_attributes()
            .queue_url(dlq.queue_url.unwrap_or_default())
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
            .send()
            .await
            .expect("dead-letter queue arn")
            .attributes
            .and_then(|a| a.get(&aws_sdk_sqs::types::QueueAttributeName::QueueArn).cloned())
            .expect("arn");
        let redrive = json!({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": queue.max_receive_count.to_string()});
        sqs.create_queue()
            .queue_name(format!("{prefix}{}.fifo", queue.name))
            .attributes(aws_sdk_sqs::types::QueueAttributeName::FifoQueue, "true")
            .attributes(aws_sdk_sqs::types::QueueAttributeName::ContentBasedDeduplication, "false")
            .attributes(aws_sdk_sqs::types::QueueAttributeName::VisibilityTimeout, "1")
            .attributes(aws_sdk_sqs::types::QueueAttributeName::RedrivePolicy, redrive.to_string())
            .send()
            .await
            .expect("create the queue");
    }
}

impl TestApp {
    /// Run one pass of an SQS consumer (as Lambda's event source would), waiting up to
    /// two seconds for a message. Returns (received, failed).
    pub async fn poll(&self, op: &shared::Operation) -> (usize, usize) {
        self.poll_as(&self.app, op).await
    }

    /// `poll` with another clock (a later redelivery).
    pub async fn poll_as(&self, app: &App, op: &shared::Operation) -> (usize, usize) {
        local::workers::poll_once(app, op, std::time::Duration::from_secs(2)).await.expect("poll")
    }

    /// Poll until the queue gives nothing; returns how many messages were received.
    pub async fn drain(&self, op: &shared::Operation) -> usize {
        let mut total = 0;
        loop {
            let (n, _) =
                local::workers::poll_once(&self.app, op, std::time::Duration::from_millis(300)).await.expect("poll");
            if n == 0 {
                return total;
            }
            total += n;
        }
    }

    /// Messages waiting in a queue (visible or in flight), by its manifest name.
    pub async fn queue_depth(&self, name: &str) -> usize {
        let url = shared::outbox::queue_url(&self.app, name).await.expect("queue url");
        let attrs = shared::outbox::sqs()
            .await
            .get_queue_attributes()
            .queue_url(url)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
            .send()
            .await
            .expect("queue attributes")
            .attributes
            .unwrap_or_default();
        attrs.values().filter_map(|v| v.parse::<usize>().ok()).sum()
    }
}

/// Every email moto's SES accepted: its recipients and raw MIME.
pub async fn all_emails() -> Vec<(Vec<String>, String)> {
    let endpoint = std::env::var("AWS_ENDPOINT_URL").expect("AWS_ENDPOINT_URL");
    shared::tls::ensure_provider();
    let data: Value = reqwest::get(format!("{endpoint}/moto-api/data.json"))
        .await
        .expect("moto data")
        .json()
        .await
        .expect("moto json");
    data["ses"]["RawMessage"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| {
            let to = m["destinations"].as_array().into_iter().flatten().filter_map(|a| a.as_str().map(str::to_owned));
            (to.collect(), m["raw_data"].as_str().unwrap_or_default().to_owned())
        })
        .collect()
}

/// The raw MIME of every email moto's SES accepted for `address`.
pub async fn emails_to(address: &str) -> Vec<String> {
    all_emails().await.into_iter().filter(|(to, _)| to.iter().any(|a| a == address)).map(|(_, raw)| raw).collect()
}

/// The decoded text parts of a raw MIME email (its base64 bodies), joined.
pub fn email_text(raw: &str) -> String {
    let mut out = String::new();
    for part in raw.split("\r\n\r\n").skip(1) {
        let body: String = part.lines().take_while(|l| !l.starts_with("--")).collect();
        if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(body.trim()) {
            out.push_str(&String::from_utf8_lossy(&bytes));
            out.push('\n');
        }
    }
    out
}
