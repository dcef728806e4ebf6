//! notifications-email: the email consumer. SES v2 with a raw MIME message, so the text,
//! the HTML and the calendar file travel together.

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use aws_sdk_sesv2::operation::send_email::SendEmailError;
use aws_sdk_sesv2::primitives::Blob;
use aws_sdk_sesv2::types::{Destination, EmailContent, RawMessage};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use shared::operation::{DATABASE_SECRET, JWT_SECRET, Queue, SES_SEND};
use shared::{App, Operation};
use tokio::sync::OnceCell;

use crate::deliver::{self, Channel, Failure};
use crate::message::Rendered;
use crate::reminders::{REMINDER_2H, REMINDER_DAY_BEFORE};
use appointments::events::{BOOKED, CANCELLED, RESCHEDULED};
use auth::events::{EMAIL_VERIFY, PASSWORD_RESET};
use billing::events::TRIAL_ENDING;
use calendar::events::{BROKEN as CALENDAR_BROKEN, CHANGED_IN_GOOGLE};
use campaigns::events::EMAIL as CAMPAIGN_EMAIL;
use reviews::events::REQUESTED as REVIEW_REQUESTED;
use staff::events::INVITATION;
use waitlist::events::OFFERED;

pub const OP: Operation =
    Operation::sqs("notifications", "notifications-email", &QUEUE, "Send notification emails (SES)", consume)
        .subscribes(&[
            BOOKED,
            CANCELLED,
            RESCHEDULED,
            REMINDER_2H,
            REMINDER_DAY_BEFORE,
            OFFERED,
            EMAIL_VERIFY,
            PASSWORD_RESET,
            INVITATION,
            TRIAL_ENDING,
            CALENDAR_BROKEN,
            CHANGED_IN_GOOGLE,
            CAMPAIGN_EMAIL,
            REVIEW_REQUESTED,
        ])
        .permissions(&[DATABASE_SECRET, JWT_SECRET, SES_SEND])
        .env(&["APP_URL", "API_URL"]);

/// Emails to send: confirmations, changes, reminders, offers, account mail.
pub const QUEUE: Queue = Queue::new("notifications-email", "notifications-email-dlq");

fn consume(app: App, event: SqsEvent) -> BoxFuture<'static, SqsBatchResponse> {
    async move { deliver::consume(&app, &Ses, event).await }.boxed()
}

pub struct Ses;

impl Channel for Ses {
    const NAME: &'static str = "email";
    const MAX_RECEIVE_COUNT: u32 = QUEUE.max_receive_count;

    async fn send(&self, _app: &App, message: &Rendered) -> Result<String, Failure> {
        let from = std::env::var("SES_FROM_ADDRESS").unwrap_or_else(|_| "bookings@kairos.local".into());
        let raw = mime(&from, message);
        let out = ses()
            .await
            .send_email()
            .from_email_address(&from)
            .destination(Destination::builder().to_addresses(&message.recipient).build())
            .content(EmailContent::builder().raw(RawMessage::builder().data(Blob::new(raw)).build()?).build())
            .set_configuration_set_name(std::env::var("SES_CONFIGURATION_SET").ok().filter(|s| !s.is_empty()))
            .send()
            .await
            .map_err(ses_failure)?;
        out.message_id.ok_or_else(|| Failure::retry("SES answered without a message id"))
    }
}

impl From<aws_sdk_sesv2::error::BuildError> for Failure {
    fn from(e: aws_sdk_sesv2::error::BuildError) -> Failure {
        Failure::retry(e.to_string())
    }
}

/// SES refusing this message (address, content, sender) is for good; throttling, limits
/// and outages are worth retrying.
fn ses_failure(e: aws_sdk_sesv2::error::SdkError<SendEmailError>) -> Failure {
    let reason = format!("SES: {}", aws_sdk_sesv2::error::DisplayErrorContext(&e));
    match e.as_service_error() {
        Some(
            SendEmailError::MessageRejected(_)
            | SendEmailError::MailFromDomainNotVerifiedException(_)
            | SendEmailError::BadRequestException(_)
            | SendEmailError::NotFoundException(_),
        ) => Failure::permanent(reason),
        _ => Failure::retry(reason),
    }
}

async fn ses() -> &'static aws_sdk_sesv2::Client {
    static SES: OnceCell<aws_sdk_sesv2::Client> = OnceCell::const_new();
    SES.get_or_init(|| async { aws_sdk_sesv2::Client::new(shared::aws::sdk_config().await) }).await
}

/// A multipart MIME message: text and HTML as alternatives, the calendar file attached.
pub fn mime(from: &str, m: &Rendered) -> Vec<u8> {
    // Two unrelated boundaries: neither may begin with the other (RFC 2046 §5.1.1).
    let boundary = format!("mixed-{}", uuid::Uuid::new_v4().simple());
    let alternative = format!("alt-{}", uuid::Uuid::new_v4().simple());
    let mut out = String::new();
    out.push_str(&format!("From: {from}\r\n"));
    out.push_str(&format!("To: {} <{}>\r\n", display_name(&m.recipient_name), m.recipient));
    out.push_str(&format!("Subject: {}\r\n", encoded_word(&m.subject)));
    for (name, value) in &m.headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str("MIME-Version: 1.0\r\n");
    out.push_str(&format!("Content-Type: multipart/mixed; boundary=\"{boundary}\"\r\n\r\n"));
    out.push_str(&format!("--{boundary}\r\nContent-Type: multipart/alternative; boundary=\"{alternative}\"\r\n\r\n"));
    part(&mut out, &alternative, "text/plain; charset=UTF-8", None, &m.text);
    part(&mut out, &alternative, "text/html; charset=UTF-8", None, &m.html);
    out.push_str(&format!("--{alternative}--\r\n"));
    if let Some(ics) = &m.ics {
        let method = if ics.contains("METHOD:CANCEL") { "CANCEL" } else { "REQUEST" };
        part(
            &mut out,
            &boundary,
            &format!("text/calendar; charset=UTF-8; method={method}; name=\"appointment.ics\""),
            Some("attachment; filename=\"appointment.ics\""),
            ics,
        );
    }
    out.push_str(&format!("--{boundary}--\r\n"));
    out.into_bytes()
}

fn part(out: &mut String, boundary: &str, content_type: &str, disposition: Option<&str>, body: &str) {
    out.push_str(&format!("--{boundary}\r\nContent-Type: {content_type}\r\nContent-Transfer-Encoding: base64\r\n"));
    if let Some(d) = disposition {
        out.push_str(&format!("Content-Disposition: {d}\r\n"));
    }
    out.push_str("\r\n");
    let encoded = STANDARD.encode(body);
    for line in encoded.as_bytes().chunks(76) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push_str("\r\n");
    }
}

/// A header value in RFC 2047 form when it is not plain ASCII.
fn encoded_word(s: &str) -> String {
    if s.chars().all(|c| c.is_ascii_graphic() || c == ' ') && !s.contains("=?") {
        s.to_owned()
    } else {
        format!("=?UTF-8?B?{}?=", STANDARD.encode(s))
    }
}

/// A display name that cannot split the address list: a quoted string for plain ASCII
/// (`"Smith, John"`), an encoded word otherwise.
fn display_name(name: &str) -> String {
    if name.chars().all(|c| c.is_ascii_graphic() || c == ' ') && !name.contains("=?") {
        format!("\"{}\"", name.replace('\\', "\\\\").replace('"', "\\\""))
    } else {
        encoded_word(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_cannot_split_the_recipient_list() {
        assert_eq!(display_name("Smith, John"), "\"Smith, John\"");
        assert_eq!(display_name("A \"B\" <c>"), "\"A \\\"B\\\" <c>\"");
        assert_eq!(display_name("Zoë"), "=?UTF-8?B?Wm/Dqw==?=");
    }
}
