//! HTTP: router, middleware, errors and the citizen pages.

mod account;
mod assets;
mod cache;
mod error;
mod handoff;
mod middleware;
mod pages;
mod place;
mod postfach;
mod search;

pub use assets::Assets;
pub use cache::PageCache;
pub use error::AppError;

use crate::auth::{DbSessionStore, Oidc};
use crate::catalogue::Catalogue;
use crate::config::Config;
use crate::keys::LeikaKey;
use crate::search::synonyms::Synonyms;
use crate::search::SearchIndex;
use crate::store::Store;
use crate::tenancy::Tenants;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

/// The catalogue and its search index, always of the same version: search hits
/// point into the catalogue, so they are swapped together.
pub struct Content {
    pub catalogue: Arc<Catalogue>,
    pub search: SearchIndex,
}

/// What the search index is built with besides the catalogue.
#[derive(Clone, Default)]
pub struct SearchConfig {
    pub synonyms: Synonyms,
    pub lexicon: Vec<String>,
}

impl SearchConfig {
    pub fn load(catalogue_dir: &std::path::Path) -> Result<SearchConfig, String> {
        let read = |name: &str| {
            std::fs::read_to_string(catalogue_dir.join("search").join(name))
                .map_err(|e| format!("search/{name}: {e}"))
        };
        let synonyms = Synonyms::parse("search/synonyms.txt", &read("synonyms.txt")?)?;
        let lexicon = read("lexicon.txt")?
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(String::from)
            .collect();
        Ok(SearchConfig { synonyms, lexicon })
    }

    pub fn build(&self, catalogue: Arc<Catalogue>) -> Result<Content, String> {
        let search = SearchIndex::build(&catalogue, self.synonyms.clone(), &self.lexicon)
            .map_err(|e| format!("Suchindex: {e}"))?;
        Ok(Content { catalogue, search })
    }
}

#[derive(Clone)]
pub struct AppState(Arc<Inner>);

struct Inner {
    store: Store,
    tenants: RwLock<Arc<Tenants>>,
    content: RwLock<Arc<Content>>,
    search_config: SearchConfig,
    /// Service page views not yet written to the store, and the totals for ranking.
    views_pending: Mutex<HashMap<String, u64>>,
    views: RwLock<Arc<HashMap<LeikaKey, u64>>>,
    views_loaded: std::sync::atomic::AtomicBool,
    assets: Assets,
    cache: PageCache,
    trust_forwarded_host: bool,
    oidc: Option<Arc<Oidc>>,
    public_https: bool,
    session_idle_minutes: i64,
    session_max_secs: i64,
    csp: axum::http::HeaderValue,
    providers: crate::handoff::Providers,
    keys: RwLock<Arc<crate::handoff::KeySet>>,
    handoff_issuer: String,
    /// For server-to-server calls to form providers; never follows redirects.
    http: openidconnect::reqwest::Client,
}

/// The outside parties the portal works with: the Servicekonto, the form
/// providers, and the keys that sign hand-offs to them.
pub struct Integrations {
    pub oidc: Option<Oidc>,
    pub providers: crate::handoff::Providers,
    pub keys: crate::handoff::KeySet,
}

impl AppState {
    pub fn new(
        store: Store,
        tenants: Arc<Tenants>,
        content: Content,
        search_config: SearchConfig,
        assets: Assets,
        handoff: Integrations,
        config: &Config,
    ) -> Self {
        let oidc = handoff.oidc;
        let form_origins: Vec<String> = oidc
            .iter()
            .map(Oidc::origin)
            .chain(handoff.providers.all().iter().filter_map(|p| p.origin()))
            .collect();
        AppState(Arc::new(Inner {
            store,
            tenants: RwLock::new(tenants),
            content: RwLock::new(Arc::new(content)),
            search_config,
            views_pending: Mutex::new(HashMap::new()),
            views: RwLock::new(Arc::new(HashMap::new())),
            views_loaded: std::sync::atomic::AtomicBool::new(false),
            assets,
            cache: PageCache::new(config.page_cache_entries),
            trust_forwarded_host: config.trust_forwarded_host,
            oidc: oidc.map(Arc::new),
            public_https: config.public_https,
            session_idle_minutes: config.session_idle_minutes.max(1),
            session_max_secs: config.session_max_minutes.max(1) * 60,
            csp: middleware::content_security_policy(&form_origins),
            providers: handoff.providers,
            keys: RwLock::new(Arc::new(handoff.keys)),
            handoff_issuer: config.handoff_issuer.clone(),
            http: openidconnect::reqwest::ClientBuilder::new()
                .redirect(openidconnect::reqwest::redirect::Policy::none())
                .timeout(Duration::from_secs(10))
                .build()
                .unwrap_or_default(),
        }))
    }

    pub fn providers(&self) -> &crate::handoff::Providers {
        &self.0.providers
    }

    pub fn keys(&self) -> Arc<crate::handoff::KeySet> {
        self.0
            .keys
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn handoff_issuer(&self) -> &str {
        &self.0.handoff_issuer
    }

    pub fn http(&self) -> &openidconnect::reqwest::Client {
        &self.0.http
    }

    /// Picks up a key rotation made by the CLI or another instance.
    pub async fn reload_keys(&self) -> Result<(), crate::handoff::keys::KeyError> {
        let keys = crate::handoff::KeySet::load(self.store(), crate::clock::now_unix()).await?;
        *self.0.keys.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(keys);
        Ok(())
    }

    /// The Servicekonto, when one is configured.
    pub fn oidc(&self) -> Option<&Oidc> {
        self.0.oidc.as_deref()
    }

    pub fn public_https(&self) -> bool {
        self.0.public_https
    }

    pub fn trust_forwarded_host(&self) -> bool {
        self.0.trust_forwarded_host
    }

    pub fn session_max_secs(&self) -> i64 {
        self.0.session_max_secs
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

    pub fn content(&self) -> Arc<Content> {
        self.0
            .content
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn catalogue(&self) -> Arc<Catalogue> {
        self.content().catalogue.clone()
    }

    pub fn views(&self) -> Arc<HashMap<LeikaKey, u64>> {
        self.0
            .views
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn count_view(&self, leika: &str) {
        *self
            .0
            .views_pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(leika.to_string())
            .or_insert(0) += 1;
    }

    pub fn assets(&self) -> &Assets {
        &self.0.assets
    }

    fn cache(&self) -> &PageCache {
        &self.0.cache
    }

    pub fn set_content(&self, content: Content) {
        *self.0.content.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(content);
    }

    pub fn set_tenants(&self, tenants: Arc<Tenants>) {
        *self.0.tenants.write().unwrap_or_else(|e| e.into_inner()) = tenants;
    }

    /// Picks up imports and tenant changes made by other processes (the `import`
    /// command, other instances) by comparing versions in the store.
    pub async fn refresh(&self) -> Result<(), crate::store::StoreError> {
        let versions = sqlx::query("SELECT (SELECT MAX(id) FROM catalogue_imports) AS c, (SELECT CAST(COALESCE(SUM(version), 0) + COUNT(*) AS BIGINT) FROM tenants) AS t")
            .fetch_one(self.store().pool())
            .await?;
        let catalogue_version = crate::store::int(&versions, "c")?.unwrap_or(0);
        if catalogue_version != self.catalogue().version {
            if let Some(c) = Catalogue::load(self.store()).await? {
                let config = self.0.search_config.clone();
                let built = tokio::task::spawn_blocking(move || config.build(Arc::new(c))).await;
                match built {
                    Ok(Ok(content)) => {
                        tracing::info!(
                            version = content.catalogue.version,
                            "Katalog und Suchindex neu geladen"
                        );
                        self.set_content(content);
                    }
                    Ok(Err(e)) => tracing::error!("{e}"),
                    Err(e) => tracing::error!("Suchindex: {e}"),
                }
            }
        }
        let tenant_sum = crate::store::int(&versions, "t")?.unwrap_or(0);
        let current: i64 = self.tenants().all().iter().map(|t| t.version + 1).sum();
        if tenant_sum != current {
            self.set_tenants(Arc::new(Tenants::load(self.store()).await?));
        }
        self.flush_views().await
    }

    /// Adds the counted page views to the store and reloads the totals.
    async fn flush_views(&self) -> Result<(), crate::store::StoreError> {
        let pending = std::mem::take(
            &mut *self
                .0
                .views_pending
                .lock()
                .unwrap_or_else(|e| e.into_inner()),
        );
        // Totals are read once at start and then only after new views were written.
        let loaded = self
            .0
            .views_loaded
            .load(std::sync::atomic::Ordering::Relaxed);
        if pending.is_empty() && loaded {
            return Ok(());
        }
        for (leika, n) in &pending {
            sqlx::query(
                "INSERT INTO service_views (leika, views) VALUES ($1, $2) \
                 ON CONFLICT (leika) DO UPDATE SET views = service_views.views + excluded.views",
            )
            .bind(leika)
            .bind(*n as i64)
            .execute(self.store().pool())
            .await?;
        }
        let mut totals = HashMap::new();
        for row in sqlx::query("SELECT leika, views FROM service_views")
            .fetch_all(self.store().pool())
            .await?
        {
            if let Ok(key) = LeikaKey::parse(&crate::store::text(&row, "leika")?) {
                totals.insert(key, crate::store::int(&row, "views")?.unwrap_or(0) as u64);
            }
        }
        *self.0.views.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(totals);
        self.0
            .views_loaded
            .store(true, std::sync::atomic::Ordering::Relaxed);
        Ok(())
    }
}

pub fn router(state: AppState) -> Router {
    let tenant_pages = Router::new()
        .route("/", get(pages::start))
        .route("/lebenslagen", get(pages::lebenslagen))
        .route("/lebenslagen/{slug}", get(pages::lebenslage))
        .route("/leistungen/{id}", get(pages::service))
        .route(
            "/leistungen/{id}/beantragen",
            get(handoff::apply).post(handoff::hand_off),
        )
        .route("/a-z", get(pages::az_start))
        .route("/a-z/{letter}", get(pages::az))
        .route("/suche", get(search::page))
        .route("/api/v1/search", get(search::api))
        .route("/api/v1/suggest", get(search::suggest))
        .route("/api/openapi.json", get(search::openapi))
        .route("/impressum", get(pages::impressum))
        .route("/datenschutz", get(pages::datenschutz))
        .route("/barrierefreiheit", get(pages::barrierefreiheit))
        .route("/ueber-diese-daten", get(pages::about_data))
        .route("/theme.css", get(pages::theme))
        .route("/anmelden", get(account::login))
        .route("/anmelden/callback", get(account::callback))
        .route("/abmelden", post(account::logout))
        .route("/mein-bereich", get(account::my_area))
        .route("/mein-bereich/merkliste", post(account::favourite))
        .route("/postfach", get(postfach::inbox))
        .route(
            "/postfach/{id}",
            get(postfach::message).post(postfach::message_action),
        )
        .route(
            "/postfach/{id}/anhang/{attachment}",
            get(postfach::attachment),
        )
        .route("/mein-bereich/antraege", get(handoff::applications))
        .fallback(pages::not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::page_cache,
        ))
        // A panic is a bug, not the visitor's problem: a branded 500, never a dropped connection.
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(|_| {
            AppError::Internal("panic in handler".into()).into_response()
        }))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::render_errors,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            account::attach,
        ))
        .layer(session_layer(&state))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::resolve_tenant,
        ));
    Router::new()
        .route("/healthz", get(pages::healthz))
        .route("/readyz", get(pages::readyz))
        .route("/assets/{*path}", get(assets::serve))
        .route("/.well-known/jwks.json", get(handoff::jwks))
        .route(
            "/api/v1/postfach/messages",
            post(postfach::deliver).layer(axum::extract::DefaultBodyLimit::max(
                crate::postfach::MAX_REQUEST_BYTES,
            )),
        )
        .route("/api/v1/antraege/{id}/status", post(handoff::report_status))
        .route(
            "/api/v1/antraege/{id}/nachrichten",
            post(handoff::message).layer(axum::extract::DefaultBodyLimit::max(
                crate::postfach::MAX_REQUEST_BYTES,
            )),
        )
        .merge(tenant_pages)
        .layer(axum::middleware::from_fn(middleware::log_request))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::security_headers,
        ))
        .with_state(state)
}

/// Sessions in the database; the cookie is set only once a login starts.
fn session_layer(state: &AppState) -> tower_sessions::SessionManagerLayer<DbSessionStore> {
    tower_sessions::SessionManagerLayer::new(DbSessionStore(state.store().clone()))
        .with_name(cache::SESSION_COOKIE)
        .with_http_only(true)
        // Lax, not Strict: the provider's redirect back is a cross-site navigation.
        .with_same_site(tower_sessions::cookie::SameSite::Lax)
        .with_secure(state.public_https())
        .with_path("/")
        .with_expiry(tower_sessions::Expiry::OnInactivity(
            time::Duration::minutes(state.0.session_idle_minutes),
        ))
        // Every request of a session moves its idle deadline.
        .with_always_save(true)
}

/// Everything `serve` runs, ready to be served on any listener (tests use port 0).
pub async fn app(config: &Config) -> Result<(AppState, Router), crate::StartError> {
    let (store, tenants, catalogue) = crate::prepare(config).await?;
    let assets = Assets::load(&config.assets_dir).map_err(crate::StartError::Assets)?;
    let search_config =
        SearchConfig::load(&config.catalogue_dir).map_err(crate::StartError::Serve)?;
    let content = search_config
        .build(catalogue)
        .map_err(crate::StartError::Serve)?;
    let oidc = Oidc::from_settings(&config.oidc).map_err(crate::StartError::Serve)?;
    let providers = crate::handoff::Providers::load(&config.form_providers_file)
        .map_err(crate::StartError::Serve)?;
    let now = crate::clock::now_unix();
    crate::handoff::register_senders(&store, &providers, now).await?;
    let keys = crate::handoff::KeySet::load(&store, now)
        .await
        .map_err(|e| crate::StartError::Serve(e.to_string()))?;
    let handoff = Integrations {
        oidc,
        providers,
        keys,
    };
    let state = AppState::new(
        store,
        tenants,
        content,
        search_config,
        assets,
        handoff,
        config,
    );
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
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    let mut ticks: u64 = 0;
    loop {
        tick.tick().await;
        ticks += 1;
        if ticks.is_multiple_of(240) {
            if let Err(e) = state.reload_keys().await {
                tracing::warn!("Signaturschlüssel laden: {e}");
            }
        }
        if ticks % 2400 == 1 {
            // About every ten minutes: expired sessions go.
            if let Err(e) = DbSessionStore(state.store().clone()).delete_expired().await {
                tracing::warn!("Sitzungen aufräumen: {e}");
            }
        }
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
