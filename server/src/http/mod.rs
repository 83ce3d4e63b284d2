//! HTTP: router, middleware, errors and the citizen pages.
//!
//! A request passes, outermost first: security headers → request id and
//! trace span → timeouts → concurrency limit → (API: body limit, rate limit,
//! credential) or (pages: body limit, tenant by host → session → login state →
//! error pages → page cache → handler). axum applies `.layer` calls bottom-up,
//! so the router below lists them in reverse.

mod account;
mod assets;
mod background;
pub use background::{listen_for_changes, refresh_loop};
mod cache;
pub mod edge;
pub mod editor;
mod error;
mod handoff;
mod insight;
pub mod metrics;
mod middleware;
mod operator;
mod pages;
mod personal;
mod place;
mod postfach;
mod search;
mod state;

pub use assets::Assets;
pub use cache::PageCache;
pub use error::AppError;
pub use state::{AppState, Content, Integrations, SearchConfig};

use crate::auth::{CachedSessionStore, Oidc};
use crate::config::Config;
use axum::error_handling::HandleErrorLayer;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;
use std::time::Duration;
use tower::ServiceBuilder;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::{RequestBodyTimeoutLayer, TimeoutLayer};

/// Forms of the citizen pages are small; the delivery APIs have their own limit.
const PAGE_BODY_LIMIT: usize = 64 * 1024;

/// The pages every visitor sees, the same for everyone of a tenant: what the
/// page cache serves, and what the editors' preview renders with drafts.
pub fn citizen_routes(_state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/", get(pages::start))
        .route("/lebenslagen", get(pages::lebenslagen))
        .route("/lebenslagen/{slug}", get(pages::lebenslage))
        .route("/leistungen/{id}", get(pages::service))
        .route("/leistungen/lokal/{key}", get(pages::local_service))
        .route("/a-z", get(pages::az_start))
        .route("/a-z/{letter}", get(pages::az))
        .route("/suche", get(search::page))
        .route("/api/openapi.json", get(search::openapi))
        .route("/impressum", get(pages::impressum))
        .route("/datenschutz", get(pages::datenschutz))
        .route("/barrierefreiheit", get(pages::barrierefreiheit))
        .route("/ueber-diese-daten", get(pages::about_data))
        .route("/theme.css", get(pages::theme))
        .route("/medien/{id}", get(pages::upload))
}

pub fn router(state: AppState) -> Router {
    let limits = state.0.limits.clone();
    let rates = state.rate_limits();
    let mut search_api = Router::new()
        .route("/api/v1/search", get(search::api))
        .route("/api/v1/suggest", get(search::suggest));
    if let Some(limit) = &rates.search {
        search_api = search_api.route_layer(limit.clone());
    }
    let mut login = Router::new().route("/anmelden", get(account::login));
    if let Some(limit) = &rates.login {
        login = login.route_layer(limit.clone());
    }
    let tenant_pages = citizen_routes(&state)
        .merge(search_api)
        .merge(login)
        .route("/anmelden/callback", get(account::callback))
        .route("/anmelden/uebernahme", get(account::take_over))
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
        .route(
            "/leistungen/{id}/beantragen",
            get(handoff::apply).post(handoff::hand_off),
        )
        .fallback(pages::not_found)
        .layer(RequestBodyLimitLayer::new(PAGE_BODY_LIMIT))
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
            middleware::tenant_status,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::resolve_tenant,
        ));
    // The senders' APIs: the body limit refuses by Content-Length before
    // anything is read, the credential is checked from the headers before the
    // handler reads the body.
    let mut delivery_api = Router::new()
        .route("/api/v1/postfach/messages", post(postfach::deliver))
        .route("/api/v1/antraege/{id}/status", post(handoff::report_status))
        .route("/api/v1/antraege/{id}/nachrichten", post(handoff::message))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            postfach::require_sender,
        ));
    if let Some(limit) = &rates.api {
        delivery_api = delivery_api.route_layer(limit.clone());
    }
    let delivery_api = delivery_api.layer(axum::extract::DefaultBodyLimit::max(
        crate::postfach::MAX_REQUEST_BYTES,
    ));
    let edge = ServiceBuilder::new()
        .layer(HandleErrorLayer::new(|_: tower::BoxError| async {
            edge::overloaded()
        }))
        .load_shed()
        .layer(tower::limit::GlobalConcurrencyLimitLayer::new(
            limits.max_concurrent_requests.max(1),
        ));
    let editor_area = editor::router(&state)
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(|_| {
            AppError::Internal("panic in handler".into()).into_response()
        }))
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
        .route("/.well-known/jwks.json", get(handoff::jwks))
        .merge(delivery_api)
        .merge(editor_area)
        .merge(tenant_pages)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::record,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            account::login_host,
        ))
        .layer(axum::middleware::from_fn_with_state(
            (
                state.clone(),
                operator::router(&state).with_state(state.clone()),
            ),
            operator::dispatch,
        ))
        .layer(edge)
        .layer(RequestBodyTimeoutLayer::new(Duration::from_secs(
            limits.body_timeout_secs.max(1),
        )))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            Duration::from_secs(limits.request_timeout_secs.max(1)),
        ))
        .layer(tower_http::request_id::PropagateRequestIdLayer::x_request_id())
        .layer(
            tower_http::trace::TraceLayer::new_for_http()
                .make_span_with(middleware::request_span)
                .on_request(())
                .on_response(middleware::log_response)
                .on_failure(()),
        )
        .layer(tower_http::request_id::SetRequestIdLayer::x_request_id(
            middleware::NewRequestId,
        ))
        .layer(axum::middleware::map_request_with_state(
            state.clone(),
            middleware::untrusted_request_id,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::security_headers,
        ))
        .with_state(state)
}

fn session_layer(state: &AppState) -> tower_sessions::SessionManagerLayer<CachedSessionStore> {
    sessions(
        state.session_store(),
        state.public_https(),
        state.0.session_idle_minutes,
    )
}

/// Sessions in the database; the cookie is set only once a login starts.
/// A session is saved only when it changed; `account::attach` renews it.
pub fn sessions(
    store: CachedSessionStore,
    https: bool,
    idle_minutes: i64,
) -> tower_sessions::SessionManagerLayer<CachedSessionStore> {
    tower_sessions::SessionManagerLayer::new(store)
        .with_name(cache::session_cookie_name(https))
        .with_http_only(true)
        // Lax, not Strict: the provider's redirect back is a cross-site navigation.
        .with_same_site(tower_sessions::cookie::SameSite::Lax)
        .with_secure(https)
        .with_path("/")
        .with_expiry(tower_sessions::Expiry::OnInactivity(
            time::Duration::minutes(idle_minutes),
        ))
}

/// Everything `serve` runs, ready to be served on any listener (tests use port 0).
pub async fn app(config: &Config) -> Result<(AppState, Router), crate::StartError> {
    let (store, tenants, catalogue) = crate::prepare(config).await?;
    tracing::info!(
        services = catalogue.leistungen.len(),
        tenants = tenants.all().len(),
        resident_mib = metrics::resident_mib(),
        "Katalog und Mandanten geladen"
    );
    let assets = Assets::load(&config.assets_dir).map_err(crate::StartError::Assets)?;
    let mut search_config =
        SearchConfig::load(&config.catalogue_dir).map_err(crate::StartError::Serve)?;
    search_config.words_cache_bytes = config.limits.search_cache_mb * 1024 * 1024 / 4;
    let content = search_config
        .build(catalogue)
        .map_err(crate::StartError::Serve)?;
    tracing::info!(resident_mib = metrics::resident_mib(), "Suchindex gebaut");
    let oidc = Oidc::from_settings(&config.oidc).map_err(crate::StartError::Serve)?;
    let e = &config.editor_oidc;
    let editor_oidc = Oidc::for_editors(
        e.issuer.as_deref().filter(|i| !i.is_empty()),
        &e.client_id,
        e.client_secret.as_deref(),
    )
    .map_err(crate::StartError::Serve)?;
    let providers =
        crate::handoff::Providers::load(config.providers_file().as_deref(), config.demo)
            .map_err(crate::StartError::Serve)?;
    let now = crate::clock::now_unix();
    crate::handoff::register_senders(&store, &providers, config.demo, now).await?;
    let (keys, sealer) = signing_keys(&store, config, now).await?;
    let handoff = Integrations {
        oidc,
        editor_oidc,
        providers,
        keys,
        sealer,
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
    tracing::info!(
        resident_mib = metrics::resident_mib(),
        "bereit (mit den eigenen Inhalten der Mandanten im Index)"
    );
    Ok((state.clone(), router(state)))
}

/// The hand-off signing keys, if a sealing key is configured (or demo mode).
/// Without one the portal starts, says so once, and hands off nothing.
async fn signing_keys(
    store: &crate::store::Store,
    config: &Config,
    now: i64,
) -> Result<
    (
        Option<crate::handoff::KeySet>,
        Option<crate::handoff::keys::Sealer>,
    ),
    crate::StartError,
> {
    let sealer = crate::handoff::keys::Sealer::from_config(config)
        .map_err(|e| crate::StartError::Serve(e.to_string()))?;
    let Some(sealer) = sealer else {
        tracing::warn!("Übergaben an Formulardienste sind aus: SIGNING_KEY_ENCRYPTION_KEY (oder _FILE) ist nicht gesetzt.");
        return Ok((None, None));
    };
    match crate::handoff::KeySet::load(store, &sealer, now).await {
        Ok(keys) => Ok((Some(keys), Some(sealer))),
        Err(e @ crate::handoff::keys::KeyError::WrongSealingKey) => {
            tracing::error!("Übergaben an Formulardienste sind aus: {e}");
            Ok((None, None))
        }
        Err(e) => Err(crate::StartError::Serve(e.to_string())),
    }
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
    if let Some(addr) = config.metrics_bind {
        let handle = metrics::install().map_err(crate::StartError::Serve)?;
        let listener = metrics::bind(addr).await?;
        tracing::info!("Metriken auf http://{addr}/metrics");
        tokio::spawn(metrics::serve(listener, handle, state.clone()));
    }
    if config.link_check_hours > 0 {
        tokio::spawn(background::link_check_loop(
            state.clone(),
            config.link_check_hours,
            config.link_check_internal,
        ));
    }
    let wake = background::listen_for_changes(&state, &config.database_url());
    let refresher = tokio::spawn(background::refresh_loop(state.clone(), Some(wake)));
    edge::serve(listener, router, &config.limits, shutdown_signal()).await;
    refresher.abort();
    state.store().close().await;
    tracing::info!("beendet");
    Ok(())
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
