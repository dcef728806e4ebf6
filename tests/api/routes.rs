//! Every HTTP route in functions.json, walked with its fixture request: without a token
//! it is refused (401) unless public; with another business's token and this business's
//! ids it is not found (404) and shows none of this business's data; and an owner-level
//! route refuses a staff-role member (403). A new route is covered the day it is added
//! (the manifest test makes sure it has a fixture).

use axum::http::{Method, StatusCode};
use e2e::TestApp;
use serde_json::Value;
use shared::Role;

#[tokio::test]
async fn every_route_refuses_strangers_other_tenants_and_lesser_roles() {
    let t = TestApp::spawn().await;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf();
    // Business A is the fixtures' business (fixed ids); B is a stranger.
    let seed = std::fs::read_to_string(root.join("events-fixtures/seed.sql")).unwrap();
    let now = t.app.now();
    let day = (now + chrono::Duration::days(21)).date_naive();
    let seed = seed
        // PostgreSQL would read a placeholder left as '{{now}}' as its own clock.
        .replace("{{now}}", &now.to_rfc3339())
        .replace("{{appointment_start}}", &format!("{day}T13:00:00Z"))
        .replace("{{appointment_end}}", &format!("{day}T13:30:00Z"))
        .replace("{{offer_start}}", &format!("{day}T14:00:00Z"))
        .replace("{{date}}", &day.to_string());
    sqlx::raw_sql(&seed).execute(&t.db.admin).await.unwrap();
    let a = e2e::Tenant {
        business_id: "01900000-0000-7000-8000-00000000000a".parse().unwrap(),
        slug: "fixture-studio".into(),
        owner_id: "01900000-0000-7000-8000-0000000000a1".parse().unwrap(),
        owner: String::new(),
    };
    let a_staff = t.member(&a, Role::Staff).await;
    let b = t.tenant("Stranger").await;
    // Data of A that must never show up in B's answers.
    let secrets = ["Fixture Studio", "Alex Schmidt", "alex@fixture.test", "Chris Customer", "chris@fixture.test"];

    let manifest: Value = serde_json::from_str(&std::fs::read_to_string(root.join("functions.json")).unwrap()).unwrap();
    let mut checked = 0;
    for f in manifest["functions"].as_array().unwrap() {
        let trigger = &f["trigger"];
        if trigger["type"] != "http" {
            continue;
        }
        let name = f["name"].as_str().unwrap();
        let access = trigger["access"].as_str().unwrap();
        let event: Value =
            serde_json::from_str(&std::fs::read_to_string(root.join(format!("events-fixtures/{name}.json"))).unwrap())
                .unwrap();
        let method: Method = event["requestContext"]["http"]["method"].as_str().unwrap().parse().unwrap();
        let fill = |s: &str| s.replace("{{date}}", &day.to_string()).replace("{{slot}}", &format!("{day}T09:00:00Z"));
        let mut path = fill(event["rawPath"].as_str().unwrap());
        if let Some(q) = event["rawQueryString"].as_str().filter(|q| !q.is_empty()) {
            path = format!("{path}?{}", fill(q));
        }
        // JSON bodies; the unsubscribe fixture's one-click form body is sent as none.
        let json_body = event["headers"]["content-type"].as_str().is_none_or(|c| c.starts_with("application/json"));
        let body: Option<Value> =
            event["body"].as_str().filter(|_| json_body).map(|b| serde_json::from_str(&fill(b)).unwrap());
        let has_ids = route_has_ids(trigger["path"].as_str().unwrap());

        if trigger["authorizer"] == true {
            let res = t.call(method.clone(), &path, None, body.clone(), &[]).await;
            assert_eq!(res.status, StatusCode::UNAUTHORIZED, "{name} without a token: {}", res.body);

            if name == "auth-logout" {
                // Would end the session the rest of the walk signs in with; it takes no
                // ids and no role (its own tests cover it).
                checked += 1;
                continue;
            }
            let res = t.call(method.clone(), &path, Some(&b.owner), body.clone(), &[]).await;
            if has_ids {
                assert_eq!(res.status, StatusCode::NOT_FOUND, "{name} with another business's token: {}", res.body);
            }
            let text = res.body.to_string();
            for secret in secrets {
                assert!(!text.contains(secret), "{name} showed {secret:?} to another business: {text}");
            }

            if access == "owner" {
                let res = t.call(method.clone(), &path, Some(&a_staff), body.clone(), &[]).await;
                assert_eq!(res.status, StatusCode::FORBIDDEN, "{name} for a staff member: {}", res.body);
            }
        } else if access == "stripe" {
            // Stripe's signature is its token: unsigned is refused before anything is read.
            let res = t.call(method.clone(), &path, None, body.clone(), &[]).await;
            assert_eq!(res.status, StatusCode::BAD_REQUEST, "{name} unsigned: {}", res.body);
        } else if access == "google" {
            // Google's channel headers are its credentials: a request without them is refused.
            let res = t.call(method.clone(), &path, None, body.clone(), &[]).await;
            assert_eq!(res.status, StatusCode::BAD_REQUEST, "{name} without channel headers: {}", res.body);
        } else {
            // Public and link routes never ask for a token; a token does not widen them.
            assert!(matches!(access, "public" | "customer-link"), "{name}: {access} route without the authorizer");
        }
        checked += 1;
    }
    assert!(checked >= 50, "walked only {checked} routes");
}

/// Whether the route names a resource by id (a path parameter other than a date, slug or
/// link token).
fn route_has_ids(route: &str) -> bool {
    route.split('/').any(|seg| seg.starts_with('{') && !matches!(seg, "{date}" | "{slug}" | "{token}"))
}
