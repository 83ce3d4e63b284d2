//! "Online beantragen": step-up, consent, the signed hand-off to the form
//! provider, the JWKS, the return channel and Meine Anträge.

use super::account::{check_csrf, Citizen, MaybeCitizen, SignedInCitizen};
use super::pages::{home_crumb, page_shell, service_href};
use super::place::{Place, PlaceQuery};
use super::{AppError, AppState};
use crate::clock::{german_datetime, now_unix};
use crate::handoff::applications::{self, NewApplication};
use crate::handoff::{Delivery, Handoff, Provider};
use crate::keys::LeikaKey;
use crate::postfach::{self, DeliveryError};
use crate::tenancy::Tenant;
use app::{Crumb, LinkItem, Page};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Extension, Form, Path, Query, State};
use axum::http::{header, HeaderMap, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use std::sync::Arc;

type TenantExt = Extension<Arc<Tenant>>;

/// `GET /.well-known/jwks.json`: the keys form providers verify tokens with.
pub async fn jwks(State(state): State<AppState>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/jwk-set+json"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        state
            .keys()
            .map(|k| k.jwks())
            .unwrap_or_else(|| serde_json::json!({ "keys": [] }))
            .to_string(),
    )
        .into_response()
}

fn login_for(level: crate::keys::Vertrauensniveau, uri: &Uri) -> Response {
    let here = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    Redirect::to(&super::account::login_url(here, Some(level))).into_response()
}

/// The place the application is for: the chosen or only Gemeinde.
struct Target {
    ars: String,
    place_name: String,
    office: Option<String>,
}

fn target(state: &AppState, tenant: &Tenant, key: &LeikaKey, q: &PlaceQuery) -> Option<Target> {
    let c = state.catalogue();
    match Place::resolve(tenant, &c, q) {
        Place::Known { gemeinde, .. } => Some(Target {
            ars: gemeinde.ars.to_string(),
            place_name: crate::catalogue::generate::municipality_name(
                &gemeinde.name,
                gemeinde.type_code,
            ),
            office: c
                .responsible(key, &gemeinde.ars)
                .map(|r| r.office.name.clone()),
        }),
        Place::Unknown { .. } => None,
    }
}

/// `GET …/beantragen`: login or step-up when needed, then the consent page
/// (or, for an online service of no configured provider, a plain redirect).
pub async fn apply(
    State(state): State<AppState>,
    Extension(tenant): TenantExt,
    citizen: MaybeCitizen,
    Path(id): Path<String>,
    Query(q): Query<PlaceQuery>,
    uri: Uri,
) -> Result<Response, AppError> {
    let key = LeikaKey::parse(&id).map_err(|_| AppError::NotFound)?;
    let c = state.catalogue();
    let online = c.online(&key).ok_or(AppError::NotFound)?.clone();
    let l = c.leistung(&key).ok_or(AppError::NotFound)?;
    if state.oidc().is_none() {
        return Ok(Redirect::to(&online.url).into_response());
    }
    let s = match citizen {
        Some(Extension(Citizen(s))) if s.level >= online.vertrauensniveau => s,
        _ => return Ok(login_for(online.vertrauensniveau, &uri)),
    };
    // Without a provider or signing keys there is no hand-off: the form, plainly.
    let Some(provider) = state
        .providers()
        .for_url(&online.url)
        .filter(|_| state.keys().is_some())
    else {
        return Ok(Redirect::to(&online.url).into_response());
    };
    let shell = page_shell(&state, &tenant);
    let back_href = service_href(l, &shell.place_query);
    let Some(t) = target(&state, &tenant, &key, &q) else {
        return Ok(choose_place_first(&state, &tenant, &back_href));
    };
    let p = &s.person;
    let address = p.address_lines().join(", ");
    let page = app::ConsentPage {
        service_name: l.name.clone(),
        provider_name: provider.name.clone(),
        action: format!("/leistungen/{key}/beantragen"),
        csrf: s.csrf.clone(),
        gemeinde: t.ars.clone(),
        always: vec![
            (
                "Leistung".into(),
                format!("{} (Leistungsschlüssel {key})", l.name),
            ),
            (
                "Gemeinde".into(),
                format!("{} (Regionalschlüssel {})", t.place_name, t.ars),
            ),
            (
                "Zuständige Stelle".into(),
                t.office
                    .unwrap_or_else(|| "nicht bekannt – wird nicht übermittelt".into()),
            ),
        ],
        personal: vec![
            ("Name".into(), p.name.clone()),
            ("Anschrift".into(), address),
            ("E-Mail".into(), p.email.clone()),
        ],
        back_href,
    };
    Ok(super::pages::html_private(app::render(
        &shell,
        &format!("Online beantragen: {}", l.name),
        apply_crumbs(&shell, l),
        Page::Consent(page),
    )))
}

fn choose_place_first(state: &AppState, tenant: &Tenant, service: &str) -> Response {
    let page = app::NoticePage {
        title: "Bitte wählen Sie zuerst Ihre Gemeinde".into(),
        message: format!(
            "{} umfasst mehrere Gemeinden. Damit Ihr Antrag an die richtige Stelle geht, wählen Sie auf der Seite der Leistung Ihre Gemeinde und dann „Online beantragen“.",
            tenant.name
        ),
        links: vec![LinkItem {
            href: service.to_string(),
            label: "Zur Leistung und Gemeinde wählen".into(),
            hint: String::new(),
        }],
    };
    let shell = page_shell(state, tenant);
    super::pages::html_private(app::render(
        &shell,
        "Gemeinde wählen",
        vec![],
        Page::Notice(page),
    ))
}

#[derive(Deserialize)]
pub struct ConsentForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    gemeinde: String,
    einwilligung: Option<String>,
}

/// `POST …/beantragen`: records the application and sends the citizen to the
/// provider with a signed, short-lived, single-use token: in a form the
/// browser posts, or server-to-server with a one-time id in the URL. Never
/// the token itself in a URL: it may carry personal data.
pub async fn hand_off(
    State(state): State<AppState>,
    Extension(tenant): TenantExt,
    citizen: MaybeCitizen,
    headers: HeaderMap,
    Path(id): Path<String>,
    uri: Uri,
    Form(form): Form<ConsentForm>,
) -> Result<Response, AppError> {
    let key = LeikaKey::parse(&id).map_err(|_| AppError::NotFound)?;
    let c = state.catalogue();
    let online = c.online(&key).ok_or(AppError::NotFound)?.clone();
    let l = c.leistung(&key).ok_or(AppError::NotFound)?;
    let s = match citizen {
        Some(Extension(Citizen(s))) if s.level >= online.vertrauensniveau => s,
        _ => return Ok(login_for(online.vertrauensniveau, &uri)),
    };
    check_csrf(&s, &form.csrf)?;
    let provider = state
        .providers()
        .for_url(&online.url)
        .ok_or(AppError::NotFound)?
        .clone();
    let q = PlaceQuery {
        gemeinde: Some(form.gemeinde.clone()),
        plz: None,
        ..Default::default()
    };
    let t = target(&state, &tenant, &key, &q)
        .ok_or_else(|| AppError::BadRequest("Bitte wählen Sie Ihre Gemeinde.".into()))?;
    let consent = form.einwilligung.as_deref() == Some("ja");
    let now = now_unix();
    let application = applications::create(
        state.store(),
        NewApplication {
            citizen_id: &s.citizen_id,
            provider_id: &provider.id,
            leika: key.as_str(),
            service_name: &l.name,
            tenant_slug: tenant.slug.as_str(),
            ars: &t.ars,
            place_name: &t.place_name,
            office: t.office.as_deref().unwrap_or(""),
            consent,
        },
        now,
    )
    .await?;
    let return_url = format!(
        "{}/mein-bereich/antraege",
        super::account::origin(&state, &headers)?
    );
    let claims = Handoff {
        issuer: state.handoff_issuer(),
        audience: &provider.audience,
        application: &application,
        leika: key.as_str(),
        service_name: &l.name,
        ars: &t.ars,
        place_name: &t.place_name,
        office: t.office.as_deref(),
        tenant: tenant.slug.as_str(),
        return_url: &return_url,
        person: consent.then_some(&s.person),
    }
    .claims(now);
    let keys = state.keys().ok_or_else(|| {
        AppError::Unavailable("Übergabe an Formulardienste ist nicht eingerichtet".into())
    })?;
    let token = keys.sign(&claims);
    tracing::info!(target: "handoff", provider = provider.id, leika = key.as_str(), consent, "Übergabe");
    let form_url = provider.form_url(&online.url);
    state.count(tenant.id, crate::operator::insight::Metric::HandOff);
    match provider.uebergabe {
        Delivery::Formular => Ok(forward(&state, &tenant, l, &provider, form_url, token)),
        Delivery::Zwischenspeicher => {
            let cache_id = post_to_cache(&state, &provider, &token).await?;
            Ok(Redirect::to(&with_param(&form_url, "cache", &cache_id)).into_response())
        }
    }
}

/// The page whose form posts the token to the provider (CSP `form-action`
/// allows the providers' origins). A script submits it at once; without
/// JavaScript the citizen presses the button.
fn forward(
    state: &AppState,
    tenant: &Tenant,
    l: &crate::catalogue::model::Leistung,
    provider: &Provider,
    action: String,
    token: String,
) -> Response {
    let shell = page_shell(state, tenant);
    let page = app::HandoffPage {
        service_name: l.name.clone(),
        provider_name: provider.name.clone(),
        action,
        token,
        script_url: state.assets().url("js/uebergabe.js"),
    };
    super::pages::html_private(app::render(
        &shell,
        &format!("Weiter zum Antrag: {}", l.name),
        apply_crumbs(&shell, l),
        Page::Handoff(page),
    ))
}

/// Startseite › the service › Online beantragen: consent and hand-off page alike.
fn apply_crumbs(shell: &app::Shell, l: &crate::catalogue::model::Leistung) -> Vec<Crumb> {
    vec![
        home_crumb(shell),
        Crumb {
            label: l.name.clone(),
            href: service_href(l, &shell.place_query),
        },
        Crumb {
            label: "Online beantragen".into(),
            href: String::new(),
        },
    ]
}

fn with_param(url: &str, name: &str, value: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    let value: String = form_urlencoded::byte_serialize(value.as_bytes()).collect();
    format!("{url}{sep}{name}={value}")
}

/// The FormSolutions way: the token goes server-to-server, the browser carries a one-time id.
async fn post_to_cache(
    state: &AppState,
    provider: &Provider,
    token: &str,
) -> Result<String, AppError> {
    let url = provider.zwischenspeicher_url.as_deref().unwrap_or_default();
    let unavailable =
        |detail: String| AppError::Unavailable(format!("Formulardienst {}: {detail}", provider.id));
    let res = state
        .http()
        .post(url)
        .header(header::CONTENT_TYPE, "application/json")
        .body(serde_json::json!({ "token": token }).to_string())
        .send()
        .await
        .map_err(|e| unavailable(e.to_string()))?;
    if !res.status().is_success() {
        return Err(unavailable(format!("Antwort {}", res.status())));
    }
    let bytes = res.bytes().await.map_err(|e| unavailable(e.to_string()))?;
    let body: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|e| unavailable(e.to_string()))?;
    body["cache_id"]
        .as_str()
        .filter(|id| !id.is_empty() && id.len() <= 200)
        .map(String::from)
        .ok_or_else(|| unavailable("keine cache_id".into()))
}

/// `/mein-bereich/antraege`: the citizen's applications and their status history.
pub async fn applications(
    State(state): State<AppState>,
    Extension(tenant): TenantExt,
    SignedInCitizen(s): SignedInCitizen,
) -> Result<Response, AppError> {
    let c = state.catalogue();
    let items = applications::list(state.store(), &s.citizen_id)
        .await?
        .into_iter()
        .map(|a| app::ApplicationItem {
            service_href: LeikaKey::parse(&a.leika)
                .ok()
                .and_then(|k| c.leistung(&k).map(|l| service_href(l, "")))
                .unwrap_or_default(),
            id: a.id,
            service_name: a.service_name,
            place: a.place_name,
            office: if a.office.is_empty() {
                "nicht bekannt".into()
            } else {
                a.office
            },
            started: german_datetime(a.created_at),
            status: applications::status_label(&a.status).into(),
            history: a
                .events
                .into_iter()
                .map(|(st, at)| (applications::status_label(&st).into(), german_datetime(at)))
                .collect(),
            messages: a
                .messages
                .into_iter()
                .map(|(id, subject)| LinkItem {
                    href: format!("/postfach/{id}"),
                    label: subject,
                    hint: String::new(),
                })
                .collect(),
        })
        .collect();
    let shell = page_shell(&state, &tenant);
    let crumbs = vec![
        home_crumb(&shell),
        Crumb {
            label: "Mein Bereich".into(),
            href: "/mein-bereich".into(),
        },
        Crumb {
            label: "Meine Anträge".into(),
            href: String::new(),
        },
    ];
    Ok(super::pages::html_private(app::render(
        &shell,
        "Meine Anträge",
        crumbs,
        Page::Applications(app::ApplicationsPage {
            applications: items,
        }),
    )))
}

/// The provider behind a return-channel credential; an authority's Postfach
/// credential has no return channel.
fn provider_of<'a>(
    state: &'a AppState,
    sender: &postfach::Sender,
) -> Result<&'a Provider, DeliveryError> {
    state
        .providers()
        .all()
        .iter()
        .find(|p| p.sender_id() == sender.id)
        .ok_or_else(|| {
            DeliveryError::Forbidden("Diese Zugangsdaten gehören zu keinem Formulardienst.".into())
        })
}

fn unknown_application() -> DeliveryError {
    DeliveryError::NotFound("Vorgang unbekannt oder nicht von diesem Formulardienst.".into())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StatusReport {
    status: String,
}

/// `POST /api/v1/antraege/{id}/status`: the provider reports progress.
pub async fn report_status(
    State(state): State<AppState>,
    Extension(sender): Extension<postfach::Sender>,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, DeliveryError> {
    let provider = provider_of(&state, &sender)?;
    let body = body.map_err(|e| DeliveryError::Invalid(e.body_text()))?;
    let report: StatusReport = serde_json::from_slice(&body)
        .map_err(|e| DeliveryError::Invalid(format!("Kein gültiger Statusbericht: {e}")))?;
    if !applications::REPORTED.contains(&report.status.as_str()) {
        return Err(DeliveryError::Invalid(format!(
            "Unbekannter Status „{}“ (erlaubt: {}).",
            report.status,
            applications::REPORTED.join(", ")
        )));
    }
    let changed =
        applications::report_status(state.store(), &provider.id, &id, &report.status, now_unix())
            .await?
            .ok_or_else(unknown_application)?;
    tracing::info!(target: "handoff", provider = provider.id, status = report.status, changed, "Statusbericht");
    Ok(axum::Json(
        serde_json::json!({ "vorgang": id, "status": report.status, "changed": changed }),
    )
    .into_response())
}

/// `POST /api/v1/antraege/{id}/nachrichten`: a message about the application
/// into the citizen's Postfach; the same rules as the Postfach delivery API.
pub async fn message(
    State(state): State<AppState>,
    Extension(sender): Extension<postfach::Sender>,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, DeliveryError> {
    let provider = provider_of(&state, &sender)?;
    let body = super::postfach::body_or_error(body)?;
    let citizen = applications::citizen_of(state.store(), &provider.id, &id)
        .await?
        .ok_or_else(unknown_application)?;
    let mut value: serde_json::Value = serde_json::from_slice(&body).map_err(|e| {
        DeliveryError::Invalid(format!("Kein gültiges JSON für eine Nachricht: {e}"))
    })?;
    // The recipient is the application's citizen; a provider never names one.
    if let Some(obj) = value.as_object_mut() {
        obj.insert("recipient".into(), serde_json::json!({ "subject": "-" }));
    }
    let delivery: postfach::Delivery = serde_json::from_value(value).map_err(|e| {
        DeliveryError::Invalid(format!("Kein gültiges JSON für eine Nachricht: {e}"))
    })?;
    let validated = postfach::validate(&delivery)?;
    let (message, created) = postfach::deliver(
        state.store(),
        &sender,
        &citizen,
        Some(&id),
        validated,
        now_unix(),
    )
    .await?;
    state.personal().forget(&citizen);
    Ok(super::postfach::delivered(&message, created))
}
