use super::error::{plain_not_found, ErrorInfo};
use super::AppState;
use crate::tenancy::Tenant;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use tower_http::request_id::RequestId;

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
    if state.public_https() {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=63072000; includeSubDomains"),
        );
    }
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

/// A request id of 16 hex digits, random per process and counted up: unique
/// enough to find a request's log lines, and not guessable.
#[derive(Clone, Copy)]
pub struct NewRequestId;

impl tower_http::request_id::MakeRequestId for NewRequestId {
    fn make_request_id<B>(&mut self, _: &axum::http::Request<B>) -> Option<RequestId> {
        static NEXT: std::sync::OnceLock<std::sync::atomic::AtomicU64> = std::sync::OnceLock::new();
        let next = NEXT.get_or_init(|| {
            let mut seed = [0u8; 8];
            let _ = ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut seed);
            std::sync::atomic::AtomicU64::new(u64::from_le_bytes(seed))
        });
        let id = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        HeaderValue::from_str(&format!("{id:016x}"))
            .ok()
            .map(RequestId::new)
    }
}

/// A client's own `X-Request-Id` is kept only behind a trusted proxy.
pub async fn untrusted_request_id(State(state): State<AppState>, mut req: Request) -> Request {
    if !state.trust_forwarded_host() {
        req.headers_mut().remove("x-request-id");
    }
    req
}

/// The span every log line of a request carries: request id, method, path
/// (escaped: it is the client's text) and, once known, the tenant.
pub fn request_span(req: &axum::http::Request<Body>) -> tracing::Span {
    let id = req
        .extensions()
        .get::<RequestId>()
        .and_then(|id| id.header_value().to_str().ok())
        .unwrap_or("-");
    tracing::info_span!(
        "request",
        id,
        tenant = tracing::field::Empty,
        method = %req.method(),
        path = ?req.uri().path(),
    )
}

/// One `request` line per request, in the request's span.
pub fn log_response(res: &Response, latency: std::time::Duration, _: &tracing::Span) {
    tracing::info!(
        target: "request",
        status = res.status().as_u16(),
        latency_us = latency.as_micros() as u64,
    );
}

/// Chooses the tenant by host. Unknown hosts get a 404 that names no tenant.
pub async fn resolve_tenant(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let host = request_host(&req, state.trust_forwarded_host());
    let tenants = state.tenants();
    let Some(tenant) = host.as_deref().and_then(|h| tenants.resolve(h)) else {
        // A former host of a tenant: permanently to its current one.
        if let Some(moved) = host.as_deref().and_then(|h| tenants.moved(h)) {
            return moved_permanently(&state, &moved, &req);
        }
        return plain_not_found();
    };
    tracing::Span::current().record("tenant", tenant.slug.as_str());
    req.extensions_mut().insert(tenant);
    next.run(req).await
}

fn moved_permanently(state: &AppState, tenant: &Tenant, req: &Request) -> Response {
    let Some(host) = tenant.hosts.first() else {
        return plain_not_found();
    };
    let scheme = state.scheme();
    let port = req
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .and_then(|h| h.rsplit_once(':'))
        .map(|(_, p)| p)
        .filter(|p| p.bytes().all(|b| b.is_ascii_digit()))
        .map(|p| format!(":{p}"))
        .unwrap_or_default();
    let path = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    axum::response::Redirect::permanent(&format!("{scheme}://{host}{port}{path}")).into_response()
}

/// Citizens see only live portals: a draft shows a neutral "not yet open"
/// page (and asks search engines not to index it), a suspended one a
/// maintenance page with the municipality's contact. Editors are unaffected
/// (their area has its own router), and so is the preview.
pub async fn tenant_status(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let Some(tenant) = req.extensions().get::<Arc<Tenant>>().cloned() else {
        return next.run(req).await;
    };
    let path = req.uri().path();
    let status = tenant.status;
    if status == crate::tenancy::TenantStatus::Live
        || tenant.preview
        || path == "/theme.css"
        || path.starts_with("/medien/")
    {
        return next.run(req).await;
    }
    let mut res = super::pages::closed_page(&state, &tenant, status);
    res.headers_mut().insert(
        HeaderName::from_static("x-robots-tag"),
        HeaderValue::from_static("noindex, nofollow"),
    );
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
    let retry_after = res.headers().get(header::RETRY_AFTER).cloned();
    let mut page = match tenant {
        Some(t) => super::pages::error_page(&state, &t, &info),
        None => plain_not_found(),
    };
    if let Some(v) = retry_after {
        page.headers_mut().insert(header::RETRY_AFTER, v);
    }
    page
}

/// Marks a response as the same for every anonymous visitor of a tenant.
#[derive(Clone, Copy)]
pub struct Cacheable;

/// Serves anonymous GET pages from memory; renders each once per tenant and content version.
/// A logged-in citizen's GET gets the cached anonymous page with the personal
/// parts put in (see `personal::page`); personal pages never enter the cache.
pub async fn page_cache(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if req.method() == Method::GET {
        if let Some(citizen) = req.extensions().get::<super::account::Citizen>().cloned() {
            return super::personal::page(&state, &citizen.0, req, next).await;
        }
    }
    if req.method() != Method::GET || !is_anonymous(&req) {
        return next.run(req).await;
    }
    let Some(tenant) = req.extensions().get::<Arc<Tenant>>().cloned() else {
        return next.run(req).await;
    };
    let catalogue = state.catalogue();
    let versions = cache_versions(&tenant, &catalogue);
    let canonical = is_canonical(&tenant, &catalogue, req.uri().query());
    let uri = path_and_query(&req);
    let viewed = viewed_service(req.uri().path());
    let gap = viewed
        .as_deref()
        .filter(|k| !k.starts_with("lokal:"))
        .is_some_and(|k| shows_no_office(&tenant, &catalogue, k, req.uri().query()));
    let count = |state: &AppState, leika: &str| {
        state.count_view(tenant.id, leika);
        if gap {
            state.count_gap(tenant.id, leika);
        }
    };
    if canonical {
        let cached = state.cache().get(tenant.id, versions, &uri);
        super::metrics::cache_lookup(cached.is_some());
        if let Some(hit) = cached {
            if let Some(leika) = &viewed {
                count(&state, leika);
            }
            return hit.response();
        }
    }
    let res = next.run(req).await;
    if let (Some(leika), StatusCode::OK) = (&viewed, res.status()) {
        count(&state, leika);
    }
    if !canonical || res.status() != StatusCode::OK || res.extensions().get::<Cacheable>().is_none()
    {
        return res;
    }
    let (parts, body) = res.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 4 * 1024 * 1024).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let content_type = parts.headers.get(header::CONTENT_TYPE).cloned();
    let favourite = parts
        .extensions
        .get::<super::cache::FavouriteSlot>()
        .cloned();
    let entry = super::cache::Entry::new(bytes.clone(), content_type, favourite);
    state.cache().put(tenant.id, versions, uri, entry);
    Response::from_parts(parts, Body::from(bytes))
}

pub(super) fn cache_versions(
    tenant: &Tenant,
    catalogue: &crate::catalogue::Catalogue,
) -> super::cache::Versions {
    super::cache::Versions {
        tenant: tenant.content_version(),
        catalogue: catalogue.version,
        day: crate::clock::german_local_day(),
    }
}

pub(super) fn path_and_query(req: &Request) -> String {
    req.uri()
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default()
}

/// Pages read at most one parameter, the chosen Gemeinde. A URL is canonical
/// (and may be cached) without a query, or with exactly `gemeinde=` naming one
/// of the tenant's Gemeinden: unknown, repeated or invalid parameters would
/// otherwise make every junk URL a cache entry of its own.
pub(super) fn is_canonical(
    tenant: &Tenant,
    catalogue: &crate::catalogue::Catalogue,
    query: Option<&str>,
) -> bool {
    let Some(query) = query else { return true };
    let Some(value) = query.strip_prefix("gemeinde=") else {
        return false;
    };
    value.len() == 12
        && value.starts_with(tenant.ars.as_str())
        && crate::keys::Ars::parse(value)
            .ok()
            .and_then(|ars| catalogue.region(&ars))
            .is_some()
}

/// Whether a service page shows "not recorded yet" instead of an office: the
/// citizen's place is known and no responsibility covers it.
fn shows_no_office(
    tenant: &Tenant,
    catalogue: &crate::catalogue::Catalogue,
    leika: &str,
    query: Option<&str>,
) -> bool {
    use super::place::{Place, PlaceQuery};
    let Ok(key) = crate::keys::LeikaKey::parse(leika) else {
        return false;
    };
    if catalogue.leistung(&key).is_none() {
        return false;
    }
    let gemeinde = form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .find(|(k, _)| k == "gemeinde")
        .map(|(_, v)| v.into_owned());
    let q = PlaceQuery {
        gemeinde,
        ..Default::default()
    };
    match Place::resolve(tenant, catalogue, &q) {
        Place::Known { gemeinde, .. } => catalogue.responsible(&key, &gemeinde.ars).is_none(),
        Place::Unknown { .. } => false,
    }
}

/// The LeiKa key of a service page path, for the aggregate view counts.
/// The service a page shows: its LeiKa key, or `lokal:<key>` for a local service.
fn viewed_service(path: &str) -> Option<String> {
    if let Some(local) = path.strip_prefix("/leistungen/lokal/") {
        return (!local.is_empty() && !local.contains('/')).then(|| format!("lokal:{local}"));
    }
    let key = path.strip_prefix("/leistungen/")?.get(..14)?;
    let rest = &path["/leistungen/".len() + 14..];
    (key.bytes().all(|b| b.is_ascii_digit()) && rest.starts_with('-') && !rest.contains('/'))
        .then(|| key.to_string())
}

/// Anonymous until the citizen logs in: no session cookie.
pub(super) fn is_anonymous(req: &Request) -> bool {
    !req.headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains(super::cache::SESSION_COOKIE))
}
