//! Errors as types: each becomes a page in the tenant's branding (see
//! `middleware::render_errors`), never a stack trace.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("nicht gefunden")]
    NotFound,
    #[error("ungültige Anfrage: {0}")]
    BadRequest(String),
    #[error("interner Fehler: {0}")]
    Internal(String),
    /// A refused login: says what happened, creates no session.
    #[error("Anmeldung fehlgeschlagen: {0}")]
    Login(String),
    #[error("nicht erlaubt: {0}")]
    Forbidden(String),
    /// A service we depend on (the Servicekonto) is not reachable.
    #[error("nicht verfügbar: {0}")]
    Unavailable(String),
}

impl From<crate::store::StoreError> for AppError {
    fn from(e: crate::store::StoreError) -> Self {
        AppError::Internal(e.to_string())
    }
}

/// What the error page says; travels in the response's extensions.
#[derive(Debug, Clone)]
pub struct ErrorInfo {
    pub status: StatusCode,
    pub title: String,
    pub message: String,
}

impl ErrorInfo {
    pub fn for_status(status: StatusCode) -> Self {
        let (title, message) = match status {
            StatusCode::NOT_FOUND => (
                "Seite nicht gefunden",
                "Diese Seite gibt es nicht oder nicht mehr. Vielleicht hilft Ihnen die Suche oder die Übersicht der Lebenslagen weiter.",
            ),
            StatusCode::TOO_MANY_REQUESTS => (
                "Zu viele Anfragen",
                "Von Ihrem Anschluss kamen in kurzer Zeit sehr viele Anfragen. Bitte warten Sie einen Moment und versuchen Sie es dann erneut.",
            ),
            s if s.is_client_error() => (
                "Anfrage nicht verständlich",
                "Die Adresse enthält Angaben, die wir nicht verarbeiten können. Bitte prüfen Sie die Adresse oder beginnen Sie auf der Startseite.",
            ),
            _ => (
                "Ein technischer Fehler ist aufgetreten",
                "Bitte versuchen Sie es in einigen Minuten erneut. Ihre Angaben sind nicht verloren gegangen.",
            ),
        };
        ErrorInfo {
            status,
            title: title.into(),
            message: message.into(),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let info = match &self {
            AppError::NotFound => ErrorInfo::for_status(StatusCode::NOT_FOUND),
            AppError::BadRequest(msg) => ErrorInfo {
                message: msg.clone(),
                ..ErrorInfo::for_status(StatusCode::BAD_REQUEST)
            },
            AppError::Login(msg) => ErrorInfo {
                status: StatusCode::BAD_REQUEST,
                title: "Anmeldung fehlgeschlagen".into(),
                message: msg.clone(),
            },
            AppError::Forbidden(msg) => ErrorInfo {
                status: StatusCode::FORBIDDEN,
                title: "Aktion nicht möglich".into(),
                message: msg.clone(),
            },
            AppError::Unavailable(detail) => {
                tracing::warn!(detail = ?detail, "Dienst nicht erreichbar");
                ErrorInfo {
                    status: StatusCode::SERVICE_UNAVAILABLE,
                    title: "Anmeldung zurzeit nicht möglich".into(),
                    message: "Das Servicekonto ist gerade nicht erreichbar. Bitte versuchen Sie es in einigen Minuten erneut.".into(),
                }
            }
            AppError::Internal(detail) => {
                tracing::error!(detail = ?detail, "interner Fehler");
                ErrorInfo::for_status(StatusCode::INTERNAL_SERVER_ERROR)
            }
        };
        let mut res = info.status.into_response();
        res.extensions_mut().insert(info);
        res
    }
}

/// For hosts that are no tenant: says nothing about any tenant.
pub fn plain_not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        "<!DOCTYPE html><html lang=\"de\"><head><meta charset=\"utf-8\"><title>Nicht gefunden</title></head>\
         <body><h1>Nicht gefunden</h1><p>Unter dieser Adresse ist kein Portal eingerichtet.</p></body></html>",
    )
        .into_response()
}
