//! Delivery into the Postfach by authorities and form providers:
//! authenticated per sender, idempotent by the sender's message id, and
//! validated completely before anything is written.

use crate::auth::random_token;
use crate::store::{text, Store, StoreError};
use base64::Engine;
use serde::Deserialize;
use sha2::{Digest, Sha256};

pub const MAX_ATTACHMENTS: usize = 10;
pub const MAX_ATTACHMENT_BYTES: usize = 5 * 1024 * 1024;
pub const MAX_TOTAL_BYTES: usize = 15 * 1024 * 1024;
/// The request body: attachments in base64 (4/3) plus the JSON around them.
pub const MAX_REQUEST_BYTES: usize = MAX_TOTAL_BYTES / 3 * 4 + 1024 * 1024;
const MAX_SUBJECT_CHARS: usize = 200;
const MAX_BODY_CHARS: usize = 50_000;

/// The request of `POST /api/v1/postfach/messages`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Delivery {
    pub recipient: Recipient,
    pub sender_message_id: String,
    pub subject: String,
    pub body: String,
    #[serde(default)]
    pub attachments: Vec<AttachmentIn>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recipient {
    /// The citizen's `sub` at the Servicekonto.
    pub subject: String,
    /// Defaults to the portal's configured issuer.
    pub issuer: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttachmentIn {
    pub filename: String,
    pub content_type: String,
    pub content_base64: String,
}

#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    #[error("Zugangsdaten fehlen oder sind ungültig.")]
    Unauthorized,
    #[error("{0}")]
    Invalid(String),
    #[error(
        "Empfänger unbekannt: Unter dieser Kennung hat sich noch niemand im Portal angemeldet."
    )]
    UnknownRecipient,
    #[error("{0}")]
    TooLarge(String),
    #[error("{0}")]
    UnsupportedType(String),
    #[error("{0}")]
    NotFound(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for DeliveryError {
    fn from(e: sqlx::Error) -> Self {
        DeliveryError::Store(e.into())
    }
}

#[derive(Debug, Clone)]
pub struct Sender {
    pub id: String,
    pub name: String,
}

#[derive(Debug)]
pub struct Attachment {
    pub filename: String,
    pub content_type: &'static str,
    pub data: Vec<u8>,
}

/// A delivery that passed every check.
#[derive(Debug)]
pub struct Validated {
    pub recipient_issuer: Option<String>,
    pub recipient_subject: String,
    pub sender_message_id: String,
    pub subject: String,
    pub body: String,
    pub attachments: Vec<Attachment>,
}

fn hash(credential: &str) -> String {
    Sha256::digest(credential.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Registers a sender; returns its id and the credential (shown once, stored hashed).
pub async fn add_sender(
    store: &Store,
    name: &str,
    credential: Option<String>,
    now: i64,
) -> Result<(String, String), StoreError> {
    let credential = credential.unwrap_or_else(|| format!("bps_{}", random_token()));
    let id = random_token();
    sqlx::query(
        "INSERT INTO postfach_senders (id, name, credential_sha256, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(&id)
    .bind(name)
    .bind(hash(&credential))
    .bind(now)
    .execute(store.pool())
    .await?;
    Ok((id, credential))
}

/// The sender a bearer credential belongs to.
pub async fn authenticate(store: &Store, credential: &str) -> Result<Option<Sender>, StoreError> {
    if credential.len() < 16 {
        return Ok(None);
    }
    let row = sqlx::query("SELECT id, name FROM postfach_senders WHERE credential_sha256 = $1")
        .bind(hash(credential))
        .fetch_optional(store.pool())
        .await?;
    Ok(row
        .map(|r| -> Result<Sender, sqlx::Error> {
            Ok(Sender {
                id: text(&r, "id")?,
                name: text(&r, "name")?,
            })
        })
        .transpose()?)
}

fn required(value: &str, what: &str, max_chars: usize) -> Result<String, DeliveryError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(DeliveryError::Invalid(format!("„{what}“ fehlt.")));
    }
    if v.chars().count() > max_chars {
        return Err(DeliveryError::Invalid(format!(
            "„{what}“ ist zu lang (höchstens {max_chars} Zeichen)."
        )));
    }
    if v.chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err(DeliveryError::Invalid(format!(
            "„{what}“ enthält Steuerzeichen."
        )));
    }
    Ok(v.to_string())
}

/// The file type by its first bytes; the declared type must agree.
fn sniff(data: &[u8]) -> Option<&'static str> {
    if data.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if data.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if data.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else {
        None
    }
}

/// A file name without any path, quotes or control characters.
fn clean_filename(name: &str) -> Result<String, DeliveryError> {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | '<' | '>' | ':' | '|' | '?' | '*'))
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').to_string();
    if cleaned.is_empty() || cleaned.chars().count() > 200 {
        return Err(DeliveryError::Invalid(format!(
            "Anhang „{name}“: Der Dateiname fehlt oder ist länger als 200 Zeichen."
        )));
    }
    Ok(cleaned)
}

fn attachment(a: &AttachmentIn) -> Result<Attachment, DeliveryError> {
    let filename = clean_filename(&a.filename)?;
    let declared = a.content_type.trim().to_ascii_lowercase();
    if !matches!(
        declared.as_str(),
        "application/pdf" | "image/png" | "image/jpeg"
    ) {
        return Err(DeliveryError::UnsupportedType(format!(
            "Anhang „{filename}“: Der Typ „{}“ ist nicht erlaubt (erlaubt: application/pdf, image/png, image/jpeg).",
            a.content_type
        )));
    }
    if a.content_base64.len() > MAX_ATTACHMENT_BYTES / 3 * 4 + 8 {
        return Err(too_large(&filename));
    }
    let data = base64::engine::general_purpose::STANDARD
        .decode(a.content_base64.trim())
        .map_err(|_| {
            DeliveryError::Invalid(format!(
                "Anhang „{filename}“: content_base64 ist kein gültiges Base64."
            ))
        })?;
    if data.len() > MAX_ATTACHMENT_BYTES {
        return Err(too_large(&filename));
    }
    match sniff(&data) {
        Some(t) if t == declared => Ok(Attachment {
            filename,
            content_type: t,
            data,
        }),
        _ => Err(DeliveryError::UnsupportedType(format!(
            "Anhang „{filename}“: Der Inhalt ist kein {declared}."
        ))),
    }
}

fn too_large(filename: &str) -> DeliveryError {
    DeliveryError::TooLarge(format!(
        "Anhang „{filename}“ ist größer als {} MiB.",
        MAX_ATTACHMENT_BYTES / 1024 / 1024
    ))
}

pub fn validate(d: &Delivery) -> Result<Validated, DeliveryError> {
    let recipient_subject = required(&d.recipient.subject, "recipient.subject", 255)?;
    let sender_message_id = required(&d.sender_message_id, "sender_message_id", 200)?;
    let subject = required(&d.subject, "subject", MAX_SUBJECT_CHARS)?;
    let body = required(&d.body, "body", MAX_BODY_CHARS)?;
    if d.attachments.len() > MAX_ATTACHMENTS {
        return Err(DeliveryError::TooLarge(format!(
            "Höchstens {MAX_ATTACHMENTS} Anhänge je Nachricht."
        )));
    }
    let attachments = d
        .attachments
        .iter()
        .map(attachment)
        .collect::<Result<Vec<_>, _>>()?;
    if attachments.iter().map(|a| a.data.len()).sum::<usize>() > MAX_TOTAL_BYTES {
        return Err(DeliveryError::TooLarge(format!(
            "Die Anhänge sind zusammen größer als {} MiB.",
            MAX_TOTAL_BYTES / 1024 / 1024
        )));
    }
    Ok(Validated {
        recipient_issuer: d.recipient.issuer.clone().filter(|i| !i.is_empty()),
        recipient_subject,
        sender_message_id,
        subject,
        body,
        attachments,
    })
}

/// Stores the message unless this sender already delivered this message id.
/// Returns the message id and whether it was new.
pub async fn deliver(
    store: &Store,
    sender: &Sender,
    citizen: &str,
    application: Option<&str>,
    v: Validated,
    now: i64,
) -> Result<(String, bool), DeliveryError> {
    let mut tx = store.pool().begin().await?;
    let existing = sqlx::query(
        "SELECT id FROM postfach_messages WHERE sender_id = $1 AND sender_message_id = $2",
    )
    .bind(&sender.id)
    .bind(&v.sender_message_id)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(row) = existing {
        return Ok((text(&row, "id")?, false));
    }
    let id = random_token();
    sqlx::query(
        "INSERT INTO postfach_messages (id, citizen_id, sender_id, sender_message_id, subject, body, sent_at, application_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&id)
    .bind(citizen)
    .bind(&sender.id)
    .bind(&v.sender_message_id)
    .bind(&v.subject)
    .bind(&v.body)
    .bind(now)
    .bind(application)
    .execute(&mut *tx)
    .await?;
    for (position, a) in v.attachments.into_iter().enumerate() {
        let sha = Sha256::digest(&a.data)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>();
        sqlx::query(
            "INSERT INTO postfach_attachments (id, message_id, position, filename, content_type, size, sha256, data) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(random_token())
        .bind(&id)
        .bind(position as i64)
        .bind(&a.filename)
        .bind(a.content_type)
        .bind(a.data.len() as i64)
        .bind(sha)
        .bind(a.data)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok((id, true))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(data: &[u8]) -> String {
        base64::engine::general_purpose::STANDARD.encode(data)
    }

    fn delivery(attachments: Vec<AttachmentIn>) -> Delivery {
        Delivery {
            recipient: Recipient {
                subject: "sub".into(),
                issuer: None,
            },
            sender_message_id: "m1".into(),
            subject: "Ihr Bescheid".into(),
            body: "Text".into(),
            attachments,
        }
    }

    fn file(name: &str, content_type: &str, data: &[u8]) -> AttachmentIn {
        AttachmentIn {
            filename: name.into(),
            content_type: content_type.into(),
            content_base64: b64(data),
        }
    }

    #[test]
    fn accepts_pdf_and_cleans_the_name() {
        let v = validate(&delivery(vec![file(
            "../../etc/Bescheid.pdf",
            "application/pdf",
            b"%PDF-1.7 x",
        )]))
        .unwrap();
        assert_eq!(v.attachments[0].filename, "Bescheid.pdf");
    }

    #[test]
    fn refuses_declared_type_that_the_content_contradicts() {
        let err = validate(&delivery(vec![file(
            "a.pdf",
            "application/pdf",
            b"MZ\x90\x00",
        )]))
        .unwrap_err();
        assert!(matches!(err, DeliveryError::UnsupportedType(_)), "{err}");
        let err = validate(&delivery(vec![file("a.html", "text/html", b"<html>")])).unwrap_err();
        assert!(matches!(err, DeliveryError::UnsupportedType(_)), "{err}");
    }

    #[test]
    fn refuses_too_large_and_missing_fields() {
        let mut big = b"%PDF-".to_vec();
        big.resize(MAX_ATTACHMENT_BYTES + 1, b'x');
        let err = validate(&delivery(vec![file("big.pdf", "application/pdf", &big)])).unwrap_err();
        assert!(matches!(err, DeliveryError::TooLarge(_)), "{err}");
        let mut d = delivery(vec![]);
        d.subject = "  ".into();
        assert!(matches!(validate(&d), Err(DeliveryError::Invalid(_))));
    }
}
