//! Drafts, published versions, restore and the audit log. Every function takes
//! the tenant's scope: a query for another tenant's content cannot be written.

use super::model::Kind;
use crate::store::{int, text, Store, StoreError};
use crate::tenancy::TenantScope;
use serde_json::Value;
use sqlx::any::AnyRow;
use sqlx::{Any, Transaction};

/// Days until a published local text is due for review again.
pub const REVIEW_DAYS: i64 = 365;

/// One editable thing of a tenant, with its draft if someone works on it.
#[derive(Debug, Clone)]
pub struct Item {
    pub kind: Kind,
    pub key: String,
    pub published_version: i64,
    pub published: Option<Value>,
    pub draft: Option<Value>,
    pub draft_rev: i64,
    pub draft_by: Option<String>,
    pub draft_at: Option<i64>,
    pub review_due: Option<i64>,
}

impl Item {
    /// What an editor sees: the draft if there is one, else the published value.
    pub fn current(&self) -> Option<&Value> {
        self.draft.as_ref().or(self.published.as_ref())
    }
}

#[derive(Debug, Clone)]
pub struct Version {
    pub version: i64,
    pub data: Value,
    pub author: String,
    pub approved_by: Option<String>,
    pub published_at: i64,
}

/// Which item an operation is about.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    pub kind: Kind,
    pub key: &'a str,
}

/// Who acts, and when.
#[derive(Debug, Clone, Copy)]
pub struct Who<'a> {
    pub actor: &'a str,
    pub now: i64,
}

/// One line for the audit log.
pub struct Event<'a> {
    pub who: Who<'a>,
    pub action: &'a str,
    pub kind: &'a str,
    pub key: &'a str,
    pub old: Option<&'a Value>,
    pub new: Option<&'a Value>,
}

/// The result of saving a draft.
#[derive(Debug, Clone)]
pub enum Saved {
    Saved {
        rev: i64,
    },
    /// Someone saved since the form was opened: nothing was written; both
    /// versions go back to the editor.
    Conflict {
        theirs: Option<Value>,
        by: Option<String>,
        rev: i64,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum ContentError {
    #[error("Es gibt keinen Entwurf, der veröffentlicht werden könnte.")]
    NoDraft,
    #[error("Dieses Portal verlangt eine Freigabe durch eine zweite Person: Sie können Ihren eigenen Entwurf nicht selbst veröffentlichen.")]
    NeedsApproval,
    #[error("Diese Fassung gibt es nicht.")]
    NoSuchVersion,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for ContentError {
    fn from(e: sqlx::Error) -> Self {
        ContentError::Store(e.into())
    }
}

const ITEM_COLUMNS: &str = "i.kind, i.item_key, i.published_version, i.draft, i.draft_rev, i.draft_by, i.draft_at, i.review_due, v.data AS published";

fn item_sql(filter: &str) -> String {
    format!(
        "SELECT {ITEM_COLUMNS} FROM content_items i LEFT JOIN content_versions v \
         ON v.tenant_id = i.tenant_id AND v.kind = i.kind AND v.item_key = i.item_key AND v.version = i.published_version \
         WHERE i.tenant_id = $1 {filter}"
    )
}

fn json(row: &AnyRow, column: &str) -> Result<Option<Value>, sqlx::Error> {
    row.try_get::<Option<String>, _>(column)?
        .map(|s| serde_json::from_str(&s).map_err(|e| sqlx::Error::Decode(e.into())))
        .transpose()
}

use sqlx::Row;

fn item_of(row: &AnyRow) -> Result<Item, sqlx::Error> {
    let kind = text(row, "kind")?;
    Ok(Item {
        kind: Kind::parse(&kind)
            .ok_or_else(|| sqlx::Error::Decode(format!("unknown kind {kind}").into()))?,
        key: text(row, "item_key")?,
        published_version: int(row, "published_version")?.unwrap_or(0),
        published: json(row, "published")?,
        draft: json(row, "draft")?,
        draft_rev: int(row, "draft_rev")?.unwrap_or(0),
        draft_by: row.try_get::<Option<String>, _>("draft_by")?,
        draft_at: int(row, "draft_at")?,
        review_due: int(row, "review_due")?,
    })
}

pub async fn item(
    store: &Store,
    scope: TenantScope,
    t: Target<'_>,
) -> Result<Option<Item>, StoreError> {
    let (kind, key) = (t.kind, t.key);
    let row = sqlx::query(&item_sql("AND i.kind = $2 AND i.item_key = $3"))
        .bind(scope.id())
        .bind(kind.as_str())
        .bind(key)
        .fetch_optional(store.pool())
        .await?;
    Ok(row.as_ref().map(item_of).transpose()?)
}

/// Every item of a kind, in key order.
pub async fn items(store: &Store, scope: TenantScope, kind: Kind) -> Result<Vec<Item>, StoreError> {
    let rows = sqlx::query(&item_sql("AND i.kind = $2 ORDER BY i.item_key"))
        .bind(scope.id())
        .bind(kind.as_str())
        .fetch_all(store.pool())
        .await?;
    Ok(rows.iter().map(item_of).collect::<Result<_, _>>()?)
}

/// Items with a draft waiting to be published: the review queue.
pub async fn drafts(store: &Store, scope: TenantScope) -> Result<Vec<Item>, StoreError> {
    let rows = sqlx::query(&item_sql(
        "AND i.draft IS NOT NULL ORDER BY i.draft_at DESC, i.kind, i.item_key",
    ))
    .bind(scope.id())
    .fetch_all(store.pool())
    .await?;
    Ok(rows.iter().map(item_of).collect::<Result<_, _>>()?)
}

/// Published items whose review date has passed.
pub async fn due_for_review(
    store: &Store,
    scope: TenantScope,
    now: i64,
) -> Result<Vec<Item>, StoreError> {
    let rows = sqlx::query(&item_sql(
        "AND i.published_version > 0 AND i.review_due IS NOT NULL AND i.review_due <= $2 ORDER BY i.review_due",
    ))
    .bind(scope.id())
    .bind(now)
    .fetch_all(store.pool())
    .await?;
    Ok(rows.iter().map(item_of).collect::<Result<_, _>>()?)
}

/// Records an action in the audit log, in the transaction that does it.
pub async fn audit(
    tx: &mut Transaction<'_, Any>,
    scope: Option<TenantScope>,
    e: Event<'_>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO audit_log (tenant_id, actor, action, kind, item_key, old_value, new_value, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(scope.map(TenantScope::id))
    .bind(e.who.actor)
    .bind(e.action)
    .bind(e.kind)
    .bind(e.key)
    .bind(e.old.map(Value::to_string))
    .bind(e.new.map(Value::to_string))
    .bind(e.who.now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Saves a draft, unless someone saved since revision `based_on` was read.
pub async fn save_draft(
    store: &Store,
    scope: TenantScope,
    t: Target<'_>,
    data: &Value,
    based_on: i64,
    who: Who<'_>,
) -> Result<Saved, StoreError> {
    let mut tx = store.pool().begin().await?;
    let saved = save_draft_in(&mut tx, scope, t, data, based_on, who).await?;
    match saved {
        Saved::Saved { .. } => tx.commit().await?,
        Saved::Conflict { .. } => tx.rollback().await?,
    }
    Ok(saved)
}

/// [`save_draft`] inside the caller's transaction (an import saves many drafts
/// at once); on a conflict the caller must roll back.
pub async fn save_draft_in(
    tx: &mut Transaction<'_, Any>,
    scope: TenantScope,
    t: Target<'_>,
    data: &Value,
    based_on: i64,
    who: Who<'_>,
) -> Result<Saved, StoreError> {
    let (kind, key, actor, now) = (t.kind, t.key, who.actor, who.now);
    // Creating the row first takes the write lock, so two saves cannot both
    // read the same revision (SQLite: the transaction becomes a writer at once).
    sqlx::query(
        "INSERT INTO content_items (tenant_id, kind, item_key, published_version, draft_rev) \
         VALUES ($1, $2, $3, 0, 0) ON CONFLICT (tenant_id, kind, item_key) DO NOTHING",
    )
    .bind(scope.id())
    .bind(kind.as_str())
    .bind(key)
    .execute(&mut **tx)
    .await?;
    let done = sqlx::query(
        "UPDATE content_items SET draft = $4, draft_rev = draft_rev + 1, draft_by = $5, draft_at = $6 \
         WHERE tenant_id = $1 AND kind = $2 AND item_key = $3 AND draft_rev = $7",
    )
    .bind(scope.id())
    .bind(kind.as_str())
    .bind(key)
    .bind(data.to_string())
    .bind(actor)
    .bind(now)
    .bind(based_on)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    let row = sqlx::query(&item_sql("AND i.kind = $2 AND i.item_key = $3"))
        .bind(scope.id())
        .bind(kind.as_str())
        .bind(key)
        .fetch_one(&mut **tx)
        .await?;
    let item = item_of(&row)?;
    if done == 0 {
        return Ok(Saved::Conflict {
            theirs: item.current().cloned(),
            by: item.draft_by,
            rev: item.draft_rev,
        });
    }
    audit(
        tx,
        Some(scope),
        Event {
            who,
            action: "entwurf",
            kind: kind.as_str(),
            key,
            old: item.published.as_ref(),
            new: Some(data),
        },
    )
    .await?;
    Ok(Saved::Saved {
        rev: item.draft_rev,
    })
}

pub async fn discard_draft(
    store: &Store,
    scope: TenantScope,
    t: Target<'_>,
    who: Who<'_>,
) -> Result<bool, StoreError> {
    let (kind, key) = (t.kind, t.key);
    let mut tx = store.pool().begin().await?;
    let Some(row) = sqlx::query(&item_sql("AND i.kind = $2 AND i.item_key = $3"))
        .bind(scope.id())
        .bind(kind.as_str())
        .bind(key)
        .fetch_optional(&mut *tx)
        .await?
    else {
        return Ok(false);
    };
    let item = item_of(&row)?;
    let Some(draft) = item.draft else {
        return Ok(false);
    };
    if item.published_version == 0 {
        sqlx::query(
            "DELETE FROM content_items WHERE tenant_id = $1 AND kind = $2 AND item_key = $3",
        )
    } else {
        sqlx::query(
            "UPDATE content_items SET draft = NULL, draft_rev = draft_rev + 1, draft_by = NULL, draft_at = NULL \
             WHERE tenant_id = $1 AND kind = $2 AND item_key = $3",
        )
    }
    .bind(scope.id())
    .bind(kind.as_str())
    .bind(key)
    .execute(&mut *tx)
    .await?;
    audit(
        &mut tx,
        Some(scope),
        Event {
            who,
            action: "verworfen",
            kind: kind.as_str(),
            key,
            old: Some(&draft),
            new: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// Publishes the draft as the next version, inside the caller's transaction
/// (which also updates the tenant). With `require_approval`, the person who
/// wrote the draft cannot publish it. Returns (old value, new value, version).
pub async fn publish_in(
    tx: &mut Transaction<'_, Any>,
    scope: TenantScope,
    t: Target<'_>,
    who: Who<'_>,
    require_approval: bool,
) -> Result<(Option<Value>, Value, i64), ContentError> {
    let (kind, key, actor, now) = (t.kind, t.key, who.actor, who.now);
    let row = sqlx::query(&item_sql("AND i.kind = $2 AND i.item_key = $3"))
        .bind(scope.id())
        .bind(kind.as_str())
        .bind(key)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or(ContentError::NoDraft)?;
    let item = item_of(&row)?;
    let draft = item.draft.ok_or(ContentError::NoDraft)?;
    let author = item.draft_by.unwrap_or_else(|| actor.to_string());
    if require_approval && author == actor {
        return Err(ContentError::NeedsApproval);
    }
    let version = item.published_version + 1;
    sqlx::query(
        "INSERT INTO content_versions (tenant_id, kind, item_key, version, data, author, approved_by, published_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(scope.id())
    .bind(kind.as_str())
    .bind(key)
    .bind(version)
    .bind(draft.to_string())
    .bind(&author)
    .bind((author != actor).then_some(actor))
    .bind(now)
    .execute(&mut **tx)
    .await?;
    sqlx::query(
        "UPDATE content_items SET published_version = $4, draft = NULL, draft_rev = draft_rev + 1, \
         draft_by = NULL, draft_at = NULL, review_due = $5 \
         WHERE tenant_id = $1 AND kind = $2 AND item_key = $3",
    )
    .bind(scope.id())
    .bind(kind.as_str())
    .bind(key)
    .bind(version)
    .bind(now + REVIEW_DAYS * 86_400)
    .execute(&mut **tx)
    .await?;
    audit(
        tx,
        Some(scope),
        Event {
            who,
            action: "veröffentlicht",
            kind: kind.as_str(),
            key,
            old: item.published.as_ref(),
            new: Some(&draft),
        },
    )
    .await?;
    Ok((item.published, draft, version))
}

/// Every published version of an item, newest first.
pub async fn versions(
    store: &Store,
    scope: TenantScope,
    t: Target<'_>,
) -> Result<Vec<Version>, StoreError> {
    let (kind, key) = (t.kind, t.key);
    let rows = sqlx::query(
        "SELECT version, data, author, approved_by, published_at FROM content_versions \
         WHERE tenant_id = $1 AND kind = $2 AND item_key = $3 ORDER BY version DESC",
    )
    .bind(scope.id())
    .bind(kind.as_str())
    .bind(key)
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Version {
                version: int(r, "version")?.unwrap_or(0),
                data: json(r, "data")?.unwrap_or(Value::Null),
                author: text(r, "author")?,
                approved_by: r.try_get::<Option<String>, _>("approved_by")?,
                published_at: int(r, "published_at")?.unwrap_or(0),
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::from)
}

/// Makes an earlier version the draft again (to be published like any draft).
pub async fn restore(
    store: &Store,
    scope: TenantScope,
    t: Target<'_>,
    version: i64,
    who: Who<'_>,
) -> Result<Saved, ContentError> {
    let old = versions(store, scope, t)
        .await?
        .into_iter()
        .find(|v| v.version == version)
        .ok_or(ContentError::NoSuchVersion)?;
    let rev = item(store, scope, t)
        .await?
        .map(|i| i.draft_rev)
        .unwrap_or(0);
    Ok(save_draft(store, scope, t, &old.data, rev, who).await?)
}

/// "Still valid": the next review is a year away.
pub async fn mark_reviewed(
    store: &Store,
    scope: TenantScope,
    t: Target<'_>,
    who: Who<'_>,
) -> Result<bool, StoreError> {
    let (kind, key, now) = (t.kind, t.key, who.now);
    let mut tx = store.pool().begin().await?;
    let done = sqlx::query(
        "UPDATE content_items SET review_due = $4 WHERE tenant_id = $1 AND kind = $2 AND item_key = $3 AND published_version > 0",
    )
    .bind(scope.id())
    .bind(kind.as_str())
    .bind(key)
    .bind(now + REVIEW_DAYS * 86_400)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if done == 1 {
        audit(
            &mut tx,
            Some(scope),
            Event {
                who,
                action: "geprüft",
                kind: kind.as_str(),
                key,
                old: None,
                new: None,
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(done == 1)
}

/// One line of the audit log.
#[derive(Debug, Clone)]
pub struct AuditEntry {
    pub actor: String,
    pub action: String,
    pub kind: String,
    pub key: String,
    pub old: Option<String>,
    pub new: Option<String>,
    pub at: i64,
}

/// The tenant's audit log, newest first.
pub async fn audit_log(
    store: &Store,
    scope: TenantScope,
    limit: i64,
) -> Result<Vec<AuditEntry>, StoreError> {
    let rows = sqlx::query(
        "SELECT actor, action, kind, item_key, old_value, new_value, at FROM audit_log \
         WHERE tenant_id = $1 ORDER BY id DESC LIMIT $2",
    )
    .bind(scope.id())
    .bind(limit)
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(AuditEntry {
                actor: text(r, "actor")?,
                action: text(r, "action")?,
                kind: text(r, "kind")?,
                key: text(r, "item_key")?,
                old: r.try_get::<Option<String>, _>("old_value")?,
                new: r.try_get::<Option<String>, _>("new_value")?,
                at: int(r, "at")?.unwrap_or(0),
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::from)
}

/// Every published value of the given kinds, for all tenants: (tenant id, kind, key, data).
pub async fn all_published(
    store: &Store,
    kinds: &[Kind],
) -> Result<Vec<(i64, Kind, String, Value)>, StoreError> {
    let list: Vec<String> = kinds.iter().map(|k| format!("'{}'", k.as_str())).collect();
    let rows = sqlx::query(&format!(
        "SELECT i.tenant_id, i.kind, i.item_key, v.data FROM content_items i JOIN content_versions v \
         ON v.tenant_id = i.tenant_id AND v.kind = i.kind AND v.item_key = i.item_key AND v.version = i.published_version \
         WHERE i.kind IN ({}) ORDER BY i.tenant_id, i.kind, i.item_key",
        list.join(",")
    ))
    .fetch_all(store.pool())
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let Some(kind) = Kind::parse(&text(r, "kind")?) else {
            continue;
        };
        out.push((
            int(r, "tenant_id")?.unwrap_or(0),
            kind,
            text(r, "item_key")?,
            json(r, "data")?.unwrap_or(Value::Null),
        ));
    }
    Ok(out)
}
