//! What must survive a restart, in one SQLite file under `DATA_DIR`: the used
//! token ids until they expire (a restart must not reopen the replay window)
//! and the received applications with whether the portal was informed.

use crate::form::Eingaben;
use crate::token::{Claims, CLOCK_SKEW_SECS};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};
use sqlx::Row;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

pub const FILE: &str = "formulardienst.db";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("Datenverzeichnis {0} nicht anlegbar: {1}")]
    Dir(String, std::io::Error),
    #[error("Datenbank: {0}")]
    Db(#[from] sqlx::Error),
    #[error("Datenbank nicht migrierbar: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("gespeicherter Eingang nicht lesbar: {0}")]
    Decode(#[from] serde_json::Error),
}

/// An application that arrived here, with whether the portal was informed.
#[derive(Debug, Clone)]
pub struct Eingang {
    pub id: i64,
    pub claims: Arc<Claims>,
    pub eingaben: Eingaben,
    pub portal_informiert: bool,
}

#[derive(Clone)]
pub struct Store {
    pool: SqlitePool,
}

/// Creates the folder, on Unix readable by this service only: it holds applications.
fn create_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

impl Store {
    /// Opens (and if needed creates) `{dir}/formulardienst.db` and migrates it.
    pub async fn open(dir: &Path) -> Result<Store, StoreError> {
        create_dir(dir).map_err(|e| StoreError::Dir(dir.display().to_string(), e))?;
        let options = SqliteConnectOptions::new()
            .filename(dir.join(FILE))
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .busy_timeout(Duration::from_secs(5));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        Ok(Store { pool })
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Consumes a token id until `expires_at`; `false` if it was used before.
    /// Ids past their token's expiry (plus clock skew) are forgotten: such a
    /// token is refused as expired before it gets here.
    pub async fn use_jti(&self, jti: &str, expires_at: i64, now: i64) -> Result<bool, StoreError> {
        sqlx::query("DELETE FROM used_jtis WHERE expires_at < ?")
            .bind(now - CLOCK_SKEW_SECS)
            .execute(&self.pool)
            .await?;
        let done = sqlx::query(
            "INSERT INTO used_jtis (jti, expires_at) VALUES (?, ?) ON CONFLICT (jti) DO NOTHING",
        )
        .bind(jti)
        .bind(expires_at)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Whether a token id is remembered as used (for tests and diagnosis).
    pub async fn jti_used(&self, jti: &str) -> Result<bool, StoreError> {
        let row = sqlx::query("SELECT 1 FROM used_jtis WHERE jti = ?")
            .bind(jti)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.is_some())
    }

    /// Keeps a received application (not yet reported); returns its id.
    pub async fn record(
        &self,
        claims: &Claims,
        eingaben: &Eingaben,
        now: i64,
    ) -> Result<i64, StoreError> {
        let row = sqlx::query(
            "INSERT INTO eingaenge (vorgang, uebergabe, eingaben, portal_informiert, eingegangen_am) \
             VALUES (?, ?, ?, 0, ?) RETURNING id",
        )
        .bind(&claims.vorgang)
        .bind(serde_json::to_string(claims)?)
        .bind(serde_json::to_string(eingaben)?)
        .bind(now)
        .fetch_one(&self.pool)
        .await?;
        Ok(row.try_get("id")?)
    }

    pub async fn mark_informed(&self, id: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE eingaenge SET portal_informiert = 1 WHERE id = ?")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// All received applications, oldest first.
    pub async fn received(&self) -> Result<Vec<Eingang>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, uebergabe, eingaben, portal_informiert FROM eingaenge ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let claims: String = row.try_get("uebergabe")?;
                let eingaben: String = row.try_get("eingaben")?;
                let informed: i64 = row.try_get("portal_informiert")?;
                Ok(Eingang {
                    id: row.try_get("id")?,
                    claims: Arc::new(serde_json::from_str(&claims)?),
                    eingaben: serde_json::from_str(&eingaben)?,
                    portal_informiert: informed != 0,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::token::sample_claims as claims;

    #[tokio::test]
    async fn a_jti_is_used_once_and_forgotten_after_expiry() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).await.unwrap();
        assert!(store.use_jti("j", 1300, 1000).await.unwrap());
        assert!(!store.use_jti("j", 1300, 1100).await.unwrap());
        assert!(store.jti_used("j").await.unwrap());
        // Past exp + skew the token itself is refused as expired; the id may go.
        store
            .use_jti("other", 9999, 1300 + CLOCK_SKEW_SECS + 1)
            .await
            .unwrap();
        assert!(!store.jti_used("j").await.unwrap());
        assert!(store.jti_used("other").await.unwrap());
    }

    #[tokio::test]
    async fn used_jtis_and_applications_survive_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).await.unwrap();
        assert!(store.use_jti("j", 1300, 1000).await.unwrap());
        let eingaben = Eingaben {
            nachname: "Muster".into(),
            ..Eingaben::default()
        };
        let id = store
            .record(&claims("j", 1300), &eingaben, 1000)
            .await
            .unwrap();
        store.close().await;

        let store = Store::open(dir.path()).await.unwrap();
        assert!(!store.use_jti("j", 1300, 1001).await.unwrap());
        let received = store.received().await.unwrap();
        assert_eq!(received.len(), 1);
        assert_eq!(received[0].id, id);
        assert_eq!(received[0].eingaben.nachname, "Muster");
        assert!(!received[0].portal_informiert);
        store.mark_informed(id).await.unwrap();
        assert!(store.received().await.unwrap()[0].portal_informiert);
    }
}
