//! The wire shape of every object the fake serves, one function per object kind.
//!
//! Each function writes out the complete field set of the matching async-stripe struct for
//! API version `2026-09-30.endive`, with realistic values or `null` where Stripe sends null
//! for this kind of account (no Connect, no tax, no discounts). The SDK's deserializers
//! reject an object that lacks a required field, so completeness is tested field by field.

use serde_json::{Value, json};

use crate::model::{
    CheckoutSession, Customer, Invoice, InvoiceStatus, PortalSession, Price, Product, SessionStatus, Subscription,
    SubscriptionStatus,
};

/// The one billing portal configuration the fake's account has.
pub(crate) const PORTAL_CONFIGURATION: &str = "bpc_kairos_default";

pub(crate) fn list(url: &str, data: Vec<Value>, has_more: bool) -> Value {
    json!({ "object": "list", "data": data, "has_more": has_more, "url": url })
}

pub(crate) fn customer(c: &Customer) -> Value {
    json!({
        "id": c.id,
        "object": "customer",
        "address": null,
        "balance": 0,
        "business_name": null,
        "cash_balance": null,
        "created": c.created,
        "currency": c.currency,
        "customer_account": null,
        "default_source": null,
        "delinquent": c.delinquent,
        "description": c.description,
        "discount": null,
        "email": c.email,
        "individual_name": null,
        "invoice_credit_balance": {},
        "invoice_prefix": c.invoice_prefix,
        "invoice_settings": {
            "custom_fields": null,
            "default_payment_method": null,
            "footer": null,
            "rendering_options": null,
        },
        "livemode": false,
        "metadata": c.metadata,
        "name": c.name,
        "next_invoice_sequence": c.next_invoice_sequence,
        "phone": c.phone,
        "preferred_locales": [],
        "shipping": null,
        "sources": null,
        "subscriptions": null,
        "tax": null,
        "tax_exempt": "none",
        "tax_ids": null,
        "test_clock": null,
    })
}

pub(crate) fn product(p: &Product) -> Value {
    json!({
        "id": p.id,
        "object": "product",
        "active": true,
        "created": p.created,
        "default_price": p.default_price,
        "description": null,
        "images": [],
        "livemode": false,
        "marketing_features": [],
        "metadata": {},
        "name": p.name,
        "package_dimensions": null,
        "shippable": null,
        "statement_descriptor": null,
        "tax_code": null,
        "tax_details": null,
        "type": "service",
        "unit_label": null,
        "updated": p.created,
        "url": null,
    })
}

pub(crate) fn price(p: &Price) -> Value {
    json!({
        "id": p.id,
        "object": "price",
        "active": true,
        "billing_scheme": "per_unit",
        "created": p.created,
        "currency": p.currency,
        "currency_options": null,
        "custom_unit_amount": null,
        "livemode": false,
        "lookup_key": null,
        "metadata": {},
        "nickname": null,
        "product": p.product,
        "recurring": {
            "interval": "month",
            "interval_count": 1,
            "meter": null,
            "trial_period_days": null,
            "usage_type": "licensed",
        },
        "tax_behavior": "unspecified",
        "tiers": null,
        "tiers_mode": null,
        "transform_quantity": null,
        "type": "recurring",
        "unit_amount": p.unit_amount,
        "unit_amount_decimal": p.unit_amount.to_string(),
    })
}

/// The legacy plan view of a price, which subscription items still carry.
fn plan(p: &Price) -> Value {
    json!({
        "id": p.id,
        "object": "plan",
        "active": true,
        "amount": p.unit_amount,
        "amount_decimal": p.unit_amount.to_string(),
        "billing_scheme": "per_unit",
        "created": p.created,
        "currency": p.currency,
        "interval": "month",
        "interval_count": 1,
        "livemode": false,
        "metadata": {},
        "meter": null,
        "nickname": null,
        "product": p.product,
        "tiers": null,
        "tiers_mode": null,
        "transform_usage": null,
        "trial_period_days": null,
        "usage_type": "licensed",
    })
}

/// The account itself issues every invoice (no Connect).
fn issuer_self() -> Value {
    json!({ "account": null, "type": "self" })
}

pub(crate) fn subscription(s: &Subscription, price: &Price) -> Value {
    json!({
        "id": s.id,
        "object": "subscription",
        "application": null,
        "application_fee_percent": null,
        "automatic_tax": { "disabled_reason": null, "enabled": false, "liability": null },
        "billing_cycle_anchor": s.billing_cycle_anchor,
        "billing_cycle_anchor_config": null,
        "billing_mode": {
            "flexible": { "proration_discounts": "included" },
            "type": "flexible",
            "updated_at": s.created,
        },
        "billing_schedules": [],
        "billing_thresholds": null,
        "cancel_at": s.cancel_at_period_end.then_some(s.current_period_end),
        "cancel_at_period_end": s.cancel_at_period_end,
        "canceled_at": s.canceled_at,
        "cancellation_details": {
            "comment": s.cancellation.comment,
            "feedback": s.cancellation.feedback,
            "feedback_option": null,
            "reason": s.cancellation.reason,
        },
        "collection_method": "charge_automatically",
        "created": s.created,
        "currency": price.currency,
        "customer": s.customer,
        "customer_account": null,
        "days_until_due": null,
        "default_payment_method": s.default_payment_method,
        "default_source": null,
        "default_tax_rates": [],
        "description": null,
        "discounts": [],
        "ended_at": s.ended_at,
        "invoice_settings": {
            "account_tax_ids": null,
            "custom_fields": null,
            "description": null,
            "footer": null,
            "issuer": issuer_self(),
        },
        "items": list(
            &format!("/v1/subscription_items?subscription={}", s.id),
            vec![subscription_item(s, price)],
            false,
        ),
        "latest_invoice": s.latest_invoice,
        "livemode": false,
        "managed_payments": null,
        "metadata": s.metadata,
        "next_pending_invoice_item_invoice": null,
        "on_behalf_of": null,
        "pause_collection": null,
        "payment_settings": {
            "payment_method_options": null,
            "payment_method_types": null,
            "save_default_payment_method": "off",
        },
        "pending_invoice_item_interval": null,
        "pending_setup_intent": null,
        "pending_update": null,
        "presentment_details": null,
        "schedule": null,
        "start_date": s.created,
        "status": s.status.as_str(),
        "status_details": paused_details(s),
        "test_clock": null,
        "transfer_data": null,
        "trial_end": s.trial_end,
        "trial_settings": {
            "end_behavior": {
                "billing_cycle_anchor": null,
                "missing_payment_method": s.missing_payment_method.as_str(),
            },
        },
        "trial_start": s.trial_start,
    })
}

/// A subscription paused at its trial's end says why (`status_details.paused`).
fn paused_details(s: &Subscription) -> Value {
    match (s.status, s.paused_at) {
        (SubscriptionStatus::Paused, Some(at)) => json!({
            "paused": {
                "subscription": { "type": "trial_end_without_payment_method" },
                "transitioned_at": at,
                "type": "subscription",
            },
        }),
        _ => Value::Null,
    }
}

/// In this API version the billing period lives on the item, not on the subscription.
fn subscription_item(s: &Subscription, price_: &Price) -> Value {
    json!({
        "id": s.item_id,
        "object": "subscription_item",
        "billed_until": null,
        "billing_thresholds": null,
        "created": s.item_created,
        "current_period_end": s.current_period_end,
        "current_period_start": s.current_period_start,
        "current_trial": null,
        "discounts": [],
        "metadata": {},
        "plan": plan(price_),
        "price": price(price_),
        "quantity": s.quantity,
        "subscription": s.id,
        "tax_rates": [],
    })
}

pub(crate) fn invoice(i: &Invoice) -> Value {
    let paid = i.status == InvoiceStatus::Paid;
    let amount_paid = if paid { i.amount } else { 0 };
    json!({
        "id": i.id,
        "object": "invoice",
        "account_country": "DE",
        "account_name": "Kairos",
        "account_tax_ids": null,
        "amount_due": i.amount,
        "amount_overpaid": 0,
        "amount_paid": amount_paid,
        "amount_paid_off_stripe": 0,
        "amount_remaining": i.amount - amount_paid,
        "amount_shipping": 0,
        "application": null,
        "attempt_count": i.attempt_count,
        "attempted": i.attempt_count > 0,
        "auto_advance": !paid,
        "automatic_tax": {
            "disabled_reason": null,
            "enabled": false,
            "liability": null,
            "provider": null,
            "status": null,
        },
        "automatically_finalizes_at": null,
        "billing_reason": i.billing_reason,
        "collection_method": "charge_automatically",
        "confirmation_secret": null,
        "created": i.created,
        "currency": i.currency,
        "custom_fields": null,
        "customer": i.customer,
        "customer_account": null,
        "customer_address": null,
        "customer_email": i.customer_email,
        "customer_name": i.customer_name,
        "customer_phone": null,
        "customer_shipping": null,
        "customer_tax_exempt": "none",
        "customer_tax_ids": [],
        "default_payment_method": null,
        "default_source": null,
        "default_tax_rates": [],
        "description": null,
        "discounts": [],
        "due_date": null,
        "effective_at": i.created,
        "ending_balance": 0,
        "footer": null,
        "from_invoice": null,
        "hosted_invoice_url": null,
        "invoice_pdf": null,
        "issuer": issuer_self(),
        "last_finalization_error": null,
        "latest_revision": null,
        "lines": list(&format!("/v1/invoices/{}/lines", i.id), vec![invoice_line(i)], false),
        "livemode": false,
        "metadata": {},
        "next_payment_attempt": i.next_payment_attempt,
        "number": i.number,
        "on_behalf_of": null,
        "parent": {
            "quote_details": null,
            "subscription_details": {
                "metadata": i.subscription_metadata,
                "subscription": i.subscription,
                "subscription_proration_date": null,
            },
            "type": "subscription_details",
        },
        "payment_settings": {
            "default_mandate": null,
            "payment_method_options": null,
            "payment_method_types": null,
        },
        "payments": null,
        "period_end": i.period.1,
        "period_start": i.period.0,
        "post_payment_credit_notes_amount": 0,
        "pre_payment_credit_notes_amount": 0,
        "receipt_number": null,
        "rendering": null,
        "shipping_cost": null,
        "shipping_details": null,
        "starting_balance": 0,
        "statement_descriptor": null,
        "status": if paid { "paid" } else { "open" },
        "status_details": null,
        "status_transitions": {
            "finalized_at": i.created,
            "marked_uncollectible_at": null,
            "paid_at": i.paid_at,
            "voided_at": null,
        },
        "subscription": i.subscription,
        "subtotal": i.amount,
        "subtotal_excluding_tax": i.amount,
        "test_clock": null,
        "threshold_reason": null,
        "total": i.amount,
        "total_discount_amounts": [],
        "total_excluding_tax": i.amount,
        "total_pretax_credit_amounts": [],
        "total_taxes": [],
        "webhooks_delivered_at": i.created,
    })
}

fn invoice_line(i: &Invoice) -> Value {
    let unit_amount = i.amount / i.quantity.max(1) as i64;
    json!({
        "id": i.line_id,
        "object": "line_item",
        "amount": i.amount,
        "currency": i.currency,
        "description": i.line_description,
        "discount_amounts": [],
        "discountable": true,
        "discounts": [],
        "invoice": i.id,
        "livemode": false,
        "metadata": i.subscription_metadata,
        "parent": {
            "invoice_item_details": null,
            "subscription_item_details": {
                "invoice_item": null,
                "proration": false,
                "proration_details": { "credited_items": null },
                "subscription": i.subscription,
                "subscription_item": i.subscription_item,
            },
            "type": "subscription_item_details",
        },
        "period": { "end": i.line_period.1, "start": i.line_period.0 },
        "pretax_credit_amounts": [],
        "pricing": {
            "price_details": { "price": i.price, "product": i.product },
            "type": "price_details",
            "unit_amount_decimal": unit_amount.to_string(),
        },
        "quantity": i.quantity,
        "quantity_decimal": i.quantity.to_string(),
        "subscription": i.subscription,
        "subtotal": i.amount,
        "taxes": [],
    })
}

/// A session's amounts: nothing is due today when the subscription starts with a trial.
fn session_amount(s: &CheckoutSession, price: &Price) -> i64 {
    if s.trial_period_days.is_some() { 0 } else { price.unit_amount * s.quantity as i64 }
}

pub(crate) fn checkout_session(
    s: &CheckoutSession,
    price: &Price,
    customer: Option<&Customer>,
    base_url: &str,
) -> Value {
    let open = s.status == SessionStatus::Open;
    let amount = session_amount(s, price);
    json!({
        "id": s.id,
        "object": "checkout.session",
        "adaptive_pricing": null,
        "after_expiration": null,
        "allow_promotion_codes": null,
        "allowed_payment_method_types": null,
        "amount_subtotal": amount,
        "amount_total": amount,
        "automatic_tax": { "enabled": false, "liability": null, "provider": null, "status": null },
        "billing_address_collection": null,
        "branding_settings": null,
        "cancel_url": s.cancel_url,
        "client_reference_id": s.client_reference_id,
        "client_secret": null,
        "collected_information": null,
        "consent": null,
        "consent_collection": null,
        "created": s.created,
        "currency": price.currency,
        "currency_conversion": null,
        "custom_fields": [],
        "custom_text": {
            "after_submit": null,
            "shipping_address": null,
            "submit": null,
            "terms_of_service_acceptance": null,
        },
        "customer": customer.map(|c| c.id.as_str()),
        "customer_account": null,
        "customer_creation": null,
        "customer_details": if open { Value::Null } else { customer_details(customer) },
        "customer_email": s.customer_email,
        "discounts": [],
        "excluded_payment_method_types": null,
        "expires_at": s.expires_at,
        "integration_identifier": null,
        "invoice": s.invoice,
        "invoice_creation": null,
        "line_items": null,
        "livemode": false,
        "locale": null,
        "managed_payments": null,
        "metadata": s.metadata,
        "mode": "subscription",
        "name_collection": null,
        "optional_items": null,
        "origin_context": null,
        "payment_intent": null,
        "payment_link": null,
        "payment_method_collection": s.payment_method_collection,
        "payment_method_configuration_details": null,
        "payment_method_options": null,
        "payment_method_types": ["card"],
        "payment_status": payment_status(s),
        "permissions": null,
        "phone_number_collection": { "enabled": false },
        "presentment_details": null,
        "recovered_from": null,
        "redirect_on_completion": null,
        "return_url": null,
        "saved_payment_method_options": null,
        "setup_intent": null,
        "shipping_address_collection": null,
        "shipping_cost": null,
        "shipping_options": [],
        "status": if open { "open" } else { "complete" },
        "submit_type": null,
        "subscription": s.subscription,
        "success_url": s.success_url,
        "tax_id_collection": null,
        "total_details": { "amount_discount": 0, "amount_shipping": 0, "amount_tax": 0, "breakdown": null },
        "ui_mode": "hosted_page",
        "url": open.then(|| format!("{base_url}checkout/{}", s.id)),
        "wallet_options": null,
    })
}

/// `unpaid` until completed; then `paid`, or `no_payment_required` when a trial defers the
/// first charge (Stripe's value for "the payment is delayed to a future date").
fn payment_status(s: &CheckoutSession) -> &'static str {
    match (s.status, s.trial_period_days) {
        (SessionStatus::Open, _) => "unpaid",
        (SessionStatus::Complete, Some(_)) => "no_payment_required",
        (SessionStatus::Complete, None) => "paid",
    }
}

fn customer_details(customer: Option<&Customer>) -> Value {
    json!({
        "address": null,
        "business_name": null,
        "email": customer.and_then(|c| c.email.as_deref()),
        "individual_name": null,
        "name": customer.and_then(|c| c.name.as_deref()),
        "phone": null,
        "tax_exempt": "none",
        "tax_ids": [],
    })
}

/// The session's `line_items`, which Stripe includes only when asked to expand them.
pub(crate) fn checkout_line_items(s: &CheckoutSession, price_: &Price, product: Option<&Product>) -> Value {
    let amount = price_.unit_amount * s.quantity as i64;
    let item = json!({
        "id": format!("li_{}", s.id.trim_start_matches("cs_test_")),
        "object": "item",
        "adjustable_quantity": null,
        "amount_discount": 0,
        "amount_subtotal": amount,
        "amount_tax": 0,
        "amount_total": amount,
        "currency": price_.currency,
        "description": product.map(|p| p.name.as_str()),
        "discounts": null,
        "metadata": {},
        "price": price(price_),
        "quantity": s.quantity,
        "taxes": null,
    });
    list(&format!("/v1/checkout/sessions/{}/line_items", s.id), vec![item], false)
}

pub(crate) fn portal_session(p: &PortalSession, base_url: &str) -> Value {
    json!({
        "id": p.id,
        "object": "billing_portal.session",
        "configuration": PORTAL_CONFIGURATION,
        "created": p.created,
        "customer": p.customer,
        "customer_account": null,
        "flow": null,
        "livemode": false,
        "locale": null,
        "on_behalf_of": null,
        "return_url": p.return_url,
        "url": format!("{base_url}portal/{}", p.id),
    })
}
