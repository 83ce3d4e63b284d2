//! Citizens and their Merkliste. Only stable identifiers are stored; the
//! profile is read from the ID token at each login and lives in the session.

use super::random_token;
use crate::store::{text, Store, StoreError};

/// The citizen's id for (issuer, subject), created at the first login.
pub async fn upsert_citizen(
    store: &Store,
    issuer: &str,
    subject: &str,
    now: i64,
) -> Result<String, StoreError> {
    sqlx::query(
        "INSERT INTO citizens (id, issuer, subject, created_at, last_login_at) VALUES ($1, $2, $3, $4, $4) \
         ON CONFLICT (issuer, subject) DO UPDATE SET last_login_at = excluded.last_login_at",
    )
    .bind(random_token())
    .bind(issuer)
    .bind(subject)
    .bind(now)
    .execute(store.pool())
    .await?;
    let row = sqlx::query("SELECT id FROM citizens WHERE issuer = $1 AND subject = $2")
        .bind(issuer)
        .bind(subject)
        .fetch_one(store.pool())
        .await?;
    Ok(text(&row, "id")?)
}

/// A citizen as senders address them.
pub struct Recipient {
    pub id: String,
    /// Where the citizen lived at the last login, as far as the address tells.
    pub home_ars: Option<String>,
}

/// The citizen, if they have ever logged in.
pub async fn find_citizen(
    store: &Store,
    issuer: &str,
    subject: &str,
) -> Result<Option<Recipient>, StoreError> {
    let row = sqlx::query("SELECT id, home_ars FROM citizens WHERE issuer = $1 AND subject = $2")
        .bind(issuer)
        .bind(subject)
        .fetch_optional(store.pool())
        .await?;
    Ok(row
        .map(|r| -> Result<Recipient, sqlx::Error> {
            Ok(Recipient {
                id: text(&r, "id")?,
                home_ars: Some(text(&r, "home_ars")?).filter(|a| !a.is_empty()),
            })
        })
        .transpose()?)
}

/// Records the area of the citizen's address (not the address) at login.
pub async fn set_home(
    store: &Store,
    citizen: &str,
    home_ars: Option<&str>,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE citizens SET home_ars = $1 WHERE id = $2")
        .bind(home_ars)
        .bind(citizen)
        .execute(store.pool())
        .await?;
    Ok(())
}

/// (LeiKa key, tenant slug it was saved on), newest first.
pub async fn favourites(store: &Store, citizen: &str) -> Result<Vec<(String, String)>, StoreError> {
    let rows = sqlx::query(
        "SELECT leika, tenant_slug FROM favourites WHERE citizen_id = $1 ORDER BY created_at DESC, leika",
    )
    .bind(citizen)
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|r| Ok((text(r, "leika")?, text(r, "tenant_slug")?)))
        .collect()
}

pub async fn is_favourite(store: &Store, citizen: &str, leika: &str) -> Result<bool, StoreError> {
    let row = sqlx::query("SELECT 1 AS one FROM favourites WHERE citizen_id = $1 AND leika = $2")
        .bind(citizen)
        .bind(leika)
        .fetch_optional(store.pool())
        .await?;
    Ok(row.is_some())
}

pub async fn set_favourite(
    store: &Store,
    citizen: &str,
    leika: &str,
    tenant_slug: &str,
    saved: bool,
    now: i64,
) -> Result<(), StoreError> {
    if saved {
        sqlx::query(
            "INSERT INTO favourites (citizen_id, leika, tenant_slug, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (citizen_id, leika) DO NOTHING",
        )
        .bind(citizen)
        .bind(leika)
        .bind(tenant_slug)
        .bind(now)
        .execute(store.pool())
        .await?;
    } else {
        sqlx::query("DELETE FROM favourites WHERE citizen_id = $1 AND leika = $2")
            .bind(citizen)
            .bind(leika)
            .execute(store.pool())
            .await?;
    }
    Ok(())
}
