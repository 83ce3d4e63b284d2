//! One login callback for every tenant (`LOGIN_HOST`): a Servicekonto needs one
//! redirect URI instead of one per municipality. The tenant's host remembers
//! the pending login here under its OIDC `state`; the central callback verifies
//! the answer and leaves the result under a one-time code; the tenant's host
//! redeems the code, only in the browser that started the login (its session
//! holds the same `state`), within a minute.

use super::oidc::VerifiedLogin;
use super::PendingLogin;
use crate::store::{text, Store, StoreError};
use sqlx::Row;

const PENDING_SECS: i64 = 600;
const CODE_SECS: i64 = 60;

/// What the central callback handed over.
pub struct Handed {
    pub pending: PendingLogin,
    pub outcome: Result<VerifiedLogin, String>,
}

fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

fn decode<T: serde::de::DeserializeOwned>(s: &str) -> Result<T, StoreError> {
    serde_json::from_str(s).map_err(|e| StoreError::Sqlx(sqlx::Error::Decode(e.into())))
}

/// Remembers a login started on `origin` (the tenant's origin).
pub async fn remember(
    store: &Store,
    pending: &PendingLogin,
    origin: &str,
    now: i64,
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM central_logins WHERE expires_at < $1")
        .bind(now)
        .execute(store.pool())
        .await?;
    sqlx::query(
        "INSERT INTO central_logins (id, origin, pending, expires_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(&pending.state)
    .bind(origin)
    .bind(json(pending))
    .bind(now + PENDING_SECS)
    .execute(store.pool())
    .await?;
    Ok(())
}

/// Takes (once) the row under `id` that has not expired: (origin, pending, verified, error).
async fn take(
    store: &Store,
    id: &str,
    now: i64,
) -> Result<Option<(String, String, Option<String>, Option<String>)>, StoreError> {
    let mut tx = store.pool().begin().await?;
    let row = sqlx::query(
        "SELECT origin, pending, verified, error FROM central_logins WHERE id = $1 AND expires_at >= $2",
    )
    .bind(id)
    .bind(now)
    .fetch_optional(&mut *tx)
    .await?;
    let deleted = sqlx::query("DELETE FROM central_logins WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    tx.commit().await?;
    // Two redemptions racing: only the one that deleted the row goes on.
    let (Some(r), 1) = (row, deleted) else {
        return Ok(None);
    };
    Ok(Some((
        text(&r, "origin")?,
        text(&r, "pending")?,
        r.try_get("verified")?,
        r.try_get("error")?,
    )))
}

/// The pending login of an answer that reached the central callback.
pub async fn take_pending(
    store: &Store,
    state: &str,
    now: i64,
) -> Result<Option<(String, PendingLogin)>, StoreError> {
    match take(store, state, now).await? {
        Some((origin, pending, None, None)) => Ok(Some((origin, decode(&pending)?))),
        _ => Ok(None),
    }
}

/// Leaves the verified answer (or why it was refused) for the tenant's host;
/// returns the one-time code.
pub async fn hand_over(
    store: &Store,
    origin: &str,
    pending: &PendingLogin,
    outcome: Result<VerifiedLogin, String>,
    now: i64,
) -> Result<String, StoreError> {
    let code = super::random_token();
    let (verified, error) = match outcome {
        Ok(v) => (Some(json(&v)), None),
        Err(e) => (None, Some(e)),
    };
    sqlx::query(
        "INSERT INTO central_logins (id, origin, pending, verified, error, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&code)
    .bind(origin)
    .bind(json(pending))
    .bind(verified)
    .bind(error)
    .bind(now + CODE_SECS)
    .execute(store.pool())
    .await?;
    Ok(code)
}

/// Redeems a code on the tenant's `origin` it was issued for.
pub async fn redeem(
    store: &Store,
    code: &str,
    origin: &str,
    now: i64,
) -> Result<Option<Handed>, StoreError> {
    let Some((for_origin, pending, verified, error)) = take(store, code, now).await? else {
        return Ok(None);
    };
    if for_origin != origin {
        return Ok(None);
    }
    let outcome = match (verified, error) {
        (Some(v), _) => Ok(decode(&v)?),
        (None, Some(e)) => Err(e),
        (None, None) => return Ok(None),
    };
    Ok(Some(Handed {
        pending: decode(&pending)?,
        outcome,
    }))
}
