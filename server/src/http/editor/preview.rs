//! `/redaktion/vorschau/<path>`: the real citizen page with every draft of
//! this tenant applied, for editors only, marked as a preview, never cached.
//! The citizen routes render it from a tenant built with the drafts; links in
//! the page lead on through the preview.

use super::EditorCtx;
use crate::http::{AppError, AppState};
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderValue, Request};
use axum::response::Response;
use std::sync::Arc;
use tower::ServiceExt;

pub async fn home(
    state: State<AppState>,
    ctx: EditorCtx,
    query: RawQuery,
) -> Result<Response, AppError> {
    render(state, ctx, String::new(), query).await
}

pub async fn page(
    state: State<AppState>,
    ctx: EditorCtx,
    Path(path): Path<String>,
    query: RawQuery,
) -> Result<Response, AppError> {
    render(state, ctx, path, query).await
}

async fn render(
    State(state): State<AppState>,
    ctx: EditorCtx,
    path: String,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    if path.starts_with("redaktion") || path.contains("..") || path.len() > 500 {
        return Err(AppError::NotFound);
    }
    let preview = crate::editor::with_drafts(state.store(), &ctx.tenant).await?;
    let uri = match query {
        Some(q) => format!("/{path}?{q}"),
        None => format!("/{path}"),
    };
    let mut req = Request::get(&uri)
        .body(Body::empty())
        .map_err(|e| AppError::BadRequest(e.to_string()))?;
    req.extensions_mut().insert(Arc::new(preview));
    let res = crate::http::citizen_routes(&state)
        .with_state(state.clone())
        .oneshot(req)
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(rewrite(res).await)
}

/// Keeps the editor in the preview: internal links and forms lead to
/// `/redaktion/vorschau/…`; the answer is private and never stored.
async fn rewrite(res: Response) -> Response {
    let (mut parts, body) = res.into_parts();
    parts.headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    parts.headers.remove(header::CONTENT_LENGTH);
    let is_html = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if let Some(location) = parts
        .headers
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
    {
        if location.starts_with('/') && !location.starts_with("//") {
            if let Ok(v) = HeaderValue::from_str(&format!("/redaktion/vorschau{location}")) {
                parts.headers.insert(header::LOCATION, v);
            }
        }
    }
    if !is_html {
        return Response::from_parts(parts, body);
    }
    let Ok(bytes) = axum::body::to_bytes(body, 8 * 1024 * 1024).await else {
        return Response::from_parts(parts, Body::empty());
    };
    let html = String::from_utf8_lossy(&bytes);
    let mut out = String::with_capacity(html.len() + 1024);
    let mut rest: &str = &html;
    // One pass: every internal href/action but assets and the theme.
    while let Some(i) = find_link(rest) {
        let (before, after) = rest.split_at(i.0);
        out.push_str(before);
        out.push_str(i.1);
        let after = &after[i.1.len()..];
        if !(after.starts_with("assets/")
            || after.starts_with('/')
            || after.starts_with("redaktion"))
        {
            out.push_str("redaktion/vorschau/");
        }
        rest = after;
    }
    out.push_str(rest);
    Response::from_parts(parts, Body::from(out))
}

/// The next ` href="/` or ` action="/` (position, the matched text).
fn find_link(s: &str) -> Option<(usize, &'static str)> {
    [" href=\"/", " action=\"/"]
        .into_iter()
        .filter_map(|p| s.find(p).map(|i| (i, p)))
        .min_by_key(|(i, _)| *i)
}
