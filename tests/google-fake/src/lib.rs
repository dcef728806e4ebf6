//! A stateful stand-in for Google OAuth 2.0 and the Google Calendar API v3, for the
//! end-to-end tests of the two-way calendar sync (see `docs/google-calendar.md`).
//!
//! The application is pointed at [`Fake::auth_url`], [`Fake::token_url`],
//! [`Fake::revoke_url`] and [`Fake::api_base`] instead of Google's hosts and talks to it
//! with the same requests. The test plays the Google user ([`Fake::consent`],
//! [`Fake::create_event`], [`Fake::revoke_user`], …) and Google's bad days
//! ([`Fake::fail_next`], [`Fake::expire_sync_tokens`], [`Fake::drop_channel`], …).
//!
//! # What it serves
//! - OAuth: the authorization request (checked by [`Fake::consent`], or served at
//!   `GET /o/oauth2/v2/auth` using `login_hint`), `POST /token` for the
//!   `authorization_code` (PKCE S256) and `refresh_token` grants, and `POST /revoke`.
//! - Calendar under `/calendar/v3`: `users/me/calendarList`, events insert, get, patch,
//!   delete and list (full, incremental with sync tokens, paged, `singleEvents`
//!   expansion), `events/watch` and `channels/stop`, with Google's error envelope.
//! - Push notifications: an empty POST with the `X-Goog-*` headers to each live channel
//!   of a calendar after every change to it, `sync` first.
//!
//! # Where it is simpler than Google
//! - One OAuth client ([`CLIENT_ID`], [`CLIENT_SECRET`]); any http loopback or https
//!   redirect URI counts as registered. PKCE with S256 is required. No `id_token`, no
//!   userinfo, no granular consent (every requested scope is granted), no refresh-token
//!   cap or Testing-mode expiry; `access_type=offline` always brings a refresh token.
//! - Every calendar in a user's list is theirs with `accessRole: owner`; no ACLs,
//!   attendees' copies, invitations, reminders or colors. calendarList does not page.
//! - Recurrence: one `RRULE` line, `FREQ=DAILY` or `WEEKLY` with `INTERVAL`, `COUNT`,
//!   `UNTIL` and `BYDAY`; no `EXDATE`/`RDATE` and no changed or cancelled single
//!   instances (instances can be read but not patched or deleted).
//! - Tombstones are kept forever with all their fields; list filters other than those
//!   described on [`Fake`] (`q`, `eventTypes`, extended properties, `updatedMin`) are ignored.
//! - Watch addresses may be plain http; message numbers count up by one per channel;
//!   failed notifications are retried three times 50 ms apart instead of with backoff.

mod api;
mod clock;
mod error;
mod events;
mod fake;
mod ids;
mod list;
mod oauth;
mod push;
mod state;
mod time;

pub use api::Call;
pub use fake::{CLIENT_ID, CLIENT_SECRET, Fake};
pub use push::{Channel, Delivery};
