//! The API's endpoints, as `State` methods: parameters in, the object (or Stripe's error)
//! out. Unknown parameters are ignored rather than refused, so a request the fake does not
//! model in full still gets the part it does.

use serde_json::Value;

use crate::api::Call;
use crate::error::ApiError;
use crate::events::Origin;
use crate::form::Form;
use crate::ids::new_id;
use crate::model::{
    Cancellation, CheckoutSession, MissingPaymentMethod, PortalSession, SessionStatus, Subscription, SubscriptionStatus,
};
use crate::render;
use crate::state::State;

/// A checkout session stays open for a day, as Stripe's do by default.
const SESSION_LIFETIME: i64 = 24 * 3600;

const SUBSCRIPTION_STATUSES: [&str; 10] = [
    "active",
    "all",
    "canceled",
    "ended",
    "incomplete",
    "incomplete_expired",
    "past_due",
    "paused",
    "trialing",
    "unpaid",
];

const CANCELLATION_FEEDBACK: [&str; 8] = [
    "customer_service",
    "low_quality",
    "missing_features",
    "other",
    "switched_service",
    "too_complex",
    "too_expensive",
    "unused",
];

impl State {
    pub fn route(&mut self, call: &Call, origin: &Origin) -> Result<Value, ApiError> {
        let form = &call.form;
        match (call.method.as_str(), call.segments().as_slice()) {
            ("POST", ["customers"]) => Ok(self.create_customer(form)),
            ("GET", ["customers"]) => self.list_customers(form),
            ("GET", ["customers", id]) => {
                self.customers.get(id).map(render::customer).ok_or_else(|| missing("customer", id))
            }
            ("POST", ["customers", id]) => self.update_customer(id, form),
            ("GET", ["products", id]) => {
                self.products.get(id).map(render::product).ok_or_else(|| missing("product", id))
            }
            ("GET", ["prices", id]) => self.prices.get(id).map(render::price).ok_or_else(|| missing("price", id)),
            ("POST", ["checkout", "sessions"]) => self.create_checkout_session(form),
            ("GET", ["checkout", "sessions", id]) => {
                self.session_json(id).ok_or_else(|| missing("checkout.session", id))
            }
            ("GET", ["subscriptions"]) => self.list_subscriptions(form),
            ("GET", ["subscriptions", id]) => self.subscription_json(id).ok_or_else(|| missing("subscription", id)),
            ("POST", ["subscriptions", id]) => self.update_subscription(id, form, origin),
            ("DELETE", ["subscriptions", id]) => self.cancel_subscription(id, form, origin),
            ("GET", ["invoices", id]) => {
                self.invoices.get(id).map(render::invoice).ok_or_else(|| missing("invoice", id))
            }
            ("POST", ["billing_portal", "sessions"]) => self.create_portal_session(form),
            ("GET", ["events", id]) => self.event(id).map(|e| e.json.clone()).ok_or_else(|| missing("event", id)),
            _ => Err(ApiError::unrecognized_url(&call.method, &call.path)),
        }
    }

    fn create_customer(&mut self, form: &Form) -> Value {
        let id = self.insert_customer(form.get("email").map(str::to_owned), form.get("name").map(str::to_owned));
        if let Some(customer) = self.customers.get_mut(&id) {
            customer.description = form.get("description").map(str::to_owned);
            customer.phone = form.get("phone").map(str::to_owned);
            customer.metadata = form.hash("metadata");
        }
        self.customers.get(&id).map(render::customer).unwrap_or_default()
    }

    fn update_customer(&mut self, id: &str, form: &Form) -> Result<Value, ApiError> {
        let customer = self.customers.get_mut(id).ok_or_else(|| missing("customer", id))?;
        let set = |field: &mut Option<String>, key: &str| {
            if let Some(value) = form.get(key) {
                *field = (!value.is_empty()).then(|| value.to_owned());
            }
        };
        set(&mut customer.email, "email");
        set(&mut customer.name, "name");
        set(&mut customer.description, "description");
        set(&mut customer.phone, "phone");
        form.apply_hash("metadata", &mut customer.metadata);
        Ok(render::customer(customer))
    }

    fn list_customers(&self, form: &Form) -> Result<Value, ApiError> {
        let email = form.get("email");
        let rows: Vec<Value> = self
            .customers
            .iter()
            .rev()
            .filter(|c| email.is_none_or(|e| c.email.as_deref() == Some(e)))
            .map(render::customer)
            .collect();
        Ok(page("/v1/customers", rows, limit(form)?))
    }

    fn create_checkout_session(&mut self, form: &Form) -> Result<Value, ApiError> {
        if form.required("mode")? != "subscription" {
            return Err(ApiError::invalid("mode", "The Stripe fake serves subscription mode only."));
        }
        let customer = form.get("customer").map(str::to_owned);
        let customer_email = form.get("customer_email").map(str::to_owned);
        if let Some(id) = &customer {
            self.customers.get(id).ok_or_else(|| ApiError::no_such("customer", id, "customer"))?;
            if customer_email.is_some() {
                return Err(ApiError::refused(
                    "You may only specify one of these parameters: customer, customer_email.",
                ));
            }
        }
        let (price, quantity) = self.line_item(form)?;
        let now = self.now();
        let session = CheckoutSession {
            id: new_id("cs_test"),
            created: now,
            expires_at: form.int("expires_at")?.unwrap_or(now + SESSION_LIFETIME),
            customer,
            customer_email,
            price,
            quantity,
            success_url: form.get("success_url").map(str::to_owned),
            cancel_url: form.get("cancel_url").map(str::to_owned),
            client_reference_id: form.get("client_reference_id").map(str::to_owned),
            metadata: form.hash("metadata"),
            trial_period_days: trial_period_days(form)?,
            subscription_metadata: form.hash("subscription_data[metadata]"),
            missing_payment_method: missing_payment_method(form)?,
            payment_method_collection: form
                .one_of("payment_method_collection", &["always", "if_required"])?
                .unwrap_or("always"),
            status: SessionStatus::Open,
            subscription: None,
            invoice: None,
        };
        let id = session.id.clone();
        self.sessions.insert(session);
        Ok(self.session_json(&id).unwrap_or_default())
    }

    /// The one line item a subscription checkout carries: an existing price and a quantity.
    fn line_item(&self, form: &Form) -> Result<(String, u64), ApiError> {
        if !form.keys().any(|k| k.starts_with("line_items")) {
            return Err(ApiError::missing("line_items"));
        }
        if form.keys().any(|k| k.starts_with("line_items[1]")) {
            return Err(ApiError::invalid("line_items[1]", "The Stripe fake sells one price per checkout session."));
        }
        let price = form.required("line_items[0][price]")?;
        self.prices.get(price).ok_or_else(|| ApiError::no_such("price", price, "line_items[0][price]"))?;
        let quantity =
            form.int("line_items[0][quantity]")?.ok_or_else(|| ApiError::missing("line_items[0][quantity]"))?;
        let quantity = u64::try_from(quantity)
            .ok()
            .filter(|q| *q > 0)
            .ok_or_else(|| ApiError::invalid("line_items[0][quantity]", "Quantity must be at least 1."))?;
        Ok((price.to_owned(), quantity))
    }

    fn list_subscriptions(&self, form: &Form) -> Result<Value, ApiError> {
        let status = form.one_of("status", &SUBSCRIPTION_STATUSES)?;
        let customer = form.get("customer");
        let price = form.get("price");
        let rows: Vec<Value> = self
            .subscriptions
            .iter()
            .rev()
            .filter(|s| customer.is_none_or(|c| s.customer == c) && price.is_none_or(|p| s.price == p))
            .filter(|s| status_matches(s, status))
            .filter_map(|s| self.subscription_json(&s.id))
            .collect();
        Ok(page("/v1/subscriptions", rows, limit(form)?))
    }

    fn update_subscription(&mut self, id: &str, form: &Form, origin: &Origin) -> Result<Value, ApiError> {
        let sub = self.subscriptions.get(id).ok_or_else(|| missing("subscription", id))?;
        if sub.status == SubscriptionStatus::Canceled && form.keys().any(|k| !allowed_once_canceled(k)) {
            return Err(ApiError::refused(
                "A canceled subscription can only update its cancellation_details and metadata.",
            ));
        }
        let cancel_at_period_end = form.bool("cancel_at_period_end")?;
        let feedback = cancellation_feedback(form)?;
        let now = self.now();
        let (before, after) = self
            .change_subscription(id, |s| {
                form.apply_hash("metadata", &mut s.metadata);
                if let Some(on) = cancel_at_period_end {
                    schedule_cancellation(s, on, now);
                }
                apply_cancellation_details(&mut s.cancellation, form, feedback);
            })
            .ok_or_else(|| missing("subscription", id))?;
        self.emit_updated(&before, after.clone(), origin);
        Ok(after)
    }

    fn cancel_subscription(&mut self, id: &str, form: &Form, origin: &Origin) -> Result<Value, ApiError> {
        let sub = self.subscriptions.get_mut(id).ok_or_else(|| missing("subscription", id))?;
        if sub.status == SubscriptionStatus::Canceled {
            return Err(ApiError::refused(format!("The subscription {id} has already been canceled.")));
        }
        let feedback = cancellation_feedback(form)?;
        apply_cancellation_details(&mut sub.cancellation, form, feedback);
        self.cancel_now(id, origin);
        self.subscription_json(id).ok_or_else(|| missing("subscription", id))
    }

    fn create_portal_session(&mut self, form: &Form) -> Result<Value, ApiError> {
        let customer = form.required("customer")?;
        self.customers.get(customer).ok_or_else(|| ApiError::no_such("customer", customer, "customer"))?;
        let session = PortalSession {
            id: new_id("bps"),
            customer: customer.to_owned(),
            return_url: form.get("return_url").map(str::to_owned),
            created: self.now(),
        };
        let answer = render::portal_session(&session, &self.base_url);
        self.portal_sessions.insert(session);
        Ok(answer)
    }
}

fn missing(object: &str, id: &str) -> ApiError {
    ApiError::no_such(object, id, "id")
}

/// A list page: at most `limit` rows, newest first, and whether more exist.
fn page(url: &str, rows: Vec<Value>, limit: usize) -> Value {
    let has_more = rows.len() > limit;
    render::list(url, rows.into_iter().take(limit).collect(), has_more)
}

/// `limit`, 10 unless asked, between 1 and 100 as Stripe allows.
fn limit(form: &Form) -> Result<usize, ApiError> {
    let limit = form.int("limit")?.unwrap_or(10);
    usize::try_from(limit).ok().filter(|l| (1..=100).contains(l)).ok_or_else(|| {
        ApiError::invalid("limit", "This value must be greater than or equal to 1 and less than or equal to 100.")
    })
}

/// Stripe's list filter: no status means every subscription that has not been canceled.
fn status_matches(sub: &Subscription, filter: Option<&str>) -> bool {
    match filter {
        None => sub.status != SubscriptionStatus::Canceled,
        Some("all") => true,
        Some("ended") => sub.status == SubscriptionStatus::Canceled,
        Some(status) => sub.status.as_str() == status,
    }
}

fn trial_period_days(form: &Form) -> Result<Option<u32>, ApiError> {
    const KEY: &str = "subscription_data[trial_period_days]";
    form.int(KEY)?
        .map(|days| {
            u32::try_from(days)
                .ok()
                .filter(|d| (1..=730).contains(d))
                .ok_or_else(|| ApiError::invalid(KEY, "The trial period must be between 1 and 730 days."))
        })
        .transpose()
}

fn missing_payment_method(form: &Form) -> Result<MissingPaymentMethod, ApiError> {
    const KEY: &str = "subscription_data[trial_settings][end_behavior][missing_payment_method]";
    let name = form.one_of(KEY, &MissingPaymentMethod::NAMES)?.unwrap_or("create_invoice");
    MissingPaymentMethod::parse(name).ok_or_else(|| ApiError::invalid(KEY, "Unknown trial end behavior."))
}

fn cancellation_feedback(form: &Form) -> Result<Option<&'static str>, ApiError> {
    form.one_of("cancellation_details[feedback]", &CANCELLATION_FEEDBACK)
}

fn allowed_once_canceled(key: &str) -> bool {
    ["metadata", "cancellation_details", "expand"].iter().any(|prefix| key.starts_with(prefix))
}

/// `cancel_at_period_end`: Stripe stamps `canceled_at` with the request's time and gives
/// the reason at once; taking it back clears both.
pub(crate) fn schedule_cancellation(sub: &mut Subscription, on: bool, now: i64) {
    sub.cancel_at_period_end = on;
    if on {
        sub.canceled_at = Some(now);
        sub.cancellation.reason = Some("cancellation_requested");
    } else {
        sub.canceled_at = None;
        sub.cancellation = Cancellation::default();
    }
}

fn apply_cancellation_details(details: &mut Cancellation, form: &Form, feedback: Option<&'static str>) {
    if let Some(comment) = form.get("cancellation_details[comment]") {
        details.comment = (!comment.is_empty()).then(|| comment.to_owned());
    }
    if let Some(feedback) = feedback {
        details.feedback = Some(feedback);
    }
}
