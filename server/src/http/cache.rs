//! Rendered anonymous pages, kept per tenant and content version.
//!
//! Each tenant has its own byte budget (a moka cache with a weigher), so one
//! tenant's traffic can only evict that tenant's pages; the tenants' caches sit
//! in an outer moka cache whose size bounds the memory of all of them. Only
//! canonical URLs are stored (see `middleware::page_cache`), so junk query
//! parameters cannot fill the cache.

use axum::body::Body;
use axum::http::{header, HeaderValue};
use axum::response::Response;
use bytes::Bytes;
use moka::sync::Cache;
use std::sync::Arc;

/// Name of the session cookie; requests that carry it are never served from the cache.
pub const SESSION_COOKIE: &str = "bp_session";

/// Over HTTPS the cookie is `__Host-` prefixed: the browser then insists on
/// Secure, path `/` and no Domain, so no other host can set or shadow it.
pub fn session_cookie_name(https: bool) -> &'static str {
    if https {
        "__Host-bp_session"
    } else {
        SESSION_COOKIE
    }
}

#[derive(Clone)]
pub struct Entry {
    body: Bytes,
    content_type: Option<HeaderValue>,
    favourite: Option<FavouriteSlot>,
}

/// A service page that shows a logged-in citizen the Merken form.
#[derive(Clone, Debug)]
pub struct FavouriteSlot {
    pub leika: String,
    /// Where the form returns to.
    pub back: String,
}

impl Entry {
    pub fn new(
        body: Bytes,
        content_type: Option<HeaderValue>,
        favourite: Option<FavouriteSlot>,
    ) -> Entry {
        Entry {
            body,
            content_type,
            favourite,
        }
    }

    pub fn body(&self) -> &[u8] {
        &self.body
    }

    pub fn favourite(&self) -> Option<&FavouriteSlot> {
        self.favourite.as_ref()
    }

    pub fn response(self) -> Response {
        let mut res = Response::new(Body::from(self.body));
        if let Some(ct) = self.content_type {
            res.headers_mut().insert(header::CONTENT_TYPE, ct);
        }
        res.headers_mut().insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static(super::pages::PAGE_CACHE_CONTROL),
        );
        // For operators and the benchmarks: this answer came from the cache.
        res.headers_mut()
            .insert("x-cache", HeaderValue::from_static("hit"));
        res
    }
}

/// The versions a tenant's pages were rendered for; a new version starts empty.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Versions {
    pub tenant: i64,
    pub catalogue: i64,
    /// The German calendar day: announcements start and end with days.
    pub day: i64,
}

struct TenantPages {
    versions: Versions,
    pages: Cache<String, Entry>,
}

pub struct PageCache {
    tenants: Cache<i64, Arc<TenantPages>>,
    tenant_bytes: u64,
}

/// What an entry costs: its body, its key and the bookkeeping around them.
fn weight(uri: &str, entry: &Entry) -> u32 {
    (entry.body.len() + uri.len() + 96).min(u32::MAX as usize) as u32
}

impl PageCache {
    /// `total_bytes` over all tenants, `tenant_bytes` for each tenant's pages.
    pub fn new(total_bytes: u64, tenant_bytes: u64) -> Self {
        let tenant_bytes = tenant_bytes.max(1);
        PageCache {
            tenants: Cache::builder()
                .max_capacity(total_bytes / tenant_bytes)
                .build(),
            tenant_bytes,
        }
    }

    fn pages(&self, tenant: i64, versions: Versions) -> Option<Arc<TenantPages>> {
        self.tenants.get(&tenant).filter(|t| t.versions == versions)
    }

    pub fn get(&self, tenant: i64, versions: Versions, uri: &str) -> Option<Entry> {
        self.pages(tenant, versions)?.pages.get(uri)
    }

    pub fn put(&self, tenant: i64, versions: Versions, uri: String, entry: Entry) {
        if self.tenants.policy().max_capacity() == Some(0) {
            return;
        }
        let pages = self.pages(tenant, versions).unwrap_or_else(|| {
            let fresh = Arc::new(TenantPages {
                versions,
                pages: Cache::builder()
                    .max_capacity(self.tenant_bytes)
                    .weigher(|uri: &String, entry: &Entry| weight(uri, entry))
                    .build(),
            });
            self.tenants.insert(tenant, fresh.clone());
            fresh
        });
        pages.pages.insert(uri, entry);
    }

    /// Whether a page of the tenant is held, in whatever version.
    pub fn contains(&self, tenant: i64, uri: &str) -> bool {
        self.tenants
            .get(&tenant)
            .is_some_and(|t| t.pages.contains_key(uri))
    }

    /// Bytes held over all tenants.
    pub fn total_bytes(&self) -> u64 {
        self.tenants
            .iter()
            .map(|(_, t)| t.pages.weighted_size())
            .sum()
    }

    /// Bytes and pages held for a tenant (after pending evictions ran).
    pub fn tenant_usage(&self, tenant: i64) -> (u64, u64) {
        self.tenants.run_pending_tasks();
        match self.tenants.get(&tenant) {
            Some(t) => {
                t.pages.run_pending_tasks();
                (t.pages.weighted_size(), t.pages.entry_count())
            }
            None => (0, 0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const V: Versions = Versions {
        tenant: 1,
        catalogue: 1,
        day: 1,
    };

    fn page(n: usize) -> Bytes {
        Bytes::from(vec![b'x'; n])
    }

    #[test]
    fn one_tenant_cannot_evict_another() {
        let cache = PageCache::new(1 << 20, 64 * 1024);
        cache.put(2, V, "/".into(), Entry::new(page(1000), None, None));
        for i in 0..500 {
            cache.put(1, V, format!("/p{i}"), Entry::new(page(1000), None, None));
        }
        let (bytes, _) = cache.tenant_usage(1);
        assert!(bytes <= 64 * 1024, "tenant 1 stays in its budget: {bytes}");
        assert!(cache.get(2, V, "/").is_some(), "tenant 2 keeps its page");
    }

    #[test]
    fn a_new_version_starts_empty() {
        let cache = PageCache::new(1 << 20, 64 * 1024);
        cache.put(1, V, "/".into(), Entry::new(page(10), None, None));
        let next = Versions {
            tenant: 2,
            catalogue: 1,
            day: 1,
        };
        assert!(cache.get(1, next, "/").is_none());
        cache.put(1, next, "/a".into(), Entry::new(page(10), None, None));
        assert!(cache.get(1, V, "/").is_none(), "old pages are gone");
        assert!(cache.get(1, next, "/a").is_some());
    }
}
