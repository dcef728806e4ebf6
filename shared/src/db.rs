//! The PostgreSQL pool, sized for Lambda, and the tenant transaction.
//!
//! Every tenant table has row-level security keyed on `app.business_id`; a tenant
//! transaction sets it with `set_config(.., true)` so the scope ends with the transaction
//! and can never leak to the next request on a pooled connection.

use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde::Deserialize;
use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgSslMode};
use sqlx::{PgPool, Postgres, Transaction};
use uuid::Uuid;

use crate::config::Config;
use crate::error::ApiError;
use crate::secrets;

pub type Tx = Transaction<'static, Postgres>;

/// The schema, embedded at compile time.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

#[derive(Clone, Debug)]
pub struct Db {
    /// Private: every connection goes through `acquire`/`system_tx`/`tenant_tx`, which
    /// read a rotated secret again.
    pool: PgPool,
    /// Where the credentials came from, when from a secret: read again when the database
    /// refuses them (the secret was rotated while this process was warm).
    secret: Option<Arc<SecretSource>>,
}

#[derive(Debug)]
struct SecretSource {
    id: String,
    host: Option<String>,
    ssl_mode: PgSslMode,
    /// The last re-read: when, and whether it gave credentials to try. Concurrent
    /// refusals share one re-read.
    last_reread: tokio::sync::Mutex<Option<(Instant, bool)>>,
    /// How many times the secret was read again (for the log and the tests).
    rereads: AtomicU64,
}

/// Which login a pool connects as: the request path's, or the cross-tenant workers'.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    App,
    Jobs,
}

/// The shape of an RDS credentials secret.
#[derive(Deserialize)]
struct DbSecret {
    username: String,
    password: String,
    host: Option<String>,
    port: Option<u16>,
    dbname: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum DbConfigError {
    #[error(
        "set DATABASE_URL or DATABASE_SECRET_ID (or, for a cross-tenant worker, JOBS_DATABASE_URL or JOBS_DATABASE_SECRET_ID)"
    )]
    Missing,
    #[error("DATABASE_URL is not a valid PostgreSQL URL: {0}")]
    Url(sqlx::Error),
    #[error(transparent)]
    Secret(#[from] secrets::SecretError),
}

/// A second re-read of the secret within this time is not made: the first one's outcome
/// stands (many requests may be refused at once).
pub const REREAD_INTERVAL: Duration = Duration::from_secs(10);
/// Secrets Manager gets this long to answer a re-read; requests wait on it.
const REREAD_TIMEOUT: Duration = Duration::from_secs(3);

impl Db {
    /// A lazily connecting pool for `role`: a cold start does not wait for the database
    /// until the first query, and a failed connection is retried by the next request.
    /// `Ok(None)` when nothing is configured for that role.
    pub async fn from_config(config: &Config, role: Role) -> Result<Option<Db>, DbConfigError> {
        let (url, secret_id) = match role {
            Role::App => (&config.database_url, &config.database_secret_id),
            Role::Jobs => (&config.jobs_database_url, &config.jobs_database_secret_id),
        };
        let (options, secret) = match (url, secret_id) {
            (Some(url), _) => (PgConnectOptions::from_str(url).map_err(DbConfigError::Url)?, None),
            (None, Some(id)) => {
                let source = SecretSource {
                    id: id.clone(),
                    host: config.database_host.clone(),
                    ssl_mode: config.database_ssl_mode,
                    last_reread: tokio::sync::Mutex::new(None),
                    rereads: AtomicU64::new(0),
                };
                (source.options().await?, Some(Arc::new(source)))
            }
            (None, None) => return Ok(None),
        };
        let pool = PgPoolOptions::new()
            .max_connections(config.database_max_connections)
            .min_connections(0)
            .acquire_timeout(config.database_acquire_timeout)
            .connect_lazy_with(options);
        Ok(Some(Db { pool, secret }))
    }

    pub fn from_pool(pool: PgPool) -> Db {
        Db { pool, secret: None }
    }

    /// A connection from the pool. When the database refuses the credentials (a rotated
    /// password), the secret is read again once and the connection retried with it; warm
    /// functions outlive a rotation.
    // (Spelled out here and in `system_tx` rather than through a generic helper: the
    // nested future types of one overflow rustc's layout depth in release builds.)
    pub async fn acquire(&self) -> Result<PoolConnection<Postgres>, ApiError> {
        match self.pool.acquire().await {
            Err(e) if is_refused_login(&e) && self.reread_secret().await => Ok(self.pool.acquire().await?),
            other => Ok(other?),
        }
    }

    /// Read the credentials again and connect with them from now on. Whether there are
    /// new credentials to try.
    async fn reread_secret(&self) -> bool {
        let Some(source) = &self.secret else { return false };
        let mut last = source.last_reread.lock().await;
        if let Some((at, usable)) = *last
            && at.elapsed() < REREAD_INTERVAL
        {
            return usable;
        }
        source.rereads.fetch_add(1, Ordering::Relaxed);
        tracing::warn!(secret = source.id, "the database refused the credentials; reading the secret again");
        secrets::forget(&source.id);
        let usable = match tokio::time::timeout(REREAD_TIMEOUT, source.options()).await {
            Ok(Ok(options)) => {
                self.pool.set_connect_options(options);
                true
            }
            Ok(Err(e)) => {
                tracing::error!(error = %e, "could not read the database secret again");
                false
            }
            Err(_) => {
                tracing::error!(secret = source.id, "Secrets Manager did not answer the re-read in time");
                false
            }
        };
        *last = Some((Instant::now(), usable));
        usable
    }

    /// How many times this pool read its secret again after a refused login.
    pub fn credential_rereads(&self) -> u64 {
        self.secret.as_ref().map_or(0, |s| s.rereads.load(Ordering::Relaxed))
    }

    /// A transaction that sees and writes only this business's rows.
    pub async fn tenant_tx(&self, business_id: Uuid) -> Result<Tx, ApiError> {
        let mut tx = self.system_tx().await?;
        set_tenant(&mut tx, business_id).await?;
        Ok(tx)
    }

    /// A transaction with no tenant set: tenant tables show no rows. For the explicit
    /// cross-tenant lookups (login by email, business by slug) done through
    /// SECURITY DEFINER functions.
    pub async fn system_tx(&self) -> Result<Tx, ApiError> {
        match self.pool.begin().await {
            Err(e) if is_refused_login(&e) && self.reread_secret().await => Ok(self.pool.begin().await?),
            other => Ok(other?),
        }
    }

    /// The active business behind a public slug, or 404: the explicit cross-tenant lookup
    /// behind every public route. (An unchecked query: this crate builds without a
    /// database so that it can carry the migrator.)
    pub async fn business_id_by_slug(&self, slug: &str) -> Result<Uuid, ApiError> {
        let mut conn = self.acquire().await?;
        let id: Option<Uuid> =
            sqlx::query_scalar("SELECT business_id_by_slug($1)").bind(slug).fetch_one(&mut *conn).await?;
        id.ok_or_else(|| ApiError::not_found("business"))
    }
}

impl Db {
    /// Whether this user is a platform operator (an unchecked query, as above).
    pub async fn is_platform_admin(&self, user_id: Uuid) -> Result<bool, ApiError> {
        let mut conn = self.acquire().await?;
        Ok(sqlx::query_scalar("SELECT is_platform_admin($1)").bind(user_id).fetch_one(&mut *conn).await?)
    }
}

impl SecretSource {
    async fn options(&self) -> Result<PgConnectOptions, DbConfigError> {
        let s: DbSecret = secrets::get_json(&self.id).await?;
        let host = self.host.clone().or(s.host).unwrap_or_else(|| "localhost".into());
        Ok(PgConnectOptions::new()
            .host(&host)
            .port(s.port.unwrap_or(5432))
            .username(&s.username)
            .password(&s.password)
            .database(s.dbname.as_deref().unwrap_or("kairos"))
            .ssl_mode(self.ssl_mode)
            .application_name("kairos"))
    }
}

/// The server refused the login: a wrong password (28P01) or no entry for it (28000).
pub fn is_refused_login(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if matches!(db.code().as_deref(), Some("28P01") | Some("28000")))
}

/// Scope the rest of this transaction to one business.
pub async fn set_tenant(tx: &mut Tx, business_id: Uuid) -> Result<(), ApiError> {
    sqlx::query("SELECT set_config('app.business_id', $1, true)")
        .bind(business_id.to_string())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Create the database in `url` if it does not exist, and apply every pending migration.
/// Returns the latest applied version.
pub async fn migrate(url: &str) -> Result<i64, sqlx::Error> {
    use sqlx::migrate::MigrateDatabase;
    if !Postgres::database_exists(url).await? {
        Postgres::create_database(url).await?;
    }
    let pool = PgPoolOptions::new().max_connections(1).connect(url).await?;
    MIGRATOR.run(&pool).await?;
    let version: Option<i64> =
        sqlx::query_scalar("SELECT max(version) FROM _sqlx_migrations WHERE success").fetch_one(&pool).await?;
    pool.close().await;
    Ok(version.unwrap_or(0))
}
