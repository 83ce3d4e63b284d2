//! The Postfach pages and the delivery API for senders.

use super::account::{check_csrf, Citizen, MaybeCitizen, SignedInCitizen};
use super::pages::{home_crumb, page_shell};
use super::{AppError, AppState};
use crate::clock::{german_datetime, now_unix};
use crate::postfach::{self, Action, DeliveryError, SenderKind};
use crate::tenancy::Tenant;
use app::{Crumb, Page};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Extension, Form, Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use std::sync::Arc;

type TenantExt = Extension<Arc<Tenant>>;

#[derive(Deserialize)]
pub struct FolderQuery {
    ordner: Option<String>,
}

fn crumbs(shell: &app::Shell, here: &str, postfach_link: bool) -> Vec<Crumb> {
    let mut crumbs = vec![
        home_crumb(shell),
        Crumb {
            label: "Mein Bereich".into(),
            href: "/mein-bereich".into(),
        },
    ];
    if postfach_link {
        crumbs.push(Crumb {
            label: "Postfach".into(),
            href: "/postfach".into(),
        });
    }
    crumbs.push(Crumb {
        label: here.into(),
        href: String::new(),
    });
    crumbs
}

pub async fn inbox(
    State(state): State<AppState>,
    Extension(tenant): TenantExt,
    SignedInCitizen(s): SignedInCitizen,
    Query(q): Query<FolderQuery>,
) -> Result<Response, AppError> {
    let archive = q.ordner.as_deref() == Some("archiv");
    let messages = super::personal::messages(&state, &s.citizen_id, archive)
        .await?
        .iter()
        .map(|m| app::MessageRow {
            href: format!("/postfach/{}", m.id),
            subject: m.subject.clone(),
            sender: m.sender.clone(),
            date: german_datetime(m.sent_at),
            unread: !m.read,
            attachments: m.attachments as usize,
        })
        .collect();
    let page = app::PostfachPage {
        archive,
        messages,
        inbox_href: "/postfach".into(),
        archive_href: "/postfach?ordner=archiv".into(),
    };
    let shell = page_shell(&state, &tenant);
    let title = if archive { "Archiv" } else { "Postfach" };
    let crumbs = crumbs(&shell, title, archive);
    Ok(super::pages::html_private(app::render(
        &shell,
        title,
        crumbs,
        Page::Postfach(page),
    )))
}

fn size_label(bytes: i64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.1} MB", bytes as f64 / 1024.0 / 1024.0).replace('.', ",")
    } else {
        format!("{} KB", (bytes + 1023) / 1024)
    }
}

fn kind_label(content_type: &str) -> &'static str {
    match content_type {
        "application/pdf" => "PDF",
        "image/png" => "PNG-Bild",
        "image/jpeg" => "JPEG-Bild",
        _ => "Datei",
    }
}

/// A message; opening it marks it as read.
pub async fn message(
    State(state): State<AppState>,
    Extension(tenant): TenantExt,
    SignedInCitizen(s): SignedInCitizen,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let m = postfach::get(state.store(), &s.citizen_id, &id)
        .await?
        .ok_or(AppError::NotFound)?;
    postfach::apply(
        state.store(),
        &s.citizen_id,
        &id,
        Action::MarkRead,
        now_unix(),
    )
    .await?;
    let page = app::MessagePage {
        subject: m.subject.clone(),
        sender: m.sender,
        date: german_datetime(m.sent_at),
        body: app::blocks(&m.body),
        attachments: m
            .attachments
            .iter()
            .map(|a| app::AttachmentLink {
                href: format!("/postfach/{}/anhang/{}", m.id, a.id),
                filename: a.filename.clone(),
                kind: kind_label(&a.content_type).into(),
                size: size_label(a.size),
            })
            .collect(),
        archived: m.archived,
        action: format!("/postfach/{}", m.id),
        csrf: s.csrf.clone(),
        back: if m.archived {
            "/postfach?ordner=archiv"
        } else {
            "/postfach"
        }
        .into(),
    };
    state.personal().forget(&s.citizen_id);
    let mut shell = page_shell(&state, &tenant);
    // The header was counted before this message was marked read.
    if let app::AccountNav::Citizen { unread, .. } = &mut shell.account {
        *unread = super::personal::unread(&state, &s.citizen_id).await?;
    }
    let crumbs = crumbs(&shell, &m.subject, true);
    Ok(super::pages::html_private(app::render(
        &shell,
        &m.subject,
        crumbs,
        Page::Message(page),
    )))
}

#[derive(Deserialize)]
pub struct MessageForm {
    #[serde(default)]
    csrf: String,
    aktion: String,
}

pub async fn message_action(
    State(state): State<AppState>,
    citizen: MaybeCitizen,
    Path(id): Path<String>,
    Form(form): Form<MessageForm>,
) -> Result<Response, AppError> {
    let Some(Extension(Citizen(s))) = citizen else {
        return Ok(Redirect::to("/anmelden?next=%2Fpostfach").into_response());
    };
    check_csrf(&s, &form.csrf)?;
    let (action, back) = match form.aktion.as_str() {
        "archivieren" => (Action::Archive, "/postfach".to_string()),
        "zurueck" => (Action::Unarchive, "/postfach?ordner=archiv".to_string()),
        "loeschen" => (Action::Delete, "/postfach".to_string()),
        _ => return Err(AppError::BadRequest("Unbekannte Aktion.".into())),
    };
    let applied = postfach::apply(state.store(), &s.citizen_id, &id, action, now_unix()).await?;
    state.personal().forget(&s.citizen_id);
    if !applied {
        return Err(AppError::NotFound);
    }
    Ok(Redirect::to(&back).into_response())
}

/// An attachment, only for the citizen it was sent to; always a download.
pub async fn attachment(
    State(state): State<AppState>,
    SignedInCitizen(s): SignedInCitizen,
    Path((message, attachment)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let file = postfach::attachment(state.store(), &s.citizen_id, &message, &attachment)
        .await?
        .ok_or(AppError::NotFound)?;
    let ascii: String = file
        .filename
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = form_urlencoded::byte_serialize(file.filename.as_bytes())
        .collect::<String>()
        .replace('+', "%20");
    let disposition = format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}");
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_str(&file.content_type)
                    .unwrap_or(HeaderValue::from_static("application/octet-stream")),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&disposition)
                    .unwrap_or(HeaderValue::from_static("attachment")),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, no-store"),
            ),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static("sandbox; default-src 'none'"),
            ),
        ],
        file.data,
    )
        .into_response())
}

/// RFC 9457 problem document for the delivery API.
fn problem(status: StatusCode, title: &str, detail: &str) -> Response {
    let mut res = (
        status,
        [(header::CONTENT_TYPE, "application/problem+json")],
        serde_json::json!({ "type": "about:blank", "title": title, "status": status.as_u16(), "detail": detail })
            .to_string(),
    )
        .into_response();
    if status == StatusCode::UNAUTHORIZED {
        res.headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    res
}

impl IntoResponse for DeliveryError {
    fn into_response(self) -> Response {
        let (status, title) = match &self {
            DeliveryError::Unauthorized => (StatusCode::UNAUTHORIZED, "Nicht authentifiziert"),
            DeliveryError::Forbidden(_) => (StatusCode::FORBIDDEN, "Nicht erlaubt"),
            DeliveryError::Invalid(_) => (StatusCode::BAD_REQUEST, "Ungültige Nachricht"),
            DeliveryError::Unreachable => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "Empfänger nicht erreichbar",
            ),
            DeliveryError::Conflict(_) => {
                (StatusCode::CONFLICT, "Nachrichtenkennung schon vergeben")
            }
            DeliveryError::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "Zu groß"),
            DeliveryError::UnsupportedType(_) => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "Dateityp nicht erlaubt")
            }
            DeliveryError::NotFound(_) => (StatusCode::NOT_FOUND, "Nicht gefunden"),
            DeliveryError::Store(e) => {
                tracing::error!("Postfach: {e}");
                return problem(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Interner Fehler",
                    "Bitte später erneut senden.",
                );
            }
        };
        problem(status, title, &self.to_string())
    }
}

/// Refuses a body that announces more than the limit, then checks the Bearer
/// credential, both from the headers before any body is read; hands the
/// sender on as a request extension. (A body without a length is cut off by
/// the streaming limit while the handler reads it.)
pub async fn require_sender(
    State(state): State<AppState>,
    mut req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let announced = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|n| n > postfach::MAX_REQUEST_BYTES as u64) {
        return too_large().into_response();
    }
    let credential = bearer(req.headers()).unwrap_or_default().to_string();
    match postfach::authenticate(state.store(), &credential).await {
        Ok(Some(sender)) => {
            req.extensions_mut().insert(sender);
            next.run(req).await
        }
        Ok(None) => DeliveryError::Unauthorized.into_response(),
        Err(e) => DeliveryError::Store(e).into_response(),
    }
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

/// The request body, or why there is none (too large, unreadable).
pub(super) fn body_or_error(body: Result<Bytes, BytesRejection>) -> Result<Bytes, DeliveryError> {
    body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            too_large()
        } else {
            DeliveryError::Invalid(e.body_text())
        }
    })
}

fn too_large() -> DeliveryError {
    DeliveryError::TooLarge(format!(
        "Die Anfrage ist größer als {} MiB.",
        postfach::MAX_REQUEST_BYTES / 1024 / 1024
    ))
}

/// `POST /api/v1/postfach/messages`: a sender delivers a message to a citizen.
pub async fn deliver(
    State(state): State<AppState>,
    Extension(sender): Extension<postfach::Sender>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, DeliveryError> {
    if sender.kind != SenderKind::Postfach {
        return Err(DeliveryError::Forbidden(
            "Diese Zugangsdaten gelten nur für den Rückkanal der eigenen Anträge.".into(),
        ));
    }
    let body = body_or_error(body)?;
    let delivery: postfach::Delivery = serde_json::from_slice(&body).map_err(|e| {
        DeliveryError::Invalid(format!("Kein gültiges JSON für eine Nachricht: {e}"))
    })?;
    let validated = postfach::validate(&delivery)?;
    let issuer = validated
        .recipient_issuer
        .clone()
        .or_else(|| state.oidc().map(|o| o.issuer().to_string()))
        .ok_or(DeliveryError::Unreachable)?;
    let citizen =
        crate::auth::account::find_citizen(state.store(), &issuer, &validated.recipient_subject)
            .await?
            .filter(|c| sender.reaches(c.home_ars.as_deref()))
            .ok_or(DeliveryError::Unreachable)?;
    let (id, created) = postfach::deliver(
        state.store(),
        &sender,
        &citizen.id,
        None,
        validated,
        now_unix(),
    )
    .await?;
    state.personal().forget(&citizen.id);
    tracing::info!(target: "postfach", sender = sender.id, created, "Nachricht zugestellt");
    Ok(delivered(&id, created))
}

/// 201 for a new message, 200 for a retry of one already delivered.
pub(super) fn delivered(id: &str, created: bool) -> Response {
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    (
        status,
        axum::Json(serde_json::json!({ "id": id, "created": created })),
    )
        .into_response()
}
