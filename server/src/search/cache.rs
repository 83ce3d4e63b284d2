//! Results per query, so that the head of real traffic (the same few queries
//! asked again and again) costs a lookup instead of a search. Bounded in bytes.
//! An entry holds only for what it was computed from (catalogue, the tenant's
//! content, popularity), which is part of its key: a new version is a miss.

use super::{Hit, SearchResults};
use bytes::Bytes;
use moka::sync::Cache;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

#[derive(Debug, Clone, Hash, PartialEq, Eq)]
pub struct ResultKey {
    pub tenant: i64,
    /// The query's words as searched ([`super::SearchIndex::query_words`]).
    pub words: String,
    pub lebenslage: Option<String>,
    pub online_only: bool,
    pub page: usize,
    /// The Gemeinde whose known offices ranked the results.
    pub gemeinde: Option<String>,
    /// Catalogue version, the tenant's content version, the popularity generation.
    pub versions: (i64, i64, u64),
}

/// None: switched off (no bytes for it).
#[derive(Clone)]
pub struct ResultCache(Option<Cache<ResultKey, Arc<SearchResults>>>);

impl ResultCache {
    pub fn new(max_bytes: u64) -> ResultCache {
        ResultCache((max_bytes > 0).then(|| {
            Cache::builder()
                .max_capacity(max_bytes)
                .weigher(|k: &ResultKey, v: &Arc<SearchResults>| weight(k, v))
                .build()
        }))
    }

    pub fn get(&self, key: &ResultKey) -> Option<Arc<SearchResults>> {
        self.0.as_ref()?.get(key)
    }

    pub fn insert(&self, key: ResultKey, results: Arc<SearchResults>) {
        if let Some(c) = &self.0 {
            c.insert(key, results);
        }
    }
}

/// The JSON answers made of cached results, so that the head of the traffic
/// does not build the same body again. The key holds the results themselves
/// (compared by address): when they leave the result cache or a new version
/// replaces them, their bodies are no longer asked for and age out.
#[derive(Clone)]
pub struct BodyCache(Option<Cache<BodyKey, Bytes>>);

#[derive(Clone)]
pub struct BodyKey {
    pub results: Arc<SearchResults>,
    /// Everything else of the request the body shows (the query as typed, the place, flags).
    pub request: String,
}

impl PartialEq for BodyKey {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.results, &other.results) && self.request == other.request
    }
}

impl Eq for BodyKey {}

impl Hash for BodyKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        Arc::as_ptr(&self.results).hash(state);
        self.request.hash(state);
    }
}

impl BodyCache {
    pub fn new(max_bytes: u64) -> BodyCache {
        BodyCache((max_bytes > 0).then(|| {
            Cache::builder()
                .max_capacity(max_bytes)
                .weigher(|k: &BodyKey, v: &Bytes| {
                    u32::try_from(k.request.len() + v.len() + 128).unwrap_or(u32::MAX)
                })
                .build()
        }))
    }

    /// The cached body, or the one `make` builds (and that is then kept).
    pub fn get_or(&self, key: BodyKey, make: impl FnOnce() -> Bytes) -> Bytes {
        match &self.0 {
            Some(c) => c.get_with(key, make),
            None => make(),
        }
    }
}

/// Approximate bytes of an entry: what its strings and vectors hold, plus the
/// cache's own bookkeeping.
fn weight(k: &ResultKey, v: &SearchResults) -> u32 {
    let strings = k.words.len()
        + k.lebenslage.as_ref().map_or(0, String::len)
        + k.gemeinde.as_ref().map_or(0, String::len)
        + v.suggestion.as_ref().map_or(0, String::len)
        + v.lebenslagen
            .iter()
            .map(|(s, _)| s.len() + std::mem::size_of::<(String, usize)>())
            .sum::<usize>()
        + v.hits
            .iter()
            .map(|h| std::mem::size_of::<Hit>() + h.local.as_ref().map_or(0, String::len))
            .sum::<usize>();
    let fixed = std::mem::size_of::<ResultKey>() + std::mem::size_of::<SearchResults>() + 64;
    u32::try_from(strings + fixed).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(words: &str, version: i64) -> ResultKey {
        ResultKey {
            tenant: 1,
            words: words.into(),
            lebenslage: None,
            online_only: false,
            page: 0,
            gemeinde: None,
            versions: (version, 0, 0),
        }
    }

    #[test]
    fn a_new_version_is_a_miss_and_the_bytes_are_bounded() {
        let cache = ResultCache::new(64 * 1024);
        let results = Arc::new(SearchResults {
            total: 1,
            searched: true,
            ..Default::default()
        });
        cache.insert(key("perso", 1), results.clone());
        assert_eq!(cache.get(&key("perso", 1)).map(|r| r.total), Some(1));
        assert!(cache.get(&key("perso", 2)).is_none());
        for i in 0..10_000 {
            cache.insert(key(&format!("wort{i}"), 1), results.clone());
        }
        let inner = cache.0.as_ref().unwrap();
        inner.run_pending_tasks();
        assert!(
            inner.weighted_size() <= 64 * 1024,
            "{}",
            inner.weighted_size()
        );
    }

    #[test]
    fn bodies_follow_the_results_they_were_made_of() {
        let cache = BodyCache::new(64 * 1024);
        let results = Arc::new(SearchResults::default());
        let key = |r: &Arc<SearchResults>, q: &str| BodyKey {
            results: r.clone(),
            request: q.into(),
        };
        let first = cache.get_or(key(&results, "perso"), || Bytes::from("eins"));
        assert_eq!(first, "eins");
        let again = cache.get_or(key(&results, "perso"), || Bytes::from("zwei"));
        assert_eq!(again, "eins");
        let other = cache.get_or(key(&results, "pass"), || Bytes::from("drei"));
        assert_eq!(other, "drei");
        // Equal results computed anew (a new version) are other results.
        let fresh = Arc::new(SearchResults::default());
        let new = cache.get_or(key(&fresh, "perso"), || Bytes::from("vier"));
        assert_eq!(new, "vier");
    }

    #[test]
    fn no_bytes_is_no_cache() {
        let cache = ResultCache::new(0);
        cache.insert(key("perso", 1), Arc::new(SearchResults::default()));
        assert!(cache.get(&key("perso", 1)).is_none());
    }
}
