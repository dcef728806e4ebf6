//! The API's contract around the objects: keys, errors, idempotency, lists and expansion.

use stripe_fake::{Fake, STARTER_MONTHLY_PRICE};

use crate::common::{Api, stopped_fake, subscribe};

#[tokio::test]
async fn a_wrong_or_missing_key_is_refused_with_401() {
    let fake = Fake::start().await;
    let (status, body) = Api::with_key(&fake, "sk_test_not_the_key").get("/customers").await;
    assert_eq!(status, 401);
    assert_eq!(body["error"]["type"], "invalid_request_error");
    assert_eq!(body["error"]["message"], "Invalid API Key provided: sk_test_*******_key");

    let status = reqwest::get(format!("{}v1/customers", fake.base_url())).await.unwrap().status();
    assert_eq!(status, 401);
    assert_eq!(fake.requests().len(), 2, "refused calls are recorded too");
}

#[tokio::test]
async fn a_missing_or_unknown_parameter_is_named() {
    let fake = Fake::start().await;
    let api = Api::new(&fake);
    let customer = api.customer("ada@example.test").await;
    type Params<'a> = &'a [(&'a str, &'a str)];
    let cases: [(Params, u16, &str, &str); 5] = [
        (&[("customer", &customer)], 400, "parameter_missing", "mode"),
        (&[("mode", "subscription"), ("customer", &customer)], 400, "parameter_missing", "line_items"),
        (
            &[("mode", "subscription"), ("line_items[0][price]", STARTER_MONTHLY_PRICE)],
            400,
            "parameter_missing",
            "line_items[0][quantity]",
        ),
        (
            &[("mode", "subscription"), ("line_items[0][price]", "price_nope"), ("line_items[0][quantity]", "1")],
            404,
            "resource_missing",
            "line_items[0][price]",
        ),
        (&[("mode", "subscription"), ("customer", "cus_nope")], 404, "resource_missing", "customer"),
    ];
    for (params, status, code, param) in cases {
        let (got, body) = api.post("/checkout/sessions", params).await;
        assert_eq!(
            (got, body["error"]["code"].as_str(), body["error"]["param"].as_str()),
            (status, Some(code), Some(param))
        );
    }
    let (status, body) = api.post("/billing_portal/sessions", &[]).await;
    assert_eq!((status, body["error"]["param"].as_str()), (400, Some("customer")));
    let (status, body) = api.get("/nothing/here").await;
    assert_eq!(status, 404);
    assert!(body["error"]["message"].as_str().unwrap().starts_with("Unrecognized request URL (GET: /v1/nothing/here)"));
}

#[tokio::test]
async fn an_idempotency_key_replays_the_first_response() {
    let fake = Fake::start().await;
    let api = Api::new(&fake);
    let params = [("email", "ada@example.test"), ("metadata[business_id]", "biz_1")];
    let (_, first) = api.post_idempotent("/customers", &params, "signup-biz_1").await;
    let (status, again) = api.post_idempotent("/customers", &params, "signup-biz_1").await;
    assert_eq!(status, 200);
    assert_eq!(first, again);
    assert_eq!(fake.customers().len(), 1);
    let posts = fake.requests().iter().filter(|r| *r == &("POST".to_owned(), "/v1/customers".to_owned())).count();
    assert_eq!(posts, 2);

    let (status, body) = api.post_idempotent("/customers", &[("email", "bob@example.test")], "signup-biz_1").await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["type"], "idempotency_error");
}

#[tokio::test]
async fn a_replay_is_marked_and_keeps_its_request_id() {
    let fake = Fake::start().await;
    let http = reqwest::Client::new();
    let send = || {
        http.post(format!("{}v1/customers", fake.base_url()))
            .bearer_auth(fake.api_key())
            .header("idempotency-key", "k1")
            .header("content-type", "application/x-www-form-urlencoded")
            .body("email=ada%40example.test")
            .send()
    };
    let first = send().await.unwrap();
    let again = send().await.unwrap();
    assert!(first.headers().get("idempotent-replayed").is_none());
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(first.headers()["request-id"], again.headers()["request-id"]);
}

#[tokio::test]
async fn a_canceled_subscription_only_takes_metadata() {
    let fake = stopped_fake().await;
    let api = Api::new(&fake);
    let sub = subscribe(&fake, None, true, "cancel").await;
    let path = format!("/subscriptions/{sub}");
    let (status, canceled) = api.delete(&path).await;
    assert_eq!((status, canceled["status"].as_str()), (200, Some("canceled")));
    assert_eq!(fake.events().last().unwrap()["type"], "customer.subscription.deleted");

    let (status, body) = api.post(&path, &[("cancel_at_period_end", "true")]).await;
    assert_eq!(status, 400);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("A canceled subscription can only update its cancellation_details")
    );
    let (status, body) = api.post(&path, &[("metadata[note]", "churned")]).await;
    assert_eq!((status, body["metadata"]["note"].as_str()), (200, Some("churned")));
    assert_eq!(api.delete(&path).await.0, 400, "canceling twice");
}

#[tokio::test]
async fn lists_filter_by_customer_and_status() {
    let fake = stopped_fake().await;
    let api = Api::new(&fake);
    let kept = subscribe(&fake, None, true, "cancel").await;
    let ended = subscribe(&fake, None, true, "cancel").await;
    api.delete(&format!("/subscriptions/{ended}")).await;
    let customer = fake.subscription(&kept).unwrap()["customer"].as_str().unwrap().to_owned();

    let (_, live) = api.get("/subscriptions").await;
    assert_eq!(live["object"], "list");
    assert_eq!(live["url"], "/v1/subscriptions");
    assert_eq!(live["data"].as_array().unwrap().len(), 1, "canceled ones only with a status filter");
    let (_, all) = api.get("/subscriptions?status=all").await;
    assert_eq!(all["data"].as_array().unwrap().len(), 2);
    let (_, mine) = api.get(&format!("/subscriptions?customer={customer}&status=all")).await;
    assert_eq!(mine["data"][0]["id"], kept.as_str());
    let (_, page) = api.get("/subscriptions?status=all&limit=1").await;
    assert_eq!((page["data"].as_array().unwrap().len(), page["has_more"].as_bool()), (1, Some(true)));
}

#[tokio::test]
async fn expand_replaces_ids_with_objects() {
    let fake = stopped_fake().await;
    let api = Api::new(&fake);
    let sub = subscribe(&fake, None, true, "cancel").await;
    let (_, expanded) = api.get(&format!("/subscriptions/{sub}?expand[]=latest_invoice&expand[]=customer")).await;
    assert_eq!(expanded["latest_invoice"]["object"], "invoice");
    assert_eq!(expanded["customer"]["object"], "customer");
    let (_, list) = api.get("/subscriptions?expand[0]=data.items.data.price.product").await;
    assert_eq!(list["data"][0]["items"]["data"][0]["price"]["product"]["object"], "product");
}
