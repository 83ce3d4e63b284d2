//! Why a hand-off is refused: one type, rendered as a German page for the
//! browser or as JSON for the portal's server-to-server call.

use crate::html;
use crate::token::TokenError;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Json, Response};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error(transparent)]
    Token(#[from] TokenError),
    #[error("weder token noch cache angegeben")]
    NoToken,
    #[error("token in der URL statt im Formular")]
    TokenInUrl,
    #[error("Anfrage zu groß")]
    TooLarge,
    #[error("Speicher nicht verfügbar: {0}")]
    Store(String),
    #[error("cache-Kennung unbekannt, abgelaufen oder schon verwendet")]
    UnknownCache,
    #[error("Leistungsschlüssel im Pfad passt nicht zum Token")]
    OtherLeika,
    #[error("Formular-Kennung unbekannt, abgelaufen oder schon abgesendet")]
    UnknownSubmission,
}

const RESTART: &str = "Bitte starten Sie den Antrag erneut im Bürgerportal.";

impl Refusal {
    pub fn status(&self) -> StatusCode {
        use TokenError::*;
        match self {
            Refusal::Token(Malformed(_) | Claims(_))
            | Refusal::NoToken
            | Refusal::TokenInUrl
            | Refusal::OtherLeika => StatusCode::BAD_REQUEST,
            Refusal::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Refusal::Token(
                Algorithm(_) | UnknownKey(_) | Signature | NotYetValid | LifetimeTooLong,
            ) => StatusCode::UNAUTHORIZED,
            Refusal::Token(Issuer | Audience) => StatusCode::FORBIDDEN,
            Refusal::Token(Expired | Replayed)
            | Refusal::UnknownCache
            | Refusal::UnknownSubmission => StatusCode::GONE,
            Refusal::Token(JwksUnavailable(_)) | Refusal::Store(_) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
        }
    }

    /// A stable, technical name for tests and support requests.
    pub fn code(&self) -> &'static str {
        use TokenError::*;
        match self {
            Refusal::Token(Malformed(_)) => "token_unlesbar",
            Refusal::Token(Claims(_)) => "claims_ungueltig",
            Refusal::Token(Algorithm(_)) => "algorithmus_abgelehnt",
            Refusal::Token(UnknownKey(_)) => "schluessel_unbekannt",
            Refusal::Token(Signature) => "signatur_ungueltig",
            Refusal::Token(NotYetValid) => "noch_nicht_gueltig",
            Refusal::Token(LifetimeTooLong) => "gueltigkeit_zu_lang",
            Refusal::Token(Issuer) => "aussteller_falsch",
            Refusal::Token(Audience) => "empfaenger_falsch",
            Refusal::Token(Expired) => "abgelaufen",
            Refusal::Token(Replayed) => "bereits_verwendet",
            Refusal::Token(JwksUnavailable(_)) => "jwks_nicht_erreichbar",
            Refusal::NoToken => "kein_token",
            Refusal::TokenInUrl => "token_in_adresse",
            Refusal::TooLarge => "anfrage_zu_gross",
            Refusal::Store(_) => "speicher_nicht_verfuegbar",
            Refusal::UnknownCache => "cache_unbekannt",
            Refusal::OtherLeika => "leistung_passt_nicht",
            Refusal::UnknownSubmission => "formular_unbekannt",
        }
    }

    fn title(&self) -> &'static str {
        match self {
            Refusal::NoToken => "Antrag im Bürgerportal starten",
            Refusal::OtherLeika => "Link passt nicht zur Leistung",
            Refusal::TokenInUrl => "Übergabe im Link nicht möglich",
            Refusal::Token(TokenError::Replayed) => "Weiterleitung bereits verwendet",
            Refusal::UnknownSubmission => "Formular nicht mehr gültig",
            _ => match self.status() {
                StatusCode::UNAUTHORIZED => "Herkunft nicht bestätigt",
                StatusCode::FORBIDDEN => "Nicht für diesen Formulardienst bestimmt",
                StatusCode::GONE => "Link abgelaufen",
                StatusCode::SERVICE_UNAVAILABLE => "Vorübergehend nicht verfügbar",
                _ => "Ungültiger Link",
            },
        }
    }

    /// What the citizen reads: what happened and what to do.
    pub fn message(&self) -> String {
        let reason = match self {
            Refusal::NoToken => {
                "Dieses Antragsformular kann nur über das Bürgerportal geöffnet werden. \
                 Bitte suchen Sie die Leistung im Bürgerportal und starten Sie den Antrag dort."
            }
            Refusal::OtherLeika => "Der Link gehört zu einer anderen Leistung als diese Seite.",
            Refusal::TokenInUrl => {
                "Zum Schutz Ihrer Daten nimmt dieser Formulardienst keine Daten aus dem Link \
                 (der Adresse im Browser) an. Das Bürgerportal übergibt sie auf anderem Weg."
            }
            Refusal::TooLarge => "Die Weiterleitung vom Bürgerportal war zu groß.",
            Refusal::Store(_) => {
                "Der Formulardienst kann gerade nichts speichern. \
                 Bitte versuchen Sie es in einigen Minuten erneut."
            }
            Refusal::Token(TokenError::Replayed) => {
                "Die Weiterleitung vom Bürgerportal kann aus Sicherheitsgründen nur einmal \
                 verwendet werden, zum Beispiel wenn Sie die Seite neu geladen haben."
            }
            Refusal::UnknownSubmission => {
                "Dieses Formular wurde bereits abgesendet oder ist abgelaufen."
            }
            Refusal::UnknownCache | Refusal::Token(TokenError::Expired) => {
                "Der Link zum Antragsformular ist aus Sicherheitsgründen nur fünf Minuten \
                 und nur einmal gültig."
            }
            _ => match self.status() {
                StatusCode::UNAUTHORIZED => {
                    "Wir konnten nicht bestätigen, dass Sie vom Bürgerportal weitergeleitet wurden. \
                     Zu Ihrem Schutz zeigen wir das Formular nicht an."
                }
                StatusCode::FORBIDDEN => {
                    "Die Weiterleitung ist nicht für diesen Formulardienst bestimmt."
                }
                StatusCode::SERVICE_UNAVAILABLE => {
                    "Die Verbindung zum Bürgerportal ist gestört. \
                     Bitte versuchen Sie es in einigen Minuten erneut."
                }
                _ => "Der Link zum Antragsformular ist unvollständig oder beschädigt.",
            },
        };
        match self {
            Refusal::NoToken
            | Refusal::Token(TokenError::JwksUnavailable(_))
            | Refusal::Store(_) => reason.into(),
            _ => format!("{reason} {RESTART}"),
        }
    }

    fn log(&self) {
        tracing::warn!(code = self.code(), reason = %self, "Übergabe abgelehnt");
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        self.log();
        let page = html::refusal(self.title(), &self.message(), self.code());
        (self.status(), Html(page)).into_response()
    }
}

/// The same refusal for a server-to-server caller: `{"error", "code"}`.
pub struct ApiRefusal(pub Refusal);

impl IntoResponse for ApiRefusal {
    fn into_response(self) -> Response {
        self.0.log();
        let body = serde_json::json!({ "error": self.0.to_string(), "code": self.0.code() });
        (self.0.status(), Json(body)).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_follow_the_contract() {
        let status = |r: Refusal| r.status().as_u16();
        assert_eq!(status(TokenError::Signature.into()), 401);
        assert_eq!(status(TokenError::UnknownKey("k".into()).into()), 401);
        assert_eq!(status(TokenError::Algorithm("none".into()).into()), 401);
        assert_eq!(status(TokenError::Audience.into()), 403);
        assert_eq!(status(TokenError::Issuer.into()), 403);
        assert_eq!(status(TokenError::Expired.into()), 410);
        assert_eq!(status(TokenError::Replayed.into()), 410);
        assert_eq!(status(Refusal::NoToken), 400);
        assert_eq!(status(Refusal::TokenInUrl), 400);
        assert_eq!(status(Refusal::TooLarge), 413);
        assert_eq!(status(Refusal::Store("x".into())), 503);
    }

    #[test]
    fn every_message_is_german_and_says_what_to_do() {
        for r in [
            Refusal::Token(TokenError::Signature),
            Refusal::Token(TokenError::Expired),
            Refusal::OtherLeika,
            Refusal::UnknownCache,
            Refusal::TokenInUrl,
        ] {
            assert!(r.message().ends_with(RESTART), "{r:?}");
        }
        assert!(Refusal::NoToken.message().contains("Bürgerportal"));
    }
}
