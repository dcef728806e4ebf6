//! `Fake`, the handle tests hold: start it, point the app at its URLs, act as the Google
//! user, turn the knobs, and look at what it answered and sent.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use serde_json::Value;
use tokio::net::TcpListener;
use tokio::runtime::Handle;
use tokio::sync::watch;

use crate::api::{self, Call};
use crate::oauth::AuthRequest;
use crate::push::{self, Channel, Delivery, Notice};
use crate::state::{Failure, State};

pub const CLIENT_ID: &str = "kairos-test.apps.googleusercontent.com";
pub const CLIENT_SECRET: &str = "kairos-test-client-secret";

/// A running Google fake. Cloning is cheap and every clone is the same fake.
#[derive(Clone)]
pub struct Fake {
    inner: Arc<Inner>,
}

struct Inner {
    state: Mutex<State>,
    base_url: String,
    http: reqwest::Client,
    runtime: Handle,
    /// Notifications started and not yet delivered or given up.
    pending: watch::Sender<usize>,
}

impl std::fmt::Debug for Fake {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fake").field("base_url", &self.inner.base_url).finish_non_exhaustive()
    }
}

impl Fake {
    /// Serves on a free port of 127.0.0.1 in a tokio task.
    ///
    /// # Panics
    /// When no port can be bound or no HTTP client built.
    pub async fn start() -> Fake {
        Fake::start_on("127.0.0.1:0").await.unwrap_or_else(|e| panic!("the Google fake could not bind: {e}"))
    }

    /// Serve on `bind` (the local fleet's fixed port).
    pub async fn start_on(bind: &str) -> std::io::Result<Fake> {
        let listener = TcpListener::bind(bind).await?;
        let address = listener.local_addr()?;
        let base_url = format!("http://{address}");
        // reqwest sets up TLS even for plain http and needs a process-wide rustls provider.
        let _already_installed = rustls::crypto::aws_lc_rs::default_provider().install_default();
        let http = reqwest::Client::builder().timeout(Duration::from_secs(10)).build();
        let http = http.unwrap_or_else(|e| panic!("the Google fake could not build its HTTP client: {e}"));
        let inner = Inner {
            state: Mutex::new(State::new(base_url.clone())),
            base_url,
            http,
            runtime: Handle::current(),
            pending: watch::Sender::new(0),
        };
        let fake = Fake { inner: Arc::new(inner) };
        let app = api::router(fake.clone());
        tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, app).await {
                tracing::error!(%error, "the Google fake stopped serving");
            }
        });
        Ok(fake)
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn base_url(&self) -> String {
        self.inner.base_url.clone()
    }

    pub fn auth_url(&self) -> String {
        format!("{}/o/oauth2/v2/auth", self.inner.base_url)
    }

    pub fn token_url(&self) -> String {
        format!("{}/token", self.inner.base_url)
    }

    pub fn revoke_url(&self) -> String {
        format!("{}/revoke", self.inner.base_url)
    }

    pub fn api_base(&self) -> String {
        format!("{}/calendar/v3", self.inner.base_url)
    }

    /// Stops the clock at `unix_secs` (it reads the real time until first set).
    pub fn set_now(&self, unix_secs: i64) {
        self.with_state(|st| st.clock.set(unix_secs));
    }

    /// Moves the clock `secs` on (from the real time if it was never set) and stops it there.
    pub fn advance(&self, secs: i64) {
        self.with_state(|st| st.clock.set(st.now() + secs));
    }

    /// A Google account whose primary calendar (id = `email`) is in `time_zone`.
    ///
    /// # Panics
    /// When `time_zone` is not an IANA zone.
    pub fn add_user(&self, email: &str, time_zone: &str) {
        self.with_state(|st| {
            st.users.entry(email.to_owned()).or_default();
            st.add_calendar(email, email, email, time_zone);
        });
    }

    /// Another (not primary) calendar in the user's calendarList. A calendar id added for
    /// a second user is the same, shared calendar.
    ///
    /// # Panics
    /// When the user was not added or `time_zone` is not an IANA zone.
    pub fn add_calendar(&self, email: &str, calendar_id: &str, summary: &str, time_zone: &str) {
        self.with_state(|st| st.add_calendar(email, calendar_id, summary, time_zone));
    }

    /// The user `email` signs in and consents to the app's authorization URL: answers the
    /// redirect `{redirect_uri}?state=…&code=…&scope=…`, or why Google would refuse it.
    ///
    /// # Panics
    /// When the user was not added.
    pub fn consent(&self, authorize_url: &str, email: &str) -> Result<String, String> {
        let request = AuthRequest::parse(authorize_url)?;
        self.with_state(|st| {
            assert!(st.users.contains_key(email), "no Google user {email}: call add_user first");
            Ok(st.oauth.consent(request, email, st.now()))
        })
    }

    /// The user clicks "Cancel": `{redirect_uri}?state=…&error=access_denied`.
    pub fn deny(&self, authorize_url: &str) -> Result<String, String> {
        Ok(AuthRequest::parse(authorize_url)?.denied())
    }

    /// The user removes the app's access: every token of their grants stops working.
    pub fn revoke_user(&self, email: &str) {
        self.with_state(|st| st.oauth.revoke_user(email));
    }

    /// Every access token expires now; refresh tokens keep working.
    pub fn expire_access_tokens(&self) {
        self.with_state(|st| st.oauth.expire_access_tokens(st.now()));
    }

    /// The user's grants that are not revoked.
    pub fn live_grants(&self, email: &str) -> usize {
        self.with_state(|st| st.oauth.grants.iter().filter(|g| g.email == email && !g.revoked).count())
    }

    /// The user creates an event in the Google Calendar UI; answers it as stored.
    ///
    /// # Panics
    /// When the calendar does not exist or the event is invalid.
    pub fn create_event(&self, calendar_id: &str, event: Value) -> Value {
        let created = self.with_state(|st| {
            let owner = st.calendar(calendar_id)?.owner.clone();
            st.insert_event(calendar_id, &owner, event)
        });
        created.unwrap_or_else(|e| panic!("the Google fake refused the event: {}", e.body()))
    }

    /// The user edits an event in the UI (a merge patch, like events.patch).
    ///
    /// # Panics
    /// When the event does not exist or the patch makes it invalid.
    pub fn patch_event(&self, calendar_id: &str, event_id: &str, patch: Value) -> Value {
        let patched = self.with_state(|st| st.patch_event(calendar_id, event_id, patch, None));
        patched.unwrap_or_else(|e| panic!("the Google fake refused the patch: {}", e.body()))
    }

    /// The user deletes an event in the UI: it becomes a tombstone.
    ///
    /// # Panics
    /// When the event does not exist or is deleted already.
    pub fn delete_event(&self, calendar_id: &str, event_id: &str) {
        let deleted = self.with_state(|st| st.delete_event(calendar_id, event_id));
        deleted.unwrap_or_else(|e| panic!("the Google fake refused the delete: {}", e.body()));
    }

    /// Every event of the calendar, tombstones included, in insertion order.
    pub fn events(&self, calendar_id: &str) -> Vec<Value> {
        let events =
            |st: &mut State| st.calendars.get(calendar_id).map(|c| c.events.iter().map(|e| e.json.clone()).collect());
        self.with_state(events).unwrap_or_default()
    }

    /// The calendar's events that are not cancelled.
    pub fn live_events(&self, calendar_id: &str) -> Vec<Value> {
        self.events(calendar_id).into_iter().filter(|e| e["status"] != "cancelled").collect()
    }

    /// Every sync token issued so far answers 410 `fullSyncRequired` from now on.
    pub fn expire_sync_tokens(&self) {
        self.with_state(|st| st.sync_tokens.clear());
    }

    /// The most items an events.list page holds (default 250; `maxResults` can lower it).
    pub fn set_page_size(&self, n: usize) {
        self.with_state(|st| st.page_size = n.max(1));
    }

    /// While on, events.list answers an empty page with a `nextPageToken` before every real page.
    pub fn set_empty_pages(&self, on: bool) {
        self.with_state(|st| st.empty_pages = on);
    }

    /// Each events.list call waits this long, holding no lock, before it is answered.
    pub fn set_list_delay(&self, delay: Duration) {
        self.with_state(|st| st.list_delay = delay);
    }

    /// The most events.list calls ever in flight at once on this calendar.
    pub fn max_concurrent_lists(&self, calendar_id: &str) -> usize {
        self.with_state(|st| st.lists.get(calendar_id).map_or(0, |(_, max)| *max))
    }

    /// The next `n` Calendar API calls answer `status` with Google's error envelope and
    /// `reason`, with `Retry-After` when given. OAuth calls are not affected.
    pub fn fail_next(&self, n: usize, status: u16, reason: &str, retry_after: Option<u64>) {
        let failure = Failure { remaining: n, status, reason: reason.to_owned(), retry_after };
        self.with_state(|st| st.failure = Some(failure));
    }

    /// Every watch channel created, stopped or not.
    pub fn channels(&self) -> Vec<Channel> {
        self.with_state(|st| st.channels.iter().map(|c| c.channel.clone()).collect())
    }

    /// Google silently loses the channel: it never notifies again, but channels.stop still works.
    pub fn drop_channel(&self, channel_id: &str) {
        self.with_state(|st| {
            st.channels.iter_mut().filter(|c| c.channel.id == channel_id).for_each(|c| c.dropped = true)
        });
    }

    /// Waits until every notification started so far is delivered or given up.
    pub async fn settle(&self) {
        let mut pending = self.inner.pending.subscribe();
        // The sender lives as long as `self`, so waiting cannot fail.
        let _ = pending.wait_for(|n| *n == 0).await;
    }

    /// Posts the channel's most recent notification again, same headers and number, and
    /// waits for it.
    ///
    /// # Panics
    /// When the channel does not exist or never notified.
    pub async fn redeliver_last(&self, channel_id: &str) {
        let last = self.with_state(|st| st.channels.iter().find(|c| c.channel.id == channel_id)?.last.clone());
        let notice = last.unwrap_or_else(|| panic!("channel {channel_id} has sent nothing to redeliver"));
        self.inner.pending.send_modify(|n| *n += 1);
        push::deliver(self, notice).await;
        self.inner.pending.send_modify(|n| *n -= 1);
    }

    /// Every final delivery attempt so far, in the order they finished.
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.with_state(|st| st.deliveries.clone())
    }

    /// Every HTTP request answered (OAuth and API), in order.
    pub fn calls(&self) -> Vec<Call> {
        self.with_state(|st| st.calls.clone())
    }

    /// Runs `f` under the state lock, then starts the notifications it queued.
    pub(crate) fn with_state<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        let (result, notices) = {
            let mut state = self.inner.state.lock().unwrap_or_else(PoisonError::into_inner);
            let result = f(&mut state);
            (result, std::mem::take(&mut state.outbox))
        };
        notices.into_iter().for_each(|notice| self.send(notice));
        result
    }

    fn send(&self, notice: Notice) {
        self.inner.pending.send_modify(|n| *n += 1);
        let fake = self.clone();
        self.inner.runtime.spawn(async move {
            push::deliver(&fake, notice).await;
            fake.inner.pending.send_modify(|n| *n -= 1);
        });
    }

    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.inner.http
    }
}
