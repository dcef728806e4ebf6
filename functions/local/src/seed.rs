//! Demo data, created through the operations themselves (the same requests a client
//! would send), so the seed never drifts from the API.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use serde_json::{Value, json};
use shared::App;
use tower::ServiceExt;

pub const DEMO_EMAIL: &str = "owner@demo.kairos.test";
pub const DEMO_PASSWORD: &str = "demo-password-1";

/// Create the demo business unless its owner can already log in. Returns a login line.
pub async fn demo(app: App) -> Result<String, String> {
    let router = crate::router(app.clone());
    let call = |method: Method, path: &str, token: Option<&str>, body: Value| {
        let router = router.clone();
        let mut req = Request::builder().method(method).uri(path).header("content-type", "application/json");
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        let req = req.body(Body::from(body.to_string()));
        async move {
            let req = req.map_err(|e| e.to_string())?;
            let res = router.oneshot(req).await.map_err(|e| e.to_string())?;
            let status = res.status();
            let bytes = axum::body::to_bytes(res.into_body(), 1 << 20).await.map_err(|e| e.to_string())?;
            let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
            Ok::<_, String>((status, body))
        }
    };

    let login = json!({"email": DEMO_EMAIL, "password": DEMO_PASSWORD});
    let (status, _) = call(Method::POST, "/v1/auth/login", None, login).await?;
    if status == StatusCode::OK {
        return Ok(format!("demo business exists; log in as {DEMO_EMAIL} / {DEMO_PASSWORD}"));
    }

    let (status, reg) = call(
        Method::POST,
        "/v1/auth/register",
        None,
        json!({"business_name": "Demo Hair Studio", "email": DEMO_EMAIL, "password": DEMO_PASSWORD,
               "time_zone": "Europe/Berlin", "name": "Dana Demo"}),
    )
    .await?;
    if status != StatusCode::CREATED {
        return Err(format!("register failed: {status} {reg}"));
    }
    let token = reg["access_token"].as_str().unwrap_or_default().to_owned();
    let t = Some(token.as_str());
    let expect = |what: &str, (status, body): (StatusCode, Value)| {
        if status.is_success() { Ok(body) } else { Err(format!("{what} failed: {status} {body}")) }
    };

    let business_id: uuid::Uuid =
        reg["business"]["id"].as_str().and_then(|s| s.parse().ok()).ok_or("no business id")?;
    // The demo shows every feature: it is on Pro, as if a checkout had been paid.
    let mut tx = app.db.tenant_tx(business_id).await.map_err(|e| e.detail)?;
    sqlx::query(
        "INSERT INTO billing_accounts (business_id, stripe_customer_id, subscription_id, plan_id, status, synced_at)
         VALUES ($1, 'cus_demo', 'sub_demo', 'pro', 'active', $2)",
    )
    .bind(business_id)
    .bind(app.now())
    .execute(&mut *tx)
    .await
    .map_err(|e| e.to_string())?;
    tx.commit().await.map_err(|e| e.to_string())?;
    let location = expect(
        "location",
        call(
            Method::POST,
            "/v1/locations",
            t,
            json!({"name": "Mitte", "address_line1": "Torstraße 1",
            "city": "Berlin", "postal_code": "10119", "country": "DE"}),
        )
        .await?,
    )?;
    let mut staff_ids = Vec::new();
    for (name, email) in [("Alex Schmidt", "alex@demo.kairos.test"), ("Sam Weber", "sam@demo.kairos.test")] {
        let s = expect(
            "staff",
            call(Method::POST, "/v1/staff", t, json!({"name": name, "email": email, "location_id": location["id"]}))
                .await?,
        )?;
        staff_ids.push(s["id"].clone());
    }
    // Monday to Saturday, 09:00-18:00. Written directly until the availability
    // operations exist; then this becomes a PUT like the rest.
    let mut tx = app.db.tenant_tx(business_id).await.map_err(|e| e.to_string())?;
    for id in &staff_ids {
        let id: uuid::Uuid = id.as_str().and_then(|s| s.parse().ok()).ok_or("no staff id")?;
        sqlx::query(
            "INSERT INTO staff_weekly_hours (business_id, staff_id, weekday, start_minute, end_minute)
             SELECT $1, $2, d, 540, 1080 FROM generate_series(1, 6) d",
        )
        .bind(business_id)
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(|e| e.to_string())?;
    }
    tx.commit().await.map_err(|e| e.to_string())?;
    for (name, minutes, cents) in [("Haircut", 30, 3500), ("Colour", 90, 8900), ("Beard trim", 15, 1500)] {
        expect(
            "service",
            call(
                Method::POST,
                "/v1/services",
                t,
                json!({"name": name, "duration_minutes": minutes,
                "buffer_after_minutes": 5, "price": {"amount": cents, "currency": "EUR"}, "staff_ids": staff_ids}),
            )
            .await?,
        )?;
    }
    let slug = reg["business"]["slug"].as_str().unwrap_or_default();
    Ok(format!("demo business '{slug}' created; log in as {DEMO_EMAIL} / {DEMO_PASSWORD}"))
}
