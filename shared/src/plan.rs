//! What a business's plan allows, from the subscription state billing last read from
//! Stripe, and the checks the operations that create limited things make.
//!
//! `trialing` and `active` give the plan's limits; `past_due` gives them for the plan's
//! grace period (`plans.past_due_grace_days`, 7 days) from when payment failed; anything else
//! (canceled, unpaid, a trial over without a payment method, no subscription at all) gives
//! the Free plan's. A downgrade only stops new things: nothing that exists is deleted.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use uuid::Uuid;

use crate::db::Tx;
use crate::error::ApiError;

/// The plan every business falls back to.
pub const FREE: &str = "free";

/// The plan in force for a business at a moment, with its limits (`None`: no limit).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entitlements {
    pub plan_id: String,
    pub plan_name: String,
    pub max_staff: Option<i32>,
    pub max_locations: Option<i32>,
    pub max_monthly_bookings: Option<i32>,
    pub whatsapp: bool,
    pub max_monthly_campaign_emails: Option<i32>,
    /// What the business sees about its billing (`business-get`).
    pub billing: Standing,
}

/// The subscription as the business's owner should see it: on a banner when it needs
/// them (a failed payment, and until when the plan holds).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Standing {
    pub plan_id: String,
    /// Stripe's subscription status; `null` without a subscription.
    pub status: Option<String>,
    /// A payment failed: the plan's limits hold until then, the Free plan's after.
    pub grace_ends_at: Option<DateTime<Utc>>,
    /// The subscribed plan is not in force (payment failed past the grace, trial over,
    /// canceled): the Free plan's limits apply, and nothing was deleted.
    pub downgraded: bool,
}

/// A limit a create can run into; the 402 names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    Staff,
    Locations,
    MonthlyBookings,
    WhatsApp,
    MonthlyCampaignEmails,
}

impl Limit {
    pub fn name(self) -> &'static str {
        match self {
            Limit::Staff => "staff",
            Limit::Locations => "locations",
            Limit::MonthlyBookings => "monthly_bookings",
            Limit::WhatsApp => "whatsapp",
            Limit::MonthlyCampaignEmails => "monthly_campaign_emails",
        }
    }

    fn of(self, e: &Entitlements) -> Option<i32> {
        match self {
            Limit::Staff => e.max_staff,
            Limit::Locations => e.max_locations,
            Limit::MonthlyBookings => e.max_monthly_bookings,
            Limit::WhatsApp => (!e.whatsapp).then_some(0),
            Limit::MonthlyCampaignEmails => e.max_monthly_campaign_emails,
        }
    }
}

/// The plan in force for the business (inside its tenant transaction) at `now`.
pub async fn entitlements(tx: &mut Tx, business_id: Uuid, now: DateTime<Utc>) -> Result<Entitlements, ApiError> {
    let row: Row = sqlx::query_as(
        "WITH account AS (
             SELECT a.plan_id, a.status,
                    a.past_due_since + make_interval(days => sp.past_due_grace_days) AS grace_ends_at,
                    CASE WHEN a.status = 'active' THEN true
                         WHEN a.status = 'trialing' THEN a.trial_end > $2 OR a.has_payment_method
                         WHEN a.status = 'past_due' THEN a.past_due_since + make_interval(days => sp.past_due_grace_days) > $2
                         ELSE false END AS in_force
             FROM billing_accounts a LEFT JOIN plans sp ON sp.id = a.plan_id
             WHERE a.business_id = $1
         )
         SELECT p.id, p.name, p.max_staff, p.max_locations, p.max_monthly_bookings, p.whatsapp,
                p.max_monthly_campaign_emails, a.plan_id AS subscribed, a.status, a.grace_ends_at,
                coalesce(a.in_force, false) AS in_force
         FROM (SELECT 1) one
         LEFT JOIN account a ON true
         JOIN plans p ON p.id = CASE WHEN a.in_force THEN coalesce(a.plan_id, 'free') ELSE 'free' END",
    )
    .bind(business_id)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    let past_due = row.status.as_deref() == Some("past_due");
    let billing = Standing {
        plan_id: row.id.clone(),
        grace_ends_at: row.grace_ends_at.filter(|_| past_due),
        downgraded: row.subscribed.as_deref().is_some_and(|p| p != FREE) && !row.in_force,
        status: row.status,
    };
    Ok(Entitlements {
        plan_id: row.id,
        plan_name: row.name,
        max_staff: row.max_staff,
        max_locations: row.max_locations,
        max_monthly_bookings: row.max_monthly_bookings,
        whatsapp: row.whatsapp,
        max_monthly_campaign_emails: row.max_monthly_campaign_emails,
        billing,
    })
}

/// The plan in force and the account behind it, as one query reads them. (Queries in
/// this crate are checked by the tests, not at compile time: the migration binary is
/// built from this crate before any table exists.)
#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    name: String,
    max_staff: Option<i32>,
    max_locations: Option<i32>,
    max_monthly_bookings: Option<i32>,
    whatsapp: bool,
    max_monthly_campaign_emails: Option<i32>,
    subscribed: Option<String>,
    status: Option<String>,
    grace_ends_at: Option<DateTime<Utc>>,
    in_force: bool,
}

/// 402 `PLAN_LIMIT`, naming the limit and the plan.
pub fn limit_reached(limit: Limit, e: &Entitlements) -> ApiError {
    let detail = match limit.of(e) {
        // Said to whoever books, a customer as often as staff.
        Some(n) if limit == Limit::MonthlyBookings => {
            format!("the business has taken the {n} bookings its {} plan allows this month", e.plan_name)
        }
        Some(0) | None => format!("the {} plan does not include {}; upgrade to use it", e.plan_name, limit.name()),
        Some(n) => format!("the {} plan allows {n} {}; upgrade for more", e.plan_name, limit.name().replace('_', " ")),
    };
    ApiError::new(axum::http::StatusCode::PAYMENT_REQUIRED, "PLAN_LIMIT", detail).with_field(limit.name())
}

/// Refuse one more of `limit` when the business already has `count` of them.
pub async fn check_count(tx: &mut Tx, business_id: Uuid, now: DateTime<Utc>, limit: Limit) -> Result<(), ApiError> {
    let e = entitlements(tx, business_id, now).await?;
    let Some(max) = limit.of(&e) else { return Ok(()) };
    // Two creates at once must not both take the last place: they queue on the business.
    sqlx::query("SELECT id FROM businesses WHERE id = $1 FOR NO KEY UPDATE")
        .bind(business_id)
        .execute(&mut **tx)
        .await?;
    let sql = match limit {
        Limit::Staff => "SELECT count(*) FROM staff WHERE business_id = $1 AND deleted_at IS NULL",
        Limit::Locations => "SELECT count(*) FROM locations WHERE business_id = $1 AND deleted_at IS NULL",
        _ => return Err(ApiError::internal(format!("{} is not a count of things", limit.name()))),
    };
    let count: i64 = sqlx::query_scalar(sql).bind(business_id).fetch_one(&mut **tx).await?;
    if count >= i64::from(max) { Err(limit_reached(limit, &e)) } else { Ok(()) }
}

/// Count one booking against the month's allowance (the business's local month), or
/// refuse it. Plans without a booking limit count nothing, so their bookings never wait
/// on each other here.
pub async fn count_booking(tx: &mut Tx, business_id: Uuid, tz: Tz, now: DateTime<Utc>) -> Result<(), ApiError> {
    let e = entitlements(tx, business_id, now).await?;
    let Some(max) = e.max_monthly_bookings else { return Ok(()) };
    let month = month_of(now, tz);
    let made: i32 = sqlx::query_scalar(
        "INSERT INTO billing_usage (business_id, month, bookings) VALUES ($1, $2, 1)
         ON CONFLICT (business_id, month) DO UPDATE SET bookings = billing_usage.bookings + 1
         RETURNING bookings",
    )
    .bind(business_id)
    .bind(month)
    .fetch_one(&mut **tx)
    .await?;
    if made > max { Err(limit_reached(Limit::MonthlyBookings, &e)) } else { Ok(()) }
}

/// Count a campaign's `emails` against the month's allowance (the business's local
/// month), or refuse the whole campaign: none of it is sent.
pub async fn count_campaign_emails(
    tx: &mut Tx,
    business_id: Uuid,
    tz: Tz,
    now: DateTime<Utc>,
    emails: i32,
) -> Result<(), ApiError> {
    let e = entitlements(tx, business_id, now).await?;
    let Some(max) = e.max_monthly_campaign_emails else { return Ok(()) };
    let sent: i32 = sqlx::query_scalar(
        "INSERT INTO billing_usage (business_id, month, campaign_emails) VALUES ($1, $2, $3)
         ON CONFLICT (business_id, month) DO UPDATE SET campaign_emails = billing_usage.campaign_emails + $3
         RETURNING campaign_emails",
    )
    .bind(business_id)
    .bind(month_of(now, tz))
    .bind(emails)
    .fetch_one(&mut **tx)
    .await?;
    if sent > max {
        let left = (max - (sent - emails)).max(0);
        let plan = e.plan_name.clone();
        return Err(limit_reached(Limit::MonthlyCampaignEmails, &e).with_detail(if max == 0 {
            format!("the {plan} plan does not include campaigns; upgrade to send them")
        } else {
            format!(
                "the {plan} plan allows {max} campaign emails a month; {left} are left and this campaign has {emails}"
            )
        }));
    }
    Ok(())
}

/// The first day of `now`'s month in the zone.
pub fn month_of(now: DateTime<Utc>, tz: Tz) -> NaiveDate {
    let local = now.with_timezone(&tz).date_naive();
    local.with_day(1).unwrap_or(local)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_month_is_the_business_s_local_month() {
        let now: DateTime<Utc> = "2026-11-30T23:30:00Z".parse().unwrap();
        assert_eq!(month_of(now, chrono_tz::Europe::Berlin), NaiveDate::from_ymd_opt(2026, 12, 1).unwrap());
        assert_eq!(month_of(now, chrono_tz::America::New_York), NaiveDate::from_ymd_opt(2026, 11, 1).unwrap());
    }

    #[test]
    fn the_refusal_names_the_limit() {
        let e = Entitlements {
            plan_id: "starter".into(),
            plan_name: "Starter".into(),
            max_staff: Some(4),
            max_locations: Some(1),
            max_monthly_bookings: Some(1000),
            whatsapp: false,
            max_monthly_campaign_emails: Some(0),
            billing: Standing { plan_id: "starter".into(), status: None, grace_ends_at: None, downgraded: false },
        };
        let staff = limit_reached(Limit::Staff, &e);
        assert_eq!((staff.status.as_u16(), staff.code, staff.field.as_deref()), (402, "PLAN_LIMIT", Some("staff")));
        assert_eq!(staff.detail, "the Starter plan allows 4 staff; upgrade for more");
        assert!(limit_reached(Limit::WhatsApp, &e).detail.contains("does not include whatsapp"));
    }
}
