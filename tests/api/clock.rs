//! One clock: every rule that depends on time reads the application's clock (`app.now()`)
//! and passes it to SQL as a parameter. PostgreSQL's clock only fills audit columns
//! (`created_at`, `updated_at`). These checks fail when code or schema reads another clock.

use std::path::{Path, PathBuf};

use e2e::TestApp;

/// SQL that reads PostgreSQL's clock (`'now'` and `'today'` are literals PostgreSQL turns
/// into its clock's reading, braces and all: `'{{now}}'` is one too).
const SQL_CLOCKS: &[&str] = &[
    "now()",
    "current_timestamp",
    "clock_timestamp(",
    "statement_timestamp(",
    "transaction_timestamp(",
    "timeofday(",
    "localtimestamp",
    "current_date",
    "current_time",
    "'now'",
    "'today'",
    "'{{now}}'",
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
                let schema_qualified = lower[..at].ends_with("pg_catalog.");
                let closed = clock.ends_with(')') || clock.ends_with('\'');
                if !schema_qualified && (word(before) || matches!(before, Some('.' | ':')) || (!closed && word(after)))
                {
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
        sqlx::query("SELECT id FROM waitlist_entries WHERE offer_expires_at > 'now'::timestamptz")
        sqlx::query("SELECT id FROM auth_tokens WHERE expires_at > pg_catalog.now()")
    "#;
    let found = other_clocks("functions/demo/src/planted.rs", planted);
    assert_eq!(found.len(), 7, "{found:#?}");
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

/// Audit columns that rules read after all: they must be written from the application's
/// clock, never left to their default.
const READ_BY_RULES: &[&str] = &["auth_tokens.created_at", "idempotency_keys.created_at"];

/// Columns whose `DEFAULT now()` outlives this release only because the release it replaces
/// inserts without them (migration 20261202000001). Every insert now writes them from the
/// application's clock; the next release's migration drops these defaults and this list.
const PENDING_DEFAULTS: &[&str] = &[
    "appointments.scheduled_at",
    "auth_tokens.created_at",
    "id_token_uses.used_at",
    "idempotency_keys.created_at",
    "login_failures.failed_at",
    "sessions.last_used_at",
    "user_identities.last_used_at",
];

const PG_CLOCKS: &str = r"now\(\)|current_timestamp|clock_timestamp|statement_timestamp|transaction_timestamp|timeofday|localtime|current_date|current_time|'now'|'today'";

/// The schema's own functions, policies, views and defaults: nothing reads PostgreSQL's
/// clock but the defaults of audit columns.
#[tokio::test]
async fn the_schema_reads_only_the_clock_it_is_given() {
    let t = TestApp::spawn().await;
    let functions: Vec<String> = sqlx::query_scalar(
        "SELECT p.proname::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
         WHERE n.nspname = 'public' AND p.prosrc ~* $1 ORDER BY 1",
    )
    .bind(PG_CLOCKS)
    .fetch_all(&t.db.admin)
    .await
    .unwrap();
    assert_eq!(functions, Vec::<String>::new(), "functions that read PostgreSQL's clock instead of p_now");

    let policies: Vec<String> = sqlx::query_scalar(
        "SELECT tablename || '.' || policyname FROM pg_policies
         WHERE schemaname = 'public' AND (coalesce(qual, '') || coalesce(with_check, '')) ~* $1",
    )
    .bind(PG_CLOCKS)
    .fetch_all(&t.db.admin)
    .await
    .unwrap();
    assert_eq!(policies, Vec::<String>::new(), "row-level security policies that read PostgreSQL's clock");
    let views: Vec<String> =
        sqlx::query_scalar("SELECT viewname::text FROM pg_views WHERE schemaname = 'public' AND definition ~* $1")
            .bind(PG_CLOCKS)
            .fetch_all(&t.db.admin)
            .await
            .unwrap();
    assert_eq!(views, Vec::<String>::new(), "views that read PostgreSQL's clock");

    let defaults: Vec<String> = sqlx::query_scalar(
        "SELECT c.relname || '.' || a.attname
         FROM pg_attrdef d
         JOIN pg_class c ON c.oid = d.adrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace
         JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum
         WHERE n.nspname = 'public' AND c.relname <> '_sqlx_migrations' AND pg_get_expr(d.adbin, d.adrelid) ~* $1
         ORDER BY 1",
    )
    .bind(PG_CLOCKS)
    .fetch_all(&t.db.admin)
    .await
    .unwrap();
    let audit = |c: &str| (c.ends_with(".created_at") || c.ends_with(".updated_at")) && !READ_BY_RULES.contains(&c);
    let others: Vec<&String> =
        defaults.iter().filter(|c| !audit(c) && !PENDING_DEFAULTS.contains(&c.as_str())).collect();
    assert_eq!(others, Vec::<&String>::new(), "columns other than audit columns that default to PostgreSQL's clock");
    assert!(defaults.len() > 10, "the query finds the audit defaults ({} found)", defaults.len());
    // The pending list only shrinks: an entry whose default is gone must leave it.
    let gone: Vec<&&str> = PENDING_DEFAULTS.iter().filter(|c| !defaults.iter().any(|d| d == **c)).collect();
    assert_eq!(gone, Vec::<&&str>::new(), "defaults dropped: remove them from PENDING_DEFAULTS");
}
