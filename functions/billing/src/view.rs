//! The subscription as the owner sees it (subscription-get and -cancel answer it).

use chrono::{DateTime, Utc};
use serde::Serialize;
use shared::db::Tx;
use shared::plan::{self, Standing};
use shared::{ApiResult, App};
use uuid::Uuid;

use crate::account;
use crate::plans_list::Limits;

#[derive(Debug, Serialize)]
pub struct Subscription {
    /// The plan subscribed to (`null`: none, the Free plan).
    pub subscribed_plan_id: Option<String>,
    pub status: Option<String>,
    pub trial_end: Option<DateTime<Utc>>,
    pub current_period_end: Option<DateTime<Utc>>,
    /// Cancelled: it ends at `current_period_end`, and can be resumed until then.
    pub cancel_at_period_end: bool,
    pub has_payment_method: bool,
    /// Whether the business may still start a trial.
    pub trial_available: bool,
    /// The plan in force now, and what the owner needs to know about it.
    #[serde(flatten)]
    pub standing: Standing,
    pub limits: Limits,
}

pub async fn load(app: &App, tx: &mut Tx, business_id: Uuid) -> ApiResult<Subscription> {
    let account = account::fetch(tx, business_id).await?;
    let e = plan::entitlements(tx, business_id, app.now()).await?;
    let a = account.as_ref();
    Ok(Subscription {
        subscribed_plan_id: a.and_then(|a| a.plan_id.clone()),
        status: a.and_then(|a| a.status.clone()),
        trial_end: a.and_then(|a| a.trial_end),
        current_period_end: a.and_then(|a| a.current_period_end),
        cancel_at_period_end: a.is_some_and(|a| a.cancel_at_period_end),
        has_payment_method: a.is_some_and(|a| a.has_payment_method),
        trial_available: a.is_none_or(|a| a.trial_started_at.is_none()),
        limits: Limits {
            staff: e.max_staff,
            locations: e.max_locations,
            monthly_bookings: e.max_monthly_bookings,
            whatsapp: e.whatsapp,
            monthly_campaign_emails: e.max_monthly_campaign_emails,
        },
        standing: e.billing,
    })
}
