//! Row-level security: the database itself keeps tenants apart.

use e2e::TestApp;
use serde_json::json;
use sqlx::Row;

#[tokio::test]
async fn a_tenant_transaction_sees_only_its_own_rows() {
    let t = TestApp::spawn().await;
    let a = t.tenant("RLS A").await;
    let b = t.tenant("RLS B").await;
    for i in 0..3 {
        t.post("/v1/staff", Some(&a.owner), json!({"name": format!("A{i}"), "email": format!("a{i}@example.com")}))
            .await;
    }
    t.post("/v1/staff", Some(&b.owner), json!({"name": "B0", "email": "b0@example.com"})).await;

    // Inside business B's transaction, an unfiltered SELECT returns none of A's rows.
    let mut tx = t.app.db.tenant_tx(b.business_id).await.unwrap();
    let rows = sqlx::query("SELECT * FROM staff").fetch_all(&mut *tx).await.unwrap();
    let owners: Vec<uuid::Uuid> = rows.iter().map(|r| r.get("business_id")).collect();
    assert_eq!(owners, vec![b.business_id]);
    let businesses: i64 = sqlx::query_scalar("SELECT count(*) FROM businesses").fetch_one(&mut *tx).await.unwrap();
    assert_eq!(businesses, 1);
    // Writing into another tenant is refused by the policy's WITH CHECK.
    let err = sqlx::query("INSERT INTO locations (id, business_id, name) VALUES (gen_random_uuid(), $1, 'x')")
        .bind(a.business_id)
        .execute(&mut *tx)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("row-level security"), "{err}");
    drop(tx);

    // With no tenant set, every tenant table is empty; the scope ends with its transaction.
    let mut conn = t.app.db.acquire().await.unwrap();
    let mut tx = t.app.db.tenant_tx(a.business_id).await.unwrap();
    assert_eq!(sqlx::query_scalar::<_, i64>("SELECT count(*) FROM staff").fetch_one(&mut *tx).await.unwrap(), 3);
    tx.commit().await.unwrap();
    for table in ["businesses", "users", "staff", "services", "locations", "refresh_tokens"] {
        let n: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {table}")).fetch_one(&mut *conn).await.unwrap();
        assert_eq!(n, 0, "{table} without a tenant");
    }
}

#[tokio::test]
async fn the_application_role_cannot_bypass_rls() {
    let t = TestApp::spawn().await;
    let mut conn = t.app.db.acquire().await.unwrap();
    let (user, superuser, bypass): (String, bool, bool) =
        sqlx::query_as("SELECT current_user::text, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
    assert_eq!((user.as_str(), superuser, bypass), ("kairos_app", false, false));
    let owned: i64 = sqlx::query_scalar("SELECT count(*) FROM pg_class WHERE relowner = 'kairos_app'::regrole")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert_eq!(owned, 0, "kairos_app owns nothing");
    // Turning RLS off for the session is not allowed to a non-owner.
    let off = sqlx::query("SET row_security = off; SELECT * FROM staff").execute(&mut *conn).await;
    assert!(
        off.is_err()
            || sqlx::query_scalar::<_, i64>("SELECT count(*) FROM staff").fetch_one(&mut *conn).await.unwrap() == 0
    );
}

#[tokio::test]
async fn every_tenant_table_has_forced_rls() {
    let t = TestApp::spawn().await;
    // A table with tenant data either has forced RLS or is out of the application
    // role's reach entirely (customer_search, read only through search_customers()).
    let tables: Vec<(String, bool, bool, bool)> = sqlx::query_as(
        "SELECT c.relname::text, c.relrowsecurity, c.relforcerowsecurity,
                has_table_privilege('kairos_app', c.oid, 'SELECT, INSERT, UPDATE, DELETE')
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public' AND c.relkind = 'r'
           AND (EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'business_id')
                OR c.relname = 'businesses')",
    )
    .fetch_all(&t.db.admin)
    .await
    .unwrap();
    assert!(tables.len() >= 9, "{tables:?}");
    for (name, enabled, forced, app_can_touch) in tables {
        assert!(enabled && forced || !app_can_touch, "{name} must ENABLE and FORCE row level security");
    }
}

/// The cross-tenant functions (owned by kairos_worker) are the jobs login's alone: the
/// request path's login cannot execute a single one of them.
#[tokio::test]
async fn only_the_jobs_login_executes_the_cross_tenant_functions() {
    let t = TestApp::spawn().await;
    let rights: Vec<(String, bool, bool)> = sqlx::query_as(
        "SELECT p.oid::regprocedure::text,
                has_function_privilege('kairos_app', p.oid, 'EXECUTE'),
                has_function_privilege('kairos_jobs', p.oid, 'EXECUTE')
         FROM pg_proc p WHERE p.proowner = 'kairos_worker'::regrole ORDER BY 1",
    )
    .fetch_all(&t.db.admin)
    .await
    .unwrap();
    let names: Vec<&str> = rights.iter().map(|(f, _, _)| f.as_str()).collect();
    for expected in ["outbox_lock_unpublished(integer)", "queue_reminders_2h(timestamp with time zone,integer)"] {
        assert!(names.contains(&expected), "{expected} in {names:?}");
    }
    assert!(names.len() >= 10, "{names:?}");
    for (function, app, jobs) in &rights {
        assert!(!app, "kairos_app may execute {function}");
        assert!(jobs, "kairos_jobs may not execute {function}");
    }

    // And the refusal itself, as the request path's pool sees it.
    let mut tx = t.app.db.system_tx().await.unwrap();
    let err = sqlx::query("SELECT * FROM outbox_lock_unpublished(1)").fetch_all(&mut *tx).await.unwrap_err();
    assert_eq!(err.as_database_error().and_then(|e| e.code()).as_deref(), Some("42501"), "{err}");
    drop(tx);
    let mut tx = t.app.db.system_tx().await.unwrap();
    let err =
        sqlx::query("SELECT * FROM queue_reminders_2h($1, 1)").bind(t.app.now()).fetch_all(&mut *tx).await.unwrap_err();
    assert_eq!(err.as_database_error().and_then(|e| e.code()).as_deref(), Some("42501"), "{err}");
    drop(tx);
    // The jobs login runs them.
    let mut tx = t.app.jobs_db().system_tx().await.unwrap();
    let rows = sqlx::query("SELECT * FROM queue_reminders_2h($1, 1)").bind(t.app.now()).fetch_all(&mut *tx).await;
    assert!(rows.is_ok(), "{rows:?}");
}
