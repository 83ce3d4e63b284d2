//! The edge: what bounds a client before any handler runs. Connections are
//! served by hyper directly (axum's `serve` has no header timeout), with a
//! header read timeout that also ends idle keep-alive connections, a cap on
//! open connections, and the peer address for the rate limits.

use crate::config::Limits;
use axum::extract::ConnectInfo;
use axum::http::{HeaderValue, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tower::ServiceExt;
use tower_governor::governor::{GovernorConfig, GovernorConfigBuilder};
use tower_governor::key_extractor::KeyExtractor;
use tower_governor::{GovernorError, GovernorLayer};

/// Open connections at most; more are closed at once. Idle ones end after the header timeout.
const MAX_CONNECTIONS: usize = 4096;
/// Request headers larger than this are refused by hyper.
const MAX_HEADER_BYTES: usize = 64 * 1024;

/// Serves `router` on `listener` until `shutdown` completes, then lets
/// requests in flight finish.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: &Limits,
    shutdown: impl std::future::Future<Output = ()>,
) {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(Duration::from_secs(limits.header_timeout_secs.max(1)))
        .max_buf_size(MAX_HEADER_BYTES);
    let http = Arc::new(http);
    let slots = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: wait instead of spinning.
                    tracing::warn!("Verbindung nicht angenommen: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        let service = router.clone().map_request(move |mut req: Request<_>| {
            req.extensions_mut().insert(ConnectInfo(peer));
            req
        });
        let conn = http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            let _ = conn.await;
            drop(slot);
        });
    }
    drop(listener);
    tokio::select! {
        _ = graceful.shutdown() => {},
        _ = tokio::time::sleep(Duration::from_secs(limits.request_timeout_secs.max(1))) => {},
    }
}

/// The client a rate limit counts: the peer address, or behind a trusted
/// proxy the address it appended last to `X-Forwarded-For`.
#[derive(Clone, Copy)]
pub struct ClientIp {
    pub behind_proxy: bool,
}

impl KeyExtractor for ClientIp {
    type Key = IpAddr;

    fn extract<T>(&self, req: &Request<T>) -> Result<IpAddr, GovernorError> {
        let forwarded = self
            .behind_proxy
            .then(|| req.headers().get("x-forwarded-for"))
            .flatten()
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .and_then(|v| v.trim().parse().ok());
        let peer = req
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        // Without a peer address (a test calling the router directly) all share one bucket.
        Ok(forwarded
            .or(peer)
            .unwrap_or(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED)))
    }
}

pub type RateLimit =
    GovernorLayer<ClientIp, governor::middleware::NoOpMiddleware, axum::body::Body>;

pub type RateConfig = Arc<GovernorConfig<ClientIp, governor::middleware::NoOpMiddleware>>;

/// A rate limit of `per_period` requests per client, refilled evenly over
/// `period`, with bursts of `burst`; a page (`page`) gets the branded error
/// page, an API a problem document. `None` when switched off (0).
pub fn rate_limit(
    per_period: u32,
    period: Duration,
    burst: u32,
    behind_proxy: bool,
    page: bool,
) -> Option<(RateLimit, RateConfig)> {
    if per_period == 0 {
        return None;
    }
    let config = Arc::new(
        GovernorConfigBuilder::default()
            .period(period / per_period)
            .burst_size(burst.max(1))
            .key_extractor(ClientIp { behind_proxy })
            .finish()?,
    );
    let layer =
        GovernorLayer::new(config.clone()).error_handler(move |e| too_many_requests(e, page));
    Some((layer, config))
}

/// 429 with `Retry-After`: for an API a problem document; for a page the
/// status only, which `render_errors` turns into the branded page (keeping the header).
fn too_many_requests(error: GovernorError, page: bool) -> Response {
    let wait = match error {
        GovernorError::TooManyRequests { wait_time, .. } => wait_time.max(1),
        _ => 1,
    };
    let mut res = if page {
        StatusCode::TOO_MANY_REQUESTS.into_response()
    } else {
        (
            StatusCode::TOO_MANY_REQUESTS,
            [(axum::http::header::CONTENT_TYPE, "application/problem+json")],
            serde_json::json!({
                "type": "about:blank",
                "title": "Zu viele Anfragen",
                "status": 429,
                "detail": format!("Bitte warten Sie {wait} Sekunden und versuchen Sie es dann erneut."),
            })
            .to_string(),
        )
            .into_response()
    };
    if let Ok(v) = HeaderValue::from_str(&wait.to_string()) {
        res.headers_mut().insert(axum::http::header::RETRY_AFTER, v);
    }
    res
}

/// The answer when the server is at its concurrency limit.
pub fn overloaded() -> Response {
    let mut res = (
        StatusCode::SERVICE_UNAVAILABLE,
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; charset=utf-8",
        )],
        "Der Server ist gerade ausgelastet. Bitte versuchen Sie es gleich noch einmal.",
    )
        .into_response();
    res.headers_mut().insert(
        axum::http::header::RETRY_AFTER,
        HeaderValue::from_static("1"),
    );
    res
}
