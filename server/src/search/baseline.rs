//! The baseline we measure our search against: PostgreSQL full-text search
//! (German configuration) over the same services. Used by tests and benchmarks only.

use crate::store::{text, Store, StoreError};

pub const DOCUMENT: &str = "to_tsvector('german', name || ' ' || catalogue_name || ' ' || keywords || ' ' || short_text || ' ' || long_text || ' ' || ozg_name)";

/// Creates the GIN index the baseline needs (idempotent).
pub async fn prepare(store: &Store) -> Result<(), StoreError> {
    sqlx::query(&format!(
        "CREATE INDEX IF NOT EXISTS leistungen_fts ON leistungen USING GIN (({DOCUMENT}))"
    ))
    .execute(store.pool())
    .await?;
    Ok(())
}

/// The LeiKa keys of the best `limit` matches, best first.
pub async fn search(store: &Store, query: &str, limit: i64) -> Result<Vec<String>, StoreError> {
    let sql = format!(
        "SELECT leika FROM leistungen, plainto_tsquery('german', $1) q WHERE {DOCUMENT} @@ q \
         ORDER BY ts_rank({DOCUMENT}, q) DESC, leika LIMIT $2"
    );
    let rows = sqlx::query(&sql)
        .bind(query)
        .bind(limit)
        .fetch_all(store.pool())
        .await?;
    rows.iter()
        .map(|r| text(r, "leika").map_err(StoreError::from))
        .collect()
}
