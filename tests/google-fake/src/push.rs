//! Push channels: events.watch, channels.stop, and the notifications they post.
//!
//! A notification is an empty POST with the `X-Goog-*` headers. It is queued under the
//! state lock and sent by a task of its own once the lock is released, so the `sync`
//! message of a new channel may arrive before or after the watch answer. A 5xx or a
//! connection error is retried three times, 50 ms apart; only the last attempt is recorded.

use std::time::Duration;

use serde_json::{Value, json};

use crate::Fake;
use crate::clock::rfc1123;
use crate::error::ApiError;
use crate::state::State;

/// Google's default and the fake's cap for `params.ttl`: seven days.
const MAX_TTL: i64 = 604_800;
const RETRIES: usize = 3;
const RETRY_PAUSE: Duration = Duration::from_millis(50);

/// A watch channel as created.
#[derive(Debug, Clone)]
pub struct Channel {
    pub id: String,
    pub resource_id: String,
    pub calendar_id: String,
    pub address: String,
    pub token: Option<String>,
    pub expiration_ms: i64,
    pub stopped: bool,
}

/// The final attempt to deliver one notification.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub channel_id: String,
    pub message_number: u64,
    /// `sync` or `exists`.
    pub resource_state: String,
    /// The receiver's HTTP status; 0 when it could not be reached.
    pub status: u16,
}

#[derive(Debug)]
pub(crate) struct ChannelState {
    pub channel: Channel,
    /// The user who created it; only they may stop it.
    owner: String,
    pub dropped: bool,
    messages: u64,
    pub last: Option<Notice>,
}

/// One notification, ready to post.
#[derive(Debug, Clone)]
pub(crate) struct Notice {
    channel_id: String,
    address: String,
    message_number: u64,
    resource_state: &'static str,
    headers: Vec<(&'static str, String)>,
}

impl State {
    /// events.watch on `calendar_id` for `owner`; queues the `sync` message.
    pub fn watch(&mut self, calendar_id: &str, owner: &str, body: &Value) -> Result<Value, ApiError> {
        let text = |key: &str| body.get(key).and_then(Value::as_str).filter(|s| !s.is_empty());
        let id = text("id").ok_or_else(|| ApiError::required("channel id"))?;
        let address = text("address").ok_or_else(|| ApiError::required("channel address"))?;
        if !matches!(text("type"), Some("web_hook" | "webhook")) {
            return Err(ApiError::invalid("Invalid channel type."));
        }
        if self.channels.iter().any(|c| c.channel.id == id) {
            return Err(ApiError::invalid(format!("Channel id {id} not unique")));
        }
        let ttl = match body.pointer("/params/ttl") {
            Some(Value::String(ttl)) => ttl.parse().map_err(|_| ApiError::invalid("Invalid ttl value."))?,
            Some(Value::Number(ttl)) => ttl.as_i64().unwrap_or(MAX_TTL),
            _ => MAX_TTL,
        };
        let expiration_ms = (self.now() + ttl.clamp(1, MAX_TTL)) * 1000;
        let resource_id = self.calendar(calendar_id)?.resource_id.clone();
        let token = text("token").map(str::to_owned);
        let channel = Channel {
            id: id.to_owned(),
            resource_id: resource_id.clone(),
            calendar_id: calendar_id.to_owned(),
            address: address.to_owned(),
            token: token.clone(),
            expiration_ms,
            stopped: false,
        };
        self.channels.push(ChannelState { channel, owner: owner.to_owned(), dropped: false, messages: 0, last: None });
        self.notify(self.channels.len() - 1, "sync");
        let mut answer = json!({
            "kind": "api#channel",
            "id": id,
            "resourceId": resource_id,
            "resourceUri": self.resource_uri(calendar_id),
            "expiration": expiration_ms.to_string(),
        });
        if let Some(token) = token {
            answer["token"] = json!(token);
        }
        Ok(answer)
    }

    /// channels.stop: the pair must name a channel of this user that is not stopped yet.
    pub fn stop_channel(&mut self, owner: &str, body: &Value) -> Result<(), ApiError> {
        let text = |key: &str| body.get(key).and_then(Value::as_str);
        let (Some(id), Some(resource_id)) = (text("id"), text("resourceId")) else {
            return Err(ApiError::required("channel id and resourceId"));
        };
        let found = self.channels.iter_mut().find(|c| {
            c.channel.id == id && c.channel.resource_id == resource_id && c.owner == owner && !c.channel.stopped
        });
        found.ok_or_else(ApiError::not_found)?.channel.stopped = true;
        Ok(())
    }

    /// Something on the calendar changed: queues `exists` for each of its live channels.
    pub fn changed(&mut self, calendar_id: &str) {
        let now_ms = self.now() * 1000;
        for index in 0..self.channels.len() {
            let state = &self.channels[index];
            let live = !state.channel.stopped && !state.dropped && state.channel.expiration_ms > now_ms;
            if live && state.channel.calendar_id == calendar_id {
                self.notify(index, "exists");
            }
        }
    }

    fn notify(&mut self, index: usize, resource_state: &'static str) {
        let uri = self.resource_uri(&self.channels[index].channel.calendar_id);
        let state = &mut self.channels[index];
        state.messages += 1;
        let channel = &state.channel;
        let mut headers = vec![
            ("X-Goog-Channel-ID", channel.id.clone()),
            ("X-Goog-Channel-Expiration", rfc1123(channel.expiration_ms)),
            ("X-Goog-Resource-ID", channel.resource_id.clone()),
            ("X-Goog-Resource-URI", uri),
            ("X-Goog-Resource-State", resource_state.to_owned()),
            ("X-Goog-Message-Number", state.messages.to_string()),
        ];
        if let Some(token) = &channel.token {
            headers.push(("X-Goog-Channel-Token", token.clone()));
        }
        let notice = Notice {
            channel_id: channel.id.clone(),
            address: channel.address.clone(),
            message_number: state.messages,
            resource_state,
            headers,
        };
        state.last = Some(notice.clone());
        self.outbox.push(notice);
    }

    fn resource_uri(&self, calendar_id: &str) -> String {
        format!("{}/calendar/v3/calendars/{calendar_id}/events?alt=json", self.base_url)
    }
}

/// Posts one notification, retrying 5xx and connection errors, and records the outcome.
pub(crate) async fn deliver(fake: &Fake, notice: Notice) {
    let mut status = 0;
    for attempt in 0..=RETRIES {
        if attempt > 0 {
            tokio::time::sleep(RETRY_PAUSE).await;
        }
        let mut request = fake.http().post(&notice.address).body(Vec::new());
        request =
            request.header("User-Agent", "APIs-Google; (+https://developers.google.com/webmasters/APIs-Google.html)");
        for (name, value) in &notice.headers {
            request = request.header(*name, value);
        }
        status = request.send().await.map_or(0, |r| r.status().as_u16());
        if (1..500).contains(&status) {
            break;
        }
    }
    let delivery = Delivery {
        channel_id: notice.channel_id,
        message_number: notice.message_number,
        resource_state: notice.resource_state.to_owned(),
        status,
    };
    fake.with_state(|st| st.deliveries.push(delivery));
}
