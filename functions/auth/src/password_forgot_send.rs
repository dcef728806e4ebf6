//! auth-password-forgot-send: the half of a password reset request that must not show in
//! the request's answer. For an address with an account it makes the reset token and
//! queues the email (through the outbox, like every message); for any other address it
//! does nothing. At most a few emails per account and hour, so nobody can flood a mailbox.

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use chrono::Duration;
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use shared::lambda::FifoBatch;
use shared::operation::Queue;
use shared::{ApiError, ApiResult, App, Operation, outbox};

use crate::events::{PASSWORD_RESET, PasswordReset};
use crate::onetime::{self, Purpose, Subject};
use crate::password_forgot::{KIND, ResetWanted};

pub const OP: Operation = Operation::sqs(
    "auth",
    "auth-password-forgot-send",
    &QUEUE,
    "Make and email the reset link a password reset request asked for",
    consume,
)
.publishes(&[PASSWORD_RESET]);

/// The reset requests `auth-password-forgot` queued, for this function alone (they are
/// not outbox events: nothing is written before the account is looked up here).
pub const QUEUE: Queue = Queue::new("auth-requests", "auth-requests-dlq");

/// Reset emails one account can be sent per hour; more are dropped (the request's
/// answer never differed), so nobody can flood a mailbox.
const PER_ACCOUNT_PER_HOUR: i64 = 3;

fn consume(app: App, event: SqsEvent) -> BoxFuture<'static, SqsBatchResponse> {
    async move { FifoBatch::in_order(&event.records, |record| handle(&app, record)).await }.boxed()
}

async fn handle(app: &App, record: &SqsMessage) -> ApiResult<()> {
    let wanted: ResetWanted = match serde_json::from_str(record.body.as_deref().unwrap_or_default()) {
        Ok(w) => w,
        Err(e) => {
            // No retry can make it readable; holding up the queue would help nobody.
            tracing::error!(error = %e, "unreadable password reset request; dropped");
            return Ok(());
        }
    };
    if wanted.kind != KIND {
        tracing::error!(kind = wanted.kind, "unknown request kind; dropped");
        return Ok(());
    }
    if let Some(business_id) = queue_reset_email(app, &wanted.email).await? {
        // The token and the message are committed: a failure to publish now is the
        // relay's to repair.
        if let Err(e) = outbox::publish_business(app, business_id, OP.publishes).await {
            tracing::warn!(error = %e, "publishing the reset email failed; the relay will send it");
        }
    }
    Ok(())
}

/// Make the token and queue the email for the account with this address, if there is one
/// and it is under its hourly cap. Returns the business whose outbox got the message.
pub async fn queue_reset_email(app: &App, email: &str) -> ApiResult<Option<uuid::Uuid>> {
    // Which business the email belongs to is not known yet: the cross-tenant lookup.
    let mut tx = app.db.system_tx().await?;
    let account = sqlx::query!(
        r#"SELECT user_id AS "user_id!", business_id AS "business_id!" FROM auth_user_by_email($1)"#,
        email
    )
    .fetch_optional(&mut *tx)
    .await?;
    tx.commit().await?;
    let Some(account) = account else {
        tracing::info!("password reset asked for an unknown email");
        return Ok(None);
    };

    let mut tx = app.db.tenant_tx(account.business_id).await?;
    let subject = Subject::User(account.user_id);
    if onetime::recent(&mut tx, Purpose::PasswordReset, subject, app.now() - Duration::hours(1)).await?
        >= PER_ACCOUNT_PER_HOUR
    {
        tracing::info!(user_id = %account.user_id, "password reset emails capped for this account");
        return Ok(None);
    }
    let user = sqlx::query!("SELECT email, name FROM users WHERE id = $1", account.user_id).fetch_one(&mut *tx).await?;
    let token = onetime::create(app, &mut tx, account.business_id, Purpose::PasswordReset, subject).await?;
    let mail = PasswordReset {
        email: user.email,
        name: user.name,
        token: token.plain,
        expires_at: token.expires_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        user_id: account.user_id,
        token_id: token.id,
    };
    outbox::push(&mut tx, account.business_id, &mail).await?;
    tx.commit().await.map_err(ApiError::from)?;
    Ok(Some(account.business_id))
}
