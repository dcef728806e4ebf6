//! Verifying Google and Apple ID tokens: RS256 signatures against the provider's
//! published keys (JWKS), issuer, audience (our client ids), expiry, and the nonce the
//! client chose for this sign-in. The nonce binds the token to the client's request; it
//! does not stop a copied token from being played again, which is why a token signs in
//! only once (`id_token_uses`, in `social.rs`).
//!
//! Keys are cached per process and per JWKS address. A token naming a key we do not have
//! makes us fetch the set again (providers rotate keys), but at most once a minute, so
//! made-up key ids cannot turn this function into a request flood against the provider.

use std::collections::HashMap;
use std::sync::{LazyLock, OnceLock};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use jsonwebtoken::jwk::{AlgorithmParameters, Jwk};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use shared::ApiError;
use tokio::sync::Mutex;

/// An identity provider as far as verifying its tokens goes.
pub struct Provider {
    /// As stored in `user_identities.provider`.
    pub name: &'static str,
    pub display: &'static str,
    /// Accepted `iss` values.
    pub issuers: &'static [&'static str],
}

// Google issues both spellings (https://developers.google.com/identity/openid-connect/openid-connect#validatinganidtoken).
pub const GOOGLE: Provider =
    Provider { name: "google", display: "Google", issuers: &["https://accounts.google.com", "accounts.google.com"] };
pub const APPLE: Provider = Provider { name: "apple", display: "Apple", issuers: &["https://appleid.apple.com"] };

/// What a verified ID token says about the person.
#[derive(Debug, Clone)]
pub struct Identity {
    /// The provider's stable, never reassigned account id.
    pub subject: String,
    pub email: Option<String>,
    /// Whether the provider vouches that `email` is theirs.
    pub email_verified: bool,
}

#[derive(Debug, Deserialize)]
struct Claims {
    sub: String,
    #[serde(default)]
    email: Option<String>,
    /// Google sends a boolean, Apple a boolean or the string "true".
    #[serde(default)]
    email_verified: Option<Value>,
    #[serde(default)]
    nonce: Option<String>,
    exp: i64,
}

fn refused(provider: &Provider, why: &str) -> ApiError {
    ApiError::unauthorized(format!("the {} sign-in could not be verified: {why}", provider.display))
        .with_code("INVALID_ID_TOKEN")
}

/// Seconds of clock difference with the provider that are forgiven.
const LEEWAY_SECONDS: i64 = 60;

/// Verify `id_token` from `provider`, issued to one of `client_ids` for `nonce`, unexpired
/// at `now` (the application's clock).
pub async fn verify(
    provider: &Provider,
    keys: &KeyCache,
    jwks_url: &str,
    client_ids: &[String],
    id_token: &str,
    nonce: &str,
    now: DateTime<Utc>,
) -> Result<Identity, ApiError> {
    let header = jsonwebtoken::decode_header(id_token).map_err(|_| refused(provider, "not a signed token"))?;
    if header.alg != Algorithm::RS256 {
        return Err(refused(provider, "unexpected signature algorithm"));
    }
    let kid = header.kid.ok_or_else(|| refused(provider, "no key id"))?;
    if client_ids.is_empty() {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "PROVIDER_NOT_CONFIGURED",
            format!("sign-in with {} is not configured", provider.display),
        ));
    }
    let key = keys.find(jwks_url, &kid).await?.ok_or_else(|| refused(provider, "unknown signing key"))?;

    #[allow(clippy::disallowed_methods)] // validate_exp is turned off below: exp is checked against `now`
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_issuer(provider.issuers);
    validation.set_audience(client_ids);
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    validation.validate_exp = false;
    let claims = jsonwebtoken::decode::<Claims>(id_token, &key, &validation)
        .map_err(|e| {
            use jsonwebtoken::errors::ErrorKind;
            let why = match e.kind() {
                ErrorKind::InvalidIssuer => "wrong issuer",
                ErrorKind::InvalidAudience => "issued to another application",
                ErrorKind::InvalidSignature => "bad signature",
                _ => "invalid token",
            };
            refused(provider, why)
        })?
        .claims;
    if claims.exp.saturating_add(LEEWAY_SECONDS) < now.timestamp() {
        return Err(refused(provider, "expired"));
    }

    // Clients may hand the provider the nonce itself or its SHA-256 in hex (Apple's iOS
    // guidance); either way only the holder of the raw nonce gets past this.
    let hashed = crate::tokens::hex(&Sha256::digest(nonce.as_bytes()));
    match claims.nonce.as_deref() {
        Some(n) if !nonce.is_empty() && (n == nonce || n == hashed) => {}
        _ => return Err(refused(provider, "nonce does not match")),
    }
    let email_verified = matches!(&claims.email_verified, Some(Value::Bool(true)))
        || matches!(&claims.email_verified, Some(Value::String(s)) if s == "true");
    Ok(Identity { subject: claims.sub, email: claims.email.map(|e| e.to_lowercase()), email_verified })
}

/// Signing keys per JWKS address, fetched on demand.
pub struct KeyCache {
    /// The shortest time between two fetches of one address.
    min_refetch: Duration,
    /// Keys older than this are fetched again, so a key the provider withdrew stops working.
    max_age: Duration,
    sets: Mutex<HashMap<String, Cached>>,
}

struct Cached {
    keys: HashMap<String, Jwk>,
    fetched_at: Option<Instant>,
    attempted_at: Instant,
}

/// The process's cache, shared by every sign-in the Lambda instance serves.
pub static KEYS: LazyLock<KeyCache> =
    LazyLock::new(|| KeyCache::new(Duration::from_secs(60), Duration::from_secs(6 * 3600)));

impl KeyCache {
    pub fn new(min_refetch: Duration, max_age: Duration) -> KeyCache {
        KeyCache { min_refetch, max_age, sets: Mutex::default() }
    }

    /// The RSA key `kid` published at `url`, fetching the set when it is missing or old.
    pub async fn find(&self, url: &str, kid: &str) -> Result<Option<DecodingKey>, ApiError> {
        // One fetch at a time: concurrent sign-ins wait for it instead of repeating it.
        let mut sets = self.sets.lock().await;
        let now = Instant::now();
        let entry = sets.get(url);
        let fresh = entry.and_then(|c| c.fetched_at).is_some_and(|t| now.duration_since(t) < self.max_age);
        let known = entry.is_some_and(|c| c.keys.contains_key(kid));
        let may_fetch = entry.is_none_or(|c| now.duration_since(c.attempted_at) >= self.min_refetch);
        if (!fresh || !known) && may_fetch {
            let fetched = fetch(url).await;
            let cached = sets.entry(url.to_owned()).or_insert_with(|| Cached {
                keys: HashMap::new(),
                fetched_at: None,
                attempted_at: now,
            });
            cached.attempted_at = now;
            match fetched {
                Ok(keys) => {
                    cached.keys = keys;
                    cached.fetched_at = Some(now);
                }
                // Keep what we had: a provider hiccup should not sign everyone out of
                // signing in while the keys we hold are still good.
                Err(e) if !cached.keys.is_empty() => tracing::warn!(url, error = %e, "JWKS refresh failed"),
                Err(e) => {
                    tracing::error!(url, error = %e, "JWKS fetch failed");
                    return Err(ApiError::new(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "PROVIDER_UNAVAILABLE",
                        "the sign-in provider's keys could not be fetched; try again shortly",
                    ));
                }
            }
        }
        let jwk = sets.get(url).and_then(|c| c.keys.get(kid));
        Ok(jwk.and_then(|k| DecodingKey::from_jwk(k).ok()))
    }
}

fn client() -> Result<&'static reqwest::Client, String> {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    if let Some(c) = CLIENT.get() {
        return Ok(c);
    }
    // reqwest's rustls has no crypto provider of its own here (App::new installs one; this
    // makes the function safe to call without an App too).
    shared::tls::ensure_provider();
    let built =
        reqwest::Client::builder().timeout(Duration::from_secs(3)).build().map_err(|e| format!("HTTP client: {e}"))?;
    Ok(CLIENT.get_or_init(|| built))
}

/// The RSA keys of the set at `url`, by key id. Keys of other types, and entries this
/// library cannot read, are skipped rather than failing the whole set.
async fn fetch(url: &str) -> Result<HashMap<String, Jwk>, String> {
    #[derive(Deserialize)]
    struct Set {
        keys: Vec<Value>,
    }
    let response = client()?.get(url).send().await.map_err(|e| e.to_string())?;
    let response = response.error_for_status().map_err(|e| e.to_string())?;
    let set: Set = response.json().await.map_err(|e| e.to_string())?;
    Ok(set
        .keys
        .into_iter()
        .filter_map(|k| serde_json::from_value::<Jwk>(k).ok())
        .filter(|k| matches!(k.algorithm, AlgorithmParameters::RSA(_)))
        .filter_map(|k| Some((k.common.key_id.clone()?, k)))
        .collect())
}
