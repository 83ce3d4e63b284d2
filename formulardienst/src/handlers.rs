//! The routes: arrival with a token or cache id, the Zwischenspeicher API,
//! submitting the form, and the aids for operators and tests.

use crate::form::{validate, Eingaben, FormView};
use crate::html;
use crate::memory::{Eingang, Redeem};
use crate::refusal::{ApiRefusal, Refusal};
use crate::token::{Claims, TokenError};
use crate::{now, Service};
use axum::extract::rejection::JsonRejection;
use axum::extract::{Form, Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Json, Response};
use serde::Deserialize;
use std::sync::Arc;

type AppState = State<Arc<Service>>;

#[derive(Debug, Deserialize)]
pub struct Arrival {
    token: Option<String>,
    cache: Option<String>,
}

fn given(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.trim().is_empty())
}

/// `GET /antrag/{leika}?token=…` or `?cache=…`: verify, then show the form.
pub async fn arrive(
    State(service): AppState,
    Path(leika): Path<String>,
    Query(arrival): Query<Arrival>,
) -> Result<Response, Refusal> {
    let now = now();
    let claims =
        match (given(arrival.token), given(arrival.cache)) {
            (Some(token), _) => service.verify(&token, Some(&leika), now).await?,
            (None, Some(cache)) => service
                .memory
                .take_cache(&cache, &leika, now)
                .map_err(|e| match e {
                    Redeem::Unknown => Refusal::UnknownCache,
                    Redeem::OtherLeika => Refusal::OtherLeika,
                })?,
            (None, None) => return Err(Refusal::NoToken),
        };
    let prefilled = Eingaben::from_person(claims.consented_person());
    let submission_id = service.memory.open_submission(claims.clone(), now);
    Ok(form_page(
        StatusCode::OK,
        &claims,
        &submission_id,
        &prefilled,
        &prefilled,
        &[],
    ))
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
    let Json(request) = body.map_err(|_| {
        ApiRefusal(TokenError::Malformed("Anfrage ist nicht {\"token\": \"…\"}").into())
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
    let reported = service.report(&claims, &eingaben, now).await;
    if let Err(e) = &reported {
        tracing::error!(vorgang = %claims.vorgang, error = %e, "Antrag eingegangen, Portal nicht benachrichtigt");
    } else {
        tracing::info!(vorgang = %claims.vorgang, "Antrag eingegangen, Portal benachrichtigt");
    }
    service.memory.record(Eingang {
        claims: claims.clone(),
        eingaben,
        portal_informiert: reported.is_ok(),
    });
    let page = html::received(&claims.vorgang, &claims.rueckkehr_url, reported.is_ok());
    let status = if reported.is_ok() {
        StatusCode::OK
    } else {
        StatusCode::ACCEPTED
    };
    Ok((status, Html(page)).into_response())
}

/// `GET /api/uebergaben/letzte`: the claims of the last accepted hand-off,
/// exactly as the portal sent them. A test aid: real providers have no such thing.
pub async fn last_handoff(State(service): AppState) -> Response {
    match service.memory.last_payload() {
        Some(payload) => Json(payload).into_response(),
        None => (
            StatusCode::NOT_FOUND,
            Json(serde_json::json!({ "error": "Noch keine Übergabe angenommen." })),
        )
            .into_response(),
    }
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
