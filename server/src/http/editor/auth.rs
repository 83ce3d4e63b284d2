//! Editor login at the operator's identity provider (its own client), logout
//! and invitations. The redirect URI is this host's `/redaktion/anmelden/callback`.

use super::{EditorCtx, EditorForm, EditorSignedIn, INVITATION, PENDING_LOGIN, SIGNED_IN};
use crate::auth::{safe_next, PendingLogin};
use crate::clock::now_unix;
use crate::http::account::{origin, verify_callback, CallbackQuery};
use crate::http::{AppError, AppState};
use axum::extract::{Extension, Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use std::sync::Arc;
use tower_sessions::Session;

#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
}

fn next_in_editor_area(next: Option<&str>) -> String {
    let next = safe_next(next, "/redaktion");
    if next == "/redaktion" || next.starts_with("/redaktion/") || next.starts_with("/redaktion?") {
        next
    } else {
        "/redaktion".into()
    }
}

pub async fn login(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Query(q): Query<LoginQuery>,
) -> Result<Response, AppError> {
    let oidc = state.editor_oidc().ok_or(AppError::NotFound)?;
    let next = next_in_editor_area(q.next.as_deref());
    let redirect = format!("{}/redaktion/anmelden/callback", origin(&state, &headers)?);
    let (url, pending) = oidc
        .begin(&redirect, next, None, now_unix())
        .await
        .map_err(|e| AppError::Unavailable(e.to_string()))?;
    session
        .insert(PENDING_LOGIN, pending)
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(Redirect::to(&url).into_response())
}

pub async fn callback(
    State(state): State<AppState>,
    session: Session,
    Extension(tenant): Extension<Arc<crate::tenancy::Tenant>>,
    headers: HeaderMap,
    Query(q): Query<CallbackQuery>,
) -> Result<Response, AppError> {
    let oidc = state.editor_oidc().ok_or(AppError::NotFound)?;
    let pending: Option<PendingLogin> = session.remove(PENDING_LOGIN).await.ok().flatten();
    let redirect = format!("{}/redaktion/anmelden/callback", origin(&state, &headers)?);
    let (verified, pending) = match verify_callback(oidc, pending, q, &redirect).await {
        Ok(v) => v,
        Err(e) => {
            let _ = session.flush().await;
            tracing::warn!(target: "auth", reason = ?e.to_string(), "Anmeldung der Redaktion abgelehnt");
            return Err(e);
        }
    };
    let now = now_unix();
    let editor_id = crate::editor::upsert_editor(
        state.store(),
        &verified.issuer,
        &verified.subject,
        &verified.person.name,
        &verified.person.email,
        now,
    )
    .await?;
    let invitation: Option<String> = session.remove(INVITATION).await.ok().flatten();
    session
        .cycle_id()
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    session
        .insert(
            SIGNED_IN,
            EditorSignedIn {
                editor_id: editor_id.clone(),
                name: verified.person.name,
                csrf: crate::auth::random_token(),
                id_token: verified.id_token,
                login_at: now,
            },
        )
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    if let Some(token) = invitation {
        crate::editor::accept_invitation(state.store(), tenant.scope(), &token, &editor_id, now)
            .await
            .map_err(|e| AppError::Forbidden(e.to_string()))?;
    }
    tracing::info!(target: "auth", tenant = tenant.slug.as_str(), "Anmeldung der Redaktion");
    Ok(Redirect::to(&pending.next).into_response())
}

/// `/redaktion/einladung/<token>`: remembered in the editor session; used at
/// the login that follows (or at once, for an editor already signed in).
pub async fn invitation(
    State(state): State<AppState>,
    session: Session,
    Extension(tenant): Extension<Arc<crate::tenancy::Tenant>>,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    if token.len() > 100
        || !token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(AppError::NotFound);
    }
    let signed: Option<EditorSignedIn> = session.get(SIGNED_IN).await.ok().flatten();
    if let Some(me) = signed {
        crate::editor::accept_invitation(
            state.store(),
            tenant.scope(),
            &token,
            &me.editor_id,
            now_unix(),
        )
        .await
        .map_err(|e| AppError::Forbidden(e.to_string()))?;
        return Ok(Redirect::to("/redaktion").into_response());
    }
    session
        .insert(INVITATION, token)
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(Redirect::to("/redaktion/anmelden").into_response())
}

pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: EditorForm,
) -> Result<Response, AppError> {
    let EditorCtx { session, me, .. } = form.ctx;
    session
        .flush()
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let back = format!("{}/", origin(&state, &headers)?);
    let target = match state.editor_oidc() {
        Some(oidc) => oidc.logout_url(&me.id_token, &back, None).await,
        None => None,
    };
    Ok(Redirect::to(target.as_deref().unwrap_or("/")).into_response())
}
