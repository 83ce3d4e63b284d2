//! The operator console, only on `OPERATOR_HOSTS` (never on a tenant's
//! host): the life of every tenant, with the same functions as the command
//! line. Operators sign in at the editors' identity provider and need the
//! `operator` role; every action is audited at the platform level.

use super::account::{origin, verify_callback, CallbackQuery};
use super::{AppError, AppState};
use crate::auth::{safe_next, PendingLogin};
use crate::clock::{german_datetime, now_unix};
use crate::editor::content::Who;
use crate::operator::{self as domain, OperatorError};
use crate::tenancy::{Tenant, TenantStatus};
use app::{
    ActionButton, AuditRow, EditPage, EditorNav, Field, FieldKind, FormView, LinkItem, ListPage,
    ListRow, ListSection, Page,
};
use axum::extract::{FromRequestParts, Path, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;
use tower::ServiceExt;
use tower_sessions::Session;

const SIGNED_IN: &str = "operator";
const PENDING: &str = "login";

#[derive(Debug, Clone, Serialize, Deserialize)]
struct OperatorSignedIn {
    editor_id: String,
    name: String,
    csrf: String,
    login_at: i64,
}

impl From<OperatorError> for AppError {
    fn from(e: OperatorError) -> Self {
        match e {
            OperatorError::Store(s) => AppError::from(s),
            other => AppError::BadRequest(other.to_string()),
        }
    }
}

pub fn router(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/", get(tenants))
        .route("/anmelden", get(login))
        .route("/anmelden/callback", get(callback))
        .route("/abmelden", post(logout))
        .route("/mandanten", post(onboard))
        .route("/mandanten/land", post(onboard_land))
        .route("/mandanten/{slug}", get(tenant))
        .route("/mandanten/{slug}/status", post(status))
        .route("/mandanten/{slug}/host", post(host))
        .route("/mandanten/{slug}/export", get(export))
        .route("/mandanten/{slug}/loeschen", post(delete))
        .route("/protokoll", get(audit))
        .route("/einblick", get(platform_insight))
        .route("/mandanten/{slug}/einblick", get(tenant_insight))
        .route("/mandanten/{slug}/links", get(tenant_links))
        .route("/theme.css", get(theme))
        // The shared stylesheet, icons and scripts: every request on the console's
        // host comes here, so without this route the console had no styles.
        .route("/assets/{*path}", get(asset))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            render_errors,
        ))
        .layer(
            tower_sessions::SessionManagerLayer::new(crate::auth::DbSessionStore(
                state.store().clone(),
            ))
            .with_name(if state.public_https() {
                "__Host-bp_betrieb"
            } else {
                "bp_betrieb"
            })
            .with_http_only(true)
            .with_same_site(tower_sessions::cookie::SameSite::Lax)
            .with_secure(state.public_https())
            .with_path("/")
            .with_expiry(tower_sessions::Expiry::OnInactivity(
                time::Duration::minutes(30),
            ))
            .with_always_save(true),
        )
}

/// Sends requests for an operator host to the console; everything else on.
pub async fn dispatch(
    State((state, console)): State<(AppState, Router)>,
    req: Request,
    next: Next,
) -> Response {
    let host = super::middleware::request_host(&req, state.trust_forwarded_host())
        .and_then(|h| crate::tenancy::normalize_host(&h));
    match host {
        Some(h) if state.operator_hosts().contains(&h) => {
            console.oneshot(req).await.unwrap_or_else(|e| match e {})
        }
        _ => next.run(req).await,
    }
}

/// Error answers of the console as pages in the console's layout. The console
/// lives outside the tenants' routers, so their error pages (which need a
/// tenant) do not reach it; without this, a refusal would be an empty answer.
async fn render_errors(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let res = next.run(req).await;
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    let info = res.extensions().get::<super::error::ErrorInfo>().cloned();
    let speaks = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html") || v.contains("json"));
    if info.is_none() && speaks {
        return res;
    }
    let info = info.unwrap_or_else(|| super::error::ErrorInfo::for_status(status));
    let page = app::ErrorPage {
        status: info.status.as_u16(),
        title: info.title.clone(),
        message: info.message.clone(),
    };
    let mut out = render(&state, &info.title, Page::Error(page));
    *out.status_mut() = info.status;
    out
}

/// `/assets/…` as on the tenants' hosts. The path is read from the URI: the
/// outer router has matched its own `/assets/{*path}` before the console takes
/// the request over, so a `Path` extractor here would see two parameters.
async fn asset(state: State<AppState>, uri: axum::http::Uri) -> Response {
    let path = uri.path().strip_prefix("/assets/").unwrap_or_default();
    super::assets::serve(state, Path(path.to_string())).await
}

async fn theme() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], "").into_response()
}

/// A signed-in operator.
struct Operator {
    me: OperatorSignedIn,
    session: Session,
}

impl FromRequestParts<AppState> for Operator {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let session = Session::from_request_parts(parts, state)
            .await
            .map_err(|(s, m)| (s, m).into_response())?;
        let me: Option<OperatorSignedIn> = session.get(SIGNED_IN).await.ok().flatten();
        let Some(me) = me.filter(|m| now_unix() - m.login_at < 10 * 3600) else {
            return Err(Redirect::to("/anmelden").into_response());
        };
        // The role is checked on every request: a revoked operator is out at once.
        if !domain::is_operator(state.store(), &me.editor_id)
            .await
            .map_err(|e| AppError::from(e).into_response())?
        {
            return Err(AppError::Forbidden("Keine Betriebsrolle.".into()).into_response());
        }
        Ok(Operator { me, session })
    }
}

impl Operator {
    fn who(&self) -> Who<'_> {
        Who {
            actor: &self.me.editor_id,
            now: now_unix(),
        }
    }

    fn nav(&self, current: &str) -> EditorNav {
        EditorNav {
            label: "Betrieb".into(),
            items: vec![
                ("/".into(), "Mandanten".into()),
                ("/einblick".into(), "Nutzung".into()),
                ("/protokoll".into(), "Protokoll".into()),
            ],
            current: current.into(),
            editor_name: self.me.name.clone(),
            csrf: self.me.csrf.clone(),
            logout: "/abmelden".into(),
        }
    }

    fn check(&self, form: &HashMap<String, String>) -> Result<(), AppError> {
        let token = form.get("csrf").map(String::as_str).unwrap_or("");
        if crate::auth::same_secret(token, &self.me.csrf) {
            Ok(())
        } else {
            Err(AppError::Forbidden(
                "Das Formular ist abgelaufen. Bitte laden Sie die Seite neu.".into(),
            ))
        }
    }
}

fn shell(state: &AppState) -> app::Shell {
    app::Shell {
        tenant_name: "Betrieb Bürgerportal".into(),
        tagline: "Konsole des Betreibers".into(),
        logo_url: state.assets().url("favicon.svg"),
        logo_alt: String::new(),
        stylesheet_url: state.assets().url("style.css"),
        theme_url: "/theme.css".into(),
        favicon_url: state.assets().url("favicon.svg"),
        script_url: state.assets().url("js/suggest.js"),
        contact: app::Contact::default(),
        place_query: String::new(),
        place_name: None,
        search_query: String::new(),
        account: app::AccountNav::Hidden,
        header_links: vec![],
        footer_links: vec![],
        preview: false,
        back_office: true,
    }
}

fn render(state: &AppState, title: &str, page: Page) -> Response {
    let crumbs = vec![
        app::Crumb {
            label: "Mandanten".into(),
            href: "/".into(),
        },
        app::Crumb {
            label: title.into(),
            href: String::new(),
        },
    ];
    let mut res = super::pages::html_private(app::render(&shell(state), title, crumbs, page));
    res.headers_mut().insert(
        "x-robots-tag",
        HeaderValue::from_static("noindex, nofollow"),
    );
    res
}

// ---------------------------------------------------------------- login

#[derive(Deserialize)]
struct LoginQuery {
    next: Option<String>,
}

async fn login(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Query(q): Query<LoginQuery>,
) -> Result<Response, AppError> {
    let oidc = state.editor_oidc().ok_or(AppError::NotFound)?;
    let redirect = format!("{}/anmelden/callback", origin(&state, &headers)?);
    let (url, pending) = oidc
        .begin(
            &redirect,
            safe_next(q.next.as_deref(), "/"),
            None,
            now_unix(),
        )
        .await
        .map_err(|e| AppError::Unavailable(e.to_string()))?;
    session
        .insert(PENDING, pending)
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(Redirect::to(&url).into_response())
}

async fn callback(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Query(q): Query<CallbackQuery>,
) -> Result<Response, AppError> {
    let oidc = state.editor_oidc().ok_or(AppError::NotFound)?;
    let pending: Option<PendingLogin> = session.remove(PENDING).await.ok().flatten();
    let redirect = format!("{}/anmelden/callback", origin(&state, &headers)?);
    let (verified, pending) = verify_callback(oidc, pending, q, &redirect).await.inspect_err(|e| {
        tracing::warn!(target: "auth", reason = ?e.to_string(), "Anmeldung im Betrieb abgelehnt");
    })?;
    let now = now_unix();
    let id = crate::editor::upsert_editor(
        state.store(),
        &verified.issuer,
        &verified.subject,
        &verified.person.name,
        &verified.person.email,
        now,
    )
    .await?;
    if !domain::is_operator(state.store(), &id).await? {
        let _ = session.flush().await;
        return Err(AppError::Forbidden(
            "Sie sind angemeldet, haben aber keine Betriebsrolle.".into(),
        ));
    }
    session
        .cycle_id()
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    session
        .insert(
            SIGNED_IN,
            OperatorSignedIn {
                editor_id: id,
                name: verified.person.name,
                csrf: crate::auth::random_token(),
                login_at: now,
            },
        )
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(Redirect::to(&pending.next).into_response())
}

async fn logout(
    op: Operator,
    axum::Form(form): axum::Form<HashMap<String, String>>,
) -> Result<Response, AppError> {
    op.check(&form)?;
    op.session
        .flush()
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(Redirect::to("/").into_response())
}

// ---------------------------------------------------------------- tenants

fn field(name: &str, label: &str, value: &str) -> Field {
    Field::new(name, label, FieldKind::Text, value)
}

fn form(op: &Operator, action: &str, fields: Vec<Field>, submit: &str) -> FormView {
    FormView {
        action: action.into(),
        csrf: op.me.csrf.clone(),
        rev: None,
        fields,
        submit: submit.into(),
        multipart: false,
        hidden: vec![],
    }
}

fn button(
    op: &Operator,
    action: String,
    label: &str,
    hidden: Vec<(String, String)>,
    primary: bool,
) -> ActionButton {
    ActionButton {
        action,
        label: label.into(),
        csrf: op.me.csrf.clone(),
        hidden,
        primary,
    }
}

async fn list_page(
    state: &AppState,
    op: &Operator,
    notice: Option<String>,
    errors: Vec<(String, String)>,
) -> Response {
    let tenants = state.tenants();
    let sections: Vec<ListSection> = [
        (TenantStatus::Draft, "Im Aufbau (Entwurf)"),
        (TenantStatus::Live, "Online"),
        (TenantStatus::Suspended, "Gesperrt"),
    ]
    .into_iter()
    .map(|(status, title)| ListSection {
        title: title.into(),
        empty: "Keine.".into(),
        rows: tenants
            .all()
            .iter()
            .filter(|t| t.status == status)
            .take(500)
            .map(|t| ListRow {
                href: format!("/mandanten/{}", t.slug.as_str()),
                label: t.name.clone(),
                status: format!("{} · {}", t.ars, t.hosts.join(", ")),
                actions: vec![],
            })
            .collect(),
    })
    .collect();
    let page = ListPage {
        nav: op.nav("/"),
        title: "Mandanten".into(),
        intro: format!("{} Portale auf dieser Plattform.", tenants.all().len()),
        notice,
        errors,
        links: vec![LinkItem {
            href: "/protokoll".into(),
            label: "Protokoll des Betriebs".into(),
            hint: String::new(),
        }],
        forms: vec![
            (
                "Eine Kommune aufnehmen".into(),
                form(op, "/mandanten", vec![
                    field("ars", "Regionalschlüssel", "").hint("12 Ziffern (Gemeinde), 9 (Amt, Verband) oder 5 (Kreis), z. B. 010585890."),
                    field("hosts", "Hostnamen", "").hint("Durch Komma getrennt, z. B. huetten.sh.buergerportal.example"),
                ], "Als Entwurf aufnehmen"),
            ),
            (
                "Alle Verwaltungen eines Landes aufnehmen".into(),
                form(op, "/mandanten/land", vec![
                    field("land", "Landesschlüssel", "").hint("Zwei Ziffern, z. B. 01 für Schleswig-Holstein."),
                    field("domain", "Domain", "").hint("Jedes Portal erhält <kennung>.<domain>."),
                ], "Alle aufnehmen"),
            ),
        ],
        sections,
    };
    render(state, "Mandanten", Page::EditorList(page))
}

async fn tenants(State(state): State<AppState>, op: Operator) -> Response {
    list_page(&state, &op, None, vec![]).await
}

async fn onboard(
    State(state): State<AppState>,
    op: Operator,
    headers: HeaderMap,
    axum::Form(f): axum::Form<HashMap<String, String>>,
) -> Result<Response, AppError> {
    op.check(&f)?;
    let get = |k: &str| f.get(k).map(|s| s.trim()).unwrap_or("");
    let refused = |field: &str, e: String| vec![(field.to_string(), e)];
    let ars = match crate::keys::Ars::parse(get("ars")) {
        Ok(a) => a,
        Err(e) => {
            let mut res = list_page(&state, &op, None, refused("ars", e.to_string())).await;
            *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            return Ok(res);
        }
    };
    let hosts: Vec<String> = get("hosts")
        .split(',')
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .collect();
    let result = match domain::candidate(&state.catalogue(), &ars) {
        Ok(c) if !hosts.is_empty() => {
            domain::onboard(state.store(), &[c], |_| hosts.clone(), op.who(), |_| {}).await
        }
        Ok(_) => Err(OperatorError::Invalid(
            "Bitte mindestens einen Hostnamen angeben.".into(),
        )),
        Err(e) => Err(e),
    };
    let done = match result {
        Ok(d) => d,
        Err(
            e @ (OperatorError::Invalid(_)
            | OperatorError::UnknownArs(_)
            | OperatorError::HostTaken(_)),
        ) => {
            let mut res = list_page(&state, &op, None, refused("ars", e.to_string())).await;
            *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            return Ok(res);
        }
        Err(e) => return Err(e.into()),
    };
    let _ = state.refresh().await;
    let notice = match done.created.first() {
        Some(slug) => {
            let t = state
                .tenants()
                .by_slug(slug)
                .cloned()
                .ok_or(AppError::NotFound)?;
            let token = domain::invite_first_admin(state.store(), t.scope(), op.who()).await?;
            format!(
                "{} ist als Entwurf aufgenommen. Einladung für die erste Verwaltung (einmal verwendbar, 7 Tage, nur jetzt sichtbar): {}/redaktion/einladung/{token}",
                t.name,
                tenant_origin(&state, &headers, &t)
            )
        }
        None => "Diese Kommune ist schon ein Mandant; nichts geändert.".into(),
    };
    Ok(list_page(&state, &op, Some(notice), vec![]).await)
}

async fn onboard_land(
    State(state): State<AppState>,
    op: Operator,
    axum::Form(f): axum::Form<HashMap<String, String>>,
) -> Result<Response, AppError> {
    op.check(&f)?;
    let land = f.get("land").map(|s| s.trim()).unwrap_or("");
    let domain_name = f
        .get("domain")
        .map(|s| s.trim().to_string())
        .unwrap_or_default();
    let candidates = domain::land_candidates(&state.catalogue(), land)?;
    if crate::tenancy::normalize_host(&domain_name).is_none() {
        return Err(AppError::BadRequest(
            "Bitte eine gültige Domain angeben.".into(),
        ));
    }
    let done = domain::onboard(
        state.store(),
        &candidates,
        |slug| vec![format!("{slug}.{domain_name}")],
        op.who(),
        |_| {},
    )
    .await?;
    let _ = state.refresh().await;
    let notice = format!(
        "{} Portale als Entwurf aufgenommen, {} waren schon da.",
        done.created.len(),
        done.unchanged
    );
    Ok(list_page(&state, &op, Some(notice), vec![]).await)
}

/// The origin of a tenant's portal as seen from the console: the tenant's first
/// host, with the scheme of this deployment and the port the console is reached on
/// (the same listener serves both; a port appears only in development).
fn tenant_origin(state: &AppState, headers: &HeaderMap, t: &Tenant) -> String {
    let scheme = state.scheme();
    let port = super::middleware::request_host_of(headers, state.trust_forwarded_host())
        .as_deref()
        .and_then(|h| h.rsplit_once(':'))
        .map(|(_, p)| p)
        .filter(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        .map(|p| format!(":{p}"))
        .unwrap_or_default();
    format!(
        "{scheme}://{}{port}",
        t.hosts.first().map(String::as_str).unwrap_or_default()
    )
}

fn find(state: &AppState, slug: &str) -> Result<Arc<Tenant>, AppError> {
    state
        .tenants()
        .by_slug(slug)
        .cloned()
        .ok_or(AppError::NotFound)
}

async fn tenant_page(
    state: &AppState,
    op: &Operator,
    t: &Tenant,
    notice: Option<String>,
) -> Result<Response, AppError> {
    let checklist = domain::checklist(state.store(), t).await?;
    let mut status = vec![format!("Status: {}", t.status.label())];
    status.extend(
        checklist
            .iter()
            .map(|(what, ok)| format!("{} {what}", if *ok { "✓" } else { "✗ fehlt:" })),
    );
    let base = format!("/mandanten/{}", t.slug.as_str());
    let status_button = |to: &str, label: &str| {
        button(
            op,
            format!("{base}/status"),
            label,
            vec![("status".into(), to.into())],
            true,
        )
    };
    let mut actions = Vec::new();
    match t.status {
        TenantStatus::Draft => actions.push(status_button("live", "Online gehen")),
        TenantStatus::Live => actions.push(status_button("suspended", "Sperren (Wartung)")),
        TenantStatus::Suspended => actions.push(status_button("live", "Wieder freigeben")),
    }
    let page = EditPage {
        nav: op.nav(&base),
        title: t.name.clone(),
        intro: format!(
            "{} · Regionalschlüssel {} · {}",
            t.kind.as_str(),
            t.ars,
            t.hosts.join(", ")
        ),
        status,
        errors: vec![],
        notice,
        conflict: None,
        form: form(
            op,
            &format!("{base}/host"),
            vec![field("host", "Neuer Hostname", "")
                .hint("Die bisherigen Namen leiten dauerhaft dorthin um.")],
            "Hostname ändern",
        ),
        extra_forms: vec![(
            "Mandant löschen".into(),
            form(
                op,
                &format!("{base}/loeschen"),
                vec![
                    field("bestaetigung", "Zur Bestätigung die Kennung eingeben", "").hint(
                        &format!(
                            "Kennung: {} – alles dieses Mandanten wird entfernt.",
                            t.slug.as_str()
                        ),
                    ),
                ],
                "Endgültig löschen",
            ),
        )],
        actions,
        links: vec![
            LinkItem {
                href: format!("{base}/einblick"),
                label: "Nutzung dieses Portals".into(),
                hint: String::new(),
            },
            LinkItem {
                href: format!("{base}/links"),
                label: "Linkprüfung dieses Portals".into(),
                hint: String::new(),
            },
            LinkItem {
                href: format!("{base}/export"),
                label: "Alles als JSON exportieren".into(),
                hint: String::new(),
            },
        ],
    };
    Ok(render(state, &t.name, Page::EditorEdit(Box::new(page))))
}

async fn tenant(
    State(state): State<AppState>,
    op: Operator,
    Path(slug): Path<String>,
) -> Result<Response, AppError> {
    let t = find(&state, &slug)?;
    tenant_page(&state, &op, &t, None).await
}

async fn status(
    State(state): State<AppState>,
    op: Operator,
    Path(slug): Path<String>,
    axum::Form(f): axum::Form<HashMap<String, String>>,
) -> Result<Response, AppError> {
    op.check(&f)?;
    let t = find(&state, &slug)?;
    let to = match f.get("status").map(String::as_str) {
        Some("live") => TenantStatus::Live,
        Some("suspended") => TenantStatus::Suspended,
        _ => return Err(AppError::BadRequest("Unbekannter Status.".into())),
    };
    match domain::set_status(state.store(), &t, to, op.who()).await {
        Ok(()) => {
            let _ = state.refresh().await;
            Ok(Redirect::to(&format!("/mandanten/{slug}")).into_response())
        }
        Err(e @ OperatorError::NotReady(_)) => {
            let mut res = tenant_page(&state, &op, &t, Some(e.to_string())).await?;
            *res.status_mut() = StatusCode::CONFLICT;
            Ok(res)
        }
        Err(e) => Err(e.into()),
    }
}

async fn host(
    State(state): State<AppState>,
    op: Operator,
    Path(slug): Path<String>,
    axum::Form(f): axum::Form<HashMap<String, String>>,
) -> Result<Response, AppError> {
    op.check(&f)?;
    let t = find(&state, &slug)?;
    domain::move_host(
        state.store(),
        &t,
        f.get("host").map(String::as_str).unwrap_or(""),
        op.who(),
    )
    .await?;
    let _ = state.refresh().await;
    Ok(Redirect::to(&format!("/mandanten/{slug}")).into_response())
}

async fn export(
    State(state): State<AppState>,
    op: Operator,
    Path(slug): Path<String>,
) -> Result<Response, AppError> {
    let t = find(&state, &slug)?;
    let json = crate::operator::export::export(state.store(), &t).await?;
    domain::audit_export(state.store(), &slug, op.who()).await?;
    let disposition = format!("attachment; filename=\"mandant-{slug}.json\"");
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&disposition)
                    .unwrap_or(HeaderValue::from_static("attachment")),
            ),
        ],
        serde_json::to_string_pretty(&json).unwrap_or_default(),
    )
        .into_response())
}

async fn delete(
    State(state): State<AppState>,
    op: Operator,
    Path(slug): Path<String>,
    axum::Form(f): axum::Form<HashMap<String, String>>,
) -> Result<Response, AppError> {
    op.check(&f)?;
    let t = find(&state, &slug)?;
    if f.get("bestaetigung").map(|s| s.trim()) != Some(slug.as_str()) {
        let mut res = tenant_page(
            &state,
            &op,
            &t,
            Some("Zum Löschen bitte die Kennung genau eingeben.".into()),
        )
        .await?;
        *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        return Ok(res);
    }
    let report = domain::delete(state.store(), &t, op.who()).await?;
    let _ = state.refresh().await;
    let lines: Vec<String> = report
        .iter()
        .map(|(table, n)| format!("{table}: {n}"))
        .collect();
    Ok(list_page(
        &state,
        &op,
        Some(format!(
            "{} gelöscht. Entfernte Zeilen – {}",
            t.name,
            lines.join(", ")
        )),
        vec![],
    )
    .await)
}

/// Daily counts for the platform, or one tenant.
async fn insight_page(
    state: &AppState,
    op: &Operator,
    t: Option<&Tenant>,
) -> Result<Response, AppError> {
    let days = crate::operator::insight::daily(state.store(), t.map(|t| t.scope()), 30).await?;
    let (title, current, links) = match t {
        Some(t) => (
            format!("Nutzung: {}", t.name),
            format!("/mandanten/{}", t.slug.as_str()),
            vec![LinkItem {
                href: format!("/mandanten/{}", t.slug.as_str()),
                label: format!("Zurück zu {}", t.name),
                hint: String::new(),
            }],
        ),
        None => (
            "Nutzung der Plattform".to_string(),
            "/einblick".to_string(),
            vec![],
        ),
    };
    let page = app::InsightPage {
        nav: op.nav(&current),
        title: title.clone(),
        intro: "Zählungen je Tag (UTC), höchstens 30 Tage. Es werden nur Anzahlen gespeichert, nichts, was eine Person erkennen lässt.".into(),
        table: crate::http::insight::table(days, "Zählungen je Tag"),
        links,
    };
    Ok(render(state, &title, Page::EditorInsight(page)))
}

async fn platform_insight(
    State(state): State<AppState>,
    op: Operator,
) -> Result<Response, AppError> {
    insight_page(&state, &op, None).await
}

async fn tenant_insight(
    State(state): State<AppState>,
    op: Operator,
    Path(slug): Path<String>,
) -> Result<Response, AppError> {
    let t = find(&state, &slug)?;
    insight_page(&state, &op, Some(&t)).await
}

/// The tenant's links that are not fine, most viewed services first.
async fn tenant_links(
    State(state): State<AppState>,
    op: Operator,
    Path(slug): Path<String>,
) -> Result<Response, AppError> {
    use crate::operator::links;
    let t = find(&state, &slug)?;
    let rows = links::report(state.store(), &state.catalogue(), &t).await?;
    let checked = links::last_run(state.store()).await?;
    let base = format!("/mandanten/{}", t.slug.as_str());
    let page = ListPage {
        nav: op.nav(&base),
        title: format!("Links: {}", t.name),
        intro: match checked {
            Some(at) => format!(
                "Letzte Prüfung: {}. Gezeigt werden Links, die nicht in Ordnung sind, meistgesehene Leistungen zuerst.",
                crate::clock::german_datetime(at)
            ),
            None => "Die Links wurden noch nicht geprüft (buergerportal links check).".into(),
        },
        notice: None,
        errors: vec![],
        links: vec![LinkItem {
            href: base,
            label: format!("Zurück zu {}", t.name),
            hint: String::new(),
        }],
        forms: vec![],
        sections: vec![ListSection {
            title: "Links mit Problemen".into(),
            empty: "Keine: alle geprüften Links sind erreichbar.".into(),
            rows: rows
                .into_iter()
                .take(500)
                .map(|r| ListRow {
                    href: r.link.url.clone(),
                    label: r.link.name,
                    status: format!(
                        "{} ({}) · {} Aufrufe · {}",
                        r.outcome.label(),
                        r.detail,
                        r.views,
                        r.link.url
                    ),
                    actions: vec![],
                })
                .collect(),
        }],
    };
    Ok(render(&state, "Links", Page::EditorList(page)))
}

async fn audit(State(state): State<AppState>, op: Operator) -> Result<Response, AppError> {
    let rows = domain::platform_log(state.store(), 200)
        .await?
        .into_iter()
        .map(|e| AuditRow {
            at: german_datetime(e.at),
            actor: e.actor,
            action: e.action,
            what: e.key,
            old: e.old.unwrap_or_default(),
            new: e.new.unwrap_or_default(),
        })
        .collect();
    Ok(render(
        &state,
        "Protokoll",
        Page::EditorAudit(app::AuditPage {
            nav: op.nav("/protokoll"),
            rows,
        }),
    ))
}
