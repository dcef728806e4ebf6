//! What a campaign email says to one recipient, read fresh when it is sent: a customer who
//! unsubscribed (or withdrew consent) after the snapshot, or a cancelled campaign, gets
//! nothing. The email consumer renders it and records the outcome here.

use chrono::Duration;
use shared::db::Tx;
use shared::outbox::Envelope;
use shared::{ApiError, ApiResult, App};
use uuid::Uuid;

use crate::events::Email;
use crate::model::{self, Status};

/// The link purpose of an unsubscribe token (it names the recipient row).
pub const UNSUBSCRIBE: &str = "unsubscribe";

/// How long an unsubscribe link works after its email was sent.
const LINK_LIFETIME: Duration = Duration::days(365);

pub enum Mail {
    Send(CampaignMail),
    Skip(&'static str),
}

#[derive(Debug)]
pub struct CampaignMail {
    pub email: String,
    pub customer_name: String,
    pub business_name: String,
    pub locale: String,
    /// With the placeholders filled in.
    pub subject: String,
    /// The body's paragraphs (blank-line separated in the text), filled in.
    pub paragraphs: Vec<String>,
    /// The signed token of this recipient's unsubscribe link.
    pub unsubscribe_token: String,
}

pub async fn load(app: &App, envelope: &Envelope) -> ApiResult<Mail> {
    let email: Email = serde_json::from_value(envelope.payload.clone()).map_err(ApiError::internal)?;
    let mut tx = app.db.tenant_tx(envelope.business_id).await?;
    let row = sqlx::query!(
        r#"SELECT c.status AS "status: Status", c.subject, c.body, cu.name, cu.email, cu.marketing_consent,
                  cu.marketing_unsubscribed_at, b.name AS business_name, b.locale
           FROM campaign_recipients r
           JOIN campaigns c ON c.id = r.campaign_id
           JOIN customers cu ON cu.id = r.customer_id
           JOIN businesses b ON b.id = r.business_id
           WHERE r.id = $1"#,
        email.recipient_id
    )
    .fetch_optional(&mut *tx)
    .await?;
    tx.commit().await?;
    let Some(row) = row else { return Ok(Mail::Skip("the recipient no longer exists")) };
    if row.status == Status::Cancelled {
        return Ok(Mail::Skip("the campaign was cancelled"));
    }
    if !row.marketing_consent || row.marketing_unsubscribed_at.is_some() {
        return Ok(Mail::Skip("the customer unsubscribed or withdrew consent"));
    }
    let first_name = row.name.split_whitespace().next().unwrap_or(&row.name).to_owned();
    let values = [row.name.as_str(), first_name.as_str(), row.business_name.as_str()];
    let expires = (app.now() + LINK_LIFETIME).timestamp().max(0) as u64;
    let unsubscribe_token = app
        .signing_keys()
        .await?
        .issue_link(UNSUBSCRIBE, envelope.business_id, email.recipient_id, expires)
        .map_err(ApiError::internal)?;
    Ok(Mail::Send(CampaignMail {
        subject: model::fill(&row.subject, values),
        paragraphs: model::fill(&row.body, values)
            .split("\n\n")
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect(),
        email: row.email,
        customer_name: row.name,
        business_name: row.business_name,
        locale: row.locale,
        unsubscribe_token,
    }))
}

/// Record on the recipient's row what became of their email (in the delivery's own
/// transaction): `sent`, `skipped`, or `failed` once retrying is over. A failure that will
/// be retried leaves it `queued`.
pub async fn record_delivery(
    tx: &mut Tx,
    envelope: &Envelope,
    delivery_status: &str,
    detail: Option<&str>,
    at: chrono::DateTime<chrono::Utc>,
) -> ApiResult<()> {
    let status = match delivery_status {
        "sent" => "sent",
        "skipped" => "skipped",
        "rejected" | "dead" => "failed",
        _ => return Ok(()),
    };
    let email: Email = serde_json::from_value(envelope.payload.clone()).map_err(ApiError::internal)?;
    sqlx::query!(
        "UPDATE campaign_recipients SET status = $2, detail = $3, delivered_at = $4 WHERE id = $1",
        email.recipient_id,
        status,
        detail,
        at
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The recipient a campaign email is for (the log's and the tests' handle on it).
pub fn recipient(envelope: &Envelope) -> Option<Uuid> {
    serde_json::from_value::<Email>(envelope.payload.clone()).ok().map(|e| e.recipient_id)
}
