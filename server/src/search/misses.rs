//! Queries that found nothing, per tenant, for its editors: the query's words
//! and a count, nothing about the person. Counted in memory and written in
//! batches, so that a flood of misses costs no write per request.

use crate::store::{Store, StoreError};
use std::collections::HashMap;

/// Distinct misses kept between two writes; beyond this a flood of new junk
/// queries is not counted (the ones already pending still are).
pub const MAX_PENDING: usize = 10_000;
/// Characters of a query kept.
pub const MAX_QUERY_CHARS: usize = 100;

/// Misses not yet written, by (tenant, normalised query).
#[derive(Debug, Default)]
pub struct Pending(HashMap<(i64, String), u64>);

impl Pending {
    /// Counts a miss of the query's words (as searched).
    pub fn add(&mut self, tenant: i64, words: &str) {
        let query: String = words.chars().take(MAX_QUERY_CHARS).collect();
        if query.is_empty() {
            return;
        }
        let full = self.0.len() >= MAX_PENDING;
        match self.0.get_mut(&(tenant, query.clone())) {
            Some(n) => *n += 1,
            None if !full => {
                self.0.insert((tenant, query), 1);
            }
            None => {}
        }
    }

    pub fn take(&mut self) -> Pending {
        std::mem::take(self)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Adds the pending counts in one transaction.
pub async fn write(store: &Store, pending: &Pending, now: &str) -> Result<(), StoreError> {
    if pending.is_empty() {
        return Ok(());
    }
    let mut tx = store.pool().begin().await?;
    for ((tenant, query), n) in &pending.0 {
        sqlx::query(
            "INSERT INTO search_misses (tenant_id, query, count, last_seen) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (tenant_id, query) DO UPDATE SET count = search_misses.count + excluded.count, last_seen = excluded.last_seen",
        )
        .bind(tenant)
        .bind(query)
        .bind(*n as i64)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeats_add_up_and_a_flood_is_bounded() {
        let mut p = Pending::default();
        p.add(1, "hundesteuer");
        p.add(1, "hundesteuer");
        p.add(2, "");
        assert_eq!(p.0.get(&(1, "hundesteuer".into())), Some(&2));
        for i in 0..2 * MAX_PENDING {
            p.add(1, &format!("junk{i}"));
        }
        assert_eq!(p.0.len(), MAX_PENDING);
        p.add(1, "hundesteuer");
        assert_eq!(p.0.get(&(1, "hundesteuer".into())), Some(&3));
    }
}
