//! Search: citizens find services in their own words.
//!
//! The catalogue's services are searched in an index of their own with BM25
//! impacts computed at build (`impact`); tenants' local services and their
//! keywords for catalogue services live in tantivy, scoped by a `scope` field
//! and searched only for a tenant that has any, so the index grows with
//! services, not with tenants × services. Analysis is German and done in Rust (`analysis`): the
//! filler of questions is dropped, query words are expanded by curated
//! synonyms, matched exactly, fuzzily (by word length) and by prefix for the
//! last word typed; stage words ("abholen") pick the sibling at that step
//! (`stages`); tenant signals (online service, known office) and popularity
//! re-rank the candidates. Results are cached per query (`cache`).

pub mod analysis;
pub mod baseline;
pub mod cache;
mod impact;
mod index;
pub mod misses;
mod signals;
pub mod stages;
pub mod synonyms;

pub use index::{
    Hit, ScoreParts, SearchIndex, SearchRequest, SearchResults, TenantSignals, PER_PAGE,
};
pub use signals::{Popularity, Shared};
