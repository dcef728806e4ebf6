//! The Stripe client: async-stripe over rustls, at the configured base URL, with the API
//! key from Secrets Manager. Stripe being down, slow or refusing our key is a 503 for the
//! caller (and a retry for a queue consumer), never a 500.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use serde::Deserialize;
use shared::operation::AwsPermission;
use shared::{ApiError, App, secrets};
use stripe::{Client, ClientBuilder, StripeError};

/// Read the Stripe API key and webhook signing secrets.
pub const STRIPE_SECRET: AwsPermission =
    AwsPermission { actions: &["secretsmanager:GetSecretValue"], resource: "secret:stripe" };

/// Each call to Stripe gets this long; a Lambda's own timeout is 10 s.
const TIMEOUT: Duration = Duration::from_secs(5);

/// The secret's JSON: the restricted API key, and the webhook endpoint's signing secrets
/// (two while one is rolled: Stripe signs with both until the old one expires).
#[derive(Debug, Clone, Deserialize)]
pub struct StripeSecret {
    pub api_key: String,
    #[serde(default)]
    pub webhook_secrets: Vec<String>,
}

pub async fn secret(app: &App) -> Result<StripeSecret, ApiError> {
    secrets::get_json(&app.config.stripe_secret_id).await.map_err(|e| {
        tracing::error!(error = %e, "the Stripe secret is unreadable");
        ApiError::unavailable()
    })
}

/// One client per base URL and key for the life of the process (it keeps its connections).
static CLIENTS: Mutex<Option<HashMap<(String, String), Client>>> = Mutex::new(None);

pub async fn client(app: &App) -> Result<Client, ApiError> {
    let key = secret(app).await?.api_key;
    let id = (app.config.stripe_api_base.clone(), key);
    let mut clients = CLIENTS.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let clients = clients.get_or_insert_with(HashMap::new);
    if let Some(client) = clients.get(&id) {
        return Ok(client.clone());
    }
    let client = ClientBuilder::new(id.1.clone())
        .url(id.0.clone())
        .timeout(TIMEOUT)
        .app_info("kairos", None, None)
        .build()
        .map_err(|e| {
            tracing::error!(error = %e, "the Stripe client cannot be built");
            ApiError::unavailable()
        })?;
    clients.insert(id, client.clone());
    Ok(client)
}

/// What a failed Stripe call means for our caller. Stripe down, slow, rate limiting or
/// refusing our key: 503 (a refused key is read again from the secret next time, in case
/// it was rotated). Stripe refusing the request itself (a customer or subscription that
/// is gone there): 409 with Stripe's reason, since retrying cannot help.
pub fn failure(app: &App, what: &str, e: StripeError) -> ApiError {
    let unavailable = || ApiError::unavailable().with_detail("billing is unavailable; try again shortly");
    match &e {
        StripeError::Stripe(_, 401) => {
            tracing::error!(error = %e, what, "Stripe refused the API key; reading the secret again next time");
            secrets::forget(&app.config.stripe_secret_id);
            if let Ok(mut clients) = CLIENTS.lock()
                && let Some(clients) = clients.as_mut()
            {
                clients.retain(|(base, _), _| *base != app.config.stripe_api_base);
            }
            unavailable()
        }
        StripeError::Stripe(errors, status) if (400..500).contains(status) && *status != 429 => {
            tracing::error!(error = %e, what, "Stripe refused the request");
            let reason = errors.message.clone().unwrap_or_else(|| "Stripe refused the request".into());
            ApiError::conflict("BILLING_REFUSED", format!("could not {what}: {reason}"))
        }
        _ => {
            tracing::warn!(error = %e, what, "Stripe is unreachable");
            unavailable()
        }
    }
}
