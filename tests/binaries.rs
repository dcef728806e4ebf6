//! Every built Lambda binary boots under a local Lambda Runtime API, takes its fixture
//! event from events-fixtures/, and answers as expected: the real `bootstrap`s work, not
//! only the library functions. Needs `cargo build --workspace --bins` first (scripts/test
//! does it).

// The binaries read the system clock, so the fixtures are made relative to it.
#![allow(clippy::disallowed_methods)]

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use e2e::{TestDb, ensure_signing_secret};
use serde_json::Value;
use shared::auth::{Auth, Role};
use shared::operation::Handler;
use tokio::sync::{Mutex, mpsc};

const BUSINESS: &str = "01900000-0000-7000-8000-00000000000a";
const OWNER: &str = "01900000-0000-7000-8000-0000000000a1";
const APPOINTMENT: &str = "01900000-0000-7000-8000-0000000000b1";
const WAITLIST_ENTRY: &str = "01900000-0000-7000-8000-0000000000c9";
const REVIEWED_APPOINTMENT: &str = "01900000-0000-7000-8000-00000000f1b1";
const CAMPAIGN_RECIPIENT: &str = "01900000-0000-7000-8000-00000000f2a2";
/// This test's own queues in moto.
const QUEUE_PREFIX: &str = "fixtures-";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("root").to_path_buf()
}

/// The binaries sit next to this test's `deps/` directory.
fn binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("current exe");
    exe.parent().and_then(Path::parent).expect("target profile dir").join(name)
}

/// The minimal Lambda Runtime API: hands out one event, then collects the answer.
#[derive(Clone)]
struct Runtime {
    event: Arc<Mutex<Option<String>>>,
    answers: mpsc::Sender<(String, Value)>,
}

async fn next(State(rt): State<Runtime>) -> Result<(HeaderMap, String), StatusCode> {
    let Some(event) = rt.event.lock().await.take() else {
        // No second event: hold the long poll as Lambda does between invocations.
        tokio::time::sleep(Duration::from_secs(3600)).await;
        return Err(StatusCode::GONE);
    };
    let mut headers = HeaderMap::new();
    let deadline = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default()
        + Duration::from_secs(30);
    headers.insert("lambda-runtime-aws-request-id", "fixture-invocation".parse().unwrap());
    headers.insert("lambda-runtime-deadline-ms", deadline.as_millis().to_string().parse().unwrap());
    headers.insert(
        "lambda-runtime-invoked-function-arn",
        "arn:aws:lambda:eu-central-1:123456789012:function:fixture".parse().unwrap(),
    );
    headers.insert("lambda-runtime-trace-id", "Root=1-00000000-000000000000000000000000;Sampled=0".parse().unwrap());
    Ok((headers, event))
}

async fn response(State(rt): State<Runtime>, body: String) -> StatusCode {
    let _ = rt.answers.send(("response".into(), serde_json::from_str(&body).unwrap_or(Value::String(body)))).await;
    StatusCode::ACCEPTED
}

async fn error(State(rt): State<Runtime>, body: String) -> StatusCode {
    let _ = rt.answers.send(("error".into(), Value::String(body))).await;
    StatusCode::ACCEPTED
}

/// Run one binary on one event; returns what it posted back. `database` is the variable
/// and URL of its login, as the CDK app gives it (the jobs login for cross-tenant workers).
async fn invoke(
    name: &str,
    event: String,
    database: (&str, &str),
    jwt_secret_id: &str,
    stripe: &Stripe,
) -> (String, Value) {
    let (tx, mut rx) = mpsc::channel(4);
    let rt = Runtime { event: Arc::new(Mutex::new(Some(event))), answers: tx };
    let api = Router::new()
        .route("/2018-06-01/runtime/invocation/next", get(next))
        .route("/2018-06-01/runtime/invocation/{id}/response", post(response))
        .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
        .route("/2018-06-01/runtime/init/error", post(error))
        .with_state(rt);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let server = tokio::spawn(async move { axum::serve(listener, api).await });

    let path = binary(name);
    assert!(path.is_file(), "{} is not built: run `cargo build --workspace --bins`", path.display());
    let mut child = tokio::process::Command::new(&path)
        .env("AWS_LAMBDA_RUNTIME_API", addr.to_string())
        .env("AWS_LAMBDA_FUNCTION_NAME", name)
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_LOG_FORMAT", "JSON")
        .env(database.0, database.1)
        .env("JWT_SECRET_ID", jwt_secret_id)
        .env("QUEUE_NAME_PREFIX", QUEUE_PREFIX)
        .env("STRIPE_API_BASE", stripe.fake.base_url())
        .env("STRIPE_SECRET_ID", &stripe.secret_id)
        .env("GOOGLE_CALENDAR_SECRET_ID", e2e::ensure_google_secrets().await)
        .env("CALENDAR_KEYS_SECRET_ID", e2e::CALENDAR_KEYS_SECRET_ID)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn binary");
    let answer = tokio::time::timeout(Duration::from_secs(60), rx.recv()).await;
    let _ = child.kill().await;
    server.abort();
    answer.unwrap_or_else(|_| panic!("{name} did not answer within 60 s")).expect("an answer")
}

/// The Stripe stand-in the billing binaries call, with the fixture business's customer
/// and its subscription.
struct Stripe {
    fake: stripe_fake::Fake,
    secret_id: String,
    customer: String,
    subscription: String,
    /// A customer with no subscription at all.
    newcomer: String,
}

impl Stripe {
    /// A customer who went through Checkout for Pro (the real requests, through the
    /// fake's API), as the seed's billing account says.
    async fn start() -> Stripe {
        let fake = stripe_fake::Fake::start().await;
        let secret_id = e2e::ensure_stripe_secret(fake.api_key()).await;
        let client = reqwest::Client::new();
        let post = |path: &str, form: &[(&str, &str)]| {
            client.post(format!("{}v1/{path}", fake.base_url())).bearer_auth(fake.api_key()).form(form).send()
        };
        let customer: Value =
            post("customers", &[("email", "owner@fixture.test")]).await.unwrap().json().await.unwrap();
        let customer = customer["id"].as_str().expect("customer id").to_owned();
        let session: Value = post(
            "checkout/sessions",
            &[
                ("mode", "subscription"),
                ("customer", &customer),
                ("line_items[0][price]", "price_kairos_pro_monthly"),
                ("line_items[0][quantity]", "1"),
                ("success_url", "https://app.kairos.test/billing"),
            ],
        )
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
        let subscription = fake.complete_checkout(session["id"].as_str().expect("session id"), true).await;
        let newcomer: Value = post("customers", &[("email", "new@fixture.test")]).await.unwrap().json().await.unwrap();
        let newcomer = newcomer["id"].as_str().expect("customer id").to_owned();
        Stripe { fake, secret_id, customer, subscription, newcomer }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_binary_answers_its_fixture() {
    e2e::init_logs();
    let jwt_secret_id = ensure_signing_secret().await;
    e2e::create_queues(QUEUE_PREFIX).await;
    e2e::ensure_provider_accounts().await;
    let seed = std::fs::read_to_string(root().join("events-fixtures/seed.sql")).expect("seed.sql");
    let password_hash = shared::auth::password::hash("fixture-password").await.expect("hash");
    let keys = shared::auth::token::SigningKeys::from_secret_json(
        &shared::secrets::get_string(&jwt_secret_id).await.expect("secret"),
    )
    .expect("keys");
    let owner = Auth {
        business_id: BUSINESS.parse().unwrap(),
        user_id: OWNER.parse().unwrap(),
        role: Role::Owner,
        session_id: None,
    };
    let token = keys.issue(&owner, Duration::from_secs(600), chrono::Utc::now()).expect("token");
    let stripe = Stripe::start().await;

    // A Tuesday two to three weeks ahead (Berlin): inside the default booking window and
    // the staff member's hours, outside the cancellation notice.
    let berlin: chrono_tz::Tz = "Europe/Berlin".parse().unwrap();
    let mut day = chrono::Utc::now().date_naive() + chrono::Duration::days(14);
    while chrono::Datelike::weekday(&day) != chrono::Weekday::Tue {
        day = day.succ_opt().unwrap();
    }
    let at = |minute: u16| shared::time::local_instant(berlin, day, minute, shared::time::Edge::Start);
    let rfc = |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let expires = (chrono::Utc::now() + chrono::Duration::days(60)).timestamp() as u64;
    let appointment: uuid::Uuid = APPOINTMENT.parse().unwrap();
    let entry: uuid::Uuid = WAITLIST_ENTRY.parse().unwrap();
    let placeholders = [
        // The clock the binaries read (the system's, moved or not): never PostgreSQL's.
        ("{{now}}", rfc(chrono::Utc::now())),
        ("{{access_token}}", token.clone()),
        ("{{manage_token}}", keys.issue_link("manage", owner.business_id, appointment, expires).unwrap()),
        ("{{waitlist_token}}", keys.issue_link("waitlist", owner.business_id, entry, expires).unwrap()),
        (
            "{{review_token}}",
            keys.issue_link("review", owner.business_id, REVIEWED_APPOINTMENT.parse().unwrap(), expires).unwrap(),
        ),
        (
            "{{unsubscribe_token}}",
            keys.issue_link("unsubscribe", owner.business_id, CAMPAIGN_RECIPIENT.parse().unwrap(), expires).unwrap(),
        ),
        ("{{date}}", day.to_string()),
        ("{{slot}}", rfc(at(10 * 60))),
        ("{{appointment_start}}", rfc(at(14 * 60))),
        ("{{appointment_end}}", rfc(at(14 * 60 + 30))),
        ("{{offer_start}}", rfc(at(15 * 60))),
        ("{{stripe_customer}}", stripe.customer.clone()),
        ("{{stripe_subscription}}", stripe.subscription.clone()),
    ];
    let fill = |text: &str| placeholders.iter().fold(text.to_owned(), |t, (k, v)| t.replace(k, v));
    let seed = fill(&seed);

    let mut failures = Vec::new();
    for op in local::operations() {
        // A fresh database per binary, so deletes and updates do not affect the next one.
        let db = TestDb::new().await;
        sqlx::raw_sql(&seed).execute(&db.admin).await.expect("seed");
        sqlx::query("UPDATE users SET password_hash = $1")
            .bind(&password_hash)
            .execute(&db.admin)
            .await
            .expect("password");

        if op.name == "billing-checkout-create" {
            // A business that is a Stripe customer with no subscription: it may check out.
            sqlx::query("UPDATE billing_accounts SET stripe_customer_id = $1, subscription_id = NULL, status = NULL")
                .bind(&stripe.newcomer)
                .execute(&db.admin)
                .await
                .expect("a customer without a subscription");
        }
        let fixture =
            std::fs::read_to_string(root().join(format!("events-fixtures/{}.json", op.name))).expect("fixture");
        let mut event = fill(&fixture);
        if op.name == "billing-webhook" {
            // Signed now, as Stripe signs: over the exact body.
            let parsed: Value = serde_json::from_str(&event).expect("fixture json");
            let body = parsed["body"].as_str().expect("body");
            let header =
                billing::signature::header(e2e::STRIPE_WEBHOOK_SECRET, chrono::Utc::now().timestamp(), body.as_bytes());
            event = event.replace("{{stripe_signature}}", &header);
        }
        let database =
            if op.cross_tenant { ("JOBS_DATABASE_URL", db.jobs_url()) } else { ("DATABASE_URL", db.app_url()) };
        let (kind, answer) = invoke(op.name, event, (database.0, &database.1), &jwt_secret_id, &stripe).await;

        let ok = match op.http_route() {
            Some((method, _, _)) => {
                // POSTs create (201), except those that act on something that exists.
                let acts = [
                    "auth-login",
                    "auth-refresh",
                    "staff-login",
                    "appointments-cancel",
                    "appointments-reschedule",
                    "appointments-status-set",
                    "appointments-series-cancel",
                    "appointments-manage-cancel",
                    "appointments-manage-reschedule",
                    "notifications-dlq-redrive",
                    "billing-subscription-cancel",
                    "billing-webhook",
                    "reviews-moderate",
                    "campaigns-unsubscribe",
                ];
                // Answers that are neither "created" nor "done, here it is".
                let other = [
                    ("auth-logout", 204),
                    ("auth-password-forgot", 202),
                    ("auth-password-reset", 204),
                    ("auth-password-change", 204),
                    ("auth-email-verify", 204),
                    ("auth-email-resend", 202),
                    // The fixture's ID token is not a token: refused before any provider call.
                    ("auth-google", 401),
                    ("auth-apple", 401),
                    ("staff-password-set", 204),
                    ("staff-invite", 202),
                    // A state this fleet never issued: refused before Google is called.
                    ("calendar-callback", 400),
                    // A channel that is not ours: ignored, and Google is told it arrived.
                    ("calendar-webhook", 204),
                    // Sending runs outside the request.
                    ("campaigns-send", 202),
                ];
                let special = other.iter().find(|(n, _)| *n == op.name).map(|(_, status)| *status);
                let expected = special.unwrap_or(match (method, op.name) {
                    (_, name) if acts.contains(&name) => 200,
                    ("POST", _) => 201,
                    ("DELETE", _) => 204,
                    _ => 200,
                });
                // JSON, or the one calendar file.
                let body = answer["body"].as_str().unwrap_or_default();
                let body_ok = body.is_empty()
                    || serde_json::from_str::<Value>(body).is_ok()
                    || (op.name == "appointments-ics" && body.starts_with("BEGIN:VCALENDAR"));
                kind == "response" && answer["statusCode"] == expected && body_ok
            }
            None => match op.handler {
                Handler::Authorizer(_) => {
                    kind == "response" && answer["isAuthorized"] == true && answer["context"]["business_id"] == BUSINESS
                }
                // Every record handled: no batch item failures.
                Handler::Sqs { .. } => kind == "response" && answer["batchItemFailures"] == serde_json::json!([]),
                _ => kind == "response",
            },
        };
        if !ok {
            failures.push(format!("{}: {kind} {answer}", op.name));
        }
    }
    assert!(failures.is_empty(), "binaries that did not answer as expected:\n{}", failures.join("\n"));
}
