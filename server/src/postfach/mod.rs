//! The citizen's Postfach: messages from authorities and form providers, with
//! attachments. Every read takes the citizen's id, so one citizen can never
//! reach another's messages or files, whatever ids a URL carries.

pub mod delivery;

use crate::store::{int, text, Store, StoreError};
use sqlx::Row;

pub use delivery::{
    add_sender, authenticate, credential_sha256, deliver, parse_area, revoke_sender, validate,
    Delivery, DeliveryError, Sender, SenderKind, MAX_REQUEST_BYTES,
};

#[derive(Debug, Clone)]
pub struct MessageSummary {
    pub id: String,
    pub subject: String,
    pub sender: String,
    pub sent_at: i64,
    pub read: bool,
    pub attachments: i64,
}

#[derive(Debug, Clone)]
pub struct AttachmentMeta {
    pub id: String,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
}

#[derive(Debug, Clone)]
pub struct Message {
    pub id: String,
    pub subject: String,
    pub body: String,
    pub sender: String,
    pub sent_at: i64,
    pub archived: bool,
    pub attachments: Vec<AttachmentMeta>,
}

pub struct AttachmentFile {
    pub filename: String,
    pub content_type: String,
    pub data: Vec<u8>,
}

pub async fn list(
    store: &Store,
    citizen: &str,
    archived: bool,
) -> Result<Vec<MessageSummary>, StoreError> {
    let archived_clause = if archived {
        "m.archived_at IS NOT NULL"
    } else {
        "m.archived_at IS NULL"
    };
    let sql = format!(
        "SELECT m.id, m.subject, s.name AS sender, m.sent_at, m.read_at, \
         (SELECT COUNT(*) FROM postfach_attachments a WHERE a.message_id = m.id) AS attachments \
         FROM postfach_messages m JOIN postfach_senders s ON s.id = m.sender_id \
         WHERE m.citizen_id = $1 AND m.deleted_at IS NULL AND {archived_clause} \
         ORDER BY m.sent_at DESC, m.id"
    );
    let rows = sqlx::query(&sql)
        .bind(citizen)
        .fetch_all(store.pool())
        .await?;
    rows.iter()
        .map(|r| {
            Ok(MessageSummary {
                id: text(r, "id")?,
                subject: text(r, "subject")?,
                sender: text(r, "sender")?,
                sent_at: int(r, "sent_at")?.unwrap_or(0),
                read: int(r, "read_at")?.is_some(),
                attachments: int(r, "attachments")?.unwrap_or(0),
            })
        })
        .collect()
}

pub async fn unread_count(store: &Store, citizen: &str) -> Result<u64, StoreError> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS n FROM postfach_messages \
         WHERE citizen_id = $1 AND read_at IS NULL AND deleted_at IS NULL AND archived_at IS NULL",
    )
    .bind(citizen)
    .fetch_one(store.pool())
    .await?;
    Ok(int(&row, "n")?.unwrap_or(0) as u64)
}

pub async fn get(store: &Store, citizen: &str, id: &str) -> Result<Option<Message>, StoreError> {
    let Some(r) = sqlx::query(
        "SELECT m.id, m.subject, m.body, s.name AS sender, m.sent_at, m.archived_at \
         FROM postfach_messages m JOIN postfach_senders s ON s.id = m.sender_id \
         WHERE m.id = $1 AND m.citizen_id = $2 AND m.deleted_at IS NULL",
    )
    .bind(id)
    .bind(citizen)
    .fetch_optional(store.pool())
    .await?
    else {
        return Ok(None);
    };
    let attachments = sqlx::query(
        "SELECT id, filename, content_type, size FROM postfach_attachments WHERE message_id = $1 ORDER BY position",
    )
    .bind(id)
    .fetch_all(store.pool())
    .await?
    .iter()
    .map(|a| {
        Ok(AttachmentMeta {
            id: text(a, "id")?,
            filename: text(a, "filename")?,
            content_type: text(a, "content_type")?,
            size: int(a, "size")?.unwrap_or(0),
        })
    })
    .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok(Some(Message {
        id: text(&r, "id")?,
        subject: text(&r, "subject")?,
        body: text(&r, "body")?,
        sender: text(&r, "sender")?,
        sent_at: int(&r, "sent_at")?.unwrap_or(0),
        archived: int(&r, "archived_at")?.is_some(),
        attachments,
    }))
}

pub async fn attachment(
    store: &Store,
    citizen: &str,
    message: &str,
    attachment: &str,
) -> Result<Option<AttachmentFile>, StoreError> {
    let row = sqlx::query(
        "SELECT a.filename, a.content_type, a.data FROM postfach_attachments a \
         JOIN postfach_messages m ON m.id = a.message_id \
         WHERE a.id = $1 AND m.id = $2 AND m.citizen_id = $3 AND m.deleted_at IS NULL",
    )
    .bind(attachment)
    .bind(message)
    .bind(citizen)
    .fetch_optional(store.pool())
    .await?;
    row.map(|r| -> Result<AttachmentFile, sqlx::Error> {
        Ok(AttachmentFile {
            filename: text(&r, "filename")?,
            content_type: text(&r, "content_type")?,
            data: r.try_get::<Vec<u8>, _>("data")?,
        })
    })
    .transpose()
    .map_err(StoreError::from)
}

/// What a citizen can do with a message. Each returns false when it is not theirs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    MarkRead,
    Archive,
    Unarchive,
    Delete,
}

pub async fn apply(
    store: &Store,
    citizen: &str,
    id: &str,
    action: Action,
    now: i64,
) -> Result<bool, StoreError> {
    let set = match action {
        Action::MarkRead => "read_at = COALESCE(read_at, $3)",
        Action::Archive => "archived_at = $3",
        Action::Unarchive => "archived_at = NULL, read_at = COALESCE(read_at, $3)",
        // Kept as a tombstone so that a sender's retry does not bring it back.
        Action::Delete => "deleted_at = $3, subject = '', body = ''",
    };
    let sql = format!(
        "UPDATE postfach_messages SET {set} WHERE id = $1 AND citizen_id = $2 AND deleted_at IS NULL"
    );
    let mut tx = store.pool().begin().await?;
    let done = sqlx::query(&sql)
        .bind(id)
        .bind(citizen)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    if action == Action::Delete && done.rows_affected() == 1 {
        sqlx::query("DELETE FROM postfach_attachments WHERE message_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(done.rows_affected() == 1)
}
