use axum::http::StatusCode;
use e2e::TestApp;
use serde_json::json;

#[tokio::test]
async fn the_plans_are_public_cheapest_first_with_their_limits() {
    let t = TestApp::spawn().await;
    let res = t.get("/v1/billing/plans", None).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let plans = res.body["data"].as_array().unwrap();
    let ids: Vec<&str> = plans.iter().map(|p| p["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["free", "starter", "pro"]);
    assert_eq!(plans[0]["price"], json!({"amount": 0, "currency": "EUR", "interval": "month"}));
    assert_eq!(plans[0]["trial_days"], 0, "nothing to try on Free");
    assert_eq!(
        plans[1]["limits"],
        json!({"staff": 4, "locations": 1, "monthly_bookings": 1000, "whatsapp": true, "monthly_campaign_emails": 1000})
    );
    assert_eq!(plans[2]["limits"]["monthly_bookings"], json!(null), "no limit");
    assert!(plans.iter().all(|p| p.get("stripe_price_id").is_none()), "price ids stay on the server");
    assert_eq!(res.body["next_cursor"], json!(null));
}

#[tokio::test]
async fn a_withdrawn_plan_is_not_offered() {
    let t = TestApp::spawn().await;
    sqlx::query("UPDATE plans SET active = false WHERE id = 'starter'").execute(&t.db.admin).await.unwrap();
    let res = t.get("/v1/billing/plans", None).await;
    let ids: Vec<&str> = res.body["data"].as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["free", "pro"]);
}
