//! Secrets from AWS Secrets Manager, fetched once per cold start and cached (until a
//! caller finds the value stale and `forget`s it).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::OnceCell;

use crate::aws::sdk_config;

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("could not read secret {id}: {source}")]
    Fetch { id: String, source: Box<dyn std::error::Error + Send + Sync> },
    #[error("secret {id} has no string value")]
    Empty { id: String },
    #[error("secret {id} is not the expected JSON: {source}")]
    Shape { id: String, source: serde_json::Error },
}

type Cell = Arc<OnceCell<String>>;
static CACHE: Mutex<Option<HashMap<String, Cell>>> = Mutex::new(None);

/// The secret's string value; the first call per id and process fetches it.
pub async fn get_string(id: &str) -> Result<String, SecretError> {
    let cell = {
        let mut cache = CACHE.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        cache.get_or_insert_with(HashMap::new).entry(id.to_owned()).or_default().clone()
    };
    cell.get_or_try_init(|| fetch(id)).await.cloned()
}

/// Drop the cached value: the next read fetches the secret again (after the value it
/// gave was refused, a rotation).
pub fn forget(id: &str) {
    let mut cache = CACHE.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(cache) = cache.as_mut() {
        cache.remove(id);
    }
}

/// The secret parsed from JSON.
pub async fn get_json<T: serde::de::DeserializeOwned>(id: &str) -> Result<T, SecretError> {
    let raw = get_string(id).await?;
    serde_json::from_str(&raw).map_err(|source| SecretError::Shape { id: id.into(), source })
}

async fn fetch(id: &str) -> Result<String, SecretError> {
    let client = aws_sdk_secretsmanager::Client::new(sdk_config().await);
    let out = client
        .get_secret_value()
        .secret_id(id)
        .send()
        .await
        .map_err(|e| SecretError::Fetch { id: id.into(), source: Box::new(e.into_service_error()) })?;
    out.secret_string.ok_or_else(|| SecretError::Empty { id: id.into() })
}
