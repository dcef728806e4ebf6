//! Message templates: one file per kind and language under `templates/`, rendered with
//! minijinja. A file defines three blocks, `subject`, `text` and `html`; HTML output is
//! escaped, so a customer named `<b>` stays text. Languages without a file fall back to
//! English.

use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use minijinja::{AutoEscape, Environment};
use serde::Serialize;
use shared::{ApiError, ApiResult};

use crate::message::WhatsAppTemplate;
use crate::reminders::{REMINDER_2H, REMINDER_DAY_BEFORE};
use appointments::events::{BOOKED, CANCELLED, RESCHEDULED};
use reviews::events::REQUESTED as REVIEW_REQUESTED;
use waitlist::events::OFFERED;

/// (name, source) of every template file, compiled into the binary.
const FILES: &[(&str, &str)] = &[
    ("en/appointment.booked", include_str!("../templates/en/appointment.booked.j2")),
    ("en/appointment.cancelled", include_str!("../templates/en/appointment.cancelled.j2")),
    ("en/appointment.rescheduled", include_str!("../templates/en/appointment.rescheduled.j2")),
    ("en/appointment.reminder_2h", include_str!("../templates/en/appointment.reminder_2h.j2")),
    ("en/appointment.reminder_day_before", include_str!("../templates/en/appointment.reminder_day_before.j2")),
    ("en/waitlist.offered", include_str!("../templates/en/waitlist.offered.j2")),
    ("en/auth.password_reset", include_str!("../templates/en/auth.password_reset.j2")),
    ("en/auth.email_verify", include_str!("../templates/en/auth.email_verify.j2")),
    ("en/staff.invitation", include_str!("../templates/en/staff.invitation.j2")),
    ("en/billing.trial_ending", include_str!("../templates/en/billing.trial_ending.j2")),
    ("en/calendar.broken", include_str!("../templates/en/calendar.broken.j2")),
    ("en/calendar.changed_in_google", include_str!("../templates/en/calendar.changed_in_google.j2")),
    ("de/appointment.booked", include_str!("../templates/de/appointment.booked.j2")),
    ("de/appointment.cancelled", include_str!("../templates/de/appointment.cancelled.j2")),
    ("de/appointment.rescheduled", include_str!("../templates/de/appointment.rescheduled.j2")),
    ("de/appointment.reminder_2h", include_str!("../templates/de/appointment.reminder_2h.j2")),
    ("de/appointment.reminder_day_before", include_str!("../templates/de/appointment.reminder_day_before.j2")),
    ("de/waitlist.offered", include_str!("../templates/de/waitlist.offered.j2")),
    ("en/campaign.email", include_str!("../templates/en/campaign.email.j2")),
    ("de/campaign.email", include_str!("../templates/de/campaign.email.j2")),
    ("en/review.requested", include_str!("../templates/en/review.requested.j2")),
    ("de/review.requested", include_str!("../templates/de/review.requested.j2")),
    ("de/campaign.email", include_str!("../templates/de/campaign.email.j2")),
    ("layout.html", include_str!("../templates/layout.html")),
];

fn environment() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        // HTML-escaped everywhere; the subject and text blocks switch escaping off.
        env.set_auto_escape_callback(|_| AutoEscape::Html);
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        for (name, source) in FILES {
            if let Err(e) = env.add_template(name, source) {
                tracing::error!(template = name, error = %e, "template does not compile");
            }
        }
        env
    })
}

pub struct EmailParts {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// The subject, text and HTML of an email of this kind.
pub fn email(kind: &str, language: &str, facts: &impl Serialize) -> ApiResult<EmailParts> {
    let env = environment();
    let template = env
        .get_template(&format!("{language}/{kind}"))
        .or_else(|_| env.get_template(&format!("en/{kind}")))
        .map_err(ApiError::internal)?;
    // The whole template is the HTML body (the layout around the `html` block); the
    // subject and the text are blocks of the same rendering.
    let mut captured = template.render_captured(facts).map_err(ApiError::internal)?;
    let mut block = |name: &str| {
        captured
            .with_state_mut(|state| state.render_block(name))
            .map(|s| s.trim().to_owned())
            .map_err(ApiError::internal)
    };
    let (subject, text) = (block("subject")?, block("text")? + "\n");
    Ok(EmailParts { subject, text, html: captured.into_output() })
}

/// The WhatsApp template (approved with Meta under these names) and its parameters.
pub fn whatsapp(kind: &str, language: &str, facts: &impl Serialize) -> ApiResult<WhatsAppTemplate> {
    let (name, keys): (&'static str, &[&str]) = match kind {
        BOOKED => ("appointment_confirmed", &["customer_name", "service_name", "business_name", "when"]),
        CANCELLED => ("appointment_cancelled", &["customer_name", "service_name", "business_name", "when"]),
        RESCHEDULED => ("appointment_moved", &["customer_name", "service_name", "business_name", "when"]),
        REMINDER_2H | REMINDER_DAY_BEFORE => {
            ("appointment_reminder", &["customer_name", "service_name", "business_name", "when"])
        }
        OFFERED => ("waitlist_offer", &["customer_name", "service_name", "when", "claim_url"]),
        REVIEW_REQUESTED => ("review_request", &["customer_name", "service_name", "business_name", "review_url"]),
        _ => return Err(ApiError::internal(format!("no WhatsApp template for {kind}"))),
    };
    let facts = serde_json::to_value(facts).map_err(ApiError::internal)?;
    let parameters = keys
        .iter()
        .map(|k| facts.get(*k).and_then(|v| v.as_str()).map(str::to_owned))
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| ApiError::internal(format!("missing a parameter of the {name} template")))?;
    Ok(WhatsAppTemplate { name, language: language.to_owned(), parameters })
}

/// The language part of a business's locale (`de-AT` → `de`).
pub fn language(locale: &str) -> String {
    locale.split(['-', '_']).next().unwrap_or("en").to_lowercase()
}

/// An instant as the business's customers read it: their zone, their language, the
/// zone's abbreviation (which tells CET from CEST).
pub fn local_time(t: DateTime<Utc>, zone: Tz, locale: &str) -> String {
    let local = t.with_timezone(&zone);
    let chrono_locale = chrono_locale(locale);
    match language(locale).as_str() {
        "de" => local.format_localized("%A, %-d. %B %Y, %H:%M %Z", chrono_locale).to_string(),
        _ => local.format_localized("%A %-d %B %Y, %H:%M %Z", chrono_locale).to_string(),
    }
}

fn chrono_locale(locale: &str) -> chrono::Locale {
    let normalized = locale.replace('-', "_");
    let candidates = [normalized.clone(), format!("{0}_{1}", language(locale), language(locale).to_uppercase())];
    candidates.iter().find_map(|c| chrono::Locale::try_from(c.as_str()).ok()).unwrap_or(chrono::Locale::en_GB)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn every_template_compiles_and_renders_all_three_blocks() {
        let facts = serde_json::json!({
            "business_name": "Salon <Anna>", "customer_name": "Eve & Co", "customer_email": "eve@example.com",
            "service_name": "Cut", "staff_name": "Ana", "when": "Saturday", "manage_url": "https://app/manage/t",
            "expires": "Sunday", "claim_url": "https://app/waitlist/t", "email": "eve@example.com", "name": "Eve",
            "link": "https://app/x?token=t", "business_name_": "", "expires_at": "2026-01-01T00:00:00Z",
            "plan_name": "Starter", "ends_on": "2026-03-16", "days_left": 0, "notice": "last",
            "google_email": "ana@gmail.example", "change": "deleted",
            "subject": "News from <Anna>", "paragraphs": [["Eve & Co", "line two"], ["second"]],
            "unsubscribe_url": "https://app/unsubscribe/t", "review_url": "https://app/review/t",
            "forms": [{"name": "Health <questions>", "url": "https://app/manage/t/forms/f"}],
        });
        for (name, _) in FILES.iter().filter(|(n, _)| *n != "layout.html") {
            let (language, kind) = name.split_once('/').unwrap();
            let parts = email(kind, language, &facts).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(!parts.subject.is_empty() && !parts.text.is_empty(), "{name}");
            assert!(parts.html.contains("<html"), "{name} has the layout");
            assert!(!parts.html.contains("<Anna>") && !parts.html.contains("Eve & Co"), "{name} escapes HTML");
        }
    }

    #[test]
    fn times_read_in_the_business_zone_and_language() {
        let t = Utc.with_ymd_and_hms(2026, 3, 28, 17, 0, 0).unwrap();
        assert_eq!(local_time(t, chrono_tz::Europe::Berlin, "de-DE"), "Samstag, 28. März 2026, 18:00 CET");
        let after_change = Utc.with_ymd_and_hms(2026, 3, 29, 16, 0, 0).unwrap();
        assert_eq!(local_time(after_change, chrono_tz::Europe::Berlin, "en"), "Sunday 29 March 2026, 18:00 CEST");
        assert_eq!(language("de-AT"), "de");
    }
}
