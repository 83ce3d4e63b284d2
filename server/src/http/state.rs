//! The state every handler reads: store, tenants, catalogue and search index,
//! integrations (Servicekonto, form providers, signing keys) and the page cache.
//! Swapped in place when another process changes the store.

use super::assets::Assets;
use super::cache::PageCache;
use crate::auth::Oidc;
use crate::catalogue::Catalogue;
use crate::config::Config;
use crate::keys::LeikaKey;
use crate::operator::insight::Metric;
use crate::search::stages::StageRules;
use crate::search::synonyms::Synonyms;
use crate::search::SearchIndex;
use crate::store::Store;
use crate::tenancy::Tenants;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

/// The catalogue and its search index, always of the same version: search hits
/// point into the catalogue, so they are swapped together.
pub struct Content {
    pub catalogue: Arc<Catalogue>,
    pub search: SearchIndex,
}

/// The rate limits of login, search and the delivery APIs, per client.
pub struct RateLimits {
    pub login: Option<super::edge::RateLimit>,
    pub search: Option<super::edge::RateLimit>,
    pub api: Option<super::edge::RateLimit>,
    configs: Vec<super::edge::RateConfig>,
}

impl RateLimits {
    fn new(limits: &crate::config::Limits, behind_proxy: bool) -> Self {
        use super::edge::rate_limit;
        let minute = Duration::from_secs(60);
        let second = Duration::from_secs(1);
        let login = rate_limit(
            limits.rate_login_per_minute,
            minute,
            limits.rate_login_per_minute.min(10),
            behind_proxy,
            true,
        );
        let search = rate_limit(
            limits.rate_search_per_second,
            second,
            limits.rate_search_per_second.saturating_mul(2),
            behind_proxy,
            false,
        );
        let api = rate_limit(
            limits.rate_api_per_second,
            second,
            limits.rate_api_per_second.saturating_mul(2),
            behind_proxy,
            false,
        );
        let configs = [&login, &search, &api]
            .into_iter()
            .flatten()
            .map(|(_, c)| c.clone())
            .collect();
        RateLimits {
            login: login.map(|(l, _)| l),
            search: search.map(|(l, _)| l),
            api: api.map(|(l, _)| l),
            configs,
        }
    }

    /// Clients not seen for a while are forgotten, so the limiters' memory stays bounded.
    pub fn forget_idle_clients(&self) {
        for c in &self.configs {
            c.limiter().retain_recent();
            c.limiter().shrink_to_fit();
        }
    }
}

/// One search per core: a flood of searches queues here instead of piling up
/// on the workers. (It was one core fewer while a search cost up to a
/// millisecond; now the most expensive one costs about 0.4 ms, and with one
/// slot on two cores uncached searches queued behind each other.)
fn search_slots() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

/// What the search index is built with besides the catalogue.
#[derive(Clone, Default)]
pub struct SearchConfig {
    pub synonyms: Synonyms,
    pub lexicon: Vec<String>,
    pub stages: StageRules,
    /// Bytes for what query words find in the catalogue, kept across tenants
    /// (a quarter of `SEARCH_CACHE_MB` when serving; 0: not kept).
    pub words_cache_bytes: u64,
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
        let stages = StageRules::parse("search/stages.txt", &read("stages.txt")?)?;
        Ok(SearchConfig {
            synonyms,
            lexicon,
            stages,
            words_cache_bytes: 0,
        })
    }

    pub fn build(&self, catalogue: Arc<Catalogue>) -> Result<Content, String> {
        let search = SearchIndex::build(
            &catalogue,
            self.synonyms.clone(),
            &self.lexicon,
            &self.stages,
            self.words_cache_bytes,
        )
        .map_err(|e| format!("Suchindex: {e}"))?;
        Ok(Content { catalogue, search })
    }
}

/// Puts tenants' local services and keywords into the search index; a failure
/// leaves the index as it was and is logged (the pages still show the content).
fn index_local<'a>(
    content: &Content,
    tenants: impl IntoIterator<Item = (i64, Option<&'a crate::editor::local::LocalContent>)>,
) {
    if let Err(e) = content.search.update_local(&content.catalogue, tenants) {
        tracing::error!("Suchindex (lokale Inhalte): {e}");
    }
}

/// Sessions (and citizens' counts) kept in memory per instance.
const SESSION_CACHE_ENTRIES: u64 = 100_000;

#[derive(Clone)]
pub struct AppState(pub(super) Arc<Inner>);

pub(super) struct Inner {
    store: Store,
    tenants: RwLock<Arc<Tenants>>,
    content: RwLock<Arc<Content>>,
    search_config: SearchConfig,
    /// Service page views not yet written to the store, and the totals for ranking.
    views_pending: Mutex<HashMap<(i64, String), u64>>,
    views: RwLock<Arc<HashMap<LeikaKey, u64>>>,
    views_loaded: std::sync::atomic::AtomicBool,
    /// Views of service pages that showed no office, per (tenant, service), not yet written.
    gaps_pending: Mutex<HashMap<(i64, String), u64>>,
    /// Daily counts for insight, not yet written.
    counts_pending: Mutex<HashMap<(i64, Metric), u64>>,
    assets: Assets,
    cache: PageCache,
    /// Citizens' sessions read recently (see `auth::SessionCache`).
    sessions: Arc<crate::auth::SessionCache>,
    personal: super::personal::PersonalCache,
    trust_forwarded_host: bool,
    oidc: Option<Arc<Oidc>>,
    editor_oidc: Option<Arc<Oidc>>,
    operator_hosts: Vec<String>,
    login_host: Option<String>,
    public_https: bool,
    pub(super) session_idle_minutes: i64,
    session_max_secs: i64,
    pub(super) csp: axum::http::HeaderValue,
    providers: crate::handoff::Providers,
    /// None: no sealing key configured, so no signing keys and no hand-offs.
    keys: RwLock<Option<Arc<crate::handoff::KeySet>>>,
    sealer: Option<crate::handoff::keys::Sealer>,
    handoff_issuer: String,
    pub(super) limits: crate::config::Limits,
    /// Searches run at most this many at a time, so that search load cannot
    /// take every worker thread from page delivery.
    pub(super) search_slots: tokio::sync::Semaphore,
    /// Search signals, results and misses shared by all searches.
    search: crate::search::Shared,
    rates: RateLimits,
    /// For server-to-server calls to form providers; never follows redirects.
    http: openidconnect::reqwest::Client,
}

/// The outside parties the portal works with: the Servicekonto, the form
/// providers, and the keys that sign hand-offs to them.
pub struct Integrations {
    pub oidc: Option<Oidc>,
    pub editor_oidc: Option<Oidc>,
    pub providers: crate::handoff::Providers,
    pub keys: Option<crate::handoff::KeySet>,
    pub sealer: Option<crate::handoff::keys::Sealer>,
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
        let editor_oidc = handoff.editor_oidc;
        index_local(
            &content,
            tenants.all().iter().map(|t| (t.id, Some(&*t.local))),
        );
        let form_origins: Vec<String> = oidc
            .iter()
            .chain(editor_oidc.iter())
            .map(Oidc::origin)
            .chain(handoff.providers.all().iter().filter_map(|p| p.origin()))
            .collect();
        AppState(Arc::new(Inner {
            sessions: Arc::new(crate::auth::SessionCache::new(
                SESSION_CACHE_ENTRIES,
                store.backend() != crate::store::Backend::Postgres,
            )),
            store,
            tenants: RwLock::new(tenants),
            content: RwLock::new(Arc::new(content)),
            search_config,
            views_pending: Mutex::new(HashMap::new()),
            views: RwLock::new(Arc::new(HashMap::new())),
            views_loaded: std::sync::atomic::AtomicBool::new(false),
            gaps_pending: Mutex::new(HashMap::new()),
            counts_pending: Mutex::new(HashMap::new()),
            assets,
            cache: PageCache::new(
                config.limits.page_cache_mb * 1024 * 1024,
                config.limits.page_cache_tenant_mb * 1024 * 1024,
            ),
            personal: super::personal::PersonalCache::new(SESSION_CACHE_ENTRIES),
            trust_forwarded_host: config.trust_forwarded_host,
            oidc: oidc.map(Arc::new),
            editor_oidc: editor_oidc.map(Arc::new),
            login_host: config.login_host.clone(),
            operator_hosts: config
                .operator_hosts
                .iter()
                .filter_map(|h| crate::tenancy::normalize_host(h))
                .collect(),
            public_https: config.public_https,
            session_idle_minutes: config.session_idle_minutes.max(1),
            session_max_secs: config.session_max_minutes.max(1) * 60,
            csp: super::middleware::content_security_policy(&form_origins),
            providers: handoff.providers,
            keys: RwLock::new(handoff.keys.map(Arc::new)),
            sealer: handoff.sealer,
            handoff_issuer: config.handoff_issuer.clone(),
            limits: config.limits.clone(),
            search_slots: tokio::sync::Semaphore::new(search_slots()),
            search: crate::search::Shared::new(
                config.limits.search_cache_mb * 1024 * 1024,
                Duration::from_secs(config.limits.search_popularity_secs),
            ),
            rates: RateLimits::new(&config.limits, config.trust_forwarded_host),
            http: openidconnect::reqwest::ClientBuilder::new()
                .redirect(openidconnect::reqwest::redirect::Policy::none())
                .timeout(Duration::from_secs(10))
                .build()
                .unwrap_or_default(),
        }))
    }

    /// The citizens' session store, with this instance's cache.
    pub fn session_store(&self) -> crate::auth::CachedSessionStore {
        crate::auth::CachedSessionStore::new(self.store().clone(), self.0.sessions.clone())
    }

    pub fn session_cache(&self) -> &crate::auth::SessionCache {
        &self.0.sessions
    }

    pub(super) fn personal(&self) -> &super::personal::PersonalCache {
        &self.0.personal
    }

    pub fn providers(&self) -> &crate::handoff::Providers {
        &self.0.providers
    }

    /// The signing keys; None when hand-offs are off (no sealing key).
    pub fn keys(&self) -> Option<Arc<crate::handoff::KeySet>> {
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
        let Some(sealer) = &self.0.sealer else {
            return Ok(());
        };
        let keys =
            crate::handoff::KeySet::load(self.store(), sealer, crate::clock::now_unix()).await?;
        *self.0.keys.write().unwrap_or_else(|e| e.into_inner()) = Some(Arc::new(keys));
        Ok(())
    }

    /// The operator console's hosts.
    /// The central login callback's host (as the browser sees it), if set.
    pub fn login_host(&self) -> Option<&str> {
        self.0.login_host.as_deref()
    }

    pub fn operator_hosts(&self) -> &[String] {
        &self.0.operator_hosts
    }

    /// The editors' identity provider, when one is configured.
    pub fn editor_oidc(&self) -> Option<&Oidc> {
        self.0.editor_oidc.as_deref()
    }

    /// The Servicekonto, when one is configured.
    pub fn oidc(&self) -> Option<&Oidc> {
        self.0.oidc.as_deref()
    }

    pub fn public_https(&self) -> bool {
        self.0.public_https
    }

    /// The scheme browsers reach this deployment with.
    pub fn scheme(&self) -> &'static str {
        if self.0.public_https {
            "https"
        } else {
            "http"
        }
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

    /// Counts one event of a tenant for insight (written with the views).
    pub fn count(&self, tenant: i64, metric: Metric) {
        *self
            .0
            .counts_pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry((tenant, metric))
            .or_insert(0) += 1;
    }

    pub fn count_view(&self, tenant: i64, service: &str) {
        self.count(tenant, Metric::PageView);
        *self
            .0
            .views_pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry((tenant, service.to_string()))
            .or_insert(0) += 1;
    }

    /// Counts a view of a service page that showed no responsible office; written with the views.
    pub fn count_gap(&self, tenant: i64, leika: &str) {
        *self
            .0
            .gaps_pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry((tenant, leika.to_string()))
            .or_insert(0) += 1;
    }

    pub fn assets(&self) -> &Assets {
        &self.0.assets
    }

    pub fn rate_limits(&self) -> &RateLimits {
        &self.0.rates
    }

    pub fn search(&self) -> &crate::search::Shared {
        &self.0.search
    }

    pub fn cache(&self) -> &PageCache {
        &self.0.cache
    }

    /// A new catalogue and index: every tenant's local content goes into it first.
    pub fn set_content(&self, content: Content) {
        let tenants = self.tenants();
        index_local(
            &content,
            tenants.all().iter().map(|t| (t.id, Some(&*t.local))),
        );
        *self.0.content.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(content);
    }

    /// New tenants: the search index changes only for tenants whose version
    /// changed (a publication, a new tenant) or that are gone.
    pub fn set_tenants(&self, tenants: Arc<Tenants>) {
        let old = self.tenants();
        let before: HashMap<i64, i64> = old
            .all()
            .iter()
            .map(|t| (t.id, t.content_version()))
            .collect();
        let now: HashSet<i64> = tenants.all().iter().map(|t| t.id).collect();
        let changed = tenants
            .all()
            .iter()
            .filter(|t| before.get(&t.id) != Some(&t.content_version()))
            .map(|t| (t.id, Some(&*t.local)));
        let gone = old
            .all()
            .iter()
            .filter(|t| !now.contains(&t.id))
            .map(|t| (t.id, None));
        index_local(&self.content(), changed.chain(gone));
        *self.0.tenants.write().unwrap_or_else(|e| e.into_inner()) = tenants;
    }

    /// Picks up imports and tenant changes made by other processes (the `import`
    /// command, other instances) by comparing versions in the store.
    pub async fn refresh(&self) -> Result<(), crate::store::StoreError> {
        let catalogue_version = crate::catalogue::latest_version(self.store()).await?;
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
        // Every change of a tenant appends to the change list, so a delete and a
        // create between two polls are noticed as well.
        let newest = crate::tenancy::last_change(self.store()).await?;
        if newest != self.tenants().change() {
            self.set_tenants(Arc::new(Tenants::load(self.store()).await?));
        }
        self.flush_views().await
    }

    /// Adds the counted page views (and views without an office) to the store and reloads the totals.
    async fn flush_views(&self) -> Result<(), crate::store::StoreError> {
        let counts = std::mem::take(
            &mut *self
                .0
                .counts_pending
                .lock()
                .unwrap_or_else(|e| e.into_inner()),
        );
        let day = crate::operator::insight::day_of(crate::clock::now_unix());
        crate::operator::insight::add(self.store(), &day, &counts).await?;
        let misses = self.0.search.take_misses();
        crate::search::misses::write(self.store(), &misses, &crate::clock::now_rfc3339()).await?;
        let gaps = std::mem::take(
            &mut *self
                .0
                .gaps_pending
                .lock()
                .unwrap_or_else(|e| e.into_inner()),
        );
        if !gaps.is_empty() {
            crate::catalogue::gaps::add(self.store(), &gaps).await?;
        }
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
        crate::catalogue::views::add(self.store(), &pending).await?;
        let totals = crate::catalogue::views::totals(self.store()).await?;
        *self.0.views.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(totals);
        self.0.search.views_changed();
        self.0
            .views_loaded
            .store(true, std::sync::atomic::Ordering::Relaxed);
        Ok(())
    }
}
