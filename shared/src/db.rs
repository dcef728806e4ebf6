//! The PostgreSQL pool, sized for Lambda, and the tenant transaction.
//!
//! Every tenant table has row-level security keyed on `app.business_id`; a tenant
//! transaction sets it with `set_config(.., true)` so the scope ends with the transaction
//! and can never leak to the next request on a pooled connection.

use std::str::FromStr;

use serde::Deserialize;
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
    pub pool: PgPool,
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
    #[error("set DATABASE_URL or DATABASE_SECRET_ID")]
    Missing,
    #[error("DATABASE_URL is not a valid PostgreSQL URL: {0}")]
    Url(sqlx::Error),
    #[error(transparent)]
    Secret(#[from] secrets::SecretError),
}

impl Db {
    /// A lazily connecting pool: a cold start does not wait for the database until the
    /// first query, and a failed connection is retried by the next request.
    pub async fn from_config(config: &Config) -> Result<Db, DbConfigError> {
        let options = match (&config.database_url, &config.database_secret_id) {
            (Some(url), _) => PgConnectOptions::from_str(url).map_err(DbConfigError::Url)?,
            (None, Some(id)) => {
                let s: DbSecret = secrets::get_json(id).await?;
                let host = config.database_host.clone().or(s.host).unwrap_or_else(|| "localhost".into());
                PgConnectOptions::new()
                    .host(&host)
                    .port(s.port.unwrap_or(5432))
                    .username(&s.username)
                    .password(&s.password)
                    .database(s.dbname.as_deref().unwrap_or("kairos"))
                    .ssl_mode(PgSslMode::Require)
            }
            (None, None) => return Err(DbConfigError::Missing),
        };
        let pool = PgPoolOptions::new()
            .max_connections(config.database_max_connections)
            .min_connections(0)
            .acquire_timeout(config.database_acquire_timeout)
            .connect_lazy_with(options.application_name("kairos"));
        Ok(Db { pool })
    }

    pub fn from_pool(pool: PgPool) -> Db {
        Db { pool }
    }

    /// A transaction that sees and writes only this business's rows.
    pub async fn tenant_tx(&self, business_id: Uuid) -> Result<Tx, ApiError> {
        let mut tx = self.pool.begin().await?;
        set_tenant(&mut tx, business_id).await?;
        Ok(tx)
    }

    /// A transaction with no tenant set: tenant tables show no rows. For the explicit
    /// cross-tenant lookups (login by email, business by slug) done through
    /// SECURITY DEFINER functions.
    pub async fn system_tx(&self) -> Result<Tx, ApiError> {
        Ok(self.pool.begin().await?)
    }

    /// The active business behind a public slug, or 404: the explicit cross-tenant lookup
    /// behind every public route. (An unchecked query: this crate builds without a
    /// database so that it can carry the migrator.)
    pub async fn business_id_by_slug(&self, slug: &str) -> Result<Uuid, ApiError> {
        let id: Option<Uuid> =
            sqlx::query_scalar("SELECT business_id_by_slug($1)").bind(slug).fetch_one(&self.pool).await?;
        id.ok_or_else(|| ApiError::not_found("business"))
    }
}

impl Db {
    /// Whether this user is a platform operator (an unchecked query, as above).
    pub async fn is_platform_admin(&self, user_id: Uuid) -> Result<bool, ApiError> {
        Ok(sqlx::query_scalar("SELECT is_platform_admin($1)").bind(user_id).fetch_one(&self.pool).await?)
    }
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
