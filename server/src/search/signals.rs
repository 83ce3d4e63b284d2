//! The ranking signals of a search, computed once and shared instead of per
//! query: which services have a known office for a Gemeinde (cached per
//! Gemeinde, bounded in bytes) and popularity from page views (recomputed at
//! most once a minute, so that cached results stay valid in between).

use super::cache::{BodyCache, ResultCache};
use super::misses;
use super::SearchIndex;
use crate::catalogue::Catalogue;
use crate::keys::{Ars, LeikaKey};
use moka::sync::Cache;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

/// Memory for the per-Gemeinde office vectors (one byte per service each).
const OFFICE_BYTES: u64 = 16 * 1024 * 1024;

pub struct Popularity {
    pub catalogue_version: i64,
    /// Part of the result cache's key: a new generation is a miss.
    pub generation: u64,
    pub values: Vec<f32>,
    computed: Instant,
}

/// What searches share besides the index: signals, the result cache and the
/// misses not yet written.
pub struct Shared {
    offices: Cache<(i64, Ars), Arc<Vec<bool>>>,
    popularity: RwLock<Option<Arc<Popularity>>>,
    views_changed: AtomicBool,
    /// Popularity follows page views, but not faster than this.
    popularity_every: Duration,
    pub results: ResultCache,
    /// JSON answers made of cached results.
    pub bodies: BodyCache,
    misses: Mutex<misses::Pending>,
}

impl Shared {
    pub fn new(result_cache_bytes: u64, popularity_every: Duration) -> Shared {
        Shared {
            offices: Cache::builder()
                .max_capacity(OFFICE_BYTES)
                .weigher(|_, v: &Arc<Vec<bool>>| u32::try_from(v.len() + 64).unwrap_or(u32::MAX))
                .build(),
            popularity: RwLock::new(None),
            views_changed: AtomicBool::new(false),
            popularity_every,
            // The budget's other quarter is for what query words find (see `SearchConfig`).
            results: ResultCache::new(result_cache_bytes * 3 / 8),
            bodies: BodyCache::new(result_cache_bytes * 3 / 8),
            misses: Mutex::new(misses::Pending::default()),
        }
    }

    /// By catalogue position: whether an office is known for the Gemeinde.
    pub fn offices(&self, c: &Catalogue, gemeinde: Option<&Ars>) -> Arc<Vec<bool>> {
        let Some(g) = gemeinde else {
            return Arc::new(Vec::new());
        };
        self.offices.get_with((c.version, g.clone()), || {
            Arc::new(c.services_with_office(&c.area_chain(g)))
        })
    }

    /// New page-view totals were loaded; popularity follows within a minute.
    pub fn views_changed(&self) {
        self.views_changed.store(true, Ordering::Relaxed);
    }

    /// Popularity by catalogue position, recomputed when the catalogue changed,
    /// or when the views changed and the last computation is a minute old.
    pub fn popularity(
        &self,
        c: &Catalogue,
        views: impl FnOnce() -> Arc<HashMap<LeikaKey, u64>>,
    ) -> Arc<Popularity> {
        let current = self
            .popularity
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        if let Some(p) = &current {
            let stale = self.views_changed.load(Ordering::Relaxed)
                && p.computed.elapsed() >= self.popularity_every;
            if p.catalogue_version == c.version && !stale {
                return p.clone();
            }
        }
        self.views_changed.store(false, Ordering::Relaxed);
        let views = views();
        let fresh = Arc::new(Popularity {
            catalogue_version: c.version,
            generation: current.map_or(1, |p| p.generation + 1),
            values: SearchIndex::popularity(c, &|k| views.get(k).copied().unwrap_or(0)),
            computed: Instant::now(),
        });
        *self.popularity.write().unwrap_or_else(|e| e.into_inner()) = Some(fresh.clone());
        fresh
    }

    /// Counts a query without results for the tenant's editors.
    pub fn miss(&self, tenant: i64, words: &str) {
        self.misses
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .add(tenant, words);
    }

    /// The misses counted since the last call.
    pub fn take_misses(&self) -> misses::Pending {
        self.misses.lock().unwrap_or_else(|e| e.into_inner()).take()
    }
}
