//! The state every handler receives: built once per cold start, cloned per request.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use tokio::sync::OnceCell;

use crate::auth::token::SigningKeys;
use crate::config::Config;
use crate::db::{Db, DbConfigError, Role};
use crate::error::ApiError;
use crate::secrets;

#[derive(Clone)]
pub struct App {
    /// The request path's login (kairos_app): tenant transactions under row-level security.
    pub db: Db,
    /// The cross-tenant workers' login (kairos_jobs), where this process has one.
    jobs: Option<Db>,
    pub config: Arc<Config>,
    signing_keys: Arc<OnceCell<SigningKeys>>,
    /// A stopped clock for tests (shared by the clones, moved by [`App::set_now`]); the
    /// system clock otherwise.
    fixed_now: Option<Arc<Mutex<DateTime<Utc>>>>,
}

impl App {
    /// The app as configured by the environment. A worker's Lambda has only the jobs
    /// login; it then serves as `db` too, so nothing in it can reach kairos_app's rights.
    pub async fn from_env() -> Result<App, DbConfigError> {
        App::from_env_with(|_| {}).await
    }

    /// The app as configured by the environment, then adjusted (the local fleet wires the
    /// whole fleet's routes in).
    pub async fn from_env_with(adjust: impl FnOnce(&mut Config)) -> Result<App, DbConfigError> {
        let mut config = Config::from_env();
        adjust(&mut config);
        let app_db = Db::from_config(&config, Role::App).await?;
        let jobs = Db::from_config(&config, Role::Jobs).await?;
        let db = app_db.or_else(|| jobs.clone()).ok_or(DbConfigError::Missing)?;
        Ok(App::new(config, db).with_jobs_db(jobs))
    }

    pub fn new(config: Config, db: Db) -> App {
        crate::tls::ensure_provider();
        App { db, jobs: None, config: Arc::new(config), signing_keys: Arc::default(), fixed_now: None }
    }

    /// This app with a pool for the cross-tenant workers' login.
    pub fn with_jobs_db(mut self, jobs: Option<Db>) -> App {
        self.jobs = jobs;
        self
    }

    /// The cross-tenant workers' pool. Without one (a misconfigured process) the request
    /// path's pool is used, whose role may not execute the cross-tenant functions: the
    /// job fails loudly rather than reaching across tenants with the wrong login.
    pub fn jobs_db(&self) -> &Db {
        self.jobs.as_ref().unwrap_or(&self.db)
    }

    /// This app with the clock stopped at `now` (tests).
    pub fn with_now(mut self, now: DateTime<Utc>) -> App {
        self.fixed_now = Some(Arc::new(Mutex::new(now)));
        self
    }

    /// Move a stopped clock (tests: a trial ends, a grace period runs out), for every
    /// clone of this app. A running clock stays as it is.
    pub fn set_now(&self, now: DateTime<Utc>) {
        if let Some(clock) = &self.fixed_now {
            *clock.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = now;
        }
    }

    /// The one clock every rule reads.
    #[allow(clippy::disallowed_methods)] // the one place that reads the system clock
    pub fn now(&self) -> DateTime<Utc> {
        match &self.fixed_now {
            Some(clock) => *clock.lock().unwrap_or_else(|poisoned| poisoned.into_inner()),
            None => Utc::now(),
        }
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
