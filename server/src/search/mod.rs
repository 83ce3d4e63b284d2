//! Search: citizens find services in their own words.
//!
//! One tantivy index over the services (central ones now, tenant-local ones
//! later, scoped by a `scope` field), so it grows with services, not with
//! tenants × services. Analysis is German and done in Rust (`analysis`), query
//! words are expanded by curated synonyms, matched exactly, fuzzily (by word
//! length) and by prefix for the last word typed; tenant signals (online
//! service, known office) and popularity re-rank the candidates.

pub mod analysis;
pub mod baseline;
mod index;
pub mod synonyms;

pub use index::{
    Hit, ScoreParts, SearchIndex, SearchRequest, SearchResults, TenantSignals, PER_PAGE,
};
