//! Webhook delivery: every event goes to every registered endpoint as a signed POST.
//!
//! First attempts leave in the order events were created (or released), one at a time,
//! so a test sees a stable order unless it asks for another with `hold`/`release`. A
//! failed attempt (non-2xx or no connection) is retried on its own schedule, concurrently
//! with later events: as at Stripe, an endpoint that fails one event does not hold back
//! the next.
//! Stripe retries for up to three days with exponential backoff; the fake keeps the shape
//! but not the scale: four attempts, 50 ms, 200 ms and 800 ms apart.

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{CONTENT_TYPE, USER_AGENT};
use stripe_webhook::Webhook;
use tokio::sync::{mpsc, watch};

use crate::Fake;

const RETRY_DELAYS: [Duration; 3] = [Duration::from_millis(50), Duration::from_millis(200), Duration::from_millis(800)];
/// A receiver that hangs is treated like one that is down.
pub(crate) const DELIVERY_TIMEOUT: Duration = Duration::from_secs(10);

/// One attempt to deliver one event to one endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub event_id: String,
    pub event_type: String,
    /// The endpoint's HTTP status, or `None` when it could not be reached.
    pub status: Option<u16>,
    /// 1 for the first attempt, counting up through the retries.
    pub attempt: u32,
}

#[derive(Debug, Clone)]
pub(crate) struct Endpoint {
    url: String,
    secret: String,
}

#[derive(Debug)]
pub(crate) struct Job {
    event_id: String,
    endpoint: Endpoint,
}

/// The queue of first attempts and the count of deliveries not yet finished (queued,
/// sending or waiting to retry), which `settle` waits on.
#[derive(Debug, Clone)]
pub(crate) struct Outbox {
    jobs: mpsc::UnboundedSender<Job>,
    in_flight: Arc<watch::Sender<usize>>,
}

impl Outbox {
    pub fn new() -> (Self, mpsc::UnboundedReceiver<Job>) {
        let (jobs, queue) = mpsc::unbounded_channel();
        (Outbox { jobs, in_flight: Arc::new(watch::Sender::new(0)) }, queue)
    }

    fn send(&self, job: Job) {
        self.in_flight.send_modify(|n| *n += 1);
        if self.jobs.send(job).is_err() {
            self.finished();
        }
    }

    fn finished(&self) {
        self.in_flight.send_modify(|n| *n = n.saturating_sub(1));
    }

    /// Returns once every delivery, retries included, has succeeded or given up.
    pub async fn settled(&self) {
        let mut count = self.in_flight.subscribe();
        // The sender lives as long as `self`, so waiting cannot fail.
        let _ = count.wait_for(|n| *n == 0).await;
    }
}

/// Where events go and how: endpoints, holding, doubling, and the record of attempts.
#[derive(Debug)]
pub(crate) struct Hooks {
    endpoints: Vec<Endpoint>,
    holding: bool,
    held: Vec<String>,
    twice: bool,
    pub deliveries: Vec<Delivery>,
    outbox: Outbox,
}

impl Hooks {
    pub fn new(outbox: Outbox) -> Self {
        Hooks { endpoints: Vec::new(), holding: false, held: Vec::new(), twice: false, deliveries: Vec::new(), outbox }
    }

    pub fn add_endpoint(&mut self, url: &str, secret: &str) {
        self.endpoints.push(Endpoint { url: url.to_owned(), secret: secret.to_owned() });
    }

    pub fn endpoint_urls(&self) -> Vec<String> {
        self.endpoints.iter().map(|e| e.url.clone()).collect()
    }

    /// A new event: held, or queued for every endpoint.
    pub fn created(&mut self, event_id: &str) {
        if self.holding {
            self.held.push(event_id.to_owned());
        } else {
            self.send(event_id);
        }
    }

    /// Queues `event_id` for every endpoint, twice each while doubling is on.
    pub fn send(&self, event_id: &str) {
        let copies = if self.twice { 2 } else { 1 };
        for endpoint in &self.endpoints {
            for _ in 0..copies {
                self.outbox.send(Job { event_id: event_id.to_owned(), endpoint: endpoint.clone() });
            }
        }
    }

    pub fn hold(&mut self) {
        self.holding = true;
    }

    pub fn held(&self) -> &[String] {
        &self.held
    }

    /// Sends the named held events in the order given; the others stay held.
    pub fn release(&mut self, event_ids: &[&str]) -> Result<(), String> {
        if let Some(unknown) = event_ids.iter().find(|id| !self.held.iter().any(|h| h == *id)) {
            return Err(format!("event {unknown} is not held"));
        }
        self.held.retain(|h| !event_ids.contains(&h.as_str()));
        event_ids.iter().for_each(|id| self.send(id));
        Ok(())
    }

    /// Sends every held event in creation order and stops holding.
    pub fn release_all(&mut self) {
        self.holding = false;
        for id in std::mem::take(&mut self.held) {
            self.send(&id);
        }
    }

    pub fn set_twice(&mut self, on: bool) {
        self.twice = on;
    }
}

/// Takes first attempts off the queue one at a time, for the life of the fake.
pub(crate) fn spawn_courier(fake: Fake, mut queue: mpsc::UnboundedReceiver<Job>) {
    tokio::spawn(async move {
        while let Some(job) = queue.recv().await {
            deliver(fake.clone(), job).await;
        }
    });
}

/// The first attempt now; on failure, the retries in a task of their own.
async fn deliver(fake: Fake, job: Job) {
    if attempt(&fake, &job, 1).await {
        fake.outbox().finished();
        return;
    }
    tokio::spawn(async move {
        for (attempt_number, delay) in (2..).zip(RETRY_DELAYS) {
            tokio::time::sleep(delay).await;
            if attempt(&fake, &job, attempt_number).await {
                break;
            }
        }
        fake.outbox().finished();
    });
}

/// Sends the event as it stands now, signed at the fake's current time, and records the
/// outcome. Answers whether the endpoint took it (any 2xx).
async fn attempt(fake: &Fake, job: &Job, number: u32) -> bool {
    let found = fake.with_state(|st| {
        let event = st.event(&job.event_id)?;
        Some((format!("{:#}", event.json), event.event_type().to_owned(), st.now()))
    });
    let Some((body, event_type, now)) = found else { return true };
    let signature = Webhook::generate_test_header(&body, &job.endpoint.secret, Some(now));
    let sent = fake
        .http()
        .post(&job.endpoint.url)
        .header(CONTENT_TYPE, "application/json; charset=utf-8")
        .header(USER_AGENT, "Stripe/1.0 (+https://stripe.com/docs/webhooks)")
        .header("Stripe-Signature", signature)
        .body(body)
        .send()
        .await;
    let status = sent.ok().map(|r| r.status().as_u16());
    let took_it = status.is_some_and(|s| (200..300).contains(&s));
    fake.with_state(|st| {
        st.hooks.deliveries.push(Delivery { event_id: job.event_id.clone(), event_type, status, attempt: number });
        if let Some(event) = st.event_mut(&job.event_id).filter(|_| took_it) {
            event.delivered_to(&job.endpoint.url);
        }
    });
    took_it
}
