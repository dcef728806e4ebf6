//! The subscription lifecycle: checkout completion, trials, renewals, declined charges,
//! dunning and cancellation. Each step changes the records and emits the events Stripe
//! sends for it, in the order listed in the crate documentation.

use chrono::{DateTime, Months};
use serde_json::Value;

use crate::events::{Origin, previous_attributes};
use crate::ids::new_id;
use crate::model::{
    CheckoutSession, Customer, Invoice, InvoiceStatus, MissingPaymentMethod, SessionStatus, Subscription,
    SubscriptionStatus,
};
use crate::render;
use crate::state::State;

const DAY: i64 = 86_400;
/// `customer.subscription.trial_will_end` comes this long before the trial ends.
const TRIAL_WILL_END_NOTICE: i64 = 3 * DAY;
/// When a declined invoice is retried next, as `next_payment_attempt` shows it. Stripe's
/// Smart Retries pick their own moments over weeks; the fake leaves retries to the test
/// (`pay_open_invoice`, `exhaust_retries`) and only shows a plausible date.
const NEXT_RETRY_AFTER: i64 = 3 * DAY;

/// Something the clock makes happen to a subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Transition {
    TrialNotice,
    TrialEnd,
    PeriodEnd,
}

impl Subscription {
    /// The next thing that happens to this subscription by itself, and when.
    fn next_transition(&self) -> Option<(i64, Transition)> {
        match self.status {
            SubscriptionStatus::Trialing => {
                let end = self.trial_end?;
                let notice = end - TRIAL_WILL_END_NOTICE;
                let notice_due = !self.trial_will_end_sent && notice > self.trial_start.unwrap_or(self.created);
                Some(if notice_due { (notice, Transition::TrialNotice) } else { (end, Transition::TrialEnd) })
            }
            SubscriptionStatus::Active => Some((self.current_period_end, Transition::PeriodEnd)),
            SubscriptionStatus::PastDue | SubscriptionStatus::Paused | SubscriptionStatus::Canceled => None,
        }
    }
}

/// `months` calendar months after `anchor`, clamped to the month's end the way Stripe bills
/// a subscription anchored on the 31st.
pub(crate) fn add_months(anchor: i64, months: u32) -> i64 {
    DateTime::from_timestamp(anchor, 0)
        .and_then(|t| t.checked_add_months(Months::new(months)))
        .map_or(anchor + i64::from(months) * 30 * DAY, |t| t.timestamp())
}

/// `€49.00`, the way invoice lines show a unit price.
pub(crate) fn money(cents: i64, currency: &str) -> String {
    let amount = format!("{}.{:02}", cents / 100, cents % 100);
    if currency == "eur" { format!("€{amount}") } else { format!("{} {amount}", currency.to_uppercase()) }
}

/// A subscription's end: when, when it was asked for, and why.
struct Ending {
    at: i64,
    canceled_at: i64,
    reason: &'static str,
}

/// What one invoice bills.
struct Bill {
    billing_reason: &'static str,
    amount: i64,
    period: (i64, i64),
    line_period: (i64, i64),
    paid: bool,
}

impl State {
    /// Runs every transition due up to `target` in time order, each at its own moment,
    /// then leaves the clock at `target`.
    pub fn advance_to(&mut self, target: i64) {
        while let Some((at, id, transition)) = self.next_due(target) {
            let at = at.max(self.now());
            self.clock.move_to(at);
            if self.run(&id, transition).is_none() {
                // Only a record deleted under a subscription gets here; stop rather than
                // find the same transition due again forever.
                tracing::error!(subscription = id, ?transition, "the transition could not run");
                break;
            }
        }
        self.clock.move_to(target);
    }

    fn next_due(&self, until: i64) -> Option<(i64, String, Transition)> {
        self.subscriptions
            .iter()
            .filter_map(|s| s.next_transition().map(|(at, t)| (at, s.id.clone(), t)))
            .filter(|(at, _, _)| *at <= until)
            .min_by_key(|(at, _, _)| *at)
    }

    fn run(&mut self, id: &str, transition: Transition) -> Option<()> {
        match transition {
            Transition::TrialNotice => self.trial_will_end(id),
            Transition::TrialEnd => self.end_trial(id),
            Transition::PeriodEnd => self.end_period(id),
        }
    }

    /// The customer pays (or starts a trial) on the hosted checkout page.
    pub fn complete_checkout(&mut self, session_id: &str, with_payment_method: bool) -> Result<String, String> {
        let session = self.sessions.get(session_id).ok_or_else(|| format!("no checkout session {session_id}"))?.clone();
        if session.status != SessionStatus::Open {
            return Err(format!("checkout session {session_id} is already complete"));
        }
        if !with_payment_method && !session.can_start_without_payment_method() {
            return Err(format!(
                "checkout session {session_id} collects a card: only a trial with payment_method_collection=if_required starts without one"
            ));
        }
        let now = self.now();
        let customer = match &session.customer {
            Some(id) => id.clone(),
            None => self.insert_customer(session.customer_email.clone(), None),
        };
        let payment_method = with_payment_method.then(|| new_id("pm"));
        let sub_id = self.start_subscription(&session, &customer, payment_method, now);
        let first_invoice = self.bill_first_period(&sub_id, &session).ok_or("the session's price is gone")?;
        if let Some(session) = self.sessions.get_mut(session_id) {
            session.status = SessionStatus::Complete;
            session.customer = Some(customer);
            session.subscription = Some(sub_id.clone());
            session.invoice = Some(first_invoice.clone());
        }
        let none = Origin::none();
        let subscription = self.subscription_json(&sub_id).unwrap_or_default();
        self.emit("customer.subscription.created", subscription, None, &none);
        self.emit_invoice("invoice.paid", &first_invoice);
        let completed = self.session_json(session_id).unwrap_or_default();
        self.emit("checkout.session.completed", completed, None, &none);
        Ok(sub_id)
    }

    pub fn insert_customer(&mut self, email: Option<String>, name: Option<String>) -> String {
        let customer = Customer::new(new_id("cus"), self.now(), email, name);
        let id = customer.id.clone();
        self.customers.insert(customer);
        id
    }

    fn start_subscription(
        &mut self,
        session: &CheckoutSession,
        customer: &str,
        payment_method: Option<String>,
        now: i64,
    ) -> String {
        let trial_end = session.trial_period_days.map(|days| now + i64::from(days) * DAY);
        let anchor = trial_end.unwrap_or(now);
        let periods_after_anchor = if trial_end.is_some() { 0 } else { 1 };
        let subscription = Subscription {
            id: new_id("sub"),
            item_id: new_id("si"),
            item_created: now,
            customer: customer.to_owned(),
            price: session.price.clone(),
            quantity: session.quantity,
            created: now,
            status: if trial_end.is_some() { SubscriptionStatus::Trialing } else { SubscriptionStatus::Active },
            metadata: session.subscription_metadata.clone(),
            default_payment_method: payment_method,
            trial_start: trial_end.map(|_| now),
            trial_end,
            trial_will_end_sent: false,
            missing_payment_method: session.missing_payment_method,
            billing_cycle_anchor: anchor,
            periods_after_anchor,
            current_period_start: now,
            current_period_end: add_months(anchor, periods_after_anchor),
            cancel_at_period_end: false,
            canceled_at: None,
            ended_at: None,
            cancellation: Default::default(),
            paused_at: None,
            latest_invoice: None,
            fail_next_payment: false,
        };
        let id = subscription.id.clone();
        self.subscriptions.insert(subscription);
        id
    }

    /// The invoice a new subscription starts with: zero during a trial, paid at checkout.
    fn bill_first_period(&mut self, sub_id: &str, session: &CheckoutSession) -> Option<String> {
        let sub = self.subscriptions.get(sub_id)?;
        let (start, end, customer) = (sub.current_period_start, sub.current_period_end, sub.customer.clone());
        let price = self.prices.get(&session.price)?;
        let amount = if session.trial_period_days.is_some() { 0 } else { price.unit_amount * session.quantity as i64 };
        let currency = price.currency.clone();
        let bill = Bill {
            billing_reason: "subscription_create",
            amount,
            period: (start, start),
            line_period: (start, end),
            paid: true,
        };
        let invoice = self.issue_invoice(sub_id, bill)?;
        self.subscriptions.get_mut(sub_id)?.latest_invoice = Some(invoice.clone());
        self.customers.get_mut(&customer)?.currency = Some(currency);
        Some(invoice)
    }

    /// Creates an invoice for one period of a subscription, numbered in the customer's
    /// sequence, and returns its id.
    fn issue_invoice(&mut self, sub_id: &str, bill: Bill) -> Option<String> {
        let now = self.now();
        let sub = self.subscriptions.get(sub_id)?.clone();
        let price = self.prices.get(&sub.price)?.clone();
        let product_name = self.products.get(&price.product).map_or_else(|| price.product.clone(), |p| p.name.clone());
        let customer = self.customers.get_mut(&sub.customer)?;
        let number = format!("{}-{:04}", customer.invoice_prefix, customer.next_invoice_sequence);
        customer.next_invoice_sequence += 1;
        let line_description = if bill.amount == 0 {
            format!("Trial period for {product_name}")
        } else {
            format!("{} × {product_name} (at {} / month)", sub.quantity, money(price.unit_amount, &price.currency))
        };
        let invoice = Invoice {
            id: new_id("in"),
            number,
            line_id: new_id("il"),
            customer: customer.id.clone(),
            customer_email: customer.email.clone(),
            customer_name: customer.name.clone(),
            subscription: sub.id.clone(),
            subscription_item: sub.item_id.clone(),
            subscription_metadata: sub.metadata.clone(),
            price: price.id.clone(),
            product: price.product.clone(),
            amount: bill.amount,
            quantity: sub.quantity,
            currency: price.currency.clone(),
            billing_reason: bill.billing_reason,
            line_description,
            created: now,
            period: bill.period,
            line_period: bill.line_period,
            status: if bill.paid { InvoiceStatus::Paid } else { InvoiceStatus::Open },
            attempt_count: u32::from(bill.amount > 0),
            paid_at: bill.paid.then_some(now),
            next_payment_attempt: (!bill.paid).then_some(now + NEXT_RETRY_AFTER),
        };
        let id = invoice.id.clone();
        self.invoices.insert(invoice);
        Some(id)
    }

    fn emit_invoice(&mut self, event_type: &str, invoice_id: &str) {
        if let Some(invoice) = self.invoices.get(invoice_id).map(render::invoice) {
            self.emit(event_type, invoice, None, &Origin::none());
        }
    }

    /// Changes a subscription and answers its rendering before and after the change.
    pub fn change_subscription(&mut self, id: &str, change: impl FnOnce(&mut Subscription)) -> Option<(Value, Value)> {
        let before = self.subscription_json(id)?;
        change(self.subscriptions.get_mut(id)?);
        Some((before, self.subscription_json(id)?))
    }

    /// `customer.subscription.updated`, when something visible changed.
    pub fn emit_updated(&mut self, before: &Value, after: Value, origin: &Origin) {
        if let Some(previous) = previous_attributes(before, &after) {
            self.emit("customer.subscription.updated", after, Some(previous), origin);
        }
    }

    fn trial_will_end(&mut self, id: &str) -> Option<()> {
        let (_, after) = self.change_subscription(id, |s| s.trial_will_end_sent = true)?;
        self.emit("customer.subscription.trial_will_end", after, None, &Origin::none());
        Some(())
    }

    /// The trial is over: charge the card, or do what `missing_payment_method` says.
    fn end_trial(&mut self, id: &str) -> Option<()> {
        let sub = self.subscriptions.get(id)?;
        if sub.cancel_at_period_end {
            let ending = Ending {
                at: sub.current_period_end,
                canceled_at: sub.canceled_at.unwrap_or(self.now()),
                reason: "cancellation_requested",
            };
            return self.end_subscription(id, ending, &Origin::none());
        }
        if sub.default_payment_method.is_some() {
            return self.renew(id);
        }
        match sub.missing_payment_method {
            MissingPaymentMethod::Cancel => {
                let now = self.now();
                self.end_subscription(
                    id,
                    Ending { at: now, canceled_at: now, reason: "cancellation_requested" },
                    &Origin::none(),
                )
            }
            MissingPaymentMethod::Pause => self.pause(id),
            MissingPaymentMethod::CreateInvoice => self.renew(id),
        }
    }

    /// The period is over: end a subscription set to cancel, renew any other.
    fn end_period(&mut self, id: &str) -> Option<()> {
        let sub = self.subscriptions.get(id)?;
        if !sub.cancel_at_period_end {
            return self.renew(id);
        }
        let ending = Ending {
            at: sub.current_period_end,
            canceled_at: sub.canceled_at.unwrap_or(sub.current_period_end),
            reason: "cancellation_requested",
        };
        self.end_subscription(id, ending, &Origin::none())
    }

    /// Starts the next month and charges for it. Without a payment method, or when the
    /// test asked for a decline, the invoice stays open and the subscription goes past due.
    fn renew(&mut self, id: &str) -> Option<()> {
        let sub = self.subscriptions.get(id)?;
        let declined = sub.fail_next_payment || sub.default_payment_method.is_none();
        let old_period = (sub.current_period_start, sub.current_period_end);
        let before = self.subscription_json(id)?;
        let sub = self.subscriptions.get_mut(id)?;
        sub.periods_after_anchor += 1;
        sub.current_period_start = old_period.1;
        sub.current_period_end = add_months(sub.billing_cycle_anchor, sub.periods_after_anchor);
        sub.fail_next_payment = false;
        sub.status = if declined { SubscriptionStatus::PastDue } else { SubscriptionStatus::Active };
        let new_period = (sub.current_period_start, sub.current_period_end);
        let (customer, amount) = (sub.customer.clone(), self.amount_of(id)?);
        let bill = Bill {
            billing_reason: "subscription_cycle",
            amount,
            period: old_period,
            line_period: new_period,
            paid: !declined,
        };
        let invoice = self.issue_invoice(id, bill)?;
        self.subscriptions.get_mut(id)?.latest_invoice = Some(invoice.clone());
        self.customers.get_mut(&customer)?.delinquent = declined;
        self.emit_invoice(if declined { "invoice.payment_failed" } else { "invoice.paid" }, &invoice);
        let after = self.subscription_json(id)?;
        self.emit_updated(&before, after, &Origin::none());
        Some(())
    }

    /// What one period of the subscription costs.
    fn amount_of(&self, id: &str) -> Option<i64> {
        let sub = self.subscriptions.get(id)?;
        Some(self.prices.get(&sub.price)?.unit_amount * sub.quantity as i64)
    }

    fn pause(&mut self, id: &str) -> Option<()> {
        let now = self.now();
        let (before, after) = self.change_subscription(id, |s| {
            s.status = SubscriptionStatus::Paused;
            s.paused_at = Some(now);
        })?;
        self.emit_updated(&before, after.clone(), &Origin::none());
        self.emit("customer.subscription.paused", after, None, &Origin::none());
        Some(())
    }

    /// Cancels for good: `customer.subscription.deleted` carries the final object.
    fn end_subscription(&mut self, id: &str, ending: Ending, origin: &Origin) -> Option<()> {
        let (_, after) = self.change_subscription(id, |s| {
            s.status = SubscriptionStatus::Canceled;
            s.ended_at = Some(ending.at);
            s.canceled_at = Some(ending.canceled_at);
            s.cancellation.reason = Some(ending.reason);
        })?;
        self.emit("customer.subscription.deleted", after, None, origin);
        Some(())
    }

    /// `DELETE /v1/subscriptions/{id}`: canceled now, whatever was scheduled.
    pub fn cancel_now(&mut self, id: &str, origin: &Origin) -> Option<()> {
        let now = self.now();
        self.subscriptions.get_mut(id)?.cancel_at_period_end = false;
        self.end_subscription(id, Ending { at: now, canceled_at: now, reason: "cancellation_requested" }, origin)
    }

    pub fn fail_next_payment(&mut self, id: &str) -> Result<(), String> {
        let sub = self.subscriptions.get_mut(id).ok_or_else(|| format!("no subscription {id}"))?;
        if sub.status == SubscriptionStatus::Canceled {
            return Err(format!("subscription {id} is canceled: it has no next payment"));
        }
        sub.fail_next_payment = true;
        Ok(())
    }

    /// The customer fixes their card and the open invoice is paid: past due becomes active.
    pub fn pay_open_invoice(&mut self, id: &str) -> Result<(), String> {
        let invoice = self.open_invoice_of(id)?;
        let now = self.now();
        let customer = self.subscriptions.get(id).map(|s| s.customer.clone()).unwrap_or_default();
        if let Some(invoice) = self.invoices.get_mut(&invoice) {
            invoice.status = InvoiceStatus::Paid;
            invoice.paid_at = Some(now);
            invoice.attempt_count += 1;
            invoice.next_payment_attempt = None;
        }
        if let Some(customer) = self.customers.get_mut(&customer) {
            customer.delinquent = false;
        }
        let changed = self.change_subscription(id, |s| {
            s.status = SubscriptionStatus::Active;
            s.default_payment_method.get_or_insert_with(|| new_id("pm"));
        });
        self.emit_invoice("invoice.paid", &invoice);
        if let Some((before, after)) = changed {
            self.emit_updated(&before, after, &Origin::none());
        }
        Ok(())
    }

    /// Every retry of the open invoice failed and Stripe's dunning cancels the subscription.
    pub fn exhaust_retries(&mut self, id: &str) -> Result<(), String> {
        let invoice = self.open_invoice_of(id)?;
        if let Some(invoice) = self.invoices.get_mut(&invoice) {
            invoice.next_payment_attempt = None;
        }
        let now = self.now();
        self.end_subscription(id, Ending { at: now, canceled_at: now, reason: "payment_failed" }, &Origin::none());
        Ok(())
    }

    /// The unpaid latest invoice of a past-due subscription.
    fn open_invoice_of(&self, id: &str) -> Result<String, String> {
        let sub = self.subscriptions.get(id).ok_or_else(|| format!("no subscription {id}"))?;
        if sub.status != SubscriptionStatus::PastDue {
            return Err(format!("subscription {id} is {}, not past_due", sub.status.as_str()));
        }
        sub.latest_invoice
            .clone()
            .filter(|i| self.invoices.get(i).is_some_and(|i| i.status == InvoiceStatus::Open))
            .ok_or_else(|| format!("subscription {id} has no open invoice"))
    }
}

impl CheckoutSession {
    /// Only a trial whose session collects a card "if required" can start without one.
    fn can_start_without_payment_method(&self) -> bool {
        self.trial_period_days.is_some() && self.payment_method_collection == "if_required"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_clamp_to_the_end_of_shorter_months() {
        let jan_31 = 1_706_659_200; // 2024-01-31T00:00:00Z
        let feb_29 = 1_709_164_800; // 2024-02-29T00:00:00Z
        let mar_31 = 1_711_843_200; // 2024-03-31T00:00:00Z
        assert_eq!(add_months(jan_31, 1), feb_29);
        assert_eq!(add_months(jan_31, 2), mar_31);
    }

    #[test]
    fn money_reads_like_an_invoice_line() {
        assert_eq!(money(4900, "eur"), "€49.00");
        assert_eq!(money(1905, "usd"), "USD 19.05");
    }
}
