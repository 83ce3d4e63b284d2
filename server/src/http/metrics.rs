//! Prometheus metrics on a listener of their own (`METRICS_BIND`), never on a
//! tenant's host: requests by route, status and tenant class, latencies, the
//! page cache, search, the database pool, imports and link checks. Names follow
//! Prometheus conventions; the `metrics` crates keep the registry and the text.

use super::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

/// Installs the process-wide recorder; without it every `metrics` call is a no-op.
pub fn install() -> Result<PrometheusHandle, String> {
    PrometheusBuilder::new()
        .set_buckets(&BUCKETS)
        .map_err(|e| e.to_string())?
        .install_recorder()
        .map_err(|e| e.to_string())
}

/// Serves `/metrics` until the process ends; samples the pool every few seconds.
pub async fn serve(listener: tokio::net::TcpListener, handle: PrometheusHandle, state: AppState) {
    let upkeep = handle.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(5));
        loop {
            tick.tick().await;
            upkeep.run_upkeep();
            sample_pool(&state);
        }
    });
    let app = Router::new().route("/metrics", get(move || async move { handle.render() }));
    if let Err(e) = axum::serve(listener, app).await {
        tracing::error!("Metriken: {e}");
    }
}

pub async fn bind(addr: SocketAddr) -> Result<tokio::net::TcpListener, crate::StartError> {
    tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| crate::StartError::Serve(format!("METRICS_BIND {addr}: {e}")))
}

fn sample_pool(state: &AppState) {
    let pool = state.store().pool();
    let idle = pool.num_idle() as f64;
    metrics::gauge!("db_pool_connections", "state" => "idle").set(idle);
    metrics::gauge!("db_pool_connections", "state" => "busy").set(pool.size() as f64 - idle);
    let cache = state.cache();
    metrics::gauge!("page_cache_bytes").set(cache.total_bytes() as f64);
    if let Some(bytes) = resident_bytes() {
        metrics::gauge!("process_resident_memory_bytes").set(bytes as f64);
    }
}

/// The process's resident memory (Linux: `VmRSS` of `/proc/self/status`); None elsewhere.
pub fn resident_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    Some(kib * 1024)
}

/// Resident memory in MiB for the start-up log, 0 where it cannot be read.
pub fn resident_mib() -> u64 {
    resident_bytes().unwrap_or(0) >> 20
}

/// Middleware: counts every request by route, status and tenant class and
/// observes its latency. The route is the router's pattern, never the raw
/// path, so that junk URLs cannot blow up the number of series.
pub async fn record(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "(keine Route)".into());
    let class = tenant_class(&state, &req);
    let started = Instant::now();
    let res = next.run(req).await;
    let status = res.status().as_u16().to_string();
    metrics::counter!("http_requests_total", "route" => route.clone(), "status" => status, "tenant_class" => class).increment(1);
    metrics::histogram!("http_request_duration_seconds", "route" => route)
        .record(started.elapsed().as_secs_f64());
    res
}

/// The kind of the tenant a request is for (Gemeinde, Amt, Kreis …), or "unbekannt".
fn tenant_class(state: &AppState, req: &Request) -> &'static str {
    req.headers()
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| state.tenants().resolve(h))
        .map_or("unbekannt", |t| t.kind.as_str())
}

pub fn cache_lookup(hit: bool) {
    let outcome = if hit { "hit" } else { "miss" };
    metrics::counter!("page_cache_lookups_total", "outcome" => outcome).increment(1);
}

pub fn search_done(kind: &'static str, took: Duration) {
    metrics::histogram!("search_duration_seconds", "kind" => kind).record(took.as_secs_f64());
}
