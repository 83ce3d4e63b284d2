//! Page views of services: aggregate counts only, no person, no time of day.
//! The totals rank search results; the per-tenant counts are the editors' insight.

use crate::keys::LeikaKey;
use crate::store::{int, text, Store, StoreError};
use std::collections::HashMap;

/// Adds counted views: (tenant id, service) → views. A service is a LeiKa key
/// or a tenant's local service (`lokal:<key>`); only LeiKa keys count for ranking.
pub async fn add(store: &Store, pending: &HashMap<(i64, String), u64>) -> Result<(), StoreError> {
    let mut tx = store.pool().begin().await?;
    for ((tenant, service), n) in pending {
        if LeikaKey::parse(service).is_ok() {
            sqlx::query(
                "INSERT INTO service_views (leika, views) VALUES ($1, $2) \
                 ON CONFLICT (leika) DO UPDATE SET views = service_views.views + excluded.views",
            )
            .bind(service)
            .bind(*n as i64)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query(
            "INSERT INTO tenant_service_views (tenant_id, service, views) VALUES ($1, $2, $3) \
             ON CONFLICT (tenant_id, service) DO UPDATE SET views = tenant_service_views.views + excluded.views",
        )
        .bind(tenant)
        .bind(service)
        .bind(*n as i64)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Views per catalogue service over all tenants.
pub async fn totals(store: &Store) -> Result<HashMap<LeikaKey, u64>, StoreError> {
    let mut totals = HashMap::new();
    for row in sqlx::query("SELECT leika, views FROM service_views")
        .fetch_all(store.pool())
        .await?
    {
        if let Ok(key) = LeikaKey::parse(&text(&row, "leika")?) {
            totals.insert(key, int(&row, "views")?.unwrap_or(0) as u64);
        }
    }
    Ok(totals)
}
