//! Login with the Servicekonto, logout, Mein Bereich and the Merkliste.

use super::pages::{home_crumb, page_shell, service_href};
use super::{AppError, AppState};
use crate::auth::{
    account, safe_next, same_secret, PendingLogin, SignedIn, PENDING_LOGIN, RENEWED_AT, SIGNED_IN,
};
use crate::clock::now_unix;
use crate::keys::{LeikaKey, Vertrauensniveau};
use crate::tenancy::Tenant;
use app::{AccountNav, Crumb, LinkItem, Page};
use axum::extract::{Extension, Form, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use std::sync::Arc;
use tower_sessions::Session;

/// A login must come back within this time.
const LOGIN_TIMEOUT_SECS: i64 = 600;

tokio::task_local! {
    static ACCOUNT: AccountNav;
}

/// The header's login state for the page being rendered.
pub fn current_nav() -> AccountNav {
    ACCOUNT.try_with(Clone::clone).unwrap_or_default()
}

/// The logged-in citizen, as a request extension.
#[derive(Clone)]
pub struct Citizen(pub Arc<SignedIn>);

pub type MaybeCitizen = Option<Extension<Citizen>>;

/// Reads the session (only when the request carries its cookie), enforces the
/// absolute timeout and sets the header's login state for the page.
pub async fn attach(
    State(state): State<AppState>,
    session: Session,
    mut req: Request,
    next: Next,
) -> Response {
    if state.oidc().is_none() {
        return ACCOUNT.scope(AccountNav::Hidden, next.run(req)).await;
    }
    let signed_in = if super::middleware::is_anonymous(&req) {
        None
    } else {
        signed_in(&state, &session).await
    };
    let nav = match &signed_in {
        Some(s) => AccountNav::Citizen {
            name: s.name.clone(),
            unread: super::personal::unread(&state, &s.citizen_id)
                .await
                .unwrap_or(0),
            csrf: s.csrf.clone(),
        },
        None => AccountNav::Anonymous {
            login_href: login_href(req.uri()),
        },
    };
    if let Some(s) = &signed_in {
        req.extensions_mut().insert(Citizen(s.clone()));
    }
    let mut res = ACCOUNT.scope(nav, next.run(req)).await;
    let headers = res.headers_mut();
    if signed_in.is_some() {
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, no-store"),
        );
    } else {
        headers.insert(header::VARY, HeaderValue::from_static("Cookie"));
    }
    res
}

async fn signed_in(state: &AppState, session: &Session) -> Option<Arc<SignedIn>> {
    let s: SignedIn = session.get(SIGNED_IN).await.ok().flatten()?;
    let now = now_unix();
    if now - s.login_at > state.session_max_secs() {
        let _ = session.flush().await;
        return None;
    }
    renew(session, now).await;
    Some(Arc::new(s))
}

/// The idle deadline moves at most once a minute (a write a minute instead
/// of one per request): a session ends between `SESSION_IDLE_MINUTES` minus
/// a minute and `SESSION_IDLE_MINUTES` after its last request.
const RENEW_AFTER_SECS: i64 = 60;

async fn renew(session: &Session, now: i64) {
    let renewed: i64 = session.get(RENEWED_AT).await.ok().flatten().unwrap_or(0);
    if now - renewed >= RENEW_AFTER_SECS {
        // Changing the session saves it with a new idle deadline and cookie.
        let _ = session.insert(RENEWED_AT, now).await;
    }
}

pub(super) fn login_href(uri: &axum::http::Uri) -> String {
    let here = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let next = if here.starts_with("/anmelden") || here.starts_with("/abmelden") {
        "/"
    } else {
        here
    };
    login_url(next, None)
}

/// `/anmelden` with the path to come back to and, for a step-up, the level to reach.
pub fn login_url(next: &str, level: Option<Vertrauensniveau>) -> String {
    let next: String = form_urlencoded::byte_serialize(next.as_bytes()).collect();
    match level {
        Some(l) => format!("/anmelden?niveau={}&next={next}", l.as_str()),
        None => format!("/anmelden?next={next}"),
    }
}

/// A logged-in citizen, for pages of their own; anyone else is sent to the
/// login that comes back to this page.
pub struct SignedInCitizen(pub Arc<SignedIn>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for SignedInCitizen {
    type Rejection = Redirect;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        match parts.extensions.get::<Citizen>() {
            Some(Citizen(s)) => Ok(SignedInCitizen(s.clone())),
            None => Err(Redirect::to(&login_href(&parts.uri))),
        }
    }
}

pub fn check_csrf(citizen: &SignedIn, token: &str) -> Result<(), AppError> {
    if same_secret(&citizen.csrf, token) {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "Das Formular ist abgelaufen. Bitte laden Sie die Seite neu und versuchen Sie es noch einmal.".into(),
        ))
    }
}

/// This tenant host's origin as the citizen's browser sees it.
pub(super) fn origin(state: &AppState, req_headers: &HeaderMap) -> Result<String, AppError> {
    let host = super::middleware::request_host_of(req_headers, state.trust_forwarded_host())
        .filter(|h| {
            h.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':'))
        })
        .ok_or_else(|| AppError::BadRequest("Unbekannter Host.".into()))?;
    let scheme = state.scheme();
    Ok(format!("{scheme}://{}", host.to_ascii_lowercase()))
}

#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
    niveau: Option<String>,
}

/// `/anmelden`: starts the authorization code flow (or a step-up).
pub async fn login(
    State(state): State<AppState>,
    session: Session,
    citizen: MaybeCitizen,
    headers: HeaderMap,
    Query(q): Query<LoginQuery>,
) -> Result<Response, AppError> {
    let oidc = state.oidc().ok_or(AppError::NotFound)?;
    let next = safe_next(q.next.as_deref(), "/mein-bereich");
    let level = q
        .niveau
        .as_deref()
        .filter(|n| !n.is_empty())
        .map(Vertrauensniveau::parse)
        .transpose()
        .map_err(|e| AppError::BadRequest(e.to_string()))?;
    if let Some(Extension(Citizen(s))) = &citizen {
        if level.is_none_or(|l| s.level >= l) {
            return Ok(Redirect::to(&next).into_response());
        }
    }
    let here = origin(&state, &headers)?;
    let redirect = callback_url(&state, &here);
    let (url, pending) = oidc
        .begin(&redirect, next, level, now_unix())
        .await
        .map_err(|e| AppError::Unavailable(e.to_string()))?;
    if state.login_host().is_some() {
        crate::auth::central::remember(state.store(), &pending, &here, now_unix()).await?;
    }
    session
        .insert(PENDING_LOGIN, pending)
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(Redirect::to(&url).into_response())
}

/// Where the Servicekonto returns: the central login host, or this tenant's host.
fn callback_url(state: &AppState, tenant_origin: &str) -> String {
    match state.login_host() {
        Some(_) => central_url(state, "/anmelden/callback"),
        None => format!("{tenant_origin}/anmelden/callback"),
    }
}

/// A path on the central login host (`LOGIN_HOST` must be set).
fn central_url(state: &AppState, path: &str) -> String {
    format!(
        "{}://{}{path}",
        state.scheme(),
        state.login_host().unwrap_or_default()
    )
}

#[derive(Deserialize)]
pub(super) struct CallbackQuery {
    code: Option<String>,
    pub(super) state: Option<String>,
    iss: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// `/anmelden/callback`: the provider's answer. Every failure ends the
/// login attempt without creating a session.
pub async fn callback(
    State(state): State<AppState>,
    session: Session,
    Extension(tenant): Extension<Arc<Tenant>>,
    headers: HeaderMap,
    Query(q): Query<CallbackQuery>,
) -> Result<Response, AppError> {
    let pending: Option<PendingLogin> = session.remove(PENDING_LOGIN).await.ok().flatten();
    let finished = finish_login(&state, &session, &headers, pending, q).await;
    login_answer(&state, &session, &tenant, finished).await
}

/// The page after a login: where the citizen wanted to go, or why not.
async fn login_answer(
    state: &AppState,
    session: &Session,
    tenant: &Tenant,
    finished: Result<Finished, AppError>,
) -> Result<Response, AppError> {
    match finished {
        Ok(Finished {
            next,
            level,
            wanted,
        }) => match wanted.filter(|w| level < *w) {
            None => {
                state.count(tenant.id, crate::operator::insight::Metric::Login);
                Ok(Redirect::to(&next).into_response())
            }
            Some(w) => Ok(level_not_reached(state, tenant, &next, w)),
        },
        Err(e) => {
            let still_signed_in = session
                .get::<SignedIn>(SIGNED_IN)
                .await
                .ok()
                .flatten()
                .is_some();
            if !still_signed_in {
                let _ = session.flush().await;
            }
            tracing::warn!(target: "auth", reason = ?e.to_string(), "Anmeldung abgelehnt");
            Err(e)
        }
    }
}

/// Checks a provider's answer to a login this browser started (state, RFC 9207
/// `iss`, errors), exchanges the code and verifies the ID token. Shared by the
/// citizens' and the editors' login.
pub(super) async fn verify_callback(
    oidc: &crate::auth::Oidc,
    pending: Option<PendingLogin>,
    q: CallbackQuery,
    redirect: &str,
) -> Result<(crate::auth::VerifiedLogin, PendingLogin), AppError> {
    let refused = |msg: &str| AppError::Login(msg.to_string());
    let pending = pending.ok_or_else(|| {
        refused("Zu dieser Antwort gibt es keinen offenen Anmeldevorgang – vielleicht wurde sie schon verwendet. Bitte melden Sie sich neu an.")
    })?;
    if now_unix() - pending.started_at > LOGIN_TIMEOUT_SECS {
        return Err(refused(
            "Der Anmeldevorgang ist abgelaufen. Bitte melden Sie sich neu an.",
        ));
    }
    if !q
        .state
        .as_deref()
        .is_some_and(|s| same_secret(s, &pending.state))
    {
        return Err(refused("Die Antwort des Servicekontos gehört nicht zu Ihrem Anmeldevorgang (state stimmt nicht überein). Bitte melden Sie sich neu an."));
    }
    if let Some(error) = q.error.as_deref() {
        return Err(if error == "access_denied" {
            refused("Sie haben die Anmeldung abgebrochen.")
        } else {
            AppError::Login(format!(
                "Das Servicekonto meldet einen Fehler: {}",
                q.error_description.as_deref().unwrap_or(error)
            ))
        });
    }
    // RFC 9207: an answer that names another issuer, or none from a provider
    // that promised to name itself, may be a mix-up attack.
    let sends_iss = oidc
        .sends_iss()
        .await
        .map_err(|e| AppError::Unavailable(e.to_string()))?;
    match q.iss.as_deref() {
        Some(iss) if iss != oidc.issuer() => {
            return Err(refused("Die Antwort stammt nicht von Ihrem Servicekonto."))
        }
        None if sends_iss => {
            return Err(refused(
                "Die Antwort des Servicekontos nennt ihren Aussteller nicht (iss fehlt).",
            ))
        }
        _ => {}
    }
    let code = q
        .code
        .as_deref()
        .filter(|c| !c.is_empty())
        .ok_or_else(|| refused("Die Antwort des Servicekontos enthält keinen Anmeldecode."))?;
    let verified = oidc
        .finish(redirect, code, &pending)
        .await
        .map_err(|e| AppError::Login(e.to_string()))?;
    Ok((verified, pending))
}

struct Finished {
    next: String,
    level: Vertrauensniveau,
    wanted: Option<Vertrauensniveau>,
}

async fn finish_login(
    state: &AppState,
    session: &Session,
    headers: &HeaderMap,
    pending: Option<PendingLogin>,
    q: CallbackQuery,
) -> Result<Finished, AppError> {
    let oidc = state.oidc().ok_or(AppError::NotFound)?;
    if state.login_host().is_some() {
        // Answers go to the central callback; one here was not asked for.
        return Err(AppError::Login(
            "Diese Anmeldung gehört nicht zu diesem Portal. Bitte melden Sie sich neu an.".into(),
        ));
    }
    let redirect = format!("{}/anmelden/callback", origin(state, headers)?);
    let (verified, pending) = verify_callback(oidc, pending, q, &redirect).await?;
    complete_login(state, session, verified, pending).await
}

/// Signs the citizen in with a verified answer: the account, the home area,
/// a new session id.
async fn complete_login(
    state: &AppState,
    session: &Session,
    verified: crate::auth::VerifiedLogin,
    pending: PendingLogin,
) -> Result<Finished, AppError> {
    let now = now_unix();
    let citizen_id =
        account::upsert_citizen(state.store(), &verified.issuer, &verified.subject, now).await?;
    let home = state
        .catalogue()
        .home_area(&verified.person.postal_code, &verified.person.locality);
    account::set_home(state.store(), &citizen_id, home.as_deref()).await?;
    // A new session id at login: a planted id is worth nothing afterwards.
    session
        .cycle_id()
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let level = verified.level;
    let signed = SignedIn {
        citizen_id,
        subject: verified.subject,
        name: verified.person.name.clone(),
        person: verified.person,
        level,
        id_token: verified.id_token,
        login_at: now,
        csrf: crate::auth::random_token(),
    };
    session
        .insert(SIGNED_IN, signed)
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    tracing::info!(target: "auth", level = level.as_str(), "Anmeldung");
    Ok(Finished {
        next: pending.next,
        level,
        wanted: pending.level,
    })
}

#[derive(Deserialize)]
pub struct TakeOverQuery {
    #[serde(default)]
    code: String,
}

/// `/anmelden/uebernahme`: the tenant's host redeems the one-time code the
/// central login host (`LOGIN_HOST`) handed over, in the browser that started
/// the login.
pub async fn take_over(
    State(state): State<AppState>,
    session: Session,
    Extension(tenant): Extension<Arc<Tenant>>,
    headers: HeaderMap,
    Query(q): Query<TakeOverQuery>,
) -> Result<Response, AppError> {
    if state.login_host().is_none() {
        return Err(AppError::NotFound);
    }
    let pending: Option<PendingLogin> = session.remove(PENDING_LOGIN).await.ok().flatten();
    let here = origin(&state, &headers)?;
    let finished = async {
        let handed = crate::auth::central::redeem(state.store(), &q.code, &here, now_unix())
            .await?
            .ok_or_else(|| AppError::Login("Diese Anmeldung ist abgelaufen oder wurde schon verwendet. Bitte melden Sie sich neu an.".into()))?;
        let pending = pending
            .filter(|p| same_secret(&p.state, &handed.pending.state))
            .ok_or_else(|| AppError::Login("Diese Anmeldung wurde in einem anderen Browser begonnen. Bitte melden Sie sich hier neu an.".into()))?;
        let verified = handed.outcome.map_err(AppError::Login)?;
        complete_login(&state, &session, verified, pending).await
    }
    .await;
    login_answer(&state, &session, &tenant, finished).await
}

/// The central callback on `LOGIN_HOST`: checks the answer against the login
/// the tenant's host remembered, and sends the browser back there with a
/// one-time code (also when the answer was refused, so that the tenant's
/// page explains why).
async fn central_callback(state: AppState, uri: &axum::http::Uri) -> Response {
    let q: CallbackQuery = match Query::try_from_uri(uri) {
        Ok(Query(q)) => q,
        Err(_) => return (StatusCode::BAD_REQUEST, "Ungültige Antwort.").into_response(),
    };
    let now = now_unix();
    let taken = match q.state.as_deref() {
        Some(s) => crate::auth::central::take_pending(state.store(), s, now).await,
        None => Ok(None),
    };
    let (origin, pending) = match taken {
        Ok(Some(found)) => found,
        Ok(None) => {
            return (
                StatusCode::BAD_REQUEST,
                "Zu dieser Antwort gibt es keinen offenen Anmeldevorgang. Bitte melden Sie sich im Portal Ihrer Kommune neu an.",
            )
                .into_response()
        }
        Err(e) => return AppError::from(e).into_response(),
    };
    let Some(oidc) = state.oidc() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let redirect = callback_url(&state, &origin);
    let outcome = verify_callback(oidc, Some(pending.clone()), q, &redirect)
        .await
        .map(|(verified, _)| verified)
        .map_err(|e| match e {
            AppError::Login(m) => m,
            other => other.to_string(),
        });
    match crate::auth::central::hand_over(state.store(), &origin, &pending, outcome, now).await {
        Ok(code) => {
            Redirect::to(&format!("{origin}/anmelden/uebernahme?code={code}")).into_response()
        }
        Err(e) => AppError::from(e).into_response(),
    }
}

/// Requests for `LOGIN_HOST` answer only its callback; every other request
/// goes on to the tenants.
pub async fn login_host(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let login = state.login_host().and_then(crate::tenancy::normalize_host);
    let host = super::middleware::request_host(&req, state.trust_forwarded_host())
        .and_then(|h| crate::tenancy::normalize_host(&h));
    if login.is_none() || login != host {
        return next.run(req).await;
    }
    if req.method() != axum::http::Method::GET {
        return StatusCode::NOT_FOUND.into_response();
    }
    match req.uri().path() {
        "/anmelden/callback" => central_callback(state, req.uri()).await,
        "/abgemeldet" => central_logged_out(&state, req.uri()),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

#[derive(Deserialize)]
struct LoggedOutQuery {
    state: Option<String>,
}

/// `/abgemeldet` on `LOGIN_HOST`: back from the Servicekonto's logout, on to
/// the tenant's start page the logout began on. Only a tenant's own origin
/// is followed, so the address cannot send anyone elsewhere.
fn central_logged_out(state: &AppState, uri: &axum::http::Uri) -> Response {
    let origin = Query::<LoggedOutQuery>::try_from_uri(uri)
        .ok()
        .and_then(|Query(q)| q.state);
    let tenant_origin = origin.filter(|o| {
        o.strip_prefix(state.scheme())
            .and_then(|rest| rest.strip_prefix("://"))
            .is_some_and(|host| {
                !host.contains(['/', '?', '#', '@', '\\'])
                    && state.tenants().resolve(host).is_some()
            })
    });
    match tenant_origin {
        Some(o) => Redirect::to(&format!("{o}/")).into_response(),
        None => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "Sie sind abgemeldet. Öffnen Sie wieder das Portal Ihrer Kommune.",
        )
            .into_response(),
    }
}

fn level_not_reached(
    state: &AppState,
    tenant: &Tenant,
    next: &str,
    wanted: Vertrauensniveau,
) -> Response {
    let retry = login_url(next, Some(wanted));
    let page = app::NoticePage {
        title: "Vertrauensniveau nicht erreicht".into(),
        message: format!(
            "Sie sind angemeldet, aber für diesen Schritt ist das Vertrauensniveau „{}“ nötig. Bitte melden Sie sich mit einem passenden Verfahren an, zum Beispiel mit der Online-Ausweisfunktion.",
            wanted.short_label()
        ),
        links: vec![
            LinkItem {
                href: retry,
                label: "Erneut anmelden".into(),
                hint: String::new(),
            },
            LinkItem {
                href: "/mein-bereich".into(),
                label: "Zu Mein Bereich".into(),
                hint: String::new(),
            },
        ],
    };
    let shell = page_shell(state, tenant);
    let mut res = super::pages::html_private(app::render(
        &shell,
        "Vertrauensniveau nicht erreicht",
        vec![],
        Page::Notice(page),
    ));
    *res.status_mut() = StatusCode::FORBIDDEN;
    res
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /abmelden`: ends the session here and at the Servicekonto.
pub async fn logout(
    State(state): State<AppState>,
    session: Session,
    citizen: MaybeCitizen,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Result<Response, AppError> {
    let Some(Extension(Citizen(s))) = citizen else {
        return Ok(Redirect::to("/").into_response());
    };
    check_csrf(&s, &form.csrf)?;
    session
        .flush()
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    tracing::info!(target: "auth", "Abmeldung");
    let here = origin(&state, &headers)?;
    // With one login host the Servicekonto knows one address to return to
    // after logout as well; the login host sends the browser on to `here`.
    let (back, back_state) = match state.login_host() {
        Some(_) => (central_url(&state, "/abgemeldet"), Some(here.as_str())),
        None => (format!("{here}/"), None),
    };
    let target = match state.oidc() {
        Some(oidc) => oidc.logout_url(&s.id_token, &back, back_state).await,
        None => None,
    };
    Ok(Redirect::to(target.as_deref().unwrap_or("/")).into_response())
}

/// `/mein-bereich`: profile from the Servicekonto, Merkliste, Postfach summary.
pub async fn my_area(
    State(state): State<AppState>,
    Extension(tenant): Extension<Arc<Tenant>>,
    SignedInCitizen(s): SignedInCitizen,
) -> Result<Response, AppError> {
    let c = state.catalogue();
    let tenants = state.tenants();
    let favourites = super::personal::favourites(&state, &s.citizen_id)
        .await?
        .iter()
        .filter_map(|(leika, slug)| {
            let l = c.leistung(&LeikaKey::parse(leika).ok()?)?;
            Some(app::Favourite {
                href: service_href(l, ""),
                name: l.name.clone(),
                leika: leika.clone(),
                saved_on: (slug != tenant.slug.as_str())
                    .then(|| tenants.by_slug(slug).map(|t| t.name.clone()))
                    .flatten(),
            })
        })
        .collect();
    let page = app::AccountPage {
        name: s.name.clone(),
        level: s.level.label().to_string(),
        email: s.person.email.clone(),
        address: s.person.address_lines(),
        provider_account_url: state.oidc().and_then(|o| o.account_url.clone()),
        favourites,
        // Counted once per request, for the header.
        unread: match current_nav() {
            AccountNav::Citizen { unread, .. } => unread,
            _ => 0,
        },
        csrf: s.csrf.clone(),
    };
    let shell = page_shell(&state, &tenant);
    let crumbs = vec![
        home_crumb(&shell),
        Crumb {
            label: "Mein Bereich".into(),
            href: String::new(),
        },
    ];
    Ok(super::pages::html_private(app::render(
        &shell,
        "Mein Bereich",
        crumbs,
        Page::Account(page),
    )))
}

#[derive(Deserialize)]
pub struct FavouriteForm {
    #[serde(default)]
    csrf: String,
    leika: String,
    aktion: String,
    zurueck: Option<String>,
}

/// `POST /mein-bereich/merkliste`: adds or removes a service.
pub async fn favourite(
    State(state): State<AppState>,
    Extension(tenant): Extension<Arc<Tenant>>,
    citizen: MaybeCitizen,
    Form(form): Form<FavouriteForm>,
) -> Result<Response, AppError> {
    let Some(Extension(Citizen(s))) = citizen else {
        return Ok(Redirect::to("/anmelden").into_response());
    };
    check_csrf(&s, &form.csrf)?;
    let key = LeikaKey::parse(&form.leika)
        .map_err(|_| AppError::BadRequest("Unbekannte Leistung.".into()))?;
    if state.catalogue().leistung(&key).is_none() {
        return Err(AppError::BadRequest("Unbekannte Leistung.".into()));
    }
    let saved = match form.aktion.as_str() {
        "merken" => true,
        "entfernen" => false,
        _ => return Err(AppError::BadRequest("Unbekannte Aktion.".into())),
    };
    account::set_favourite(
        state.store(),
        &s.citizen_id,
        key.as_str(),
        tenant.slug.as_str(),
        saved,
        now_unix(),
    )
    .await?;
    state.personal().forget(&s.citizen_id);
    Ok(Redirect::to(&safe_next(form.zurueck.as_deref(), "/mein-bereich")).into_response())
}
