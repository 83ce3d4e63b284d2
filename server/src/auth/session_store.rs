//! tower-sessions' store over our own pool, so sessions live in the same
//! SQLite or PostgreSQL database as everything else (one pool, one migration set).

use crate::store::{int, text, Store};
use async_trait::async_trait;
use time::OffsetDateTime;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{Error, Result, SessionStore};

#[derive(Clone)]
pub struct DbSessionStore(pub Store);

impl std::fmt::Debug for DbSessionStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DbSessionStore")
    }
}

fn backend(e: sqlx::Error) -> Error {
    Error::Backend(e.to_string())
}

fn encode(record: &Record) -> Result<String> {
    serde_json::to_string(&record.data).map_err(|e| Error::Encode(e.to_string()))
}

impl DbSessionStore {
    /// Removes expired sessions; run now and then, not per request.
    pub async fn delete_expired(&self) -> std::result::Result<u64, sqlx::Error> {
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let done = sqlx::query("DELETE FROM sessions WHERE expires_at < $1")
            .bind(now)
            .execute(self.0.pool())
            .await?;
        Ok(done.rows_affected())
    }
}

impl DbSessionStore {
    /// Inserts a new record unless its id exists. Returns the rows written.
    async fn insert(&self, record: &Record) -> Result<u64> {
        let done = sqlx::query(
            "INSERT INTO sessions (id, data, expires_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING",
        )
            .bind(record.id.to_string())
            .bind(encode(record)?)
            .bind(record.expiry_date.unix_timestamp())
            .execute(self.0.pool())
            .await
            .map_err(backend)?;
        Ok(done.rows_affected())
    }
}

#[async_trait]
impl SessionStore for DbSessionStore {
    async fn create(&self, record: &mut Record) -> Result<()> {
        // A collision of 128 random bits is unlikely, but never overwrite another session.
        while self.insert(record).await? == 0 {
            record.id = Id::default();
        }
        Ok(())
    }

    /// Updates only: a session that ended (logout, expiry) while a request of
    /// it was in flight is never written back by that request.
    async fn save(&self, record: &Record) -> Result<()> {
        sqlx::query(
            "UPDATE sessions SET data = $2, expires_at = $3 WHERE id = $1 AND expires_at > $4",
        )
        .bind(record.id.to_string())
        .bind(encode(record)?)
        .bind(record.expiry_date.unix_timestamp())
        .bind(OffsetDateTime::now_utc().unix_timestamp())
        .execute(self.0.pool())
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn load(&self, id: &Id) -> Result<Option<Record>> {
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let row =
            sqlx::query("SELECT data, expires_at FROM sessions WHERE id = $1 AND expires_at > $2")
                .bind(id.to_string())
                .bind(now)
                .fetch_optional(self.0.pool())
                .await
                .map_err(backend)?;
        let Some(row) = row else { return Ok(None) };
        let data = serde_json::from_str(&text(&row, "data").map_err(backend)?)
            .map_err(|e| Error::Decode(e.to_string()))?;
        let expires = int(&row, "expires_at").map_err(backend)?.unwrap_or(0);
        let expiry_date = OffsetDateTime::from_unix_timestamp(expires)
            .map_err(|e| Error::Decode(e.to_string()))?;
        Ok(Some(Record {
            id: *id,
            data,
            expiry_date,
        }))
    }

    async fn delete(&self, id: &Id) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE id = $1")
            .bind(id.to_string())
            .execute(self.0.pool())
            .await
            .map_err(backend)?;
        Ok(())
    }
}
