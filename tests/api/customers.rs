use axum::http::StatusCode;
use e2e::TestApp;
use serde_json::json;
use shared::Role;

#[tokio::test]
async fn customers_create_get_update_list_search() {
    let t = TestApp::spawn_at("2026-11-21T08:00:00Z").await;
    let a = t.tenant("Customers").await;
    let b = t.tenant("Other").await;
    let staff = t.member(&a, Role::Staff).await;

    let res = t
        .post(
            "/v1/customers",
            Some(&staff),
            json!({"name": "Maria Schulz", "email": "Maria@Example.com", "phone": "+49 151 2345678"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    assert_eq!(
        (res.body["email"].as_str(), res.body["phone"].as_str()),
        (Some("maria@example.com"), Some("+491512345678"))
    );
    let maria = res.id();
    t.post("/v1/customers", Some(&staff), json!({"name": "Mario Rossi", "email": "mario@example.com"})).await;
    t.post(
        "/v1/customers",
        Some(&staff),
        json!({"name": "Zoe Park", "email": "zoe@park.example", "phone": "+14155550123"}),
    )
    .await;
    t.post("/v1/customers", Some(&b.owner), json!({"name": "Maria Other", "email": "maria@other.example"})).await;

    let dup = t.post("/v1/customers", Some(&staff), json!({"name": "M", "email": "maria@example.com"})).await;
    assert_eq!((dup.status, dup.field()), (StatusCode::CONFLICT, "email"));

    let names = |res: &e2e::Res| -> Vec<String> {
        res.body["data"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap().to_owned()).collect()
    };
    let mut found = names(&t.get("/v1/customers/search?q=mari", Some(&staff)).await);
    found.sort();
    assert_eq!(found, ["Maria Schulz", "Mario Rossi"]);
    // The closest match comes first.
    assert_eq!(names(&t.get("/v1/customers/search?q=maria%20s", Some(&staff)).await)[0], "Maria Schulz");
    assert_eq!(names(&t.get("/v1/customers/search?q=PARK.ex", Some(&staff)).await), ["Zoe Park"]);
    assert_eq!(names(&t.get("/v1/customers/search?q=4155", Some(&staff)).await), ["Zoe Park"]);
    assert_eq!(
        names(&t.get("/v1/customers/search?q=%25%25", Some(&staff)).await),
        Vec::<String>::new(),
        "% is literal"
    );
    assert_eq!(t.get("/v1/customers/search?q=m", Some(&staff)).await.field(), "q");
    assert_eq!(t.get("/v1/customers/search", Some(&staff)).await.field(), "q");

    let res = t
        .patch(&format!("/v1/customers/{maria}"), Some(&staff), json!({"notes": "Allergic to latex", "phone": null}))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!((res.body["notes"].as_str(), &res.body["phone"]), (Some("Allergic to latex"), &json!(null)));
    assert_eq!(t.patch(&format!("/v1/customers/{maria}"), Some(&staff), json!({"email": "x"})).await.field(), "email");
    assert_eq!(t.get(&format!("/v1/customers/{maria}"), Some(&staff)).await.body["name"], "Maria Schulz");

    let page = t.get("/v1/customers?limit=2", Some(&staff)).await;
    assert_eq!(page.body["data"].as_array().map(Vec::len), Some(2));
    assert!(page.body["next_cursor"].is_string());

    // Business B: its own Maria only, and A's are 404.
    assert_eq!(names(&t.get("/v1/customers/search?q=maria", Some(&b.owner)).await), ["Maria Other"]);
    for res in [
        t.get(&format!("/v1/customers/{maria}"), Some(&b.owner)).await,
        t.patch(&format!("/v1/customers/{maria}"), Some(&b.owner), json!({"notes": "x"})).await,
        t.get(&format!("/v1/customers/{maria}/activity"), Some(&b.owner)).await,
    ] {
        assert_eq!(res.status, StatusCode::NOT_FOUND);
        assert!(!res.body.to_string().contains("Schulz"));
    }
    assert_eq!(t.get("/v1/customers", Some(&b.owner)).await.body["data"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn customer_activity_is_newest_first() {
    let t = TestApp::spawn_at("2026-11-21T08:00:00Z").await;
    let s = t
        .salon(
            "Europe/Berlin",
            1,
            &[(1, "09:00", "17:00"), (2, "09:00", "17:00")],
            json!({"name": "Cut", "duration_minutes": 30}),
        )
        .await;
    let first = t.book(&s, "2026-11-30T09:00:00Z", None, "kim@example.com").await;
    let second = t.book(&s, "2026-12-01T09:00:00Z", None, "kim@example.com").await;
    let third = t.book(&s, "2026-11-30T12:00:00Z", None, "kim@example.com").await;
    let customer: uuid::Uuid = sqlx::query_scalar("SELECT id FROM customers").fetch_one(&t.db.admin).await.unwrap();
    let owner = Some(s.tenant.owner.as_str());
    let page1 = t.get(&format!("/v1/customers/{customer}/activity?limit=2"), owner).await;
    assert_eq!(page1.status, StatusCode::OK, "{}", page1.body);
    let ids = |r: &e2e::Res| -> Vec<String> {
        r.body["data"].as_array().unwrap().iter().map(|v| v["appointment_id"].as_str().unwrap().to_owned()).collect()
    };
    assert_eq!(ids(&page1), [second.id(), third.id()]);
    assert_eq!(page1.body["data"][0]["service_name"], "Cut");
    let cursor = page1.body["next_cursor"].as_str().unwrap();
    let page2 = t.get(&format!("/v1/customers/{customer}/activity?limit=2&cursor={cursor}"), owner).await;
    assert_eq!(ids(&page2), [first.id()]);
    assert_eq!(page2.body["next_cursor"], json!(null));
}

#[tokio::test]
async fn search_uses_the_trigram_index_and_stays_inside_the_tenant() {
    let t = TestApp::spawn().await;
    let a = t.tenant("Plans").await;
    // The search table is only reachable through search_customers().
    let mut conn = t.app.db.acquire().await.unwrap();
    let direct = sqlx::query("SELECT * FROM customer_search").fetch_all(&mut *conn).await;
    assert!(direct.unwrap_err().to_string().contains("permission denied"));
    // Tiny tables are scanned anyway; with scans priced out, the plan shows the index the
    // function's query can use.
    let mut tx = t.db.admin.begin().await.unwrap();
    sqlx::query("SET LOCAL enable_seqscan = off").execute(&mut *tx).await.unwrap();
    let plan: Vec<String> = sqlx::query_scalar(
        "EXPLAIN SELECT customer_id FROM customer_search WHERE business_id = $1 AND document LIKE '%mari%'",
    )
    .bind(a.business_id)
    .fetch_all(&mut *tx)
    .await
    .unwrap();
    assert!(plan.join("\n").contains("customer_search_document"), "{plan:?}");
}
