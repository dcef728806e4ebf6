//! notifications-whatsapp: template messages through the WhatsApp Cloud API, for
//! customers who opted in at businesses that turned WhatsApp on.

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use serde::Deserialize;
use serde_json::json;
use shared::operation::{DATABASE_SECRET, JWT_SECRET, Queue, WHATSAPP_SECRET};
use shared::{App, Operation};
use tokio::sync::OnceCell;

use crate::deliver::{self, Channel, Failure};
use crate::message::Rendered;
use crate::reminders::{REMINDER_2H, REMINDER_DAY_BEFORE};
use appointments::events::{BOOKED, CANCELLED, RESCHEDULED};
use reviews::events::REQUESTED as REVIEW_REQUESTED;
use waitlist::events::OFFERED;

pub const OP: Operation =
    Operation::sqs("notifications", "notifications-whatsapp", &QUEUE, "Send WhatsApp template messages", consume)
        .subscribes(&[BOOKED, CANCELLED, RESCHEDULED, REMINDER_2H, REMINDER_DAY_BEFORE, OFFERED, REVIEW_REQUESTED])
        .permissions(&[DATABASE_SECRET, JWT_SECRET, WHATSAPP_SECRET])
        .env(&["APP_URL"]);

/// WhatsApp template messages about appointments, for customers who opted in.
pub const QUEUE: Queue = Queue::new("notifications-whatsapp", "notifications-whatsapp-dlq");

fn consume(app: App, event: SqsEvent) -> BoxFuture<'static, SqsBatchResponse> {
    async move { deliver::consume(&app, &CloudApi, event).await }.boxed()
}

/// The platform's WhatsApp Business account, from Secrets Manager.
#[derive(Debug, Deserialize)]
struct Account {
    access_token: String,
    phone_number_id: String,
}

pub struct CloudApi;

impl Channel for CloudApi {
    const NAME: &'static str = "whatsapp";
    const MAX_RECEIVE_COUNT: u32 = QUEUE.max_receive_count;

    async fn send(&self, app: &App, message: &Rendered) -> Result<String, Failure> {
        let template = message.whatsapp.as_ref().ok_or_else(|| Failure::permanent("no WhatsApp template"))?;
        let account = account().await?;
        let base = &app.config.whatsapp_api_base;
        let parameters: Vec<_> = template.parameters.iter().map(|p| json!({"type": "text", "text": p})).collect();
        let body = json!({
            "messaging_product": "whatsapp",
            "to": message.recipient.trim_start_matches('+'),
            "type": "template",
            "template": {
                "name": template.name,
                "language": {"code": template.language},
                "components": [{"type": "body", "parameters": parameters}],
            },
        });
        let response = http()
            .post(format!("{}/{}/messages", base.trim_end_matches('/'), account.phone_number_id))
            .bearer_auth(&account.access_token)
            .json(&body)
            .send()
            .await
            .map_err(|e| Failure::retry(format!("WhatsApp: {e}")))?;
        let status = response.status();
        let answer: serde_json::Value = response.json().await.unwrap_or_default();
        if !status.is_success() {
            let reason = format!("WhatsApp answered {status}: {answer}");
            // A refused number or template stays refused; throttling and outages pass.
            let permanent = status.is_client_error() && !matches!(status.as_u16(), 408 | 429);
            return Err(if permanent { Failure::permanent(reason) } else { Failure::retry(reason) });
        }
        answer
            .pointer("/messages/0/id")
            .and_then(|id| id.as_str())
            .map(str::to_owned)
            .ok_or_else(|| Failure::retry(format!("WhatsApp answered without a message id: {answer}")))
    }
}

async fn account() -> Result<&'static Account, Failure> {
    static ACCOUNT: OnceCell<Account> = OnceCell::const_new();
    ACCOUNT
        .get_or_try_init(|| async {
            let id = std::env::var("WHATSAPP_SECRET_ID").unwrap_or_else(|_| "kairos/whatsapp".into());
            shared::secrets::get_json::<Account>(&id).await.map_err(|e| Failure::retry(format!("WhatsApp secret: {e}")))
        })
        .await
}

fn http() -> &'static reqwest::Client {
    static CLIENT: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
    CLIENT.get_or_init(|| {
        shared::tls::ensure_provider();
        reqwest::Client::builder().timeout(std::time::Duration::from_secs(10)).build().unwrap_or_default()
    })
}
