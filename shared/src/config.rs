//! Configuration read once from the environment at cold start.

use std::time::Duration;

use sqlx::postgres::PgSslMode;

use crate::events::Routes;
use crate::operation::QueueNames;

#[derive(Clone, Debug)]
pub struct Config {
    /// Full connection URL (local fleet, tests). Takes precedence over the secret.
    pub database_url: Option<String>,
    /// Secrets Manager id of the application role's credentials (RDS secret JSON).
    pub database_secret_id: Option<String>,
    /// The cross-tenant workers' login (role kairos_jobs): a URL (local fleet, tests) or a
    /// secret like the application's. Unset in a Lambda that serves the request path.
    pub jobs_database_url: Option<String>,
    pub jobs_database_secret_id: Option<String>,
    /// Host to connect to when using the secret (the RDS Proxy endpoint).
    pub database_host: Option<String>,
    /// TLS to the database when connecting with a secret (`DATABASE_SSL_MODE`, default
    /// `require`; RDS Proxy requires it).
    pub database_ssl_mode: PgSslMode,
    pub database_max_connections: u32,
    pub database_acquire_timeout: Duration,
    /// Secrets Manager id of the JWT signing keys.
    pub jwt_secret_id: String,
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    /// The web app's origin, the only one CORS allows (none: no CORS headers).
    pub cors_allowed_origin: Option<String>,
    /// Queues are found by name, `<prefix><queue>.fifo`, where `QUEUE_URL_<QUEUE>` is not
    /// set (the local fleet: `kairos-`; each test run has its own prefix).
    pub queue_prefix: String,
    /// The WhatsApp Cloud API (Graph API) base URL, version included.
    pub whatsapp_api_base: String,
    /// OAuth client ids a Google ID token may be issued to (`GOOGLE_CLIENT_ID`, comma-
    /// separated: web, iOS and Android clients each have one). Empty: Google sign-in is off.
    pub google_client_ids: Vec<String>,
    /// Sign in with Apple client ids (`APPLE_CLIENT_ID`: the Services ID, app bundle ids).
    pub apple_client_ids: Vec<String>,
    /// Where the providers publish their signing keys; tests point these at a local fake.
    pub google_jwks_url: String,
    pub apple_jwks_url: String,
    /// The Stripe API's base URL, ending in `/` (`STRIPE_API_BASE`; tests and the local
    /// fleet point it at the Stripe fake).
    pub stripe_api_base: String,
    /// Secrets Manager id of `{"api_key": ..., "webhook_secrets": [...]}`.
    pub stripe_secret_id: String,
    /// The web app (`APP_URL`): where Checkout and the portal send the owner back.
    pub app_url: String,
    /// This API's public origin (`API_URL`): Google sends the browser back to its calendar
    /// callback and posts channel notifications to its webhook.
    pub api_url: String,
    /// Google's OAuth 2.0 endpoints and the Calendar API v3 base (tests and the local fleet
    /// point them at the Google fake).
    pub google_oauth_auth_url: String,
    pub google_oauth_token_url: String,
    pub google_oauth_revoke_url: String,
    pub google_calendar_api_base: String,
    /// Secrets Manager id of the calendar OAuth client, `{"client_id", "client_secret"}`.
    pub google_calendar_secret_id: String,
    /// Secrets Manager id of the master keys sealing the calendar refresh tokens
    /// (shared::seal's `{"keys": [...]}`).
    pub calendar_keys_secret_id: String,
    /// Where this function's events go (`EVENT_ROUTES`, from `functions.json`; the local
    /// fleet and the tests route every kind).
    pub event_routes: Routes,
    /// The fleet's queues, for the redrive (`FLEET_QUEUES`).
    pub fleet_queues: Vec<QueueNames>,
}

impl Config {
    pub fn from_env() -> Config {
        Config {
            database_url: var("DATABASE_URL"),
            database_secret_id: var("DATABASE_SECRET_ID"),
            jobs_database_url: var("JOBS_DATABASE_URL"),
            jobs_database_secret_id: var("JOBS_DATABASE_SECRET_ID"),
            database_host: var("DATABASE_HOST"),
            database_ssl_mode: var("DATABASE_SSL_MODE")
                .and_then(|v| {
                    v.parse()
                        .map_err(|_| tracing::warn!(value = %v, "DATABASE_SSL_MODE is not an sslmode; using require"))
                        .ok()
                })
                .unwrap_or(PgSslMode::Require),
            // One Lambda instance serves one request at a time: two connections cover a
            // handler plus the occasional concurrent helper query without hoarding the proxy.
            database_max_connections: number("DATABASE_MAX_CONNECTIONS", 2),
            database_acquire_timeout: Duration::from_millis(number("DATABASE_ACQUIRE_TIMEOUT_MS", 3000).into()),
            jwt_secret_id: var("JWT_SECRET_ID").unwrap_or_else(|| "kairos/jwt-signing-keys".into()),
            access_token_ttl: Duration::from_secs(number("ACCESS_TOKEN_TTL_SECONDS", 900).into()),
            refresh_token_ttl: Duration::from_secs(number("REFRESH_TOKEN_TTL_SECONDS", 30 * 24 * 3600).into()),
            cors_allowed_origin: var("CORS_ALLOWED_ORIGIN").filter(|o| o != "*"),
            queue_prefix: var("QUEUE_NAME_PREFIX").unwrap_or_else(|| "kairos-".into()),
            whatsapp_api_base: var("WHATSAPP_API_BASE").unwrap_or_else(|| "https://graph.facebook.com/v21.0".into()),
            google_client_ids: list("GOOGLE_CLIENT_ID"),
            apple_client_ids: list("APPLE_CLIENT_ID"),
            google_jwks_url: var("GOOGLE_JWKS_URL")
                .unwrap_or_else(|| "https://www.googleapis.com/oauth2/v3/certs".into()),
            apple_jwks_url: var("APPLE_JWKS_URL").unwrap_or_else(|| "https://appleid.apple.com/auth/keys".into()),
            stripe_api_base: var("STRIPE_API_BASE").unwrap_or_else(|| "https://api.stripe.com/".into()),
            stripe_secret_id: var("STRIPE_SECRET_ID").unwrap_or_else(|| "kairos/stripe".into()),
            app_url: var("APP_URL").unwrap_or_else(|| "http://localhost:5173".into()).trim_end_matches('/').to_owned(),
            api_url: var("API_URL").unwrap_or_else(|| "http://localhost:3000".into()).trim_end_matches('/').to_owned(),
            google_oauth_auth_url: var("GOOGLE_OAUTH_AUTH_URL")
                .unwrap_or_else(|| "https://accounts.google.com/o/oauth2/v2/auth".into()),
            google_oauth_token_url: var("GOOGLE_OAUTH_TOKEN_URL")
                .unwrap_or_else(|| "https://oauth2.googleapis.com/token".into()),
            google_oauth_revoke_url: var("GOOGLE_OAUTH_REVOKE_URL")
                .unwrap_or_else(|| "https://oauth2.googleapis.com/revoke".into()),
            google_calendar_api_base: var("GOOGLE_CALENDAR_API_BASE")
                .unwrap_or_else(|| "https://www.googleapis.com/calendar/v3".into())
                .trim_end_matches('/')
                .to_owned(),
            google_calendar_secret_id: var("GOOGLE_CALENDAR_SECRET_ID")
                .unwrap_or_else(|| "kairos/google-calendar".into()),
            calendar_keys_secret_id: var("CALENDAR_KEYS_SECRET_ID")
                .unwrap_or_else(|| "kairos/calendar-token-keys".into()),
            event_routes: json("EVENT_ROUTES"),
            fleet_queues: json("FLEET_QUEUES"),
        }
    }
}

/// A value `functions.json` hands the function as JSON; unset or unreadable, the default
/// (no routes: the relay publishes this function's events; no queues to redrive).
fn json<T: serde::de::DeserializeOwned + Default>(name: &str) -> T {
    let Some(text) = var(name) else { return T::default() };
    serde_json::from_str(&text).unwrap_or_else(|e| {
        tracing::error!(variable = name, error = %e, "not the JSON functions.json states; ignored");
        T::default()
    })
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn list(name: &str) -> Vec<String> {
    var(name)
        .map(|v| v.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect())
        .unwrap_or_default()
}

fn number(name: &str, default: u32) -> u32 {
    match var(name) {
        None => default,
        Some(v) => v.parse().unwrap_or_else(|_| {
            tracing::warn!(name, value = %v, default, "not a number, using the default");
            default
        }),
    }
}
