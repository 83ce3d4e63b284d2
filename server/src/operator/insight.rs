//! Insight: daily counts per tenant and for the platform (page views, searches,
//! searches without a result, hand-offs, logins). Counts only: nothing that
//! identifies a person is ever written here.

use crate::store::{int, text, Store, StoreError};
use crate::tenancy::TenantScope;
use std::collections::{BTreeMap, HashMap};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Metric {
    PageView,
    Search,
    ZeroResult,
    HandOff,
    Login,
}

impl Metric {
    pub const ALL: [Metric; 5] = [
        Metric::PageView,
        Metric::Search,
        Metric::ZeroResult,
        Metric::HandOff,
        Metric::Login,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Metric::PageView => "seitenaufruf",
            Metric::Search => "suche",
            Metric::ZeroResult => "suche-ohne-treffer",
            Metric::HandOff => "uebergabe",
            Metric::Login => "anmeldung",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Metric::PageView => "Seitenaufrufe",
            Metric::Search => "Suchen",
            Metric::ZeroResult => "Suchen ohne Treffer",
            Metric::HandOff => "Übergaben",
            Metric::Login => "Anmeldungen",
        }
    }

    fn parse(s: &str) -> Option<Metric> {
        Metric::ALL.into_iter().find(|m| m.as_str() == s)
    }
}

/// Adds counts to a day (`YYYY-MM-DD`); counts of tenants deleted meanwhile are dropped.
pub async fn add(
    store: &Store,
    day: &str,
    counts: &HashMap<(i64, Metric), u64>,
) -> Result<(), StoreError> {
    if counts.is_empty() {
        return Ok(());
    }
    let mut tx = store.pool().begin().await?;
    for ((tenant, metric), n) in counts {
        sqlx::query(
            "INSERT INTO daily_counts (tenant_id, day, metric, n) \
             SELECT id, $2, $3, $4 FROM tenants WHERE id = $1 \
             ON CONFLICT (tenant_id, day, metric) DO UPDATE SET n = daily_counts.n + excluded.n",
        )
        .bind(tenant)
        .bind(day)
        .bind(metric.as_str())
        .bind(*n as i64)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// One day's counts, in the order of `Metric::ALL`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Day {
    pub day: String,
    pub counts: [u64; 5],
}

/// The last `days` days with any count, newest first: of one tenant, or
/// summed over the platform.
pub async fn daily(
    store: &Store,
    tenant: Option<TenantScope>,
    days: usize,
) -> Result<Vec<Day>, StoreError> {
    let rows = match tenant {
        Some(t) => {
            sqlx::query(
                "SELECT day, metric, CAST(SUM(n) AS BIGINT) AS n FROM daily_counts WHERE tenant_id = $1 \
                 GROUP BY day, metric ORDER BY day DESC",
            )
            .bind(t.id())
            .fetch_all(store.pool())
            .await?
        }
        None => {
            sqlx::query(
                "SELECT day, metric, CAST(SUM(n) AS BIGINT) AS n FROM daily_counts GROUP BY day, metric ORDER BY day DESC",
            )
            .fetch_all(store.pool())
            .await?
        }
    };
    let mut by_day: BTreeMap<String, [u64; 5]> = BTreeMap::new();
    for r in rows {
        let Some(metric) = Metric::parse(&text(&r, "metric")?) else {
            continue;
        };
        let i = Metric::ALL.iter().position(|m| *m == metric).unwrap_or(0);
        by_day.entry(text(&r, "day")?).or_default()[i] += int(&r, "n")?.unwrap_or(0) as u64;
    }
    Ok(by_day
        .into_iter()
        .rev()
        .take(days)
        .map(|(day, counts)| Day { day, counts })
        .collect())
}

/// The UTC day of a Unix time, as stored.
pub fn day_of(unix: i64) -> String {
    crate::clock::rfc3339(unix)[..10].to_string()
}
