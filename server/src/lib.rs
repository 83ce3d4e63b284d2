//! The Bürgerportal server: one process, every municipality.
//!
//! request → tenant (by host) → domain → store → view. See README.md.

pub mod auth;
pub mod catalogue;
pub mod clock;
pub mod config;
pub mod editor;
pub mod handoff;
pub mod http;
pub mod keys;
pub mod operator;
pub mod postfach;
pub mod richtext;
pub mod search;
pub mod store;
pub mod tenancy;

use catalogue::{Catalogue, ImportOutcome};
use config::Config;
use std::sync::Arc;
use store::Store;
use tenancy::Tenants;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error(transparent)]
    Tenancy(#[from] tenancy::TenancyError),
    #[error(transparent)]
    Import(#[from] catalogue::ImportError),
    #[error(transparent)]
    Dldb(#[from] editor::dldb::DldbError),
    #[error("Assets: {0}")]
    Assets(String),
    #[error("Server: {0}")]
    Serve(String),
}

/// Brings a database to a servable state: migrated, tenants seeded, catalogue loaded.
pub async fn prepare(config: &Config) -> Result<(Store, Arc<Tenants>, Arc<Catalogue>), StartError> {
    let store = Store::connect(&config.database_url()).await?;
    let lock = store.startup_lock().await?;
    store.migrate().await?;
    let seeded = tenancy::seed_from_dir(&store, &config.tenants_dir).await?;
    if !seeded.is_empty() {
        tracing::info!(tenants = ?seeded, "Mandanten angelegt");
    }
    let catalogue = match Catalogue::load(&store).await? {
        Some(c) => c,
        None => {
            report(&catalogue::import(&store, &catalogue::ImportPaths::from_config(config)).await?);
            Catalogue::load(&store).await?.unwrap_or_default()
        }
    };
    let now = clock::now_unix();
    if let Some(r) = editor::dldb::demo_import(&store, &catalogue, &config.sources_dir, now).await?
    {
        tracing::info!("München: DLDB-Export importiert und veröffentlicht. {r}");
    }
    drop(lock);
    let tenants = Tenants::load(&store).await?;
    Ok((store, Arc::new(tenants), Arc::new(catalogue)))
}

pub fn report(outcome: &ImportOutcome) {
    match outcome {
        ImportOutcome::Imported { version, summary } => {
            tracing::info!(version, "Katalog importiert: {summary}")
        }
        ImportOutcome::Unchanged { version } => {
            tracing::info!(version, "Katalog unverändert, nichts geschrieben")
        }
    }
}
