//! `/redaktion` on every tenant's host: the editors' area. A session of its
//! own (cookie `bp_redaktion`, path `/redaktion`, 30 minutes idle), separate
//! from the citizens' session; every page needs an editor with a role in
//! *this* tenant; every form is checked by one extractor (`EditorForm`) for
//! the session's CSRF token. Pages are `private, no-store`.

mod auth;
mod forms;
mod pages;
mod preview;

use super::{AppError, AppState};
use crate::auth::random_token;
use crate::editor::content::Who;
use crate::editor::Role;
use crate::tenancy::Tenant;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post, MethodRouter};
use axum::Router;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;
use tower_sessions::Session;

pub const SESSION_COOKIE: &str = "bp_redaktion";
const SIGNED_IN: &str = "editor";
const PENDING_LOGIN: &str = "login";
const INVITATION: &str = "einladung";
const IDLE_MINUTES: i64 = 30;
/// An editor session ends this long after login, active or not.
const MAX_SESSION_SECS: i64 = 10 * 3600;
/// Logo uploads are the largest editor request.
const BODY_LIMIT: usize = 1024 * 1024;

/// An editor as kept in the editor session.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EditorSignedIn {
    pub editor_id: String,
    pub name: String,
    pub csrf: String,
    pub id_token: String,
    pub login_at: i64,
}

/// One route of the editors' area; `login` says whether it needs a signed-in
/// editor (the isolation tests call every such route).
#[derive(Debug, Clone)]
pub struct EditorRoute {
    pub method: Method,
    pub path: &'static str,
    pub login: bool,
}

fn routes() -> Vec<(EditorRoute, MethodRouter<AppState>)> {
    let r = |method: Method, path, login, handler| {
        (
            EditorRoute {
                method,
                path,
                login,
            },
            handler,
        )
    };
    vec![
        r(Method::GET, "/redaktion/anmelden", false, get(auth::login)),
        r(
            Method::GET,
            "/redaktion/anmelden/callback",
            false,
            get(auth::callback),
        ),
        r(
            Method::GET,
            "/redaktion/einladung/{token}",
            false,
            get(auth::invitation),
        ),
        r(
            Method::POST,
            "/redaktion/abmelden",
            true,
            post(auth::logout),
        ),
        r(Method::GET, "/redaktion", true, get(pages::dashboard)),
        r(
            Method::GET,
            "/redaktion/entwuerfe",
            true,
            get(pages::drafts),
        ),
        r(
            Method::GET,
            "/redaktion/darstellung",
            true,
            get(forms::settings_form),
        ),
        r(
            Method::POST,
            "/redaktion/darstellung",
            true,
            post(forms::settings_save),
        ),
        r(
            Method::POST,
            "/redaktion/darstellung/logo",
            true,
            post(forms::logo_upload),
        ),
        r(
            Method::GET,
            "/redaktion/startseite",
            true,
            get(forms::start_form),
        ),
        r(
            Method::POST,
            "/redaktion/startseite",
            true,
            post(forms::start_save),
        ),
        r(
            Method::GET,
            "/redaktion/rechtliches/{key}",
            true,
            get(forms::legal_form),
        ),
        r(
            Method::POST,
            "/redaktion/rechtliches/{key}",
            true,
            post(forms::legal_save),
        ),
        r(
            Method::GET,
            "/redaktion/meldungen",
            true,
            get(pages::news_list),
        ),
        r(
            Method::GET,
            "/redaktion/meldungen/{key}",
            true,
            get(forms::news_form),
        ),
        r(
            Method::POST,
            "/redaktion/meldungen/{key}",
            true,
            post(forms::news_save),
        ),
        r(
            Method::GET,
            "/redaktion/leistungen",
            true,
            get(pages::services_list),
        ),
        r(
            Method::POST,
            "/redaktion/leistungen",
            true,
            post(pages::addition_start),
        ),
        r(
            Method::GET,
            "/redaktion/leistungen/{key}",
            true,
            get(forms::addition_form),
        ),
        r(
            Method::POST,
            "/redaktion/leistungen/{key}",
            true,
            post(forms::addition_save),
        ),
        r(
            Method::GET,
            "/redaktion/eigene-leistungen/{key}",
            true,
            get(forms::service_form),
        ),
        r(
            Method::POST,
            "/redaktion/eigene-leistungen/{key}",
            true,
            post(forms::service_save),
        ),
        r(
            Method::POST,
            "/redaktion/nachnutzung",
            true,
            post(pages::adopt),
        ),
        r(
            Method::GET,
            "/redaktion/stellen",
            true,
            get(pages::offices_list),
        ),
        r(
            Method::GET,
            "/redaktion/stellen/{key}",
            true,
            get(forms::office_form),
        ),
        r(
            Method::POST,
            "/redaktion/stellen/{key}",
            true,
            post(forms::office_save),
        ),
        r(
            Method::POST,
            "/redaktion/inhalt/{kind}/{key}/veroeffentlichen",
            true,
            post(pages::publish),
        ),
        r(
            Method::POST,
            "/redaktion/inhalt/{kind}/{key}/verwerfen",
            true,
            post(pages::discard),
        ),
        r(
            Method::POST,
            "/redaktion/inhalt/{kind}/{key}/geprueft",
            true,
            post(pages::reviewed),
        ),
        r(
            Method::GET,
            "/redaktion/inhalt/{kind}/{key}/verlauf",
            true,
            get(pages::history),
        ),
        r(
            Method::POST,
            "/redaktion/inhalt/{kind}/{key}/wiederherstellen",
            true,
            post(pages::restore),
        ),
        r(Method::GET, "/redaktion/vorschau", true, get(preview::home)),
        r(
            Method::GET,
            "/redaktion/vorschau/{*path}",
            true,
            get(preview::page),
        ),
        r(Method::GET, "/redaktion/protokoll", true, get(pages::audit)),
        r(Method::GET, "/redaktion/team", true, get(pages::team)),
        r(
            Method::POST,
            "/redaktion/team/einladen",
            true,
            post(pages::invite),
        ),
        r(
            Method::POST,
            "/redaktion/team/{editor}/entziehen",
            true,
            post(pages::revoke),
        ),
        r(
            Method::POST,
            "/redaktion/einstellungen",
            true,
            post(pages::settings),
        ),
    ]
}

/// Every route of the editors' area (for the isolation tests: generated from
/// the same list the router is built from, so a new route cannot be forgotten).
pub fn route_list() -> Vec<EditorRoute> {
    routes().into_iter().map(|(r, _)| r).collect()
}

/// The editors' area with its own session layer; tenant resolution and the
/// error pages come from the caller's layers.
pub fn router(state: &AppState) -> Router<AppState> {
    let mut router = Router::new();
    for (route, handler) in routes() {
        router = router.route(route.path, handler);
    }
    router
        .layer(tower_http::limit::RequestBodyLimitLayer::new(BODY_LIMIT))
        .layer(session_layer(state))
}

fn session_layer(
    state: &AppState,
) -> tower_sessions::SessionManagerLayer<crate::auth::DbSessionStore> {
    // Over HTTPS `__Secure-` (a `__Host-` cookie must have path `/`): the
    // browser then sends it only over TLS and no http page can set it.
    let name = if state.public_https() {
        "__Secure-bp_redaktion"
    } else {
        SESSION_COOKIE
    };
    tower_sessions::SessionManagerLayer::new(crate::auth::DbSessionStore(state.store().clone()))
        .with_name(name)
        .with_http_only(true)
        .with_same_site(tower_sessions::cookie::SameSite::Lax)
        .with_secure(state.public_https())
        .with_path("/redaktion")
        .with_expiry(tower_sessions::Expiry::OnInactivity(
            time::Duration::minutes(IDLE_MINUTES),
        ))
        .with_always_save(true)
}

/// A signed-in editor with a role in the tenant of this host.
pub struct EditorCtx {
    pub tenant: Arc<Tenant>,
    pub me: EditorSignedIn,
    pub role: Role,
    pub session: Session,
}

impl EditorCtx {
    pub fn who(&self) -> Who<'_> {
        Who {
            actor: &self.me.editor_id,
            now: crate::clock::now_unix(),
        }
    }

    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// Only admins publish, manage editors and change settings.
    pub fn require_admin(&self) -> Result<(), AppError> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(AppError::Forbidden(
                "Das dürfen nur Personen mit der Rolle Verwaltung in diesem Portal.".into(),
            ))
        }
    }

    pub fn nav(&self, current: &str) -> app::EditorNav {
        let mut items = vec![
            ("/redaktion", "Übersicht"),
            ("/redaktion/entwuerfe", "Entwürfe"),
            ("/redaktion/darstellung", "Darstellung"),
            ("/redaktion/startseite", "Startseite"),
            ("/redaktion/meldungen", "Meldungen"),
            ("/redaktion/leistungen", "Leistungen"),
            ("/redaktion/stellen", "Stellen"),
            ("/redaktion/rechtliches/impressum", "Rechtliches"),
            ("/redaktion/protokoll", "Protokoll"),
        ];
        if self.is_admin() {
            items.push(("/redaktion/team", "Team"));
        }
        app::EditorNav {
            label: "Redaktion".into(),
            items: items
                .into_iter()
                .map(|(h, l)| (h.to_string(), l.to_string()))
                .collect(),
            current: current.into(),
            editor_name: self.me.name.clone(),
            csrf: self.me.csrf.clone(),
            logout: "/redaktion/abmelden".into(),
        }
    }
}

fn no_access() -> Response {
    AppError::Forbidden(
        "Sie sind angemeldet, haben in diesem Portal aber keine Rolle. Bitten Sie die Verwaltung des Portals um eine Einladung.".into(),
    )
    .into_response()
}

impl FromRequestParts<AppState> for EditorCtx {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let tenant = parts
            .extensions
            .get::<Arc<Tenant>>()
            .cloned()
            .ok_or_else(|| AppError::NotFound.into_response())?;
        let session = Session::from_request_parts(parts, state)
            .await
            .map_err(|(status, msg)| (status, msg).into_response())?;
        let signed: Option<EditorSignedIn> = session.get(SIGNED_IN).await.ok().flatten();
        let Some(me) = signed.filter(|s| crate::clock::now_unix() - s.login_at <= MAX_SESSION_SECS)
        else {
            let here = parts
                .uri
                .path_and_query()
                .map(|p| p.as_str())
                .unwrap_or("/redaktion");
            let next = if parts.method == Method::GET {
                here
            } else {
                "/redaktion"
            };
            let next: String = form_urlencoded::byte_serialize(next.as_bytes()).collect();
            return Err(Redirect::to(&format!("/redaktion/anmelden?next={next}")).into_response());
        };
        let role = crate::editor::role_of(state.store(), tenant.scope(), &me.editor_id)
            .await
            .map_err(|e| AppError::from(e).into_response())?
            .ok_or_else(no_access)?;
        Ok(EditorCtx {
            tenant,
            me,
            role,
            session,
        })
    }
}

/// A submitted editor form: the editor, and the fields, after the session's
/// CSRF token was checked. Every state-changing editor route takes this.
pub struct EditorForm {
    pub ctx: EditorCtx,
    pub fields: HashMap<String, String>,
}

impl EditorForm {
    pub fn get(&self, name: &str) -> &str {
        self.fields.get(name).map(String::as_str).unwrap_or("")
    }
}

impl FromRequest<AppState> for EditorForm {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = req.into_parts();
        let ctx = EditorCtx::from_request_parts(&mut parts, state).await?;
        let req = Request::from_parts(parts, body);
        let axum::Form(pairs) = axum::Form::<Vec<(String, String)>>::from_request(req, state)
            .await
            .map_err(|e| AppError::BadRequest(e.body_text()).into_response())?;
        let mut fields = HashMap::new();
        for (k, v) in pairs {
            fields.entry(k).or_insert(v);
        }
        check_csrf(&ctx, fields.get("csrf").map(String::as_str).unwrap_or(""))
            .map_err(IntoResponse::into_response)?;
        Ok(EditorForm { ctx, fields })
    }
}

fn check_csrf(ctx: &EditorCtx, token: &str) -> Result<(), AppError> {
    if crate::auth::same_secret(token, &ctx.me.csrf) {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "Das Formular ist abgelaufen oder stammt nicht von dieser Seite. Bitte laden Sie die Seite neu.".into(),
        ))
    }
}

/// An editor page in the tenant's layout, never stored by any cache.
pub fn render(state: &AppState, ctx: &EditorCtx, title: &str, page: app::Page) -> Response {
    let shell = super::pages::page_shell(state, &ctx.tenant);
    let crumbs = vec![
        app::Crumb {
            label: "Redaktion".into(),
            href: "/redaktion".into(),
        },
        app::Crumb {
            label: title.into(),
            href: String::new(),
        },
    ];
    super::pages::html_private(app::render(&shell, title, crumbs, page))
}

/// The same, with a status (422 for a refused form, 409 for a conflict).
pub fn render_status(
    state: &AppState,
    ctx: &EditorCtx,
    title: &str,
    page: app::Page,
    status: StatusCode,
) -> Response {
    let mut res = render(state, ctx, title, page);
    *res.status_mut() = status;
    res
}

/// A new random key for an item created by an editor.
pub fn new_key() -> String {
    random_token()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(12)
        .collect::<String>()
        .to_lowercase()
}
