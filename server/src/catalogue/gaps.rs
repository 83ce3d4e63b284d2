//! Responsibility gaps: how often a tenant's service pages showed no responsible
//! office, per service, so that editors and the operator know what to fill first.
//! Counts only, nothing about the person.

use crate::store::{int, text, Store, StoreError};
use std::collections::HashMap;

/// Adds counted views of pages without an office: (tenant id, LeiKa key) → views.
pub async fn add(store: &Store, counts: &HashMap<(i64, String), u64>) -> Result<(), StoreError> {
    let now = crate::clock::now_rfc3339();
    for ((tenant, leika), n) in counts {
        sqlx::query(
            "INSERT INTO responsibility_gaps (tenant_id, leika, count, last_seen) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (tenant_id, leika) DO UPDATE SET count = responsibility_gaps.count + excluded.count, last_seen = excluded.last_seen",
        )
        .bind(*tenant)
        .bind(leika)
        .bind(*n as i64)
        .bind(&now)
        .execute(store.pool())
        .await?;
    }
    Ok(())
}

/// A tenant's gaps, most viewed first.
pub async fn of_tenant(store: &Store, tenant: i64) -> Result<Vec<(String, i64)>, StoreError> {
    let rows = sqlx::query(
        "SELECT leika, count FROM responsibility_gaps WHERE tenant_id = $1 ORDER BY count DESC, leika",
    )
    .bind(tenant)
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|r| Ok((text(r, "leika")?, int(r, "count")?.unwrap_or(0))))
        .collect()
}
