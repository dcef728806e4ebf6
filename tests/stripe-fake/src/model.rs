//! The fake's records: plain data, one struct per Stripe object kind, holding only what
//! the fake decides on. Everything else a Stripe object carries is filled in when it is
//! rendered (see `render`), so the records stay small and the wire shape lives in one place.

use std::collections::BTreeMap;

use crate::ids;

pub(crate) type Metadata = BTreeMap<String, String>;

/// Anything stored in a [`Table`]: found by its Stripe id.
pub(crate) trait Record {
    fn id(&self) -> &str;
}

/// The rows of one object kind, in creation order (lists and inspection keep that order).
#[derive(Debug)]
pub(crate) struct Table<T> {
    rows: Vec<T>,
}

impl<T> Default for Table<T> {
    fn default() -> Self {
        Table { rows: Vec::new() }
    }
}

impl<T: Record> Table<T> {
    pub fn insert(&mut self, row: T) {
        self.rows.push(row);
    }

    pub fn get(&self, id: &str) -> Option<&T> {
        self.rows.iter().find(|r| r.id() == id)
    }

    pub fn get_mut(&mut self, id: &str) -> Option<&mut T> {
        self.rows.iter_mut().find(|r| r.id() == id)
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &T> {
        self.rows.iter()
    }
}

macro_rules! records {
    ($($kind:ty),*) => {
        $(impl Record for $kind {
            fn id(&self) -> &str {
                &self.id
            }
        })*
    };
}
records!(Customer, Product, Price, CheckoutSession, Subscription, Invoice, PortalSession);

#[derive(Debug, Clone)]
pub(crate) struct Customer {
    pub id: String,
    pub created: i64,
    pub email: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub phone: Option<String>,
    pub metadata: Metadata,
    /// Set once the customer has paid something: Stripe fixes a customer's currency then.
    pub currency: Option<String>,
    /// Whether the customer's latest invoice payment failed.
    pub delinquent: bool,
    pub invoice_prefix: String,
    pub next_invoice_sequence: u32,
}

impl Customer {
    pub fn new(id: String, created: i64, email: Option<String>, name: Option<String>) -> Self {
        Customer {
            id,
            created,
            email,
            name,
            description: None,
            phone: None,
            metadata: Metadata::new(),
            currency: None,
            delinquent: false,
            invoice_prefix: ids::invoice_prefix(),
            next_invoice_sequence: 1,
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Product {
    pub id: String,
    pub name: String,
    pub default_price: Option<String>,
    pub created: i64,
}

/// A licensed, per-unit recurring price with a monthly interval, the only kind the
/// application sells.
#[derive(Debug, Clone)]
pub(crate) struct Price {
    pub id: String,
    pub product: String,
    pub unit_amount: i64,
    pub currency: String,
    pub created: i64,
}

/// What Stripe does when a trial ends and the customer never gave a payment method
/// (`trial_settings.end_behavior.missing_payment_method`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MissingPaymentMethod {
    Cancel,
    Pause,
    CreateInvoice,
}

impl MissingPaymentMethod {
    pub const NAMES: [&str; 3] = ["cancel", "pause", "create_invoice"];

    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "cancel" => Some(Self::Cancel),
            "pause" => Some(Self::Pause),
            "create_invoice" => Some(Self::CreateInvoice),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Cancel => "cancel",
            Self::Pause => "pause",
            Self::CreateInvoice => "create_invoice",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SessionStatus {
    Open,
    Complete,
}

#[derive(Debug, Clone)]
pub(crate) struct CheckoutSession {
    pub id: String,
    pub created: i64,
    pub expires_at: i64,
    pub customer: Option<String>,
    pub customer_email: Option<String>,
    pub price: String,
    pub quantity: u64,
    pub success_url: Option<String>,
    pub cancel_url: Option<String>,
    pub client_reference_id: Option<String>,
    pub metadata: Metadata,
    pub trial_period_days: Option<u32>,
    pub subscription_metadata: Metadata,
    pub missing_payment_method: MissingPaymentMethod,
    /// `always` or `if_required`; with `if_required` a trial can start without a card.
    pub payment_method_collection: &'static str,
    pub status: SessionStatus,
    pub subscription: Option<String>,
    pub invoice: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SubscriptionStatus {
    Trialing,
    Active,
    PastDue,
    Paused,
    Canceled,
}

impl SubscriptionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Trialing => "trialing",
            Self::Active => "active",
            Self::PastDue => "past_due",
            Self::Paused => "paused",
            Self::Canceled => "canceled",
        }
    }
}

/// Why a subscription was (or is scheduled to be) canceled, with the customer's feedback.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Cancellation {
    pub reason: Option<&'static str>,
    pub comment: Option<String>,
    pub feedback: Option<&'static str>,
}

#[derive(Debug, Clone)]
pub(crate) struct Subscription {
    pub id: String,
    pub item_id: String,
    pub item_created: i64,
    pub customer: String,
    pub price: String,
    pub quantity: u64,
    pub created: i64,
    pub status: SubscriptionStatus,
    pub metadata: Metadata,
    pub default_payment_method: Option<String>,
    pub trial_start: Option<i64>,
    pub trial_end: Option<i64>,
    pub trial_will_end_sent: bool,
    pub missing_payment_method: MissingPaymentMethod,
    /// The moment every period is counted from: the start, or the trial's end.
    pub billing_cycle_anchor: i64,
    /// How many whole months after the anchor the current period ends (0 while trialing).
    pub periods_after_anchor: u32,
    pub current_period_start: i64,
    pub current_period_end: i64,
    pub cancel_at_period_end: bool,
    pub canceled_at: Option<i64>,
    pub ended_at: Option<i64>,
    pub cancellation: Cancellation,
    /// When the subscription paused because its trial ended without a payment method.
    pub paused_at: Option<i64>,
    pub latest_invoice: Option<String>,
    /// The next charge (trial end or renewal) is declined.
    pub fail_next_payment: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum InvoiceStatus {
    Open,
    Paid,
}

#[derive(Debug, Clone)]
pub(crate) struct Invoice {
    pub id: String,
    pub number: String,
    pub line_id: String,
    pub customer: String,
    pub customer_email: Option<String>,
    pub customer_name: Option<String>,
    pub subscription: String,
    pub subscription_item: String,
    pub subscription_metadata: Metadata,
    pub price: String,
    pub product: String,
    /// What the invoice charges: the price times the quantity, or 0 for a trial.
    pub amount: i64,
    pub quantity: u64,
    pub currency: String,
    /// `subscription_create` for the first invoice, `subscription_cycle` for renewals.
    pub billing_reason: &'static str,
    pub line_description: String,
    pub created: i64,
    /// The invoice's own period, which for renewals is the period that just ended
    /// (Stripe's convention), while `line_period` is the one being paid for.
    pub period: (i64, i64),
    pub line_period: (i64, i64),
    pub status: InvoiceStatus,
    pub attempt_count: u32,
    pub paid_at: Option<i64>,
    pub next_payment_attempt: Option<i64>,
}

#[derive(Debug, Clone)]
pub(crate) struct PortalSession {
    pub id: String,
    pub customer: String,
    pub return_url: Option<String>,
    pub created: i64,
}
