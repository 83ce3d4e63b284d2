//! The Zuständigkeitsfinder: services, offices, responsibilities and online
//! services, imported from the public sources (`SOURCES_DIR`) and read from memory.

pub mod coverage;
pub mod demo;
pub mod exchange;
pub mod gaps;
pub mod generate;
pub mod import;
pub mod model;
mod persist;
pub mod read;
pub mod rules;
pub mod sources;
pub mod views;
pub mod xzufi;

pub use import::{import, import_for, ImportError, ImportOutcome, ImportPaths};
pub use read::Catalogue;

/// The version of the newest catalogue import (0: none).
pub async fn latest_version(store: &crate::store::Store) -> Result<i64, crate::store::StoreError> {
    persist::version(store).await
}
