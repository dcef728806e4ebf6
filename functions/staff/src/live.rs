//! Whether a staff member is live: this business's and not removed. Other domains
//! (availability, appointments, the waitlist) ask here instead of spelling the query, so
//! "live" means one thing everywhere.

use shared::ApiResult;
use shared::db::Tx;
use uuid::Uuid;

/// What a caller needs of the staff member besides being live.
#[derive(Debug, Clone, Copy, Default)]
pub struct Require {
    /// Lock the staff row (`FOR UPDATE`) until the transaction ends, so concurrent changes
    /// to this person's data apply one after the other.
    pub lock: bool,
    /// Bookable (`active`), not only not removed.
    pub active: bool,
    /// Performs this service.
    pub service_id: Option<Uuid>,
}

/// Whether `staff_id` is a live staff member of the transaction's business meeting
/// `require`. Callers choose the answer to "no" (a 404, or a 422 on their field).
pub async fn is_live(tx: &mut Tx, staff_id: Uuid, require: Require) -> ApiResult<bool> {
    let Require { lock, active, service_id } = require;
    if lock {
        // First, so the check below reads the row as the lock holder sees it (FOR UPDATE
        // cannot be a parameter of one query).
        sqlx::query_scalar!("SELECT id FROM staff WHERE id = $1 FOR UPDATE", staff_id)
            .fetch_optional(&mut **tx)
            .await?;
    }
    let found = sqlx::query_scalar!(
        "SELECT st.id FROM staff st
         WHERE st.id = $1 AND st.deleted_at IS NULL AND (st.active OR NOT $2)
           AND ($3::uuid IS NULL OR EXISTS
                (SELECT 1 FROM service_staff ss WHERE ss.staff_id = st.id AND ss.service_id = $3))",
        staff_id,
        active,
        service_id
    )
    .fetch_optional(&mut **tx)
    .await?;
    Ok(found.is_some())
}
