//! The hosted pages a person sees: checkout (pay, or start a trial without a card) and
//! the billing portal (cancel at period end, or take it back). Plain HTML forms, so a
//! browser, curl or a headless test can click through them.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State as Extract};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::DateTime;

use crate::Fake;
use crate::billing::money;
use crate::events::Origin;
use crate::form::Form;
use crate::model::{CheckoutSession, SessionStatus, Subscription, SubscriptionStatus};
use crate::resources::schedule_cancellation;
use crate::state::State;

pub(crate) fn routes() -> Router<Fake> {
    Router::new()
        .route("/checkout/{id}", get(checkout_page))
        .route("/checkout/{id}/complete", post(complete_checkout))
        .route("/portal/{id}", get(portal_page))
        .route("/portal/{id}/subscriptions/{subscription}/toggle", post(toggle_cancellation))
}

async fn checkout_page(Extract(fake): Extract<Fake>, Path(id): Path<String>) -> Response {
    match fake.with_state(|st| checkout_html(st, &id)) {
        Some(html) => Html(html).into_response(),
        None => not_found("No such checkout session."),
    }
}

/// The form's submit: `payment_method=none` starts a trial without a card, anything else
/// pays with the test card. Then the customer is sent to `success_url` as Stripe does,
/// with `{CHECKOUT_SESSION_ID}` filled in.
async fn complete_checkout(Extract(fake): Extract<Fake>, Path(id): Path<String>, body: Bytes) -> Response {
    let with_card = Form::parse(&body).get("payment_method") != Some("none");
    let outcome = fake.with_state(|st| {
        st.complete_checkout(&id, with_card)?;
        Ok::<_, String>(st.sessions.get(&id).and_then(|s| s.success_url.clone()))
    });
    match outcome {
        Ok(Some(url)) => Redirect::to(&url.replace("{CHECKOUT_SESSION_ID}", &id)).into_response(),
        Ok(None) => Html(page("Thanks", "<p>Your subscription has started.</p>")).into_response(),
        Err(reason) => {
            (StatusCode::CONFLICT, Html(page("Checkout", &format!("<p>{}</p>", escape(&reason))))).into_response()
        }
    }
}

async fn portal_page(Extract(fake): Extract<Fake>, Path(id): Path<String>) -> Response {
    match fake.with_state(|st| portal_html(st, &id)) {
        Some(html) => Html(html).into_response(),
        None => not_found("No such portal session."),
    }
}

/// The portal's one action: cancel at the end of the period, or keep the plan after all.
async fn toggle_cancellation(
    Extract(fake): Extract<Fake>,
    Path((id, subscription)): Path<(String, String)>,
) -> Response {
    let toggled = fake.with_state(|st| {
        let customer = &st.portal_sessions.get(&id)?.customer;
        let sub = st.subscriptions.get(&subscription).filter(|s| &s.customer == customer)?;
        let on = !sub.cancel_at_period_end;
        let now = st.now();
        let (before, after) = st.change_subscription(&subscription, |s| schedule_cancellation(s, on, now))?;
        st.emit_updated(&before, after, &Origin::none());
        Some(())
    });
    match toggled {
        Some(()) => Redirect::to(&format!("/portal/{id}")).into_response(),
        None => not_found("No such subscription in this portal session."),
    }
}

fn checkout_html(st: &State, id: &str) -> Option<String> {
    let session = st.sessions.get(id)?;
    if session.status == SessionStatus::Complete {
        return Some(page("Checkout", "<p>This checkout session is already complete.</p>"));
    }
    let price = st.prices.get(&session.price)?;
    let product = st.products.get(&price.product).map_or(price.product.as_str(), |p| p.name.as_str());
    let email = session.customer.as_deref().and_then(|c| st.customers.get(c)).and_then(|c| c.email.clone());
    let mut body = format!(
        "<h1>{}</h1><p>{} × {} / month</p>{}{}",
        escape(product),
        session.quantity,
        money(price.unit_amount, &price.currency),
        trial_line(session),
        email.map(|e| format!("<p>{}</p>", escape(&e))).unwrap_or_default(),
    );
    body += &button(&format!("/checkout/{id}/complete"), "card", "Pay with test card 4242 4242 4242 4242");
    if session.trial_period_days.is_some() && session.payment_method_collection == "if_required" {
        body += &button(&format!("/checkout/{id}/complete"), "none", "Start the trial without a card");
    }
    if let Some(cancel) = &session.cancel_url {
        body += &format!("<p><a href=\"{}\">Back</a></p>", escape(cancel));
    }
    Some(page("Checkout", &body))
}

fn trial_line(session: &CheckoutSession) -> String {
    session.trial_period_days.map(|d| format!("<p>{d} days free</p>")).unwrap_or_default()
}

fn portal_html(st: &State, id: &str) -> Option<String> {
    let session = st.portal_sessions.get(id)?;
    let mut body = String::from("<h1>Your plan</h1>");
    for sub in st.subscriptions.iter().filter(|s| s.customer == session.customer) {
        body += &subscription_row(st, id, sub);
    }
    if let Some(url) = &session.return_url {
        body += &format!("<p><a href=\"{}\">Return</a></p>", escape(url));
    }
    Some(page("Billing portal", &body))
}

fn subscription_row(st: &State, portal: &str, sub: &Subscription) -> String {
    let name = st
        .prices
        .get(&sub.price)
        .and_then(|p| st.products.get(&p.product))
        .map_or(sub.price.as_str(), |p| p.name.as_str());
    let period_end = DateTime::from_timestamp(sub.current_period_end, 0).map(|d| d.format("%Y-%m-%d").to_string());
    let next = match (sub.status, sub.cancel_at_period_end) {
        (SubscriptionStatus::Canceled, _) => String::new(),
        (_, true) => format!(", ends on {}", period_end.unwrap_or_default()),
        (_, false) => format!(", renews on {}", period_end.unwrap_or_default()),
    };
    let mut row = format!("<p>{}: {}{next}</p>", escape(name), sub.status.as_str());
    if sub.status != SubscriptionStatus::Canceled {
        let label = if sub.cancel_at_period_end { "Keep my plan" } else { "Cancel my plan" };
        let action = format!("/portal/{portal}/subscriptions/{}/toggle", sub.id);
        row += &button(&action, "", label);
    }
    row
}

fn button(action: &str, payment_method: &str, label: &str) -> String {
    format!(
        "<form method=\"post\" action=\"{}\"><input type=\"hidden\" name=\"payment_method\" value=\"{}\">\
         <button type=\"submit\">{}</button></form>",
        escape(action),
        escape(payment_method),
        escape(label)
    )
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{} · Stripe fake</title></head><body>{body}</body></html>",
        escape(title)
    )
}

fn not_found(message: &str) -> Response {
    (StatusCode::NOT_FOUND, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], message.to_owned()).into_response()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}
