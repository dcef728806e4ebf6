//! Warm functions survive a rotation of the database password: when the server refuses
//! the credentials, the pool reads the secret again once and reconnects with it.
//!
//! The shared test server trusts every local login, so a wrong password could not fail
//! there; these tests start a PostgreSQL cluster of their own that checks passwords
//! (scram-sha-256), from the same Debian binaries.

use std::path::{Path, PathBuf};
use std::process::Command;

use axum::http::StatusCode;
use e2e::TestApp;
use serde_json::json;
use shared::App;
use shared::config::Config;
use shared::db::{Db, Role};
use sqlx::postgres::PgSslMode;
use uuid::Uuid;

/// A throwaway cluster: local socket logins are trusted (to set it up), TCP logins need
/// the password.
struct PasswordCluster {
    dir: PathBuf,
    bin: PathBuf,
    port: u16,
}

fn pg_bin() -> PathBuf {
    if let Ok(bin) = std::env::var("KAIROS_PG_BIN") {
        return bin.into();
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|d| {
            d.filter_map(|e| e.ok()).map(|e| e.path().join("bin")).filter(|b| b.join("initdb").is_file()).collect()
        })
        .unwrap_or_default();
    // The newest major version: /usr/lib/postgresql/<major>/bin.
    found.sort_by_key(|b| b.parent().and_then(|v| v.file_name()).and_then(|v| v.to_str()?.parse::<u32>().ok()));
    found.pop().expect("PostgreSQL's server binaries (Debian's postgresql package; scripts/test installs it)")
}

/// Run a server binary as the `postgres` user when we are root (PostgreSQL refuses root).
fn run_pg(bin: &Path, program: &str, args: &[&str]) -> bool {
    let path = bin.join(program);
    let mut command = if is_root() {
        let mut c = Command::new("runuser");
        c.arg("-u").arg("postgres").arg("--").arg(&path);
        c
    } else {
        Command::new(&path)
    };
    // The server keeps the real time even when the suite runs under a moved clock.
    for moved in ["LD_PRELOAD", "FAKETIME", "FAKETIME_DONT_FAKE_MONOTONIC", "FAKETIME_SHARED"] {
        command.env_remove(moved);
    }
    command.args(args).stdout(std::process::Stdio::null()).status().is_ok_and(|s| s.success())
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().map(|o| o.stdout.starts_with(b"0\n")).unwrap_or(false)
}

impl PasswordCluster {
    fn start() -> PasswordCluster {
        // Under /tmp, whatever TMPDIR says: the postgres user must reach it, and a socket
        // path has at most 107 bytes.
        let dir = PathBuf::from(format!("/tmp/kairos-pw-{}", &Uuid::new_v4().simple().to_string()[..12]));
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        // Made before anything can fail, so Drop cleans up whatever was started.
        let cluster = PasswordCluster { dir, bin: pg_bin(), port };
        std::fs::create_dir_all(&cluster.dir).unwrap();
        if is_root() {
            assert!(Command::new("chown").arg("postgres").arg(&cluster.dir).status().unwrap().success(), "chown");
        }
        let data = cluster.dir.join("data");
        let data = data.to_str().unwrap();
        let auth = ["--auth-local=trust", "--auth-host=scram-sha-256"];
        assert!(run_pg(&cluster.bin, "initdb", &["-D", data, "-U", "postgres", auth[0], auth[1]]), "initdb failed");
        let options = format!("-p {port} -k {} -c listen_addresses=127.0.0.1", cluster.dir.display());
        let log = cluster.dir.join("server.log");
        let started =
            run_pg(&cluster.bin, "pg_ctl", &["-D", data, "-l", log.to_str().unwrap(), "-w", "-o", &options, "start"]);
        assert!(started, "the password-checking cluster did not start (see {})", log.display());
        cluster
    }

    /// The superuser over the local socket (trusted).
    fn admin_url(&self, database: &str) -> String {
        format!("postgres://postgres@localhost/{database}?host={}&port={}", self.dir.display(), self.port)
    }
}

impl Drop for PasswordCluster {
    fn drop(&mut self) {
        let data = self.dir.join("data");
        run_pg(&self.bin, "pg_ctl", &["-D", data.to_str().unwrap_or_default(), "-m", "immediate", "stop"]);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn put_secret(id: &str, value: serde_json::Value) {
    let secrets = aws_sdk_secretsmanager::Client::new(shared::aws::sdk_config().await);
    if secrets.describe_secret().secret_id(id).send().await.is_ok() {
        secrets.put_secret_value().secret_id(id).secret_string(value.to_string()).send().await.expect("put secret");
    } else {
        secrets.create_secret().name(id).secret_string(value.to_string()).send().await.expect("create secret");
    }
}

async fn sql(url: &str, statement: &str) {
    let pool = sqlx::postgres::PgPoolOptions::new().max_connections(1).connect(url).await.expect("admin connection");
    sqlx::raw_sql(statement).execute(&pool).await.unwrap_or_else(|e| panic!("{statement}: {e}"));
    pool.close().await;
}

/// Drop every connection the application holds, as RDS Proxy or a restart would, and wait
/// until they are gone: the next request has to log in again.
async fn disconnect_the_app(cluster: &PasswordCluster) {
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(&cluster.admin_url("kairos"))
        .await
        .expect("admin connection");
    let ended: Vec<bool> =
        sqlx::query_scalar("SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE usename = 'kairos_app'")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert!(!ended.is_empty() && ended.iter().all(|e| *e), "the app held connections, and they ended: {ended:?}");
    pool.close().await;
}

#[tokio::test]
async fn a_warm_function_reads_the_rotated_password_and_reconnects() {
    // The usual harness, for the signing keys and queues in moto.
    let base = TestApp::spawn().await;
    let cluster = PasswordCluster::start();
    shared::db::migrate(&cluster.admin_url("kairos")).await.expect("migrate");
    sql(&cluster.admin_url("kairos"), "ALTER ROLE kairos_app PASSWORD 'first-password-0123'").await;
    let secret_id = format!("kairos/test-rotation-{}", Uuid::new_v4().simple());
    let credentials = |password: &str| {
        json!({"username": "kairos_app", "password": password, "host": "127.0.0.1", "port": cluster.port,
               "dbname": "kairos", "engine": "postgres"})
    };
    put_secret(&secret_id, credentials("first-password-0123")).await;

    // The fleet as a Lambda configures it: credentials from the secret, not a URL.
    let mut config: Config = (*base.app.config).clone();
    config.database_url = None;
    config.database_secret_id = Some(secret_id.clone());
    config.database_host = None;
    config.database_ssl_mode = PgSslMode::Disable;
    let db = Db::from_config(&config, Role::App).await.expect("config").expect("a pool");
    let app = App::new(config, db);
    let router = local::router(app.clone());
    let call = |path: String| {
        let router = router.clone();
        async move {
            use tower::ServiceExt;
            let req = axum::http::Request::get(path).body(axum::body::Body::empty()).unwrap();
            let res = router.oneshot(req).await.unwrap();
            let status = res.status();
            let body = axum::body::to_bytes(res.into_body(), 1 << 20).await.unwrap();
            (status, serde_json::from_slice::<serde_json::Value>(&body).unwrap_or_default())
        }
    };

    // A business to look at, made through the same app.
    let business_id = Uuid::now_v7();
    let mut tx = app.db.tenant_tx(business_id).await.expect("first login with the first password");
    let slug = format!("rotation-{}", &Uuid::new_v4().simple().to_string()[..8]);
    sqlx::query("INSERT INTO businesses (id, name, slug, time_zone) VALUES ($1, 'Rotation', $2, 'Europe/Berlin')")
        .bind(business_id)
        .bind(&slug)
        .execute(&mut *tx)
        .await
        .expect("insert business");
    tx.commit().await.unwrap();
    let path = format!("/v1/public/businesses/{slug}");
    assert_eq!(call(path.clone()).await.0, StatusCode::OK);
    assert_eq!(app.db.credential_rereads(), 0);

    // Rotation: the database and the secret get a new password; the old one stops working.
    sql(&cluster.admin_url("kairos"), "ALTER ROLE kairos_app PASSWORD 'second-password-4567'").await;
    put_secret(&secret_id, credentials("second-password-4567")).await;
    disconnect_the_app(&cluster).await;
    let old = format!("postgres://kairos_app:first-password-0123@127.0.0.1:{}/kairos", cluster.port);
    let refused = sqlx::postgres::PgPoolOptions::new().max_connections(1).connect(&old).await.unwrap_err();
    assert!(shared::db::is_refused_login(&refused), "the old password is refused: {refused}");

    // The warm function's next request logs in with the new password, read from the secret.
    let (status, body) = call(path.clone()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(app.db.credential_rereads(), 1, "read once");

    // Another rotation, and many requests refused at once: they share one re-read. (Past
    // the interval within which a refusal trusts the last re-read instead of reading again.)
    tokio::time::sleep(shared::db::REREAD_INTERVAL + std::time::Duration::from_millis(200)).await;
    sql(&cluster.admin_url("kairos"), "ALTER ROLE kairos_app PASSWORD 'third-password-8901'").await;
    put_secret(&secret_id, credentials("third-password-8901")).await;
    disconnect_the_app(&cluster).await;
    let answers = futures_util::future::join_all((0..8).map(|_| call(path.clone()))).await;
    assert!(answers.iter().all(|(s, _)| *s == StatusCode::OK), "{answers:?}");
    assert_eq!(app.db.credential_rereads(), 2, "one re-read for the eight refusals");

    // Credentials nobody can log in with (a rotation half done): 503 with Retry-After and a
    // stable code, not a 500. (A fresh pool: no recent re-read to lean on.)
    put_secret(&secret_id, credentials("not-the-password-89")).await;
    shared::secrets::forget(&secret_id);
    let broken = Db::from_config(&app.config, Role::App).await.expect("config").expect("a pool");
    let broken_app = App::new((*app.config).clone(), broken);
    let res = {
        use tower::ServiceExt;
        let req = axum::http::Request::get(path).body(axum::body::Body::empty()).unwrap();
        local::router(broken_app.clone()).oneshot(req).await.unwrap()
    };
    let status = res.status();
    let retry_after = res.headers().get("retry-after").cloned();
    let body = axum::body::to_bytes(res.into_body(), 1 << 20).await.unwrap();
    let body: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    assert_eq!((status, body["code"].as_str()), (StatusCode::SERVICE_UNAVAILABLE, Some("UNAVAILABLE")), "{body}");
    assert!(retry_after.is_some(), "Retry-After");
    assert_eq!(broken_app.db.credential_rereads(), 1, "it tried the secret once more");

    let secrets = aws_sdk_secretsmanager::Client::new(shared::aws::sdk_config().await);
    let _ = secrets.delete_secret().secret_id(&secret_id).force_delete_without_recovery(true).send().await;
}
