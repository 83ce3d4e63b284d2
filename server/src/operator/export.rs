//! One JSON file with everything a tenant owns, and onboarding from it.
//!
//! Format `buergerportal-mandant`, version 1:
//! - `tenant`: slug, name, kind, ars, status, require_approval, config (the
//!   published settings, as in `tenants.config`);
//! - `hosts`, `aliases`: host names;
//! - `content`: per item kind, key, published version, draft (or null), review
//!   date, and every published `versions` entry (version, data, author,
//!   approved_by, published_at);
//! - `editors`: identity (issuer, subject), name, e-mail and role;
//! - `uploads`: id, content type, data (base64);
//! - `audit`: the tenant's audit log (actor, action, kind, key, old, new, at);
//! - `counts`: page views, zero-result searches and responsibility gaps.
//!
//! Citizens' data (accounts, Postfach, applications) is not the tenant's and
//! is not in the file.

use super::{platform_audit, OperatorError};
use crate::editor::content::Who;
use crate::store::{int, text, Store};
use crate::tenancy::{normalize_host, Tenant};
use base64::Engine as _;
use serde_json::{json, Value};
use sqlx::Row;

pub const FORMAT: &str = "buergerportal-mandant";

fn opt_json(s: Option<String>) -> Value {
    s.and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or(Value::Null)
}

async fn rows(store: &Store, sql: &str, id: i64) -> Result<Vec<sqlx::any::AnyRow>, OperatorError> {
    Ok(sqlx::query(sql).bind(id).fetch_all(store.pool()).await?)
}

pub async fn export(store: &Store, t: &Tenant) -> Result<Value, OperatorError> {
    let id = t.id;
    let config = crate::tenancy::full_config(store, t).await?;
    let mut content = Vec::new();
    for r in rows(store, "SELECT kind, item_key, published_version, draft, draft_rev, review_due FROM content_items WHERE tenant_id = $1 ORDER BY kind, item_key", id).await? {
        let (kind, key) = (text(&r, "kind")?, text(&r, "item_key")?);
        let versions: Vec<Value> = sqlx::query("SELECT version, data, author, approved_by, published_at FROM content_versions WHERE tenant_id = $1 AND kind = $2 AND item_key = $3 ORDER BY version")
            .bind(id).bind(&kind).bind(&key)
            .fetch_all(store.pool()).await?
            .iter()
            .map(|v| -> Result<Value, sqlx::Error> {
                Ok(json!({
                    "version": int(v, "version")?,
                    "data": opt_json(Some(text(v, "data")?)),
                    "author": text(v, "author")?,
                    "approved_by": v.try_get::<Option<String>, _>("approved_by")?,
                    "published_at": int(v, "published_at")?,
                }))
            })
            .collect::<Result<_, _>>()?;
        content.push(json!({
            "kind": kind, "key": key,
            "published_version": int(&r, "published_version")?,
            "draft": opt_json(r.try_get::<Option<String>, _>("draft")?),
            "draft_rev": int(&r, "draft_rev")?,
            "review_due": int(&r, "review_due")?,
            "versions": versions,
        }));
    }
    let editors: Vec<Value> = rows(store, "SELECT e.issuer, e.subject, e.name, e.email, r.role FROM editor_roles r JOIN editors e ON e.id = r.editor_id WHERE r.tenant_id = $1 ORDER BY e.subject", id).await?
        .iter()
        .map(|r| -> Result<Value, sqlx::Error> {
            Ok(json!({ "issuer": text(r, "issuer")?, "subject": text(r, "subject")?, "name": text(r, "name")?, "email": text(r, "email")?, "role": text(r, "role")? }))
        })
        .collect::<Result<_, _>>()?;
    let uploads: Vec<Value> = rows(store, "SELECT id, content_type, data, created_by, created_at FROM uploads WHERE tenant_id = $1 ORDER BY id", id).await?
        .iter()
        .map(|r| -> Result<Value, sqlx::Error> {
            let data: Vec<u8> = r.try_get("data")?;
            Ok(json!({ "id": text(r, "id")?, "content_type": text(r, "content_type")?, "data_base64": base64::engine::general_purpose::STANDARD.encode(data), "created_by": text(r, "created_by")?, "created_at": int(r, "created_at")? }))
        })
        .collect::<Result<_, _>>()?;
    let audit: Vec<Value> = rows(store, "SELECT actor, action, kind, item_key, old_value, new_value, at FROM audit_log WHERE tenant_id = $1 ORDER BY id", id).await?
        .iter()
        .map(|r| -> Result<Value, sqlx::Error> {
            Ok(json!({ "actor": text(r, "actor")?, "action": text(r, "action")?, "kind": text(r, "kind")?, "key": text(r, "item_key")?, "old": opt_json(r.try_get("old_value")?), "new": opt_json(r.try_get("new_value")?), "at": int(r, "at")? }))
        })
        .collect::<Result<_, _>>()?;
    let pairs = |sql: &'static str, a: &'static str, b: &'static str| async move {
        Ok::<Vec<Value>, OperatorError>(
            rows(store, sql, id)
                .await?
                .iter()
                .filter_map(|r| Some(json!([text(r, a).ok()?, int(r, b).ok()??])))
                .collect(),
        )
    };
    let aliases: Vec<Value> = rows(
        store,
        "SELECT host FROM tenant_aliases WHERE tenant_id = $1 ORDER BY host",
        id,
    )
    .await?
    .iter()
    .filter_map(|r| text(r, "host").ok().map(Value::from))
    .collect();
    Ok(json!({
        "format": FORMAT,
        "version": 1,
        "exported_at": crate::clock::now_rfc3339(),
        "tenant": {
            "slug": t.slug.as_str(), "name": t.name, "kind": t.kind.as_str(), "ars": t.ars.as_str(),
            "status": t.status.as_str(), "require_approval": t.require_approval,
            "config": serde_json::to_value(&config).unwrap_or(Value::Null),
        },
        "hosts": t.hosts,
        "aliases": aliases,
        "content": content,
        "editors": editors,
        "uploads": uploads,
        "audit": audit,
        "counts": {
            "views": pairs("SELECT service AS a, views AS b FROM tenant_service_views WHERE tenant_id = $1 ORDER BY service", "a", "b").await?,
            "search_misses": pairs("SELECT query AS a, count AS b FROM search_misses WHERE tenant_id = $1 ORDER BY query", "a", "b").await?,
            "responsibility_gaps": pairs("SELECT leika AS a, count AS b FROM responsibility_gaps WHERE tenant_id = $1 ORDER BY leika", "a", "b").await?,
        },
    }))
}

fn field<'a>(v: &'a Value, path: &str) -> Result<&'a Value, OperatorError> {
    path.split('.')
        .try_fold(v, |v, k| v.get(k))
        .ok_or_else(|| OperatorError::Invalid(format!("Exportdatei: „{path}“ fehlt")))
}

fn string<'a>(v: &'a Value, path: &str) -> Result<&'a str, OperatorError> {
    field(v, path)?
        .as_str()
        .ok_or_else(|| OperatorError::Invalid(format!("Exportdatei: „{path}“ ist kein Text")))
}

/// Onboards a tenant again from its export: the same slug, ARS, hosts,
/// settings, content with every version, editors' roles, uploads and audit
/// log. Refused when the slug or a host is taken; nothing is written then.
pub async fn import(store: &Store, file: &Value, who: Who<'_>) -> Result<String, OperatorError> {
    if string(file, "format")? != FORMAT || field(file, "version")?.as_i64() != Some(1) {
        return Err(OperatorError::Invalid(format!(
            "Die Datei ist kein Mandanten-Export ({FORMAT}, Version 1)"
        )));
    }
    let slug = crate::keys::TenantSlug::parse(string(file, "tenant.slug")?)
        .map_err(|e| OperatorError::Invalid(e.to_string()))?;
    let ars = crate::keys::Ars::parse(string(file, "tenant.ars")?)
        .map_err(|e| OperatorError::Invalid(e.to_string()))?;
    let kind: crate::tenancy::TenantKind =
        serde_json::from_value(field(file, "tenant.kind")?.clone())
            .map_err(|e| OperatorError::Invalid(format!("Exportdatei: tenant.kind: {e}")))?;
    let config: crate::tenancy::TenantConfig =
        serde_json::from_value(field(file, "tenant.config")?.clone())
            .map_err(|e| OperatorError::Invalid(format!("Exportdatei: tenant.config: {e}")))?;
    let mut tx = store.pool().begin().await?;
    let taken = sqlx::query("SELECT 1 AS one FROM tenants WHERE slug = $1")
        .bind(slug.as_str())
        .fetch_optional(&mut *tx)
        .await?;
    if taken.is_some() {
        return Err(OperatorError::Invalid(format!(
            "Den Mandanten {} gibt es schon",
            slug.as_str()
        )));
    }
    let row = sqlx::query("INSERT INTO tenants (slug, name, kind, ars, config, version, updated_at, status, require_approval) VALUES ($1, $2, $3, $4, $5, 1, $6, $7, $8) RETURNING id")
        .bind(slug.as_str())
        .bind(string(file, "tenant.name")?)
        .bind(kind.as_str())
        .bind(ars.as_str())
        .bind(serde_json::to_string(&config).unwrap_or_default())
        .bind(crate::clock::now_rfc3339())
        .bind(string(file, "tenant.status")?)
        .bind(i64::from(field(file, "tenant.require_approval")?.as_bool().unwrap_or(false)))
        .fetch_one(&mut *tx)
        .await?;
    let id = int(&row, "id")?.unwrap_or(0);
    for (table, key) in [("tenant_hosts", "hosts"), ("tenant_aliases", "aliases")] {
        for h in field(file, key)?.as_array().into_iter().flatten() {
            let host = h.as_str().and_then(normalize_host).ok_or_else(|| {
                OperatorError::Invalid(format!("Exportdatei: ungültiger Hostname {h}"))
            })?;
            let used = sqlx::query("SELECT 1 AS one FROM tenant_hosts WHERE host = $1 UNION SELECT 1 AS one FROM tenant_aliases WHERE host = $1")
                .bind(&host).fetch_optional(&mut *tx).await?;
            if used.is_some() {
                return Err(OperatorError::HostTaken(host));
            }
            let sql = if table == "tenant_hosts" {
                "INSERT INTO tenant_hosts (host, tenant_id) VALUES ($1, $2)"
            } else {
                "INSERT INTO tenant_aliases (host, tenant_id, created_at) VALUES ($1, $2, 0)"
            };
            sqlx::query(sql)
                .bind(&host)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
    }
    for item in field(file, "content")?.as_array().into_iter().flatten() {
        let kind = string(item, "kind")?;
        crate::editor::model::Kind::parse(kind)
            .ok_or_else(|| OperatorError::Invalid(format!("Exportdatei: unbekannte Art {kind}")))?;
        let key = string(item, "key")?;
        let draft = item
            .get("draft")
            .filter(|d| !d.is_null())
            .map(Value::to_string);
        sqlx::query("INSERT INTO content_items (tenant_id, kind, item_key, published_version, draft, draft_rev, review_due) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(id).bind(kind).bind(key)
            .bind(item.get("published_version").and_then(Value::as_i64).unwrap_or(0))
            .bind(draft)
            .bind(item.get("draft_rev").and_then(Value::as_i64).unwrap_or(0))
            .bind(item.get("review_due").and_then(Value::as_i64))
            .execute(&mut *tx).await?;
        for v in item
            .get("versions")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            sqlx::query("INSERT INTO content_versions (tenant_id, kind, item_key, version, data, author, approved_by, published_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
                .bind(id).bind(kind).bind(key)
                .bind(v.get("version").and_then(Value::as_i64).unwrap_or(0))
                .bind(v.get("data").map(Value::to_string).unwrap_or_default())
                .bind(v.get("author").and_then(Value::as_str).unwrap_or(""))
                .bind(v.get("approved_by").and_then(Value::as_str))
                .bind(v.get("published_at").and_then(Value::as_i64).unwrap_or(0))
                .execute(&mut *tx).await?;
        }
    }
    for e in field(file, "editors")?.as_array().into_iter().flatten() {
        let (issuer, subject) = (string(e, "issuer")?, string(e, "subject")?);
        sqlx::query("INSERT INTO editors (id, issuer, subject, name, email, created_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (issuer, subject) DO NOTHING")
            .bind(crate::auth::random_token()).bind(issuer).bind(subject)
            .bind(e.get("name").and_then(Value::as_str).unwrap_or(""))
            .bind(e.get("email").and_then(Value::as_str).unwrap_or(""))
            .bind(who.now)
            .execute(&mut *tx).await?;
        let role = crate::editor::Role::parse(string(e, "role")?)
            .ok_or_else(|| OperatorError::Invalid("Exportdatei: unbekannte Rolle".into()))?;
        sqlx::query("INSERT INTO editor_roles (tenant_id, editor_id, role, granted_at) SELECT $1, id, $2, $3 FROM editors WHERE issuer = $4 AND subject = $5")
            .bind(id).bind(role.as_str()).bind(who.now).bind(issuer).bind(subject)
            .execute(&mut *tx).await?;
    }
    for u in field(file, "uploads")?.as_array().into_iter().flatten() {
        let data = base64::engine::general_purpose::STANDARD
            .decode(string(u, "data_base64")?)
            .map_err(|_| OperatorError::Invalid("Exportdatei: Upload nicht in Base64".into()))?;
        // Uploads are checked again, as if an editor uploaded them now.
        let (content_type, checked) = crate::editor::uploads::check(&data)
            .map_err(|e| OperatorError::Invalid(format!("Exportdatei: Upload: {e}")))?;
        sqlx::query("INSERT INTO uploads (id, tenant_id, content_type, data, size, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(string(u, "id")?).bind(id).bind(content_type).bind(checked.clone()).bind(checked.len() as i64)
            .bind(u.get("created_by").and_then(Value::as_str).unwrap_or(""))
            .bind(u.get("created_at").and_then(Value::as_i64).unwrap_or(0))
            .execute(&mut *tx).await?;
    }
    for a in field(file, "audit")?.as_array().into_iter().flatten() {
        sqlx::query("INSERT INTO audit_log (tenant_id, actor, action, kind, item_key, old_value, new_value, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(id)
            .bind(a.get("actor").and_then(Value::as_str).unwrap_or(""))
            .bind(a.get("action").and_then(Value::as_str).unwrap_or(""))
            .bind(a.get("kind").and_then(Value::as_str).unwrap_or(""))
            .bind(a.get("key").and_then(Value::as_str).unwrap_or(""))
            .bind(a.get("old").filter(|v| !v.is_null()).map(Value::to_string))
            .bind(a.get("new").filter(|v| !v.is_null()).map(Value::to_string))
            .bind(a.get("at").and_then(Value::as_i64).unwrap_or(0))
            .execute(&mut *tx).await?;
    }
    sqlx::query("INSERT INTO changes (tenant_id, what, at) VALUES ($1, 'wiederhergestellt', $2)")
        .bind(id)
        .bind(who.now)
        .execute(&mut *tx)
        .await?;
    platform_audit(
        &mut tx,
        who,
        "aus Export angelegt",
        slug.as_str(),
        None,
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(slug.as_str().to_string())
}
