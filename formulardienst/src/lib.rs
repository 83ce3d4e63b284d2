//! The reference form provider of the Bürgerportal: it receives the portal's
//! signed hand-off (in the URL or through the Zwischenspeicher), shows an
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
pub mod token;

use axum::extract::Request;
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
}

pub struct Service {
    config: Config,
    keys: jwks::KeySet,
    memory: memory::Memory,
    portal: portal::Portal,
}

impl Service {
    pub fn new(config: Config) -> Result<Service, StartError> {
        let client = reqwest::Client::builder().timeout(HTTP_TIMEOUT).build()?;
        Ok(Service {
            keys: jwks::KeySet::new(
                config.jwks_url.to_string(),
                client.clone(),
                config.jwks_refetch_interval,
            ),
            memory: memory::Memory::default(),
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

    /// Verifies a token completely and consumes its `jti`. With `leika`, the
    /// token must be for that service; a mismatch does not consume it.
    async fn verify(
        &self,
        token: &str,
        leika: Option<&str>,
        now: i64,
    ) -> Result<Arc<Claims>, Refusal> {
        let unverified = token::parse(token)?;
        let key = self.keys.key(unverified.kid()).await?;
        let payload = unverified.verify(&key)?;
        let expected = Expected {
            issuer: &self.config.issuer,
            audience: &self.config.audience,
            now,
        };
        let claims = token::check_claims(&payload, &expected)?;
        if leika.is_some_and(|l| l != claims.leika) {
            return Err(Refusal::OtherLeika);
        }
        if !self.memory.accept(&claims, &payload, now) {
            return Err(TokenError::Replayed.into());
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
        .route("/antrag/{leika}", get(handlers::arrive))
        .route("/antrag/{leika}/absenden", post(handlers::submit))
        .route("/api/prefill", post(handlers::prefill))
        .route("/api/uebergaben/letzte", get(handlers::last_handoff))
        .route("/healthz", get(handlers::healthz))
        .route("/style.css", get(handlers::stylesheet))
        .fallback(handlers::not_found)
        .layer(axum::middleware::from_fn(security_headers))
        .layer(axum::middleware::from_fn(log_request))
        .with_state(service)
}

/// Pages carry personal data and arrive via URLs with tokens: no caching, no referrer.
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

/// One line per request; the path only, since the query may hold a token.
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
    let app = router(Arc::new(Service::new(config)?));
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(StartError::Serve)
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
