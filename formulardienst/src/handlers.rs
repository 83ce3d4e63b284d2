//! The routes: arrival with a token (form POST) or cache id, the
//! Zwischenspeicher API, submitting the form, and the aids for operators and tests.

use crate::form::{validate, Eingaben, FormView};
use crate::html;
use crate::memory::Redeem;
use crate::refusal::{ApiRefusal, Refusal};
use crate::token::{Claims, TokenError};
use crate::{now, Service};
use axum::extract::rejection::{FormRejection, JsonRejection};
use axum::extract::{Form, Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Json, Response};
use serde::Deserialize;
use std::sync::Arc;

type AppState = State<Arc<Service>>;

#[derive(Debug, Deserialize)]
pub struct Arrival {
    /// Only to refuse it: tokens are accepted in a POST body only.
    token: Option<String>,
    cache: Option<String>,
}

fn given(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.trim().is_empty())
}

/// `GET /antrag/{leika}?cache=…`: redeem the Zwischenspeicher's id, then show
/// the form. A `token` in the URL is refused unread: URLs end up in histories,
/// logs and referrers, and the token may carry personal data.
pub async fn arrive(
    State(service): AppState,
    Path(leika): Path<String>,
    Query(arrival): Query<Arrival>,
) -> Result<Response, Refusal> {
    if arrival.token.is_some() {
        return Err(Refusal::TokenInUrl);
    }
    let cache = given(arrival.cache).ok_or(Refusal::NoToken)?;
    let now = now();
    let claims = service
        .memory
        .take_cache(&cache, &leika, now)
        .map_err(|e| match e {
            Redeem::Unknown => Refusal::UnknownCache,
            Redeem::OtherLeika => Refusal::OtherLeika,
        })?;
    Ok(open_form(&service, claims, now))
}

#[derive(Debug, Deserialize)]
pub struct Posted {
    #[serde(default)]
    token: String,
}

/// `POST /antrag/{leika}` with `token=…` (form-encoded): the portal's page
/// submits the token in the body. Verify, then show the form.
pub async fn arrive_with_token(
    State(service): AppState,
    Path(leika): Path<String>,
    body: Result<Form<Posted>, FormRejection>,
) -> Result<Response, Refusal> {
    let Form(posted) = body.map_err(|e| match e.status() {
        StatusCode::PAYLOAD_TOO_LARGE => Refusal::TooLarge,
        _ => TokenError::Malformed("Anfrage ist kein Formular mit dem Feld token").into(),
    })?;
    let token = given(Some(posted.token)).ok_or(Refusal::NoToken)?;
    let now = now();
    let claims = service.verify(&token, Some(&leika), now).await?;
    Ok(open_form(&service, claims, now))
}

fn open_form(service: &Service, claims: Arc<Claims>, now: i64) -> Response {
    let prefilled = Eingaben::from_person(claims.consented_person());
    let submission_id = service.memory.open_submission(claims.clone(), now);
    form_page(
        StatusCode::OK,
        &claims,
        &submission_id,
        &prefilled,
        &prefilled,
        &[],
    )
}

fn form_page(
    status: StatusCode,
    claims: &Claims,
    submission_id: &str,
    eingaben: &Eingaben,
    prefilled: &Eingaben,
    errors: &[crate::form::FieldError],
) -> Response {
    let view = FormView {
        claims,
        submission_id,
        eingaben,
        prefilled,
        errors,
    };
    (status, Html(view.render())).into_response()
}

#[derive(Debug, Deserialize)]
pub struct PrefillRequest {
    token: String,
}

/// `POST /api/prefill {"token"}`: the Zwischenspeicher. Verifies (and so
/// consumes) the token now; the browser follows with a one-time cache id.
pub async fn prefill(
    State(service): AppState,
    body: Result<Json<PrefillRequest>, JsonRejection>,
) -> Result<Response, ApiRefusal> {
    let Json(request) = body.map_err(|e| {
        ApiRefusal(match e.status() {
            StatusCode::PAYLOAD_TOO_LARGE => Refusal::TooLarge,
            _ => TokenError::Malformed("Anfrage ist nicht {\"token\": \"…\"}").into(),
        })
    })?;
    let now = now();
    let claims = service
        .verify(&request.token, None, now)
        .await
        .map_err(ApiRefusal)?;
    let cache_id = service.memory.put_cache(claims, now);
    let body = serde_json::json!({ "cache_id": cache_id });
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

#[derive(Debug, Deserialize)]
pub struct Submission {
    #[serde(default)]
    uebergabe: String,
    #[serde(flatten)]
    eingaben: Eingaben,
}

/// `POST /antrag/{leika}/absenden`: validate, then report through the return channel.
pub async fn submit(
    State(service): AppState,
    Path(leika): Path<String>,
    Form(form): Form<Submission>,
) -> Result<Response, Refusal> {
    let now = now();
    let claims = service
        .memory
        .submission(&form.uebergabe, now)
        .ok_or(Refusal::UnknownSubmission)?;
    if claims.leika != leika {
        return Err(Refusal::OtherLeika);
    }
    let eingaben = form.eingaben.trimmed();
    let errors = validate(&eingaben);
    if !errors.is_empty() {
        let prefilled = Eingaben::from_person(claims.consented_person());
        return Ok(form_page(
            StatusCode::UNPROCESSABLE_ENTITY,
            &claims,
            &form.uebergabe,
            &eingaben,
            &prefilled,
            &errors,
        ));
    }
    // Taken only now, so that a double click cannot submit twice.
    let claims = service
        .memory
        .take_submission(&form.uebergabe, now)
        .ok_or(Refusal::UnknownSubmission)?;
    // Stored before reporting: what the portal does not learn now is not lost.
    let id = match service.store.record(&claims, &eingaben, now).await {
        Ok(id) => id,
        Err(e) => {
            service
                .memory
                .reopen_submission(&form.uebergabe, claims, now);
            return Err(Refusal::Store(e.to_string()));
        }
    };
    let reported = service.report(&claims, &eingaben, now).await;
    match &reported {
        Err(e) => {
            tracing::error!(vorgang = %claims.vorgang, eingang = id, error = %e, "Antrag eingegangen, Portal nicht benachrichtigt");
        }
        Ok(()) => {
            tracing::info!(vorgang = %claims.vorgang, eingang = id, "Antrag eingegangen, Portal benachrichtigt");
            if let Err(e) = service.store.mark_informed(id).await {
                tracing::error!(eingang = id, error = %e, "Benachrichtigung nicht vermerkt");
            }
        }
    }
    let page = html::received(&claims.vorgang, &claims.rueckkehr_url, reported.is_ok());
    let status = if reported.is_ok() {
        StatusCode::OK
    } else {
        StatusCode::ACCEPTED
    };
    Ok((status, Html(page)).into_response())
}

/// `GET /api/uebergaben/{vorgang}` with `Authorization: Bearer <INSPECTION_CREDENTIAL>`:
/// the claims of that hand-off exactly as received, while its form is open. A
/// test and diagnosis aid; without the variable the route does not exist.
pub async fn inspect(
    State(service): AppState,
    Path(vorgang): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Some(credential) = service.config.inspection_credential.as_deref() else {
        return not_found().await;
    };
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map_or("", |(_, value)| value);
    if !same_secret(presented, credential) {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            Json(serde_json::json!({ "error": "Zugang fehlt oder ist falsch." })),
        )
            .into_response();
    }
    match service.memory.inspect(&vorgang, now()) {
        Some(payload) => Json(payload).into_response(),
        None => (
            StatusCode::NOT_FOUND,
            Json(serde_json::json!({ "error": "Keine Übergabe zu diesem Vorgang." })),
        )
            .into_response(),
    }
}

/// Compares the SHA-256 digests without an early exit: neither the length nor
/// a matching prefix of the credential shows in the time taken.
fn same_secret(presented: &str, expected: &str) -> bool {
    let digest = |s: &str| ring::digest::digest(&ring::digest::SHA256, s.as_bytes());
    let (a, b) = (digest(presented), digest(expected));
    a.as_ref()
        .iter()
        .zip(b.as_ref())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

pub async fn healthz() -> &'static str {
    "ok"
}

pub async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        html::STYLESHEET,
    )
        .into_response()
}

pub async fn start() -> Html<String> {
    Html(html::start())
}

pub async fn not_found() -> Response {
    (StatusCode::NOT_FOUND, Html(html::not_found())).into_response()
}
