//! Rendered anonymous pages, kept per tenant and content version.

use axum::body::Body;
use axum::http::{header, HeaderValue};
use axum::response::Response;
use bytes::Bytes;
use std::collections::HashMap;
use std::sync::RwLock;

/// Name of the session cookie; requests that carry it are never served from the cache.
pub const SESSION_COOKIE: &str = "bp_session";

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Key {
    pub tenant: i64,
    pub tenant_version: i64,
    pub catalogue_version: i64,
    pub uri: String,
}

#[derive(Clone)]
pub struct Entry {
    body: Bytes,
    content_type: Option<HeaderValue>,
}

impl Entry {
    pub fn response(self) -> Response {
        let mut res = Response::new(Body::from(self.body));
        if let Some(ct) = self.content_type {
            res.headers_mut().insert(header::CONTENT_TYPE, ct);
        }
        res.headers_mut().insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static(super::pages::PAGE_CACHE_CONTROL),
        );
        res
    }
}

pub struct PageCache {
    entries: RwLock<HashMap<Key, Entry>>,
    capacity: usize,
}

impl PageCache {
    pub fn new(capacity: usize) -> Self {
        PageCache {
            entries: RwLock::new(HashMap::new()),
            capacity,
        }
    }

    pub fn get(&self, key: &Key) -> Option<Entry> {
        self.entries
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(key)
            .cloned()
    }

    /// When full, starts over: pages of old versions go with it, and the
    /// pages people actually read come back on their next request.
    pub fn put(&self, key: Key, body: Bytes, content_type: Option<HeaderValue>) {
        if self.capacity == 0 {
            return;
        }
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= self.capacity {
            entries.clear();
        }
        entries.insert(key, Entry { body, content_type });
    }
}
