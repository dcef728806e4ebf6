use axum::http::StatusCode;
use e2e::TestApp;
use serde_json::json;
use shared::Role;

const NOW: &str = "2026-11-21T08:00:00Z";

#[tokio::test]
async fn join_list_remove() {
    let t = TestApp::spawn_at(NOW).await;
    let s = t.salon("Europe/Berlin", 1, &[(1, "09:00", "17:00")], json!({"name": "Cut", "duration_minutes": 30})).await;
    let staff = t.member(&s.tenant, Role::Staff).await;
    let other = t.tenant("Other").await;
    let path = format!("/v1/public/businesses/{}/waitlist", s.tenant.slug);
    let body = json!({"service_id": s.service, "from": "2026-11-30", "to": "2026-12-04",
                      "customer": {"name": "Wanda", "email": "wanda@example.com", "whatsapp_opt_in": true}});
    let res = t.post(&path, None, body.clone()).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    assert_eq!((res.body["status"].as_str(), res.body["customer_name"].as_str()), (Some("waiting"), Some("Wanda")));
    let entry = res.id();
    let opt_in: bool =
        sqlx::query_scalar("SELECT whatsapp_opt_in FROM customers").fetch_one(&t.db.admin).await.unwrap();
    assert!(opt_in);

    for (patch, field) in [
        (json!({"to": "2026-11-01"}), "to"),
        (json!({"from": "2026-11-01", "to": "2027-06-01"}), "to"),
        (json!({"from": "2026-01-01", "to": "2026-01-02"}), "to"),
        (json!({"staff_id": uuid::Uuid::now_v7()}), "staff_id"),
        (json!({"service_id": "x"}), "service_id"),
    ] {
        let mut b = body.clone();
        for (k, v) in patch.as_object().unwrap() {
            b[k] = v.clone();
        }
        let res = t.post(&path, None, b).await;
        assert_eq!((res.status, res.field()), (StatusCode::UNPROCESSABLE_ENTITY, field), "{}", res.body);
    }

    let list = t.get("/v1/waitlist?status=waiting", Some(&staff)).await;
    assert_eq!(list.body["data"].as_array().map(Vec::len), Some(1));
    assert_eq!(t.get("/v1/waitlist?status=nope", Some(&staff)).await.field(), "status");
    assert_eq!(t.get("/v1/waitlist", Some(&other.owner)).await.body["data"], json!([]));
    assert_eq!(t.delete(&format!("/v1/waitlist/{entry}"), Some(&other.owner)).await.status, StatusCode::NOT_FOUND);
    assert_eq!(t.delete(&format!("/v1/waitlist/{entry}"), Some(&staff)).await.status, StatusCode::NO_CONTENT);
    assert_eq!(t.delete(&format!("/v1/waitlist/{entry}"), Some(&staff)).await.status, StatusCode::NOT_FOUND);
    assert_eq!(t.get("/v1/waitlist?status=removed", Some(&staff)).await.body["data"].as_array().map(Vec::len), Some(1));
}

/// Put the entry in the offered state, as the waitlist-offer function will, and mint its link.
async fn offer(t: &TestApp, tenant: &e2e::Tenant, entry: &str, staff: &str, start: &str, expires: &str) -> String {
    sqlx::query(
        "UPDATE waitlist_entries SET status = 'offered', offered_start = $2::timestamptz, offered_staff_id = $3::uuid,
                offer_expires_at = $4::timestamptz WHERE id = $1::uuid",
    )
    .bind(entry)
    .bind(start)
    .bind(staff)
    .bind(expires)
    .execute(&t.db.admin)
    .await
    .unwrap();
    let keys = t.app.signing_keys().await.unwrap();
    keys.issue_link("waitlist", tenant.business_id, entry.parse().unwrap(), 4_000_000_000).unwrap()
}

#[tokio::test]
async fn claim_books_the_offered_slot_only_while_free_and_unexpired() {
    let t = TestApp::spawn_at(NOW).await;
    let s = t.salon("Europe/Berlin", 1, &[(1, "09:00", "17:00")], json!({"name": "Cut", "duration_minutes": 30})).await;
    let path = format!("/v1/public/businesses/{}/waitlist", s.tenant.slug);
    let join = |email: &str| json!({"service_id": s.service, "from": "2026-11-30", "to": "2026-11-30", "customer": {"name": "W", "email": email}});
    let first = t.post(&path, None, join("w1@example.com")).await.id();
    let second = t.post(&path, None, join("w2@example.com")).await.id();
    let third = t.post(&path, None, join("w3@example.com")).await.id();
    let staff = &s.staff[0];

    let link = offer(&t, &s.tenant, &first, staff, "2026-11-30T09:00:00Z", "2026-11-22T00:00:00Z").await;
    let res = t.post(&format!("/v1/public/waitlist/{link}/claim"), None, json!({})).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    assert_eq!(res.body["start"], "2026-11-30T09:00:00Z");
    let row: (String, Option<uuid::Uuid>) =
        sqlx::query_as("SELECT status, appointment_id FROM waitlist_entries WHERE id = $1::uuid")
            .bind(&first)
            .fetch_one(&t.db.admin)
            .await
            .unwrap();
    assert_eq!((row.0.as_str(), row.1.map(|u| u.to_string())), ("booked", Some(res.id())));
    let again = t.post(&format!("/v1/public/waitlist/{link}/claim"), None, json!({})).await;
    assert_eq!((again.status, again.code()), (StatusCode::CONFLICT, "NO_OFFER"));

    // The same time offered to someone else is no longer free.
    let link = offer(&t, &s.tenant, &second, staff, "2026-11-30T09:00:00Z", "2026-11-22T00:00:00Z").await;
    let res = t.post(&format!("/v1/public/waitlist/{link}/claim"), None, json!({})).await;
    assert_eq!((res.status, res.code()), (StatusCode::CONFLICT, "SLOT_TAKEN"));

    let link = offer(&t, &s.tenant, &third, staff, "2026-11-30T10:00:00Z", "2026-11-21T07:00:00Z").await;
    let res = t.post(&format!("/v1/public/waitlist/{link}/claim"), None, json!({})).await;
    assert_eq!((res.status, res.code()), (StatusCode::GONE, "OFFER_EXPIRED"));

    let res = t.post("/v1/public/waitlist/forged/claim", None, json!({})).await;
    assert_eq!((res.status, res.code()), (StatusCode::NOT_FOUND, "LINK_INVALID"));
    // A manage link is not a waitlist link.
    let booked = t.book(&s, "2026-11-30T11:00:00Z", None, "x@example.com").await;
    let manage = booked.body["manage_token"].as_str().unwrap();
    assert_eq!(t.post(&format!("/v1/public/waitlist/{manage}/claim"), None, json!({})).await.code(), "LINK_INVALID");
}
