//! The reference form provider of the Bürgerportal: it receives the portal's
//! signed hand-off (in a form POST or through the Zwischenspeicher), shows an
//! application form, and reports the arrival back through the return channel.
//! See README.md for the contract.

pub mod config;
pub mod form;
pub mod handlers;
pub mod html;
pub mod jwks;
pub mod memory;
pub mod pdf;
pub mod portal;
pub mod receipt;
pub mod refusal;
pub mod store;
pub mod token;

use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use config::Config;
use form::Eingaben;
use refusal::Refusal;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use token::{Claims, Expected, TokenError};

const HTTP_TIMEOUT: Duration = Duration::from_secs(10);
/// A hand-off token with a person is about 2 KiB; anything far beyond is not one.
pub const MAX_HANDOFF_BODY: usize = 16 * 1024;
const CONTENT_SECURITY_POLICY: &str =
    "default-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("HTTP-Client nicht erstellbar: {0}")]
    Client(#[from] reqwest::Error),
    #[error("Adresse {0} nicht belegbar: {1}")]
    Bind(std::net::SocketAddr, std::io::Error),
    #[error("Server beendet mit Fehler: {0}")]
    Serve(std::io::Error),
    #[error("Speicher: {0}")]
    Store(#[from] store::StoreError),
}

pub struct Service {
    config: Config,
    keys: jwks::KeySet,
    memory: memory::Memory,
    store: store::Store,
    portal: portal::Portal,
}

impl Service {
    /// Opens the store under `config.data_dir` (created if missing).
    pub async fn open(config: Config) -> Result<Service, StartError> {
        let client = reqwest::Client::builder().timeout(HTTP_TIMEOUT).build()?;
        let store = store::Store::open(&config.data_dir).await?;
        Ok(Service {
            keys: jwks::KeySet::new(
                config.jwks_url.to_string(),
                client.clone(),
                config.jwks_refetch_interval,
            ),
            memory: memory::Memory::default(),
            store,
            portal: portal::Portal::new(
                client,
                config.portal_api_url.clone(),
                config.return_credential.clone(),
            ),
            config,
        })
    }

    pub fn memory(&self) -> &memory::Memory {
        &self.memory
    }

    pub fn store(&self) -> &store::Store {
        &self.store
    }

    /// Closes the database; call after the server has stopped.
    pub async fn close(&self) {
        self.store.close().await;
    }

    /// Verifies a token completely and consumes its `jti`. With `leika`, the
    /// token must be for that service; a mismatch does not consume it.
    async fn verify(
        &self,
        token: &str,
        leika: Option<&str>,
        now: i64,
    ) -> Result<Arc<Claims>, Refusal> {
        let kid = token::key_id(token)?;
        let key = self.keys.key(&kid).await?;
        let expected = Expected {
            issuer: &self.config.issuer,
            audience: &self.config.audience,
            now,
        };
        let token::Verified { claims, payload } = token::verify(token, &key, &expected)?;
        if leika.is_some_and(|l| l != claims.leika) {
            return Err(Refusal::OtherLeika);
        }
        let fresh = self
            .store
            .use_jti(&claims.jti, claims.exp, now)
            .await
            .map_err(|e| Refusal::Store(e.to_string()))?;
        if !fresh {
            return Err(TokenError::Replayed.into());
        }
        if self.config.inspection_credential.is_some() {
            self.memory
                .keep_for_inspection(&claims.vorgang, payload, now);
        }
        if claims.person.is_some() && !claims.einwilligung {
            tracing::warn!(vorgang = %claims.vorgang, "Portal sandte Personendaten ohne Einwilligung; sie werden nicht verwendet");
        }
        tracing::info!(vorgang = %claims.vorgang, leika = %claims.leika, einwilligung = claims.einwilligung, "Übergabe angenommen");
        Ok(Arc::new(claims))
    }

    /// Status "eingegangen", then the Eingangsbestätigung; stops at the first refusal.
    async fn report(
        &self,
        claims: &Claims,
        eingaben: &Eingaben,
        now: i64,
    ) -> Result<(), portal::PortalError> {
        self.portal
            .report_status(&claims.vorgang, portal::Status::Eingegangen)
            .await?;
        self.portal
            .send_message(&claims.vorgang, &receipt::message(claims, eingaben, now))
            .await
    }
}

pub fn router(service: Arc<Service>) -> Router {
    Router::new()
        .route("/", get(handlers::start))
        .route(
            "/antrag/{leika}",
            get(handlers::arrive)
                .post(handlers::arrive_with_token)
                .layer(DefaultBodyLimit::max(MAX_HANDOFF_BODY)),
        )
        .route("/antrag/{leika}/absenden", post(handlers::submit))
        .route(
            "/api/prefill",
            post(handlers::prefill).layer(DefaultBodyLimit::max(MAX_HANDOFF_BODY)),
        )
        .route("/api/uebergaben/{vorgang}", get(handlers::inspect))
        .route("/healthz", get(handlers::healthz))
        .route("/style.css", get(handlers::stylesheet))
        .fallback(handlers::not_found)
        .layer(axum::middleware::from_fn(security_headers))
        .layer(axum::middleware::from_fn(log_request))
        .with_state(service)
}

/// Pages carry personal data: no caching, and no referrer to wherever a link leads.
async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    response
}

/// One line per request; the path only, since the query may hold a cache id.
async fn log_request(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let started = Instant::now();
    let response = next.run(request).await;
    tracing::info!(
        %method,
        path,
        status = response.status().as_u16(),
        ms = started.elapsed().as_millis() as u64,
        "Anfrage"
    );
    response
}

/// Serves until `shutdown` completes, then finishes the requests in flight.
pub async fn serve(
    listener: tokio::net::TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), StartError> {
    let service = Arc::new(Service::open(config).await?);
    let served = axum::serve(listener, router(service.clone()))
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(StartError::Serve);
    service.close().await;
    served
}

/// Binds `config.bind` and serves until Ctrl-C or SIGTERM.
pub async fn run(config: Config) -> Result<(), StartError> {
    let listener = tokio::net::TcpListener::bind(config.bind)
        .await
        .map_err(|e| StartError::Bind(config.bind, e))?;
    tracing::info!(
        adresse = %config.bind,
        audience = %config.audience,
        jwks = %config.jwks_url,
        portal = %config.portal_api_url,
        daten = %config.data_dir.display(),
        einsicht = config.inspection_credential.is_some(),
        "Formulardienst gestartet"
    );
    serve(listener, config, shutdown_signal()).await?;
    tracing::info!("Formulardienst beendet");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}
