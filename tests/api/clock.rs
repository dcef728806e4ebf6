//! One clock: every rule that depends on time reads the application's clock (`app.now()`)
//! and passes it to SQL as a parameter. PostgreSQL's clock only fills audit columns
//! (`created_at`, `updated_at`). These checks fail when code or schema reads another clock.

use std::path::{Path, PathBuf};

use e2e::TestApp;
use sqlx::Row;

/// SQL that reads PostgreSQL's clock.
const SQL_CLOCKS: &[&str] = &[
    "now()",
    "current_timestamp",
    "clock_timestamp(",
    "statement_timestamp(",
    "transaction_timestamp(",
    "localtimestamp",
    "current_date",
    "current_time",
];

/// Rust that reads the system clock, which only `App::now` may do.
const RUST_CLOCKS: &[&str] = &["Utc::now()", "SystemTime::now()", "get_current_timestamp()", "Local::now()"];

/// The writes that may take PostgreSQL's clock: audit columns.
const AUDIT_WRITES: &[&str] = &["updated_at = now()", "created_at = now()"];

/// The one file that reads the system clock: the application's clock itself.
const THE_CLOCK: &str = "shared/src/app.rs";

/// Every place in `source` (a Rust file at `path`, relative to the root) that reads a clock
/// other than the application's, as `path:line: text`.
fn other_clocks(path: &str, source: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (n, line) in source.lines().enumerate() {
        let code = line.split("//").next().unwrap_or_default();
        let lower = code.to_lowercase();
        let mut hits = Vec::new();
        for clock in SQL_CLOCKS {
            for (at, _) in lower.match_indices(clock) {
                // `app.now()`, `Utc::now()`, `fn now()`: Rust, not SQL.
                let before = lower[..at].chars().next_back();
                let after = lower[at + clock.len()..].chars().next();
                let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
                if word(before) || matches!(before, Some('.' | ':')) || (!clock.ends_with(')') && word(after)) {
                    continue;
                }
                if AUDIT_WRITES.iter().any(|w| lower[..at + clock.len()].ends_with(w)) {
                    continue;
                }
                hits.push(*clock);
            }
        }
        if path != THE_CLOCK {
            hits.extend(RUST_CLOCKS.iter().filter(|c| code.contains(**c)));
        }
        if !hits.is_empty() {
            found.push(format!("{path}:{}: {}", n + 1, line.trim()));
        }
    }
    found
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[test]
fn code_reads_only_the_applications_clock() {
    let root = root();
    let mut files = Vec::new();
    rust_files(&root.join("shared/src"), &mut files);
    rust_files(&root.join("functions"), &mut files);
    assert!(files.len() > 100, "found only {} files", files.len());
    let mut found = Vec::new();
    for file in &files {
        let relative = file.strip_prefix(&root).unwrap().to_string_lossy().replace('\\', "/");
        found.extend(other_clocks(&relative, &std::fs::read_to_string(file).unwrap()));
    }
    assert!(
        found.is_empty(),
        "time rules must read the application's clock (app.now(), passed to SQL as a parameter):\n{}",
        found.join("\n")
    );
}

#[test]
fn the_check_catches_a_planted_second_clock() {
    let planted = r#"
        sqlx::query!("SELECT id FROM auth_tokens WHERE expires_at > now()")
        sqlx::query!("DELETE FROM outbox WHERE published_at < CURRENT_TIMESTAMP - interval '30 days'")
        sqlx::query!("UPDATE users SET email_verified_at = now(), updated_at = now() WHERE id = $1")
        sqlx::query("UPDATE deliveries SET claimed_at = clock_timestamp()")
        let today = chrono::Utc::now().date_naive();
    "#;
    let found = other_clocks("functions/demo/src/planted.rs", planted);
    assert_eq!(found.len(), 5, "{found:#?}");
    // What is allowed: the application's clock, audit writes, monotonic timers, comments.
    let fine = r#"
        let now = app.now();
        sqlx::query!("UPDATE users SET name = $2, updated_at = now() WHERE id = $1")
        let started = Instant::now();
        let id = Uuid::now_v7();
        // PostgreSQL's now() only fills audit columns.
    "#;
    assert_eq!(other_clocks("functions/demo/src/fine.rs", fine), Vec::<String>::new());
}

/// The schema's own functions and defaults: no function body reads PostgreSQL's clock,
/// and only audit columns default to it.
#[tokio::test]
async fn the_schema_reads_only_the_clock_it_is_given() {
    let t = TestApp::spawn().await;
    let pattern = r"now\(\)|current_timestamp|clock_timestamp|statement_timestamp|transaction_timestamp|localtimestamp|current_date|current_time";
    let functions: Vec<String> = sqlx::query_scalar(
        "SELECT p.proname::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
         WHERE n.nspname = 'public' AND p.prosrc ~* $1 ORDER BY 1",
    )
    .bind(pattern)
    .fetch_all(&t.db.admin)
    .await
    .unwrap();
    assert_eq!(functions, Vec::<String>::new(), "functions that read PostgreSQL's clock instead of p_now");

    let defaults = sqlx::query(
        "SELECT c.relname::text AS table_name, a.attname::text AS column_name
         FROM pg_attrdef d
         JOIN pg_class c ON c.oid = d.adrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace
         JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum
         WHERE n.nspname = 'public' AND pg_get_expr(d.adbin, d.adrelid) ~* $1
         ORDER BY 1, 2",
    )
    .bind(pattern)
    .fetch_all(&t.db.admin)
    .await
    .unwrap();
    let not_audit: Vec<String> = defaults
        .iter()
        .map(|r| (r.get::<String, _>("table_name"), r.get::<String, _>("column_name")))
        // sqlx's own bookkeeping records when a migration ran: an audit column too.
        .filter(|(table, column)| column != "created_at" && column != "updated_at" && table != "_sqlx_migrations")
        .map(|(table, column)| format!("{table}.{column}"))
        .collect();
    assert_eq!(not_audit, Vec::<String>::new(), "columns other than audit columns that default to now()");
    assert!(defaults.len() > 10, "the query finds the audit defaults ({} found)", defaults.len());
}
