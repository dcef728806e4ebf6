//! From an outbox message to what a customer reads: the facts are loaded fresh at send
//! time (a cancelled or moved appointment is caught here, however long the message
//! waited), then rendered from the templates in the business's language, with times in
//! its time zone.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use serde_json::Value;
use shared::outbox::Envelope;
use shared::{ApiError, ApiResult, App};
use uuid::Uuid;

use crate::reminders::{REMINDER_2H, REMINDER_DAY_BEFORE};
use crate::templates;
use appointments::events::{BOOKED, CANCELLED, RESCHEDULED};
use appointments::model::Status as AppointmentStatus;
use auth::events::{EMAIL_VERIFY, PASSWORD_RESET};
use billing::events::TRIAL_ENDING;
use calendar::events::{BROKEN as CALENDAR_BROKEN, CHANGED_IN_GOOGLE};
use campaigns::events::EMAIL as CAMPAIGN_EMAIL;
use campaigns::message::Mail;
use reviews::events::REQUESTED as REVIEW_REQUESTED;
use staff::events::INVITATION;
use waitlist::events::OFFERED;
use waitlist::model::Status as EntryStatus;

/// A message ready for a channel.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// The email address or phone number.
    pub recipient: String,
    pub recipient_name: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// The calendar file for confirmations and changes.
    pub ics: Option<String>,
    /// WhatsApp: the approved template's name, its language and its body parameters.
    pub whatsapp: Option<WhatsAppTemplate>,
    /// Headers of the email's own (a campaign's `List-Unsubscribe`).
    pub headers: Vec<(&'static str, String)>,
}

#[derive(Debug, Clone)]
pub struct WhatsAppTemplate {
    pub name: &'static str,
    pub language: String,
    pub parameters: Vec<String>,
}

pub enum Prepared {
    Send(Box<Rendered>),
    /// Nothing to send, and why (kept on the delivery row).
    Skip(&'static str),
}

/// Everything an appointment message can say.
#[derive(Debug, Serialize)]
struct AppointmentFacts {
    business_name: String,
    customer_name: String,
    customer_email: String,
    service_name: String,
    staff_name: String,
    /// "Saturday 28 March 2026, 10:00 CET", in the business's zone and language.
    when: String,
    manage_url: String,
    /// The intake forms still to fill in (confirmations list them).
    forms: Vec<FormLink>,
    #[serde(skip)]
    phone: Option<String>,
    #[serde(skip)]
    language: String,
    #[serde(skip)]
    ics: Option<String>,
}

#[derive(Debug, Serialize)]
struct FormLink {
    name: String,
    url: String,
}

pub async fn prepare(app: &App, envelope: &Envelope, channel: &str) -> ApiResult<Prepared> {
    if channel == "whatsapp" && !whatsapp_included(app, envelope.business_id).await? {
        return Ok(Prepared::Skip("the business's plan does not include WhatsApp"));
    }
    match envelope.kind.as_str() {
        BOOKED | CANCELLED | RESCHEDULED | REMINDER_2H | REMINDER_DAY_BEFORE => {
            appointment(app, envelope, channel).await
        }
        OFFERED => waitlist_offer(app, envelope, channel).await,
        CAMPAIGN_EMAIL if channel == "email" => campaign(app, envelope).await,
        REVIEW_REQUESTED => review_request(app, envelope, channel).await,
        EMAIL_VERIFY | PASSWORD_RESET | INVITATION | TRIAL_ENDING | CALENDAR_BROKEN | CHANGED_IN_GOOGLE
            if channel == "email" =>
        {
            account_mail(app, envelope).await
        }
        _ => Ok(Prepared::Skip("no message for this channel")),
    }
}

async fn appointment(app: &App, envelope: &Envelope, channel: &str) -> ApiResult<Prepared> {
    let p = &envelope.payload;
    let id = uuid_at(p, &["appointment_id"]).or_else(|| uuid_at(p, &["appointment", "id"]));
    let id = id.ok_or_else(|| ApiError::internal("appointment message without an appointment id"))?;
    let mut tx = app.db.tenant_tx(envelope.business_id).await?;
    let row = sqlx::query!(
        r#"SELECT a.status AS "status: AppointmentStatus", a.starts_at, a.ends_at, a.sequence,
                  c.name AS customer_name, c.email AS customer_email, c.phone, c.whatsapp_opt_in,
                  s.name AS service_name, st.name AS staff_name,
                  b.name AS business_name, b.time_zone, b.locale, b.whatsapp_enabled
           FROM appointments a
           JOIN customers c ON c.id = a.customer_id
           JOIN services s ON s.id = a.service_id
           JOIN staff st ON st.id = a.staff_id
           JOIN businesses b ON b.id = a.business_id
           WHERE a.id = $1"#,
        id
    )
    .fetch_optional(&mut *tx)
    .await?;
    let pending =
        if envelope.kind == BOOKED { forms::pending::for_appointment(&mut tx, id).await? } else { Vec::new() };
    tx.commit().await?;
    let Some(row) = row else { return Ok(Prepared::Skip("the appointment no longer exists")) };

    let kind = envelope.kind.as_str();
    let cancelled = row.status == AppointmentStatus::Cancelled;
    let is_reminder = matches!(kind, REMINDER_2H | REMINDER_DAY_BEFORE);
    if (is_reminder || kind == BOOKED) && cancelled {
        return Ok(Prepared::Skip("the appointment was cancelled"));
    }
    if is_reminder {
        let sequence = p.get("sequence").and_then(Value::as_i64);
        if sequence != Some(row.sequence.into()) || time_at(p, "starts_at") != Some(row.starts_at) {
            return Ok(Prepared::Skip("the appointment was moved; the reminder for its new time is separate"));
        }
        if row.status != AppointmentStatus::Confirmed || row.starts_at <= app.now() {
            return Ok(Prepared::Skip("the appointment is over"));
        }
    }
    if kind == RESCHEDULED {
        let sequence = p.pointer("/appointment/sequence").and_then(Value::as_i64);
        if cancelled || sequence != Some(row.sequence.into()) {
            return Ok(Prepared::Skip("the appointment changed again; a later message says so"));
        }
    }
    if channel == "whatsapp" && !(row.whatsapp_enabled && row.whatsapp_opt_in && row.phone.is_some()) {
        return Ok(Prepared::Skip("WhatsApp is off for this business or customer"));
    }

    let zone: Tz = row.time_zone.parse().map_err(ApiError::internal)?;
    let language = templates::language(&row.locale);
    let token = appointments::model::manage_link_token(app, envelope.business_id, id, row.ends_at).await?;
    let summary = format!("{} — {}", row.service_name, row.business_name);
    let ics = matches!(kind, BOOKED | RESCHEDULED | CANCELLED).then(|| {
        appointments::ical::calendar(&appointments::ical::Event {
            uid: format!("{id}@kairos"),
            sequence: row.sequence,
            stamp: envelope.created_at,
            start: row.starts_at,
            end: row.ends_at,
            summary: &summary,
            description: &row.staff_name,
            cancelled,
        })
    });
    let facts = AppointmentFacts {
        when: templates::local_time(row.starts_at, zone, &row.locale),
        forms: pending
            .into_iter()
            .filter(|f| f.answered_at.is_none())
            .map(|f| FormLink { url: format!("{}/manage/{token}/forms/{}", app_url(), f.form_id), name: f.name })
            .collect(),
        manage_url: format!("{}/manage/{token}", app_url()),
        business_name: row.business_name,
        customer_name: row.customer_name,
        customer_email: row.customer_email,
        service_name: row.service_name,
        staff_name: row.staff_name,
        phone: row.phone,
        language,
        ics,
    };
    render(kind, facts.customer_email.clone(), facts.phone.clone(), channel, &facts, &facts.language, facts.ics.clone())
}

async fn waitlist_offer(app: &App, envelope: &Envelope, channel: &str) -> ApiResult<Prepared> {
    let p = &envelope.payload;
    let entry_id = uuid_at(p, &["entry_id"]).ok_or_else(|| ApiError::internal("offer without an entry id"))?;
    let mut tx = app.db.tenant_tx(envelope.business_id).await?;
    let row = sqlx::query!(
        r#"SELECT w.status AS "status: EntryStatus", w.offered_start, w.offer_expires_at,
                  c.name AS customer_name, c.email AS customer_email, c.phone, c.whatsapp_opt_in,
                  s.name AS service_name, b.name AS business_name, b.time_zone, b.locale, b.whatsapp_enabled
           FROM waitlist_entries w
           JOIN customers c ON c.id = w.customer_id
           JOIN services s ON s.id = w.service_id
           JOIN businesses b ON b.id = w.business_id
           WHERE w.id = $1"#,
        entry_id
    )
    .fetch_optional(&mut *tx)
    .await?;
    tx.commit().await?;
    let Some(row) = row else { return Ok(Prepared::Skip("the waitlist entry no longer exists")) };
    let (Some(start), Some(expires)) = (row.offered_start, row.offer_expires_at) else {
        return Ok(Prepared::Skip("the offer was withdrawn"));
    };
    if row.status != EntryStatus::Offered || time_at(p, "start") != Some(start) {
        return Ok(Prepared::Skip("the offer was claimed, withdrawn or replaced"));
    }
    if expires <= app.now() {
        return Ok(Prepared::Skip("the offer expired before it could be sent"));
    }
    if channel == "whatsapp" && !(row.whatsapp_enabled && row.whatsapp_opt_in && row.phone.is_some()) {
        return Ok(Prepared::Skip("WhatsApp is off for this business or customer"));
    }
    let zone: Tz = row.time_zone.parse().map_err(ApiError::internal)?;
    // The link holds until the time itself; the offer's own expiry is on the entry (a late
    // claim hears 410 OFFER_EXPIRED rather than "invalid link").
    let token = app
        .signing_keys()
        .await?
        .issue_link("waitlist", envelope.business_id, entry_id, start.timestamp().max(0) as u64)
        .map_err(ApiError::internal)?;
    let facts = serde_json::json!({
        "business_name": row.business_name,
        "customer_name": row.customer_name,
        "service_name": row.service_name,
        "when": templates::local_time(start, zone, &row.locale),
        "expires": templates::local_time(expires, zone, &row.locale),
        "claim_url": format!("{}/waitlist/{token}", app_url()),
    });
    let language = templates::language(&row.locale);
    render(OFFERED, row.customer_email, row.phone, channel, &facts, &language, None)
}

/// The request for a review, some hours after a completed appointment: only while it
/// still stands as completed.
async fn review_request(app: &App, envelope: &Envelope, channel: &str) -> ApiResult<Prepared> {
    let id = uuid_at(&envelope.payload, &["appointment_id"])
        .ok_or_else(|| ApiError::internal("review request without an appointment id"))?;
    let mut tx = app.db.tenant_tx(envelope.business_id).await?;
    let row = sqlx::query!(
        r#"SELECT a.status AS "status: AppointmentStatus", a.starts_at,
                  c.name AS customer_name, c.email AS customer_email, c.phone, c.whatsapp_opt_in,
                  s.name AS service_name, b.name AS business_name, b.time_zone, b.locale, b.whatsapp_enabled
           FROM appointments a
           JOIN customers c ON c.id = a.customer_id
           JOIN services s ON s.id = a.service_id
           JOIN businesses b ON b.id = a.business_id
           WHERE a.id = $1"#,
        id
    )
    .fetch_optional(&mut *tx)
    .await?;
    tx.commit().await?;
    let Some(row) = row else { return Ok(Prepared::Skip("the appointment no longer exists")) };
    if row.status != AppointmentStatus::Completed {
        return Ok(Prepared::Skip("the appointment is no longer marked completed"));
    }
    if channel == "whatsapp" && !(row.whatsapp_enabled && row.whatsapp_opt_in && row.phone.is_some()) {
        return Ok(Prepared::Skip("WhatsApp is off for this business or customer"));
    }
    let zone: Tz = row.time_zone.parse().map_err(ApiError::internal)?;
    let token = reviews::link::link_token(app, envelope.business_id, id).await?;
    let facts = serde_json::json!({
        "business_name": row.business_name,
        "customer_name": row.customer_name,
        "service_name": row.service_name,
        "when": templates::local_time(row.starts_at, zone, &row.locale),
        "review_url": format!("{}/review/{token}", app_url()),
    });
    let language = templates::language(&row.locale);
    render(REVIEW_REQUESTED, row.customer_email, row.phone, channel, &facts, &language, None)
}

/// A campaign email: the owner's text, with the one-click unsubscribe (RFC 8058) in the
/// headers, pointing at this API, and a link to the web page in the footer.
async fn campaign(app: &App, envelope: &Envelope) -> ApiResult<Prepared> {
    let mail = match campaigns::message::load(app, envelope).await? {
        Mail::Send(mail) => mail,
        Mail::Skip(reason) => return Ok(Prepared::Skip(reason)),
    };
    let token = &mail.unsubscribe_token;
    let paragraphs: Vec<Vec<&str>> = mail.paragraphs.iter().map(|p| p.lines().collect()).collect();
    let facts = serde_json::json!({
        "business_name": mail.business_name,
        "customer_name": mail.customer_name,
        "subject": mail.subject,
        "paragraphs": paragraphs,
        "unsubscribe_url": format!("{}/unsubscribe/{token}", app_url()),
    });
    let language = templates::language(&mail.locale);
    let Prepared::Send(mut rendered) = render(CAMPAIGN_EMAIL, mail.email, None, "email", &facts, &language, None)?
    else {
        return Ok(Prepared::Skip("nothing to send"));
    };
    rendered.headers = vec![
        ("List-Unsubscribe", format!("<{}/v1/public/unsubscribe/{token}>", app.config.api_url)),
        ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click".to_owned()),
    ];
    Ok(Prepared::Send(rendered))
}

/// Password reset, email verification, staff invitation: the payload carries it all.
async fn account_mail(_app: &App, envelope: &Envelope) -> ApiResult<Prepared> {
    let p = &envelope.payload;
    let Some(email) = p.get("email").and_then(Value::as_str) else {
        return Ok(Prepared::Skip("no address in the message"));
    };
    let token = p.get("token").and_then(Value::as_str).unwrap_or_default();
    let link = match envelope.kind.as_str() {
        PASSWORD_RESET => format!("{}/reset-password?token={token}", app_url()),
        EMAIL_VERIFY => format!("{}/verify-email?token={token}", app_url()),
        INVITATION => format!("{}/accept-invitation?token={token}", app_url()),
        TRIAL_ENDING => format!("{}/billing", app_url()),
        CALENDAR_BROKEN => format!("{}/settings/calendar", app_url()),
        CHANGED_IN_GOOGLE => {
            let id = p.get("appointment_id").and_then(Value::as_str).unwrap_or_default();
            format!("{}/appointments/{id}", app_url())
        }
        _ => return Ok(Prepared::Skip("unknown message kind")),
    };
    let mut facts = p.clone();
    if let Some(map) = facts.as_object_mut() {
        map.insert("link".into(), link.into());
        map.remove("token");
    }
    render(&envelope.kind, email.to_owned(), None, "email", &facts, "en", None)
}

fn render(
    kind: &str,
    email: String,
    phone: Option<String>,
    channel: &str,
    facts: &impl Serialize,
    language: &str,
    ics: Option<String>,
) -> ApiResult<Prepared> {
    let email_parts = templates::email(kind, language, facts)?;
    let recipient = if channel == "whatsapp" { phone.unwrap_or_default() } else { email };
    let whatsapp = if channel == "whatsapp" { Some(templates::whatsapp(kind, language, facts)?) } else { None };
    let facts = serde_json::to_value(facts).map_err(ApiError::internal)?;
    let recipient_name = facts.get("customer_name").or(facts.get("name")).and_then(Value::as_str).unwrap_or("");
    Ok(Prepared::Send(Box::new(Rendered {
        recipient,
        recipient_name: recipient_name.to_owned(),
        subject: email_parts.subject,
        text: email_parts.text,
        html: email_parts.html,
        ics,
        whatsapp,
        headers: Vec::new(),
    })))
}

/// Whether the plan in force includes WhatsApp messages (checked at send time: a
/// downgrade stops the next message).
async fn whatsapp_included(app: &App, business_id: Uuid) -> ApiResult<bool> {
    let mut tx = app.db.tenant_tx(business_id).await?;
    let included = shared::plan::entitlements(&mut tx, business_id, app.now()).await?.whatsapp;
    tx.commit().await?;
    Ok(included)
}

/// The web app the links in messages open.
fn app_url() -> String {
    std::env::var("APP_URL").unwrap_or_else(|_| "http://localhost:3000".into()).trim_end_matches('/').to_owned()
}

fn uuid_at(v: &Value, path: &[&str]) -> Option<Uuid> {
    path.iter().try_fold(v, |v, k| v.get(k))?.as_str()?.parse().ok()
}

fn time_at(v: &Value, key: &str) -> Option<DateTime<Utc>> {
    v.get(key)?.as_str()?.parse().ok()
}
