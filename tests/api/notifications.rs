//! Notifications end to end: outbox → moto SQS (FIFO, dead-letter queue) → consumers →
//! moto SES and the WhatsApp fake, with the faults DESIGN.md §4 promises to survive.

use axum::http::StatusCode;
use chrono::{DateTime, Duration, Utc};
use e2e::{Salon, TestApp, email_text, emails_to};
use notifications::deliver::{Claim, claim};
use notifications::reminders::{self, Kind};
use notifications::{email, whatsapp};
use serde_json::json;
use shared::outbox::{self, Envelope};
use uuid::Uuid;

const NOW: &str = "2026-11-21T08:00:00Z";
const MONDAY: (u8, &str, &str) = (1, "09:00", "17:00");

fn unique_email(name: &str) -> String {
    format!("{name}-{}@example.com", &Uuid::new_v4().simple().to_string()[..10])
}

/// A salon in `zone` whose language and WhatsApp setting are set.
async fn salon(t: &TestApp, zone: &str, hours: &[(u8, &str, &str)], locale: &str, whatsapp: bool) -> Salon {
    let s = t.salon(zone, 2, hours, json!({"name": "Cut", "duration_minutes": 30})).await;
    let owner = Some(s.tenant.owner.as_str());
    assert_eq!(t.patch("/v1/business", owner, json!({"locale": locale})).await.status, StatusCode::OK);
    let res = t.patch("/v1/business/settings", owner, json!({"whatsapp_enabled": whatsapp})).await;
    assert_eq!(res.body["whatsapp_enabled"], json!(whatsapp), "{}", res.body);
    // The owner's address verification goes out first (FIFO per business); out of the way.
    t.drain(&email::OP).await;
    s
}

/// Book online with a phone number and WhatsApp consent; returns the appointment id.
async fn book(t: &TestApp, s: &Salon, start: &str, staff: Option<&str>, email: &str) -> String {
    let mut body = json!({"service_id": s.service, "start": start,
        "customer": {"name": "Casey", "email": email, "phone": "+4915112345678", "whatsapp_opt_in": true}});
    if let Some(staff) = staff {
        body["staff_id"] = json!(staff);
    }
    let res = t.post(&format!("/v1/public/businesses/{}/appointments", s.tenant.slug), None, body).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    // Booked well before any reminder falls due, whatever the machine's clock says.
    sqlx::query("UPDATE appointments SET created_at = '2026-11-01T00:00:00Z', scheduled_at = '2026-11-01T00:00:00Z' WHERE id = $1::uuid")
        .bind(res.id())
        .execute(&t.db.admin)
        .await
        .unwrap();
    res.id()
}

async fn deliveries(t: &TestApp, kind: &str, channel: &str) -> Vec<(String, i32, Option<String>)> {
    sqlx::query_as(
        "SELECT status, attempts, detail FROM deliveries WHERE kind = $1 AND channel = $2 ORDER BY claimed_at",
    )
    .bind(kind)
    .bind(channel)
    .fetch_all(&t.db.admin)
    .await
    .unwrap()
}

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

#[tokio::test]
async fn booking_sends_one_confirmation_in_the_business_language_zone_and_calendar() {
    let t = TestApp::spawn_at(NOW).await;
    let s = salon(&t, "Europe/Berlin", &[MONDAY], "de-DE", true).await;
    let to = unique_email("casey");
    book(&t, &s, "2026-11-30T09:00:00Z", None, &to).await;

    let unpublished: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox WHERE published_at IS NULL")
        .fetch_one(&t.db.admin)
        .await
        .unwrap();
    assert_eq!(unpublished, 0, "the request published its outbox row after answering");

    assert_eq!(t.poll(&email::OP).await, (1, 0));
    let mails = emails_to(&to).await;
    assert_eq!(mails.len(), 1);
    let text = email_text(&mails[0]);
    assert!(text.contains("Ihr Termin ist gebucht"), "{text}");
    assert!(text.contains("Montag, 30. November 2026, 10:00 CET"), "local time in the business zone: {text}");
    assert!(text.contains("Salon") && text.contains("/manage/"), "{text}");
    assert!(text.contains("BEGIN:VCALENDAR") && text.contains("METHOD:REQUEST"), "calendar attached");
    assert!(mails[0].contains("Content-Type: text/html"), "an HTML alternative");

    assert_eq!(t.poll(&whatsapp::OP).await, (1, 0));
    let sent = t.whatsapp.accepted();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["to"], "4915112345678");
    assert_eq!(sent[0]["template"]["name"], "appointment_confirmed");
    assert_eq!(sent[0]["template"]["language"]["code"], "de");
    assert_eq!(sent[0]["template"]["components"][0]["parameters"][3]["text"], "Montag, 30. November 2026, 10:00 CET");
    let rows = deliveries(&t, "appointment.booked", "whatsapp").await;
    assert_eq!(rows, vec![("sent".to_owned(), 1, None)]);

    // Redelivery of what was sent is a no-op: put the email message back and consume it.
    sqlx::query("UPDATE outbox SET published_at = NULL WHERE kind = 'appointment.booked'")
        .execute(&t.db.admin)
        .await
        .unwrap();
    outbox::relay(&t.app).await.unwrap();
    t.drain(&email::OP).await;
    assert_eq!(emails_to(&to).await.len(), 1);
}

#[tokio::test]
async fn whatsapp_only_for_customers_who_opted_in_at_businesses_that_enabled_it() {
    let t = TestApp::spawn_at(NOW).await;
    let s = salon(&t, "Europe/Berlin", &[MONDAY], "en", false).await;
    book(&t, &s, "2026-11-30T09:00:00Z", None, &unique_email("a")).await;
    assert_eq!(t.poll(&whatsapp::OP).await, (1, 0));
    assert!(t.whatsapp.accepted().is_empty());
    let rows = deliveries(&t, "appointment.booked", "whatsapp").await;
    assert_eq!(rows[0].0, "skipped");
    assert!(rows[0].2.as_deref().unwrap_or_default().contains("WhatsApp is off"));
}

#[tokio::test]
async fn a_consumer_that_dies_after_claiming_is_redelivered_and_sends_once() {
    let t = TestApp::spawn_at(NOW).await;
    let s = salon(&t, "Europe/Berlin", &[MONDAY], "en", false).await;
    let to = unique_email("crash");
    book(&t, &s, "2026-11-30T09:00:00Z", None, &to).await;

    // The consumer receives the message, claims it, and dies before sending.
    let url = outbox::queue_url(&t.app, notifications::email::QUEUE.name).await.unwrap();
    let received = outbox::sqs().await.receive_message().queue_url(url).wait_time_seconds(2).send().await.unwrap();
    let message = received.messages.unwrap().pop().unwrap();
    let envelope: Envelope = serde_json::from_str(message.body.as_deref().unwrap()).unwrap();
    assert_eq!(claim(&t.app, &envelope, "email").await.unwrap(), Claim::Claimed);

    // Redelivered while that claim might still be alive: not sent, not acknowledged.
    assert_eq!(t.poll(&email::OP).await, (1, 1));
    assert!(emails_to(&to).await.is_empty());

    // Redelivered after the lease: sent, once.
    let later = t.app.clone().with_now(at(NOW) + notifications::deliver::LEASE + Duration::seconds(1));
    assert_eq!(t.poll_as(&later, &email::OP).await, (1, 0));
    assert_eq!(emails_to(&to).await.len(), 1);
    assert_eq!(deliveries(&t, "appointment.booked", "email").await, vec![("sent".to_owned(), 2, None)]);
    assert_eq!(t.drain(&email::OP).await, 0, "nothing left on the queue");
}

#[tokio::test]
async fn provider_outage_goes_to_the_dead_letter_queue_and_redrive_sends_once() {
    let t = TestApp::spawn_at(NOW).await;
    let s = salon(&t, "Europe/Berlin", &[MONDAY], "en", true).await;
    book(&t, &s, "2026-11-30T09:00:00Z", None, &unique_email("outage")).await;
    t.whatsapp.fail_next(1000);

    for attempt in 1..=5 {
        assert_eq!(t.poll(&whatsapp::OP).await, (1, 1), "attempt {attempt} fails and is reported");
    }
    let rows = deliveries(&t, "appointment.booked", "whatsapp").await;
    assert_eq!(rows[0].0, "dead", "the last attempt before the dead-letter queue says so");
    assert_eq!(rows[0].1, 5);
    assert!(rows[0].2.as_deref().unwrap_or_default().contains("500"), "{rows:?}");
    // SQS moves it on the receive after the fifth.
    assert_eq!(t.poll(&whatsapp::OP).await, (0, 0));
    assert_eq!(t.queue_depth("notifications-whatsapp-dlq").await, 1);
    assert_eq!(t.whatsapp.calls(), 5);

    // The provider is back; an operator redrives.
    t.whatsapp.fail_next(0);
    let not_admin = t.post("/v1/admin/notifications/redrive", Some(&s.tenant.owner), json!({})).await;
    assert_eq!(not_admin.status, StatusCode::FORBIDDEN);
    sqlx::query("INSERT INTO platform_admins (user_id) VALUES ($1)")
        .bind(s.tenant.owner_id)
        .execute(&t.db.admin)
        .await
        .unwrap();
    let res = t.post("/v1/admin/notifications/redrive", Some(&s.tenant.owner), json!({})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.body["total"], 1);
    assert_eq!(t.queue_depth("notifications-whatsapp-dlq").await, 0);

    assert_eq!(t.poll(&whatsapp::OP).await, (1, 0));
    assert_eq!(t.whatsapp.accepted().len(), 1);
    assert_eq!(deliveries(&t, "appointment.booked", "whatsapp").await[0].0, "sent");
    // A second redrive finds nothing and nothing more is sent.
    let res = t.post("/v1/admin/notifications/redrive", Some(&s.tenant.owner), json!({})).await;
    assert_eq!(res.body["total"], 0);
    assert_eq!(t.drain(&whatsapp::OP).await, 0);
    assert_eq!(t.whatsapp.accepted().len(), 1);
}

#[tokio::test]
async fn a_relay_that_dies_between_sending_and_marking_causes_no_second_email() {
    let t = TestApp::spawn_at(NOW).await;
    let s = salon(&t, "Europe/Berlin", &[MONDAY], "en", false).await;
    let to = unique_email("relay");
    book(&t, &s, "2026-11-30T09:00:00Z", None, &to).await;

    // The request published the row; as if it died before marking it, unmark it. The
    // relay's next run sends it again.
    sqlx::query("UPDATE outbox SET published_at = NULL WHERE kind = 'appointment.booked'")
        .execute(&t.db.admin)
        .await
        .unwrap();
    assert_eq!(outbox::relay(&t.app).await.unwrap(), 1);
    assert_eq!(outbox::relay(&t.app).await.unwrap(), 0, "marked this time");
    t.drain(&email::OP).await;
    assert_eq!(emails_to(&to).await.len(), 1);
}

#[tokio::test]
async fn two_sweeps_at_once_queue_one_reminder_per_appointment() {
    let t = TestApp::spawn_at(NOW).await;
    let s = salon(&t, "Europe/Berlin", &[MONDAY], "en", false).await;
    let mut ids = Vec::new();
    for (i, start) in ["09:00", "09:30", "10:00", "10:30"].iter().enumerate() {
        for staff in &s.staff {
            ids.push(
                book(&t, &s, &format!("2026-11-30T{start}:00Z"), Some(staff), &unique_email(&format!("r{i}"))).await,
            );
        }
    }
    let now = at("2026-11-30T08:45:00Z");
    let (a, b) =
        tokio::join!(reminders::sweep(&t.app, Kind::TwoHours, now), reminders::sweep(&t.app, Kind::TwoHours, now));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a + b, ids.len(), "{a} + {b}");
    assert_eq!(reminders::sweep(&t.app, Kind::TwoHours, now + Duration::minutes(5)).await.unwrap(), 0);
    let per_appointment: Vec<i64> = sqlx::query_scalar(
        "SELECT count(*) FROM outbox WHERE kind = 'appointment.reminder_2h' GROUP BY payload ->> 'appointment_id'",
    )
    .fetch_all(&t.db.admin)
    .await
    .unwrap();
    assert_eq!(per_appointment, vec![1; ids.len()]);
}

#[tokio::test]
async fn cancelled_and_moved_appointments_are_reminded_only_for_what_holds() {
    let t = TestApp::spawn_at(NOW).await;
    let s = salon(&t, "Europe/Berlin", &[MONDAY], "en", false).await;
    let owner = Some(s.tenant.owner.as_str());
    let cancelled_to = unique_email("cancelled");
    let moved_to = unique_email("moved");
    let cancelled = book(&t, &s, "2026-11-30T10:00:00Z", None, &cancelled_to).await;
    let moved = book(&t, &s, "2026-11-30T11:00:00Z", None, &moved_to).await;
    t.drain(&email::OP).await; // the confirmations
    let booked = |to: &str| {
        let to = to.to_owned();
        async move { emails_to(&to).await.len() }
    };
    assert_eq!((booked(&cancelled_to).await, booked(&moved_to).await), (1, 1));

    // Both reminders are queued, then one appointment is cancelled and the other moved.
    assert_eq!(reminders::sweep(&t.app, Kind::TwoHours, at("2026-11-30T09:30:00Z")).await.unwrap(), 2);
    let res = t.post(&format!("/v1/appointments/{cancelled}/cancel"), owner, json!({})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let res =
        t.post(&format!("/v1/appointments/{moved}/reschedule"), owner, json!({"start": "2026-11-30T14:00:00Z"})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    outbox::relay(&t.app).await.unwrap();
    t.drain(&email::OP).await;

    let reminders_sent = |to: &str| {
        let to = to.to_owned();
        async move { emails_to(&to).await.iter().filter(|m| email_text(m).contains("a reminder")).count() }
    };
    assert_eq!(reminders_sent(&cancelled_to).await, 0, "a cancelled appointment is never reminded");
    assert_eq!(reminders_sent(&moved_to).await, 0, "no reminder for the old time");
    let skipped: Vec<String> = deliveries(&t, "appointment.reminder_2h", "email")
        .await
        .into_iter()
        .map(|(status, _, detail)| format!("{status}: {}", detail.unwrap_or_default()))
        .collect();
    assert_eq!(skipped.len(), 2);
    assert!(skipped.iter().any(|d| d.starts_with("skipped: the appointment was cancelled")), "{skipped:?}");
    assert!(skipped.iter().any(|d| d.starts_with("skipped: the appointment was moved")), "{skipped:?}");

    // The moved one is reminded for its new time.
    assert_eq!(reminders::sweep(&t.app, Kind::TwoHours, at("2026-11-30T12:30:00Z")).await.unwrap(), 1);
    outbox::relay(&t.app).await.unwrap();
    t.drain(&email::OP).await;
    let mails = emails_to(&moved_to).await;
    let reminder: Vec<String> = mails.iter().map(|m| email_text(m)).filter(|m| m.contains("a reminder")).collect();
    assert_eq!(reminder.len(), 1);
    assert!(reminder[0].contains("Monday 30 November 2026, 15:00 CET"), "{}", reminder[0]);
    assert_eq!(reminders_sent(&cancelled_to).await, 0);
}

#[tokio::test]
async fn day_before_reminders_land_at_the_local_evening_across_dst_changes() {
    let t = TestApp::spawn_at(NOW).await;
    let sunday = (7, "09:00", "17:00");
    let berlin = salon(&t, "Europe/Berlin", &[sunday], "en", false).await;
    let new_york = salon(&t, "America/New_York", &[sunday], "en", false).await;
    // Sunday 28 March 2027, Berlin springs forward at 02:00: 10:00 CEST = 08:00Z, and
    // 18:00 CET the evening before = 17:00Z.
    let spring_to = unique_email("spring");
    book(&t, &berlin, "2027-03-28T08:00:00Z", None, &spring_to).await;
    // Sunday 31 October 2027, Berlin falls back at 03:00: 10:00 CET = 09:00Z, and 18:00
    // CEST the evening before = 16:00Z.
    book(&t, &berlin, "2027-10-31T09:00:00Z", None, &unique_email("autumn")).await;
    // Sunday 14 March 2027, New York springs forward: 10:00 EDT = 14:00Z; 18:00 EST the
    // evening before = 23:00Z.
    book(&t, &new_york, "2027-03-14T14:00:00Z", None, &unique_email("ny")).await;

    for (before, due) in [
        ("2027-03-27T16:59:00Z", "2027-03-27T17:00:00Z"),
        ("2027-10-30T15:59:00Z", "2027-10-30T16:00:00Z"),
        ("2027-03-13T22:59:00Z", "2027-03-13T23:00:00Z"),
    ] {
        assert_eq!(reminders::sweep(&t.app, Kind::DayBefore, at(before)).await.unwrap(), 0, "not yet at {before}");
        assert_eq!(reminders::sweep(&t.app, Kind::DayBefore, at(due)).await.unwrap(), 1, "due at {due}");
    }
    // A business that wants it at 20:00 gets it then.
    let res = t.patch("/v1/business/settings", Some(&berlin.tenant.owner), json!({"reminder_evening": "20:00"})).await;
    assert_eq!(res.body["reminder_evening"], "20:00", "{}", res.body);
    book(&t, &berlin, "2027-04-04T08:00:00Z", None, &unique_email("late")).await;
    assert_eq!(reminders::sweep(&t.app, Kind::DayBefore, at("2027-04-03T17:59:00Z")).await.unwrap(), 0);
    assert_eq!(reminders::sweep(&t.app, Kind::DayBefore, at("2027-04-03T18:00:00Z")).await.unwrap(), 1);

    outbox::relay(&t.app).await.unwrap();
    t.drain(&email::OP).await;
    let spring: Vec<String> =
        emails_to(&spring_to).await.iter().map(|m| email_text(m)).filter(|m| m.contains("see you tomorrow")).collect();
    assert_eq!(spring.len(), 1);
    assert!(spring[0].contains("Sunday 28 March 2027, 10:00 CEST"), "{}", spring[0]);
}

#[tokio::test]
async fn a_cancellation_of_a_withdrawn_service_offers_nothing_and_is_not_retried() {
    let t = TestApp::spawn_at(NOW).await;
    let s = salon(&t, "Europe/Berlin", &[MONDAY], "en", false).await;
    let staff = s.staff[0].clone();
    let taken = book(&t, &s, "2026-11-30T09:00:00Z", Some(&staff), &unique_email("taken")).await;
    let body = json!({"service_id": s.service, "from": "2026-11-30", "to": "2026-11-30",
                      "customer": {"name": "Wanda", "email": unique_email("wait")}});
    let res = t.post(&format!("/v1/public/businesses/{}/waitlist", s.tenant.slug), None, body).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    // The owner stops offering the service before the cancellation is looked at.
    sqlx::query("UPDATE services SET active = false WHERE id = $1::uuid")
        .bind(&s.service)
        .execute(&t.db.admin)
        .await
        .unwrap();
    let res = t.post(&format!("/v1/appointments/{taken}/cancel"), Some(s.tenant.owner.as_str()), json!({})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);

    assert_eq!(t.poll(&waitlist::offer::OP).await, (1, 0), "handled, not failed for a retry");
    let status: String =
        sqlx::query_scalar("SELECT status FROM waitlist_entries").fetch_one(&t.db.admin).await.unwrap();
    assert_eq!(status, "waiting");
}

#[tokio::test]
async fn a_cancellation_offers_the_time_to_the_waitlist_in_join_order() {
    let t = TestApp::spawn_at(NOW).await;
    let s = salon(&t, "Europe/Berlin", &[MONDAY], "en", false).await;
    let owner = Some(s.tenant.owner.as_str());
    let staff = s.staff[0].clone();
    let taken = book(&t, &s, "2026-11-30T09:00:00Z", Some(&staff), &unique_email("taken")).await;
    let waiting: Vec<String> = (0..4).map(|i| unique_email(&format!("wait{i}"))).collect();
    for to in &waiting {
        let body = json!({"service_id": s.service, "from": "2026-11-30", "to": "2026-11-30",
                          "customer": {"name": "Wanda", "email": to}});
        let res = t.post(&format!("/v1/public/businesses/{}/waitlist", s.tenant.slug), None, body).await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    }
    let res = t.post(&format!("/v1/appointments/{taken}/cancel"), owner, json!({})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);

    assert_eq!(t.poll(&waitlist::offer::OP).await, (1, 0));
    let statuses: Vec<String> = sqlx::query_scalar("SELECT status FROM waitlist_entries ORDER BY created_at")
        .fetch_all(&t.db.admin)
        .await
        .unwrap();
    assert_eq!(statuses, ["offered", "offered", "offered", "waiting"], "the first three, in join order");
    t.drain(&email::OP).await;
    let link = |to: &str| {
        let to = to.to_owned();
        async move {
            let mails = emails_to(&to).await;
            assert_eq!(mails.len(), 1, "one offer to {to}");
            let text = email_text(&mails[0]);
            let start = text.find("/waitlist/").expect("a claim link") + "/waitlist/".len();
            text[start..].split_whitespace().next().unwrap().to_owned()
        }
    };
    // A redelivered cancellation (before anyone claimed) offers nothing more.
    sqlx::query("UPDATE outbox SET published_at = NULL WHERE kind = 'appointment.cancelled'")
        .execute(&t.db.admin)
        .await
        .unwrap();
    outbox::relay(&t.app).await.unwrap();
    assert_eq!(t.drain(&waitlist::offer::OP).await, 1);
    let offers: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox WHERE kind = 'waitlist.offered'")
        .fetch_one(&t.db.admin)
        .await
        .unwrap();
    assert_eq!(offers, 3);
    let fourth: String = sqlx::query_scalar("SELECT status FROM waitlist_entries ORDER BY created_at DESC LIMIT 1")
        .fetch_one(&t.db.admin)
        .await
        .unwrap();
    assert_eq!(fourth, "waiting");

    let (first, second) = (link(&waiting[0]).await, link(&waiting[1]).await);
    assert!(emails_to(&waiting[3]).await.is_empty());
    let res = t.post(&format!("/v1/public/waitlist/{second}/claim"), None, json!({})).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let res = t.post(&format!("/v1/public/waitlist/{first}/claim"), None, json!({})).await;
    assert_eq!((res.status, res.code()), (StatusCode::CONFLICT, "SLOT_TAKEN"));
}

#[tokio::test]
async fn no_reminder_right_after_a_booking_or_move_inside_the_window_nor_a_late_tomorrow() {
    let t = TestApp::spawn_at(NOW).await;
    let s = salon(&t, "Europe/Berlin", &[MONDAY], "en", false).await;
    let owner = Some(s.tenant.owner.as_str());
    let late = book(&t, &s, "2026-11-30T10:00:00Z", None, &unique_email("late")).await;
    let moved = book(&t, &s, "2026-11-30T11:00:00Z", None, &unique_email("moved")).await;
    let back = book(&t, &s, "2026-11-30T12:00:00Z", None, &unique_email("back")).await;
    // Booked at 09:15 for 10:00: inside the two hours, the confirmation is the reminder.
    sqlx::query("UPDATE appointments SET scheduled_at = '2026-11-30T09:15:00Z' WHERE id = $1::uuid")
        .bind(&late)
        .execute(&t.db.admin)
        .await
        .unwrap();
    assert_eq!(reminders::sweep(&t.app, Kind::TwoHours, at("2026-11-30T09:30:00Z")).await.unwrap(), 1);
    let marked: Vec<Option<i32>> =
        sqlx::query_scalar("SELECT reminder_2h_seq FROM appointments WHERE id IN ($1::uuid) ORDER BY starts_at")
            .bind(&late)
            .fetch_all(&t.db.admin)
            .await
            .unwrap();
    assert_eq!(marked, vec![Some(0)], "looked at, and nothing wanted");

    // Moved (by staff, just now) into the window: the "moved" message is enough.
    let res =
        t.post(&format!("/v1/appointments/{moved}/reschedule"), owner, json!({"start": "2026-11-30T13:00:00Z"})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    sqlx::query("UPDATE appointments SET scheduled_at = '2026-11-30T11:30:00Z' WHERE id = $1::uuid")
        .bind(&moved)
        .execute(&t.db.admin)
        .await
        .unwrap();
    // Moved away and back to its first time: reminded once more, for that version.
    let path = format!("/v1/appointments/{back}/reschedule");
    assert_eq!(t.post(&path, owner, json!({"start": "2026-11-30T15:00:00Z"})).await.status, StatusCode::OK);
    assert_eq!(t.post(&path, owner, json!({"start": "2026-11-30T12:00:00Z"})).await.status, StatusCode::OK);
    sqlx::query("UPDATE appointments SET scheduled_at = '2026-11-01T00:00:00Z' WHERE id = $1::uuid")
        .bind(&back)
        .execute(&t.db.admin)
        .await
        .unwrap();
    assert_eq!(reminders::sweep(&t.app, Kind::TwoHours, at("2026-11-30T11:45:00Z")).await.unwrap(), 1, "only `back`");
    let keys: Vec<String> =
        sqlx::query_scalar("SELECT dedup_key FROM outbox WHERE kind = 'appointment.reminder_2h' ORDER BY created_at")
            .fetch_all(&t.db.admin)
            .await
            .unwrap();
    assert_eq!(keys.len(), 2);
    assert!(keys[1].starts_with(&format!("appointment:{back}:reminder_2h:2")), "{keys:?}");

    // A day-before sweep that runs on the day itself (its evening run was missed) sends
    // no "tomorrow".
    let sunday = book(&t, &s, "2026-12-07T09:00:00Z", None, &unique_email("monday")).await;
    assert_eq!(reminders::sweep(&t.app, Kind::DayBefore, at("2026-12-07T06:00:00Z")).await.unwrap(), 0);
    let seq: Option<i32> = sqlx::query_scalar("SELECT reminder_day_before_seq FROM appointments WHERE id = $1::uuid")
        .bind(&sunday)
        .fetch_one(&t.db.admin)
        .await
        .unwrap();
    assert_eq!(seq, Some(0), "looked at, and dropped");
}

#[tokio::test]
async fn the_log_shows_the_business_its_own_deliveries() {
    let t = TestApp::spawn_at(NOW).await;
    let s = salon(&t, "Europe/Berlin", &[MONDAY], "en", false).await;
    let other = t.tenant("Other").await;
    let staff = t.member(&s.tenant, shared::Role::Staff).await;
    for start in ["09:00", "09:30", "10:00"] {
        book(&t, &s, &format!("2026-11-30T{start}:00Z"), None, &unique_email("log")).await;
    }
    t.drain(&email::OP).await;
    t.drain(&whatsapp::OP).await;

    let owner = Some(s.tenant.owner.as_str());
    let sent: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM deliveries WHERE business_id = $1 AND channel = 'email' AND status = 'sent'",
    )
    .bind(s.tenant.business_id)
    .fetch_one(&t.db.admin)
    .await
    .unwrap();
    assert!(sent >= 4, "three confirmations and the owner's verification: {sent}");
    // Walk the pages of two.
    let (mut seen, mut cursor) = (Vec::new(), None::<String>);
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/notifications?channel=email&status=sent&limit=2&cursor={c}"),
            None => "/v1/notifications?channel=email&status=sent&limit=2".to_owned(),
        };
        let page = t.get(&path, owner).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        let items = page.body["data"].as_array().unwrap().clone();
        assert!(items.len() <= 2);
        for item in &items {
            assert!(item["recipient"].as_str().unwrap().contains('@'));
            assert_eq!(item["status"], "sent");
            assert!(item["provider_message_id"].is_string());
            seen.push(format!("{}/{}", item["outbox_id"], item["channel"]));
        }
        match page.body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    let distinct: std::collections::BTreeSet<_> = seen.iter().collect();
    assert_eq!((seen.len() as i64, distinct.len() as i64), (sent, sent), "every delivery once");
    let skipped = t.get("/v1/notifications?status=skipped", owner).await;
    assert_eq!(skipped.body["data"].as_array().unwrap().len(), 3, "WhatsApp is off: skipped, with the reason");

    // The other business sees its own owner's verification, nothing of this one.
    let theirs = t.get("/v1/notifications", Some(&other.owner)).await;
    for item in theirs.body["data"].as_array().unwrap() {
        assert_eq!(item["kind"], "auth.email_verify", "{item}");
        assert!(!seen.contains(&format!("{}/{}", item["outbox_id"], item["channel"])), "{item}");
    }
    assert_eq!(t.get("/v1/notifications", Some(&staff)).await.status, StatusCode::FORBIDDEN);
    assert_eq!(t.get("/v1/notifications?status=lost", owner).await.field(), "status");
    assert_eq!(t.get("/v1/notifications?cursor=zz", owner).await.field(), "cursor");
}

#[tokio::test]
async fn account_mail_carries_its_link_and_the_outbox_forgets_the_token() {
    let t = TestApp::spawn_at(NOW).await;
    let tenant = t.tenant("Mail").await;
    let owner_email: String = sqlx::query_scalar("SELECT email FROM users WHERE id = $1")
        .bind(tenant.owner_id)
        .fetch_one(&t.db.admin)
        .await
        .unwrap();
    let token: String = sqlx::query_scalar("SELECT payload ->> 'token' FROM outbox WHERE kind = 'auth.email_verify'")
        .fetch_one(&t.db.admin)
        .await
        .unwrap();
    t.drain(&email::OP).await;
    let mails = emails_to(&owner_email).await;
    assert_eq!(mails.len(), 1);
    let text = email_text(&mails[0]);
    assert!(text.contains(&format!("/verify-email?token={token}")), "{text}");
    let left: Option<String> =
        sqlx::query_scalar("SELECT payload ->> 'token' FROM outbox WHERE kind = 'auth.email_verify'")
            .fetch_one(&t.db.admin)
            .await
            .unwrap();
    assert_eq!(left, None, "the token is gone once the email is out");
    // And the link works.
    let res = t.post("/v1/auth/email/verify", None, json!({"token": token})).await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.body);
}

#[tokio::test]
async fn the_relay_sets_aside_a_kind_no_operation_declares() {
    let t = TestApp::spawn().await;
    let tenant = t.tenant("Undeclared").await;
    let id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO outbox (id, business_id, dedup_key, kind, payload) VALUES ($1, $2, 'gone:1', 'gone.away', '{}')",
    )
    .bind(id)
    .bind(tenant.business_id)
    .execute(&t.db.admin)
    .await
    .unwrap();
    assert_eq!(outbox::relay(&t.app).await.unwrap(), 0, "nothing to send it to");
    let (published, reason): (bool, Option<String>) =
        sqlx::query_as("SELECT published_at IS NOT NULL, publish_error FROM outbox WHERE id = $1")
            .bind(id)
            .fetch_one(&t.db.admin)
            .await
            .unwrap();
    assert!(published, "out of the relay's way");
    assert_eq!(reason.as_deref(), Some("no operation declares gone.away"));
}

/// Demo operations for the test below: the same handler, once declaring what it writes.
mod declared {
    use axum::extract::State;
    use axum::http::StatusCode;
    use axum::routing::post;
    use shared::{Access, ApiResult, App, Operation, Path, outbox};
    use uuid::Uuid;

    use auth::events::{EMAIL_VERIFY, EmailVerify};

    pub const DECLARES: Operation =
        Operation::http("demo", "demo-declares", "POST", "/demo/{business_id}/{email}", Access::Public, "Push", || {
            post(push)
        })
        .publishes(&[EMAIL_VERIFY]);
    pub const FORGETS: Operation =
        Operation::http("demo", "demo-forgets", "POST", "/demo/{business_id}/{email}", Access::Public, "Push", || {
            post(push)
        });

    async fn push(State(app): State<App>, Path((business_id, email)): Path<(Uuid, String)>) -> ApiResult<StatusCode> {
        let mut tx = app.db.tenant_tx(business_id).await?;
        let mail = EmailVerify {
            email,
            name: "Ada".into(),
            token: "t".into(),
            user_id: Uuid::nil(),
            token_id: Uuid::now_v7(),
        };
        outbox::push(&mut tx, business_id, &mail).await?;
        tx.commit().await?;
        Ok(StatusCode::NO_CONTENT)
    }
}

#[tokio::test]
async fn a_request_publishes_only_the_kinds_its_operation_declares() {
    use tower::ServiceExt;

    let t = TestApp::spawn().await;
    let tenant = t.tenant("Declared").await;
    for (op, sent) in [(&declared::DECLARES, true), (&declared::FORGETS, false)] {
        let email = unique_email(op.name);
        let router = shared::lambda::router(op, t.app.clone());
        let request = axum::http::Request::post(format!("/demo/{}/{email}", tenant.business_id))
            .body(axum::body::Body::empty())
            .unwrap();
        let res = router.oneshot(request).await.unwrap();
        assert_eq!(res.status(), StatusCode::NO_CONTENT, "{}", op.name);
        let published: bool =
            sqlx::query_scalar("SELECT published_at IS NOT NULL FROM outbox WHERE payload->>'email' = $1")
                .bind(&email)
                .fetch_one(&t.db.admin)
                .await
                .unwrap();
        assert_eq!(published, sent, "{}: published at once only if declared", op.name);
    }
    // What an operation forgot to declare is not lost: the relay sends it.
    assert_eq!(outbox::relay(&t.app).await.unwrap(), 1);
}
