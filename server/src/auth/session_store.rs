//! tower-sessions' store over our own pool, so sessions live in the same
//! SQLite or PostgreSQL database as everything else (one pool, one migration set).

use crate::store::{int, text, Backend, Store};
use async_trait::async_trait;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
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

    /// Tells every instance (PostgreSQL: `LISTEN buergerportal_sessions`) that
    /// a session ended, so that none keeps it in its cache.
    async fn announce_end(&self, id: &Id) -> Result<()> {
        if self.0.backend() != Backend::Postgres {
            return Ok(());
        }
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(SESSIONS_CHANNEL)
            .bind(id.to_string())
            .execute(self.0.pool())
            .await
            .map_err(backend)?;
        Ok(())
    }

    /// Updates a session; whether it still existed.
    async fn update(&self, record: &Record) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE sessions SET data = $2, expires_at = $3 WHERE id = $1 AND expires_at > $4",
        )
        .bind(record.id.to_string())
        .bind(encode(record)?)
        .bind(record.expiry_date.unix_timestamp())
        .bind(OffsetDateTime::now_utc().unix_timestamp())
        .execute(self.0.pool())
        .await
        .map_err(backend)?;
        Ok(done.rows_affected() == 1)
    }
}

/// The notification channel of ended sessions (PostgreSQL).
pub const SESSIONS_CHANNEL: &str = "buergerportal_sessions";

/// Sessions read recently, so that a logged-in citizen's page costs no
/// database read. Bounded in entries; an entry lives at most `CACHE_TTL`, a
/// backstop should an invalidation ever be lost. On PostgreSQL it is used
/// only while this instance listens for ended sessions (`set_live`).
pub struct SessionCache {
    records: moka::sync::Cache<Id, Record>,
    /// Counts invalidations: a read that raced with one does not keep its record.
    forgotten: AtomicU64,
    live: AtomicBool,
}

const CACHE_TTL: Duration = Duration::from_secs(60);

impl SessionCache {
    pub fn new(capacity: u64, live: bool) -> SessionCache {
        SessionCache {
            records: moka::sync::Cache::builder()
                .max_capacity(capacity)
                .time_to_live(CACHE_TTL)
                .build(),
            forgotten: AtomicU64::new(0),
            live: AtomicBool::new(live),
        }
    }

    /// A session ended (here or on another instance).
    pub fn forget(&self, id: &Id) {
        self.forgotten.fetch_add(1, Ordering::SeqCst);
        self.records.invalidate(id);
    }

    /// Notifications may have been missed: nothing cached is trusted any more.
    pub fn forget_all(&self) {
        self.forgotten.fetch_add(1, Ordering::SeqCst);
        self.records.invalidate_all();
    }

    /// Whether the cache is used; off on PostgreSQL while not listening.
    pub fn set_live(&self, live: bool) {
        if !live {
            self.live.store(false, Ordering::SeqCst);
        }
        self.forget_all();
        if live {
            self.live.store(true, Ordering::SeqCst);
        }
    }

    pub fn is_live(&self) -> bool {
        self.live.load(Ordering::SeqCst)
    }

    fn generation(&self) -> u64 {
        self.forgotten.load(Ordering::SeqCst)
    }

    /// A session that has not expired (its idle deadline as this instance last saw it).
    fn get(&self, id: &Id) -> Option<Record> {
        if !self.is_live() {
            return None;
        }
        self.records
            .get(id)
            .filter(|r| r.expiry_date > OffsetDateTime::now_utc())
    }

    /// Keeps a record read or written when the generation was `seen`; an
    /// invalidation since then wins.
    fn keep(&self, record: &Record, seen: u64) {
        if !self.is_live() {
            return;
        }
        self.records.insert(record.id, record.clone());
        if self.generation() != seen {
            self.records.invalidate(&record.id);
        }
    }
}

/// The citizens' session store: the database behind a `SessionCache`.
#[derive(Clone)]
pub struct CachedSessionStore {
    db: DbSessionStore,
    cache: Arc<SessionCache>,
}

impl std::fmt::Debug for CachedSessionStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CachedSessionStore")
    }
}

impl CachedSessionStore {
    pub fn new(store: Store, cache: Arc<SessionCache>) -> CachedSessionStore {
        CachedSessionStore {
            db: DbSessionStore(store),
            cache,
        }
    }
}

#[async_trait]
impl SessionStore for CachedSessionStore {
    async fn create(&self, record: &mut Record) -> Result<()> {
        let seen = self.cache.generation();
        self.db.create(record).await?;
        self.cache.keep(record, seen);
        Ok(())
    }

    async fn save(&self, record: &Record) -> Result<()> {
        let seen = self.cache.generation();
        if self.db.update(record).await? {
            self.cache.keep(record, seen);
        } else {
            self.cache.forget(&record.id);
        }
        Ok(())
    }

    async fn load(&self, id: &Id) -> Result<Option<Record>> {
        if let Some(hit) = self.cache.get(id) {
            return Ok(Some(hit));
        }
        let seen = self.cache.generation();
        let loaded = self.db.load(id).await?;
        if let Some(record) = &loaded {
            self.cache.keep(record, seen);
        }
        Ok(loaded)
    }

    async fn delete(&self, id: &Id) -> Result<()> {
        self.db.delete(id).await?;
        self.cache.forget(id);
        self.db.announce_end(id).await
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
        self.update(record).await.map(drop)
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
