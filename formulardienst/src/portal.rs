//! The portal's return channel: status reports and messages for the citizen's
//! Postfach, authenticated with the credential the portal's operator issued.

use serde::Serialize;
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(10);

/// The statuses the portal accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Eingegangen,
    InBearbeitung,
    BescheidVersandt,
    Abgeschlossen,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Eingegangen => "eingegangen",
            Status::InBearbeitung => "in_bearbeitung",
            Status::BescheidVersandt => "bescheid_versandt",
            Status::Abgeschlossen => "abgeschlossen",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Attachment {
    pub filename: String,
    pub content_type: String,
    pub content_base64: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Message {
    /// Makes delivery idempotent: a repeat is answered with 200, not stored twice.
    pub sender_message_id: String,
    pub subject: String,
    pub body: String,
    pub attachments: Vec<Attachment>,
}

#[derive(Debug, thiserror::Error)]
pub enum PortalError {
    #[error("Rückkanal-URL für Vorgang „{0}“ nicht bildbar")]
    Url(String),
    #[error("Portal nicht erreichbar ({step}): {source}")]
    Transport {
        step: &'static str,
        source: reqwest::Error,
    },
    #[error("Portal lehnte ab ({step}): HTTP {status}: {body}")]
    Refused {
        step: &'static str,
        status: u16,
        body: String,
    },
}

#[derive(Clone)]
pub struct Portal {
    client: reqwest::Client,
    base: reqwest::Url,
    credential: String,
}

impl Portal {
    pub fn new(client: reqwest::Client, base: reqwest::Url, credential: String) -> Portal {
        Portal {
            client,
            base,
            credential,
        }
    }

    /// `{base}/api/v1/antraege/{vorgang}/{tail}`, the id percent-encoded as one segment.
    fn url(&self, vorgang: &str, tail: &str) -> Result<reqwest::Url, PortalError> {
        let mut url = self.base.clone();
        url.path_segments_mut()
            .map_err(|_| PortalError::Url(vorgang.into()))?
            .pop_if_empty()
            .extend(["api", "v1", "antraege", vorgang, tail]);
        Ok(url)
    }

    pub async fn report_status(&self, vorgang: &str, status: Status) -> Result<(), PortalError> {
        let body = serde_json::json!({ "status": status.as_str() });
        self.post("Status", self.url(vorgang, "status")?, &body)
            .await
    }

    pub async fn send_message(&self, vorgang: &str, message: &Message) -> Result<(), PortalError> {
        self.post("Nachricht", self.url(vorgang, "nachrichten")?, message)
            .await
    }

    async fn post(
        &self,
        step: &'static str,
        url: reqwest::Url,
        body: &impl Serialize,
    ) -> Result<(), PortalError> {
        let response = self
            .client
            .post(url)
            .bearer_auth(&self.credential)
            .timeout(TIMEOUT)
            .json(body)
            .send()
            .await
            .map_err(|source| PortalError::Transport { step, source })?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let body = response.text().await.unwrap_or_default();
        Err(PortalError::Refused {
            step,
            status: status.as_u16(),
            body: body.chars().take(500).collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn portal(base: &str) -> Portal {
        Portal::new(
            reqwest::Client::new(),
            reqwest::Url::parse(base).unwrap(),
            "c".into(),
        )
    }

    #[test]
    fn builds_return_channel_urls() {
        let url = portal("http://127.0.0.1:3000")
            .url("BP-1", "status")
            .unwrap();
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:3000/api/v1/antraege/BP-1/status"
        );
        let url = portal("https://p.example/portal/")
            .url("a/b c", "nachrichten")
            .unwrap();
        assert_eq!(
            url.as_str(),
            "https://p.example/portal/api/v1/antraege/a%2Fb%20c/nachrichten"
        );
    }
}
