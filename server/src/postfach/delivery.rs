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
    Forbidden(String),
    #[error("{0}")]
    Invalid(String),
    /// The same answer for an unknown recipient and for one outside the sender's
    /// areas: the API tells no sender whether a person has an account.
    #[error("Empfänger nicht erreichbar: Diese Nachricht kann der angegebenen Kennung nicht zugestellt werden.")]
    Unreachable,
    #[error("Die sender_message_id „{0}“ wurde schon für eine andere Nachricht verwendet.")]
    Conflict(String),
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

/// What a credential may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SenderKind {
    /// An authority delivering into the Postfach of citizens in its areas.
    Postfach,
    /// A form provider: only the return channel of its own applications.
    Anbieter,
}

impl SenderKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SenderKind::Postfach => "postfach",
            SenderKind::Anbieter => "anbieter",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Sender {
    pub id: String,
    pub name: String,
    pub kind: SenderKind,
    /// ARS prefixes the sender may deliver into; `*` is the whole federation.
    pub areas: Vec<String>,
}

/// The federation-wide area of a sender (a federal authority).
pub const ALL_AREAS: &str = "*";

impl Sender {
    /// Whether a citizen living in `home_ars` is within the sender's areas.
    pub fn reaches(&self, home_ars: Option<&str>) -> bool {
        let Some(home) = home_ars else { return false };
        self.areas
            .iter()
            .any(|a| a == ALL_AREAS || (!a.is_empty() && home.starts_with(a.as_str())))
    }
}

/// An area for `sender-add --area`: an ARS prefix of 2, 3, 5, 9 or 12 digits, or `bund`.
pub fn parse_area(value: &str) -> Result<String, String> {
    let v = value.trim();
    if v.eq_ignore_ascii_case("bund") {
        return Ok(ALL_AREAS.into());
    }
    if v.bytes().all(|b| b.is_ascii_digit()) && matches!(v.len(), 2 | 3 | 5 | 9 | 12) {
        return Ok(v.into());
    }
    Err(format!(
        "„{value}“ ist kein Gebiet: ein Regionalschlüssel(-anfang) mit 2, 3, 5, 9 oder 12 Ziffern, oder „bund“"
    ))
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
    /// SHA-256 over everything the message says: a retry must say the same.
    pub payload_sha256: String,
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

pub fn credential_sha256(credential: &str) -> String {
    hash(credential)
}

/// Registers an authority as a Postfach sender for the given areas; returns its
/// id and the credential (shown once, stored hashed).
pub async fn add_sender(
    store: &Store,
    name: &str,
    areas: &[String],
    credential: Option<String>,
    now: i64,
) -> Result<(String, String), StoreError> {
    let credential = credential.unwrap_or_else(|| format!("bps_{}", random_token()));
    let id = random_token();
    sqlx::query(
        "INSERT INTO postfach_senders (id, name, credential_sha256, created_at, kind, areas) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&id)
    .bind(name)
    .bind(hash(&credential))
    .bind(now)
    .bind(SenderKind::Postfach.as_str())
    .bind(areas.join(","))
    .execute(store.pool())
    .await?;
    Ok((id, credential))
}

/// Disables a sender by id or name; its credential stops working at once.
/// Returns how many senders were disabled.
pub async fn revoke_sender(store: &Store, id_or_name: &str, now: i64) -> Result<u64, StoreError> {
    let done = sqlx::query(
        "UPDATE postfach_senders SET disabled_at = $1 \
         WHERE (id = $2 OR name = $2) AND disabled_at IS NULL",
    )
    .bind(now)
    .bind(id_or_name)
    .execute(store.pool())
    .await?;
    Ok(done.rows_affected())
}

/// The enabled sender a bearer credential belongs to.
pub async fn authenticate(store: &Store, credential: &str) -> Result<Option<Sender>, StoreError> {
    if credential.len() < 16 || credential.len() > 512 {
        return Ok(None);
    }
    let row = sqlx::query(
        "SELECT id, name, kind, areas FROM postfach_senders \
         WHERE credential_sha256 = $1 AND disabled_at IS NULL",
    )
    .bind(hash(credential))
    .fetch_optional(store.pool())
    .await?;
    Ok(row
        .map(|r| -> Result<Sender, sqlx::Error> {
            Ok(Sender {
                id: text(&r, "id")?,
                name: text(&r, "name")?,
                kind: if text(&r, "kind")? == SenderKind::Anbieter.as_str() {
                    SenderKind::Anbieter
                } else {
                    SenderKind::Postfach
                },
                areas: text(&r, "areas")?
                    .split(',')
                    .filter(|a| !a.is_empty())
                    .map(String::from)
                    .collect(),
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

/// The file type by its first bytes, with the extension its name gets; the declared type must agree.
fn sniff(data: &[u8]) -> Option<(&'static str, &'static str)> {
    if data.starts_with(b"%PDF-") {
        Some(("application/pdf", "pdf"))
    } else if data.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(("image/png", "png"))
    } else if data.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(("image/jpeg", "jpg"))
    } else {
        None
    }
}

/// Characters that would make a name look like something else: controls and
/// the Unicode format characters (bidi overrides such as U+202E, zero-width
/// joiners), with which "rechnung", U+202E, "fdp.exe" reads as "rechnungexe.pdf".
fn is_deceptive(c: char) -> bool {
    c.is_control()
        || matches!(c as u32,
            0x00AD | 0x061C | 0x180E | 0x200B..=0x200F | 0x202A..=0x202E
            | 0x2060..=0x2069 | 0xFEFF | 0xFFF9..=0xFFFB)
}

/// A file name without any path, quotes, control or bidi characters, whose
/// extension is the one of its real type.
fn clean_filename(name: &str, extension: &str) -> Result<String, DeliveryError> {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base
        .chars()
        .filter(|c| !is_deceptive(*c) && !matches!(c, '"' | '<' | '>' | ':' | '|' | '?' | '*'))
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').to_string();
    let stem = match cleaned.rsplit_once('.') {
        Some((stem, _)) if !stem.trim().is_empty() => stem.trim_end().to_string(),
        _ => cleaned,
    };
    if stem.is_empty() || stem.chars().count() > 200 {
        return Err(DeliveryError::Invalid(format!(
            "Anhang „{}“: Der Dateiname fehlt oder ist länger als 200 Zeichen.",
            name.chars()
                .filter(|c| !is_deceptive(*c))
                .collect::<String>()
        )));
    }
    Ok(format!("{stem}.{extension}"))
}

/// A file is what it claims only if it is whole: a PDF ends with `%%EOF`, an image decodes.
fn is_whole(content_type: &str, data: &[u8]) -> bool {
    match content_type {
        "application/pdf" => {
            let tail = &data[data.len().saturating_sub(1024)..];
            let trimmed = tail
                .iter()
                .rposition(|b| !b.is_ascii_whitespace())
                .map_or(&tail[..0], |i| &tail[..=i]);
            trimmed.ends_with(b"%%EOF")
        }
        "image/png" => decodes(data, image::ImageFormat::Png),
        "image/jpeg" => decodes(data, image::ImageFormat::Jpeg),
        _ => false,
    }
}

/// Decodes an image with bounded memory (a 5 MiB file can claim 100,000² pixels).
fn decodes(data: &[u8], format: image::ImageFormat) -> bool {
    let mut reader = image::ImageReader::with_format(std::io::Cursor::new(data), format);
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(12_000);
    limits.max_image_height = Some(12_000);
    limits.max_alloc = Some(256 * 1024 * 1024);
    reader.limits(limits);
    reader.decode().is_ok()
}

fn attachment(a: &AttachmentIn) -> Result<Attachment, DeliveryError> {
    let shown: String = a
        .filename
        .chars()
        .filter(|c| !is_deceptive(*c))
        .take(200)
        .collect();
    let declared = a.content_type.trim().to_ascii_lowercase();
    if !matches!(
        declared.as_str(),
        "application/pdf" | "image/png" | "image/jpeg"
    ) {
        return Err(DeliveryError::UnsupportedType(format!(
            "Anhang „{shown}“: Der Typ „{}“ ist nicht erlaubt (erlaubt: application/pdf, image/png, image/jpeg).",
            a.content_type.chars().filter(|c| !is_deceptive(*c)).take(100).collect::<String>()
        )));
    }
    if a.content_base64.len() > MAX_ATTACHMENT_BYTES / 3 * 4 + 8 {
        return Err(too_large(&shown));
    }
    let data = base64::engine::general_purpose::STANDARD
        .decode(a.content_base64.trim())
        .map_err(|_| {
            DeliveryError::Invalid(format!(
                "Anhang „{shown}“: content_base64 ist kein gültiges Base64."
            ))
        })?;
    if data.len() > MAX_ATTACHMENT_BYTES {
        return Err(too_large(&shown));
    }
    let (content_type, extension) = match sniff(&data) {
        Some((t, ext)) if t == declared => (t, ext),
        _ => {
            return Err(DeliveryError::UnsupportedType(format!(
                "Anhang „{shown}“: Der Inhalt ist kein {declared}."
            )))
        }
    };
    if !is_whole(content_type, &data) {
        return Err(DeliveryError::UnsupportedType(format!(
            "Anhang „{shown}“: Die Datei ist unvollständig oder beschädigt ({declared})."
        )));
    }
    Ok(Attachment {
        filename: clean_filename(&a.filename, extension)?,
        content_type,
        data,
    })
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
    let recipient_issuer = d.recipient.issuer.clone().filter(|i| !i.is_empty());
    let mut h = Sha256::new();
    for part in [
        recipient_issuer.as_deref().unwrap_or(""),
        &recipient_subject,
        &subject,
        &body,
    ] {
        h.update(part.len().to_le_bytes());
        h.update(part.as_bytes());
    }
    for a in &attachments {
        h.update(a.filename.len().to_le_bytes());
        h.update(a.filename.as_bytes());
        h.update(Sha256::digest(&a.data));
    }
    let payload_sha256 = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
    Ok(Validated {
        payload_sha256,
        recipient_issuer,
        recipient_subject,
        sender_message_id,
        subject,
        body,
        attachments,
    })
}

/// Stores the message unless this sender already delivered this message id.
/// Returns the message id and whether it was new. A retry with the same id must
/// carry the same message (else `Conflict`); concurrent retries store it once.
pub async fn deliver(
    store: &Store,
    sender: &Sender,
    citizen: &str,
    application: Option<&str>,
    v: Validated,
    now: i64,
) -> Result<(String, bool), DeliveryError> {
    let mut tx = store.pool().begin().await?;
    let id = random_token();
    // Insert first: a concurrent twin waits on the unique key instead of both
    // reading "nothing there" and one failing on insert.
    let inserted = sqlx::query(
        "INSERT INTO postfach_messages (id, citizen_id, sender_id, sender_message_id, subject, body, sent_at, application_id, payload_sha256) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (sender_id, sender_message_id) DO NOTHING",
    )
    .bind(&id)
    .bind(citizen)
    .bind(&sender.id)
    .bind(&v.sender_message_id)
    .bind(&v.subject)
    .bind(&v.body)
    .bind(now)
    .bind(application)
    .bind(&v.payload_sha256)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if inserted == 0 {
        let row = sqlx::query(
            "SELECT id, payload_sha256 FROM postfach_messages WHERE sender_id = $1 AND sender_message_id = $2",
        )
        .bind(&sender.id)
        .bind(&v.sender_message_id)
        .fetch_one(&mut *tx)
        .await?;
        tx.rollback().await?;
        if text(&row, "payload_sha256")? != v.payload_sha256 {
            return Err(DeliveryError::Conflict(v.sender_message_id));
        }
        return Ok((text(&row, "id")?, false));
    }
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

    const PDF: &[u8] = b"%PDF-1.7 x\n%%EOF\n";

    fn png() -> Vec<u8> {
        let mut out = Vec::new();
        image::RgbImage::new(2, 2)
            .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
            .unwrap();
        out
    }

    #[test]
    fn accepts_pdf_and_cleans_the_name() {
        let v = validate(&delivery(vec![file(
            "../../etc/Bescheid.pdf",
            "application/pdf",
            PDF,
        )]))
        .unwrap();
        assert_eq!(v.attachments[0].filename, "Bescheid.pdf");
    }

    #[test]
    fn the_extension_is_the_real_type_and_bidi_tricks_are_gone() {
        let v = validate(&delivery(vec![
            file("rechnung\u{202E}fdp.exe", "application/pdf", PDF),
            file("foto.exe", "image/png", &png()),
            file("scan", "image/png", &png()),
        ]))
        .unwrap();
        let names: Vec<&str> = v.attachments.iter().map(|a| a.filename.as_str()).collect();
        assert_eq!(names, ["rechnungfdp.pdf", "foto.png", "scan.png"]);
    }

    #[test]
    fn refuses_files_that_are_not_whole() {
        let err = validate(&delivery(vec![file(
            "a.pdf",
            "application/pdf",
            b"%PDF-1.7 truncated",
        )]))
        .unwrap_err();
        assert!(matches!(err, DeliveryError::UnsupportedType(_)), "{err}");
        let mut broken = png();
        broken.truncate(20);
        let err = validate(&delivery(vec![file("a.png", "image/png", &broken)])).unwrap_err();
        assert!(matches!(err, DeliveryError::UnsupportedType(_)), "{err}");
        let err = validate(&delivery(vec![file(
            "a.jpg",
            "image/jpeg",
            b"\xFF\xD8\xFF\xE0garbage",
        )]))
        .unwrap_err();
        assert!(matches!(err, DeliveryError::UnsupportedType(_)), "{err}");
    }

    #[test]
    fn the_payload_hash_covers_what_the_message_says() {
        let a = validate(&delivery(vec![])).unwrap();
        let mut other = delivery(vec![]);
        other.body = "Anderer Text".into();
        let b = validate(&other).unwrap();
        let mut to_someone_else = delivery(vec![]);
        to_someone_else.recipient.subject = "other".into();
        let c = validate(&to_someone_else).unwrap();
        assert_eq!(
            a.payload_sha256,
            validate(&delivery(vec![])).unwrap().payload_sha256
        );
        assert_ne!(a.payload_sha256, b.payload_sha256);
        assert_ne!(a.payload_sha256, c.payload_sha256);
    }

    #[test]
    fn areas_bound_a_sender() {
        let sender = |areas: &[&str]| Sender {
            id: "s".into(),
            name: "n".into(),
            kind: SenderKind::Postfach,
            areas: areas.iter().map(|a| a.to_string()).collect(),
        };
        assert!(sender(&["01002"]).reaches(Some("010020000000")));
        assert!(!sender(&["01002"]).reaches(Some("010540056056")));
        assert!(!sender(&["01002"]).reaches(None));
        assert!(!sender(&[]).reaches(Some("010020000000")));
        assert!(sender(&["*"]).reaches(Some("091620000000")));
        assert_eq!(parse_area("bund").unwrap(), "*");
        assert_eq!(parse_area("01054").unwrap(), "01054");
        assert!(parse_area("0105").is_err() && parse_area("x").is_err());
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
