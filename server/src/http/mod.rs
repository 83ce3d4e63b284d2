//! HTTP: router, middleware, errors and the citizen pages.

mod assets;
mod cache;
mod error;
mod middleware;
mod pages;
mod place;

pub use assets::Assets;
pub use cache::PageCache;
pub use error::AppError;

use crate::catalogue::Catalogue;
use crate::config::Config;
use crate::store::Store;
use crate::tenancy::Tenants;
use axum::routing::get;
use axum::Router;
use std::sync::{Arc, RwLock};
use std::time::Duration;

#[derive(Clone)]
pub struct AppState(Arc<Inner>);

struct Inner {
    store: Store,
    tenants: RwLock<Arc<Tenants>>,
    catalogue: RwLock<Arc<Catalogue>>,
    assets: Assets,
    cache: PageCache,
    trust_forwarded_host: bool,
}

impl AppState {
    pub fn new(
        store: Store,
        tenants: Arc<Tenants>,
        catalogue: Arc<Catalogue>,
        assets: Assets,
        config: &Config,
    ) -> Self {
        AppState(Arc::new(Inner {
            store,
            tenants: RwLock::new(tenants),
            catalogue: RwLock::new(catalogue),
            assets,
            cache: PageCache::new(config.page_cache_entries),
            trust_forwarded_host: config.trust_forwarded_host,
        }))
    }

    pub fn store(&self) -> &Store {
        &self.0.store
    }

    pub fn tenants(&self) -> Arc<Tenants> {
        self.0
            .tenants
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn catalogue(&self) -> Arc<Catalogue> {
        self.0
            .catalogue
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn assets(&self) -> &Assets {
        &self.0.assets
    }

    fn cache(&self) -> &PageCache {
        &self.0.cache
    }

    pub fn set_catalogue(&self, catalogue: Arc<Catalogue>) {
        *self.0.catalogue.write().unwrap_or_else(|e| e.into_inner()) = catalogue;
    }

    pub fn set_tenants(&self, tenants: Arc<Tenants>) {
        *self.0.tenants.write().unwrap_or_else(|e| e.into_inner()) = tenants;
    }

    /// Picks up imports and tenant changes made by other processes (the `import`
    /// command, other instances) by comparing versions in the store.
    pub async fn refresh(&self) -> Result<(), crate::store::StoreError> {
        let versions = sqlx::query("SELECT (SELECT MAX(id) FROM catalogue_imports) AS c, (SELECT SUM(version) + COUNT(*) FROM tenants) AS t")
            .fetch_one(self.store().pool())
            .await?;
        let catalogue_version = crate::store::int(&versions, "c")?.unwrap_or(0);
        if catalogue_version != self.catalogue().version {
            if let Some(c) = Catalogue::load(self.store()).await? {
                tracing::info!(version = c.version, "Katalog neu geladen");
                self.set_catalogue(Arc::new(c));
            }
        }
        let tenant_sum = crate::store::int(&versions, "t")?.unwrap_or(0);
        let current: i64 = self.tenants().all().iter().map(|t| t.version + 1).sum();
        if tenant_sum != current {
            self.set_tenants(Arc::new(Tenants::load(self.store()).await?));
        }
        Ok(())
    }
}

pub fn router(state: AppState) -> Router {
    let tenant_pages = Router::new()
        .route("/", get(pages::start))
        .route("/lebenslagen", get(pages::lebenslagen))
        .route("/lebenslagen/{slug}", get(pages::lebenslage))
        .route("/leistungen/{id}", get(pages::service))
        .route("/leistungen/{id}/beantragen", get(pages::apply))
        .route("/a-z", get(pages::az_start))
        .route("/a-z/{letter}", get(pages::az))
        .route("/suche", get(pages::search))
        .route("/impressum", get(pages::impressum))
        .route("/datenschutz", get(pages::datenschutz))
        .route("/barrierefreiheit", get(pages::barrierefreiheit))
        .route("/ueber-diese-daten", get(pages::about_data))
        .route("/theme.css", get(pages::theme))
        .fallback(pages::not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::page_cache,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::render_errors,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::resolve_tenant,
        ));
    Router::new()
        .route("/healthz", get(pages::healthz))
        .route("/readyz", get(pages::readyz))
        .route("/assets/{*path}", get(assets::serve))
        .merge(tenant_pages)
        .layer(axum::middleware::from_fn(middleware::log_request))
        .layer(axum::middleware::from_fn(middleware::security_headers))
        .with_state(state)
}

/// Everything `serve` runs, ready to be served on any listener (tests use port 0).
pub async fn app(config: &Config) -> Result<(AppState, Router), crate::StartError> {
    let (store, tenants, catalogue) = crate::prepare(config).await?;
    let assets = Assets::load(&config.assets_dir).map_err(crate::StartError::Assets)?;
    let state = AppState::new(store, tenants, catalogue, assets, config);
    Ok((state.clone(), router(state)))
}

/// `buergerportal serve`: prepare the store, then serve until SIGTERM or Ctrl-C.
pub async fn serve(config: Config) -> Result<(), crate::StartError> {
    let (state, router) = app(&config).await?;
    let listener = tokio::net::TcpListener::bind(config.bind)
        .await
        .map_err(|e| crate::StartError::Serve(format!("{}: {e}", config.bind)))?;
    let addr = listener
        .local_addr()
        .map_err(|e| crate::StartError::Serve(e.to_string()))?;
    tracing::info!(
        "Bürgerportal läuft auf http://{addr} (z. B. http://kiel.localhost:{})",
        addr.port()
    );
    let refresher = tokio::spawn(refresh_loop(state.clone()));
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown_signal())
        .await
        .map_err(|e| crate::StartError::Serve(e.to_string()))?;
    refresher.abort();
    state.store().close().await;
    tracing::info!("beendet");
    Ok(())
}

pub async fn refresh_loop(state: AppState) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tick.tick().await;
        if let Err(e) = state.refresh().await {
            tracing::warn!("Aktualisierung fehlgeschlagen: {e}");
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("Signal erhalten, laufende Anfragen werden beendet");
}
