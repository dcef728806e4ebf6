//! The business as staff see it, and its booking settings.

use chrono::{DateTime, Utc};
use serde::Serialize;
use shared::ApiResult;
use shared::db::Tx;
use uuid::Uuid;

#[derive(Debug, Serialize)]
pub struct Business {
    pub id: Uuid,
    pub name: String,
    pub slug: String,
    pub time_zone: String,
    pub locale: String,
    pub status: String,
    pub description: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub website: Option<String>,
    pub currency: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize)]
pub struct Settings {
    pub time_zone: String,
    pub min_notice_minutes: i32,
    pub max_advance_days: i32,
    pub slot_interval_minutes: i32,
    pub cancellation_notice_minutes: i32,
    /// When the day-before reminder goes out, local time on the day before ("18:00").
    pub reminder_evening: String,
    /// Send WhatsApp messages to customers who opted in.
    pub whatsapp_enabled: bool,
    /// Ask customers for a review after a completed appointment.
    pub review_requests_enabled: bool,
    /// How many hours after the appointment's end the review request goes out (0 to 168).
    pub review_request_delay_hours: i32,
}

pub async fn fetch(tx: &mut Tx, id: Uuid) -> ApiResult<Business> {
    Ok(sqlx::query_as!(
        Business,
        "SELECT id, name, slug, time_zone, locale, status, description, email, phone, website, currency, created_at
         FROM businesses WHERE id = $1",
        id
    )
    .fetch_one(&mut **tx)
    .await?)
}

pub async fn fetch_settings(tx: &mut Tx, id: Uuid) -> ApiResult<Settings> {
    Ok(sqlx::query_as!(
        Settings,
        r#"SELECT time_zone, min_notice_minutes, max_advance_days, slot_interval_minutes, cancellation_notice_minutes,
                  to_char(reminder_evening, 'HH24:MI') AS "reminder_evening!", whatsapp_enabled,
                  review_requests_enabled, review_request_delay_hours
           FROM businesses WHERE id = $1"#,
        id
    )
    .fetch_one(&mut **tx)
    .await?)
}
