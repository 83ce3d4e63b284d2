use super::error::{plain_not_found, ErrorInfo};
use super::AppState;
use crate::tenancy::Tenant;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use std::time::Instant;

/// The Content-Security-Policy; forms may also go to the given origins (the
/// Servicekonto's logout, form providers), because form-action covers redirects.
pub fn content_security_policy(form_origins: &[String]) -> HeaderValue {
    let extra: String = form_origins.iter().map(|o| format!(" {o}")).collect();
    HeaderValue::from_str(&format!(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; \
         form-action 'self'{extra}; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("default-src 'self'"))
}

const SECURITY_HEADERS: [(&str, &str); 5] = [
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "strict-origin-when-cross-origin"),
    ("x-frame-options", "DENY"),
    (
        "permissions-policy",
        "camera=(), microphone=(), geolocation=(), payment=()",
    ),
    ("cross-origin-opener-policy", "same-origin"),
];

pub async fn security_headers(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let headers = res.headers_mut();
    // A response with its own, stricter policy (an attachment download) keeps it.
    headers
        .entry(header::CONTENT_SECURITY_POLICY)
        .or_insert_with(|| state.0.csp.clone());
    for (name, value) in SECURITY_HEADERS {
        headers.insert(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        );
    }
    res
}

/// Which tenant served a response, for the request log.
#[derive(Clone)]
pub struct TenantTag(pub String);

pub async fn log_request(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let res = next.run(req).await;
    let tenant = res
        .extensions()
        .get::<TenantTag>()
        .map(|t| t.0.as_str())
        .unwrap_or("-");
    tracing::info!(
        target: "request",
        tenant,
        method = %method,
        path,
        status = res.status().as_u16(),
        latency_us = start.elapsed().as_micros() as u64,
    );
    res
}

/// Chooses the tenant by host. Unknown hosts get a 404 that names no tenant.
pub async fn resolve_tenant(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let host = request_host(&req, state.0.trust_forwarded_host);
    let Some(tenant) = host.and_then(|h| state.tenants().resolve(&h)) else {
        return plain_not_found();
    };
    let tag = TenantTag(tenant.slug.as_str().to_string());
    req.extensions_mut().insert(tenant);
    let mut res = next.run(req).await;
    res.extensions_mut().insert(tag);
    res
}

pub(super) fn request_host(req: &Request, trust_forwarded: bool) -> Option<String> {
    request_host_of(req.headers(), trust_forwarded)
        .or_else(|| req.uri().authority().map(|a| a.as_str().to_string()))
}

pub(super) fn request_host_of(
    headers: &axum::http::HeaderMap,
    trust_forwarded: bool,
) -> Option<String> {
    let forwarded = trust_forwarded
        .then(|| headers.get("x-forwarded-host"))
        .flatten()
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next());
    let host = forwarded.or_else(|| headers.get(header::HOST).and_then(|v| v.to_str().ok()))?;
    Some(host.trim().to_string())
}

/// Turns error responses into pages in the tenant's branding.
pub async fn render_errors(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let tenant = req.extensions().get::<Arc<Tenant>>().cloned();
    let res = next.run(req).await;
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    let info = res.extensions().get::<ErrorInfo>().cloned();
    // HTML pages and JSON problems already speak for themselves.
    let speaks = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html") || v.contains("json"));
    if info.is_none() && speaks {
        return res;
    }
    let info = info.unwrap_or_else(|| ErrorInfo::for_status(status));
    match tenant {
        Some(t) => super::pages::error_page(&state, &t, &info),
        None => plain_not_found(),
    }
}

/// Marks a response as the same for every anonymous visitor of a tenant.
#[derive(Clone, Copy)]
pub struct Cacheable;

/// Serves anonymous GET pages from memory; renders each once per tenant and content version.
pub async fn page_cache(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if req.method() != Method::GET || !is_anonymous(&req) {
        return next.run(req).await;
    }
    let Some(tenant) = req.extensions().get::<Arc<Tenant>>().cloned() else {
        return next.run(req).await;
    };
    let catalogue_version = state.catalogue().version;
    let key = super::cache::Key {
        tenant: tenant.id,
        tenant_version: tenant.version,
        catalogue_version,
        uri: req
            .uri()
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_default(),
    };
    let viewed = viewed_service(req.uri().path()).map(String::from);
    if let Some(hit) = state.cache().get(&key) {
        if let Some(leika) = &viewed {
            state.count_view(leika);
        }
        return hit.response();
    }
    let res = next.run(req).await;
    if let (Some(leika), StatusCode::OK) = (&viewed, res.status()) {
        state.count_view(leika);
    }
    if res.status() != StatusCode::OK || res.extensions().get::<Cacheable>().is_none() {
        return res;
    }
    let (parts, body) = res.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 4 * 1024 * 1024).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let content_type = parts.headers.get(header::CONTENT_TYPE).cloned();
    state.cache().put(key, bytes.clone(), content_type);
    Response::from_parts(parts, Body::from(bytes))
}

/// The LeiKa key of a service page path, for the aggregate view counts.
fn viewed_service(path: &str) -> Option<&str> {
    let key = path.strip_prefix("/leistungen/")?.get(..14)?;
    let rest = &path["/leistungen/".len() + 14..];
    (key.bytes().all(|b| b.is_ascii_digit()) && rest.starts_with('-') && !rest.contains('/'))
        .then_some(key)
}

/// Anonymous until the citizen logs in: no session cookie.
pub(super) fn is_anonymous(req: &Request) -> bool {
    !req.headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains(super::cache::SESSION_COOKIE))
}
