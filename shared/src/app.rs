//! The state every handler receives: built once per cold start, cloned per request.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use tokio::sync::OnceCell;

use crate::auth::token::SigningKeys;
use crate::config::Config;
use crate::db::{Db, DbConfigError};
use crate::error::ApiError;
use crate::secrets;

#[derive(Clone)]
pub struct App {
    pub db: Db,
    pub config: Arc<Config>,
    signing_keys: Arc<OnceCell<SigningKeys>>,
    /// A fixed "now" for tests; the system clock otherwise.
    fixed_now: Option<DateTime<Utc>>,
}

impl App {
    pub async fn from_env() -> Result<App, DbConfigError> {
        let config = Config::from_env();
        let db = Db::from_config(&config).await?;
        Ok(App::new(config, db))
    }

    pub fn new(config: Config, db: Db) -> App {
        crate::tls::ensure_provider();
        App { db, config: Arc::new(config), signing_keys: Arc::default(), fixed_now: None }
    }

    /// This app with the clock stopped at `now` (tests).
    pub fn with_now(mut self, now: DateTime<Utc>) -> App {
        self.fixed_now = Some(now);
        self
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.fixed_now.unwrap_or_else(Utc::now)
    }

    /// The JWT keys, read from Secrets Manager on first use in this process. Only the
    /// operations that mint or verify tokens pay for the fetch.
    pub async fn signing_keys(&self) -> Result<&SigningKeys, ApiError> {
        self.signing_keys
            .get_or_try_init(|| async {
                let id = &self.config.jwt_secret_id;
                let raw = secrets::get_string(id).await.map_err(ApiError::internal)?;
                SigningKeys::from_secret_json(&raw).map_err(ApiError::internal)
            })
            .await
    }
}
