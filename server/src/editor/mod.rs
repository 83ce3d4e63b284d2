//! The editors' side: who may edit which portal (roles per tenant, single-use
//! invitations), and what they edit (drafts, published versions, restore,
//! audit). Everything tenant-owned goes through a `TenantScope`.

pub mod content;
pub mod dldb;
pub mod local;
pub mod model;
pub mod svg;
pub mod uploads;

use crate::auth::random_token;
use crate::store::{int, text, Store, StoreError};
use crate::tenancy::{Tenant, TenantConfig, TenantScope};
use content::{ContentError, Event, Target, Who};
use model::{Kind, LegalPage, ServiceRef, Settings, StartPage, LEGAL_PAGES, MAIN};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// An invitation link is valid this long.
pub const INVITATION_SECS: i64 = 7 * 86_400;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// Drafts and proposes.
    Editor,
    /// Manages editors, publishes, changes settings.
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Editor => "editor",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "editor" => Some(Role::Editor),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Editor => "Redaktion",
            Role::Admin => "Verwaltung",
        }
    }
}

/// An editor of one tenant, with the role they hold there.
#[derive(Debug, Clone)]
pub struct Member {
    pub editor_id: String,
    pub name: String,
    pub email: String,
    pub subject: String,
    pub role: Role,
}

fn sha256(s: &str) -> String {
    Sha256::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The editor for (issuer, subject), created at first sight; name and e-mail
/// are refreshed at each login.
pub async fn upsert_editor(
    store: &Store,
    issuer: &str,
    subject: &str,
    name: &str,
    email: &str,
    now: i64,
) -> Result<String, StoreError> {
    sqlx::query(
        "INSERT INTO editors (id, issuer, subject, name, email, created_at) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (issuer, subject) DO UPDATE SET \
         name = CASE WHEN excluded.name = '' THEN editors.name ELSE excluded.name END, \
         email = CASE WHEN excluded.email = '' THEN editors.email ELSE excluded.email END",
    )
    .bind(random_token())
    .bind(issuer)
    .bind(subject)
    .bind(name)
    .bind(email)
    .bind(now)
    .execute(store.pool())
    .await?;
    let row = sqlx::query("SELECT id FROM editors WHERE issuer = $1 AND subject = $2")
        .bind(issuer)
        .bind(subject)
        .fetch_one(store.pool())
        .await?;
    Ok(text(&row, "id")?)
}

/// The role an editor holds in a tenant, if any.
pub async fn role_of(
    store: &Store,
    scope: TenantScope,
    editor: &str,
) -> Result<Option<Role>, StoreError> {
    let row = sqlx::query("SELECT role FROM editor_roles WHERE tenant_id = $1 AND editor_id = $2")
        .bind(scope.id())
        .bind(editor)
        .fetch_optional(store.pool())
        .await?;
    Ok(row
        .map(|r| text(&r, "role"))
        .transpose()?
        .and_then(|r| Role::parse(&r)))
}

pub async fn grant(
    store: &Store,
    scope: TenantScope,
    editor: &str,
    role: Role,
    who: Who<'_>,
) -> Result<(), StoreError> {
    let mut tx = store.pool().begin().await?;
    sqlx::query(
        "INSERT INTO editor_roles (tenant_id, editor_id, role, granted_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (tenant_id, editor_id) DO UPDATE SET role = excluded.role",
    )
    .bind(scope.id())
    .bind(editor)
    .bind(role.as_str())
    .bind(who.now)
    .execute(&mut *tx)
    .await?;
    content::audit(
        &mut tx,
        Some(scope),
        Event {
            who,
            action: "rolle",
            kind: "team",
            key: editor,
            old: None,
            new: Some(&Value::String(role.as_str().into())),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Removes an editor's role in a tenant; returns whether they had one.
pub async fn revoke(
    store: &Store,
    scope: TenantScope,
    editor: &str,
    who: Who<'_>,
) -> Result<bool, StoreError> {
    let mut tx = store.pool().begin().await?;
    let done = sqlx::query("DELETE FROM editor_roles WHERE tenant_id = $1 AND editor_id = $2")
        .bind(scope.id())
        .bind(editor)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if done > 0 {
        content::audit(
            &mut tx,
            Some(scope),
            Event {
                who,
                action: "rolle entzogen",
                kind: "team",
                key: editor,
                old: None,
                new: None,
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(done > 0)
}

/// The editor with this identity, if known.
pub async fn editor_by_identity(
    store: &Store,
    issuer: &str,
    subject: &str,
) -> Result<Option<String>, StoreError> {
    let row = sqlx::query("SELECT id FROM editors WHERE issuer = $1 AND subject = $2")
        .bind(issuer)
        .bind(subject)
        .fetch_optional(store.pool())
        .await?;
    Ok(row.map(|r| text(&r, "id")).transpose()?)
}

/// An editor's name (for "who saved this"), or the id when it is not known.
pub async fn name_of(store: &Store, editor: &str) -> Result<String, StoreError> {
    let row = sqlx::query("SELECT name FROM editors WHERE id = $1")
        .bind(editor)
        .fetch_optional(store.pool())
        .await?;
    Ok(row
        .map(|r| text(&r, "name"))
        .transpose()?
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| editor.to_string()))
}

/// The tenant's editors and their roles.
pub async fn team(store: &Store, scope: TenantScope) -> Result<Vec<Member>, StoreError> {
    let rows = sqlx::query(
        "SELECT e.id, e.name, e.email, e.subject, r.role FROM editor_roles r JOIN editors e ON e.id = r.editor_id \
         WHERE r.tenant_id = $1 ORDER BY e.name, e.id",
    )
    .bind(scope.id())
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Member {
                editor_id: text(r, "id")?,
                name: text(r, "name")?,
                email: text(r, "email")?,
                subject: text(r, "subject")?,
                role: Role::parse(&text(r, "role")?).unwrap_or(Role::Editor),
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::from)
}

/// Creates a single-use invitation; returns the token for the link (shown once).
pub async fn invite(
    store: &Store,
    scope: TenantScope,
    role: Role,
    who: Who<'_>,
) -> Result<String, StoreError> {
    let token = random_token();
    let mut tx = store.pool().begin().await?;
    sqlx::query(
        "INSERT INTO editor_invitations (token_sha256, tenant_id, role, created_by, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(sha256(&token))
    .bind(scope.id())
    .bind(role.as_str())
    .bind(who.actor)
    .bind(who.now)
    .bind(who.now + INVITATION_SECS)
    .execute(&mut *tx)
    .await?;
    content::audit(
        &mut tx,
        Some(scope),
        Event {
            who,
            action: "eingeladen",
            kind: "team",
            key: role.as_str(),
            old: None,
            new: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(token)
}

#[derive(Debug, thiserror::Error)]
pub enum InvitationError {
    #[error("Diese Einladung gibt es nicht, sie wurde schon verwendet oder ist abgelaufen (Einladungen gelten 7 Tage).")]
    Invalid,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for InvitationError {
    fn from(e: sqlx::Error) -> Self {
        InvitationError::Store(e.into())
    }
}

/// Uses an invitation for `scope` once: the editor gets its role. An
/// invitation of another tenant is as invalid as none.
pub async fn accept_invitation(
    store: &Store,
    scope: TenantScope,
    token: &str,
    editor: &str,
    now: i64,
) -> Result<Role, InvitationError> {
    let mut tx = store.pool().begin().await?;
    let done = sqlx::query(
        "UPDATE editor_invitations SET used_at = $1, used_by = $2 \
         WHERE token_sha256 = $3 AND tenant_id = $4 AND used_at IS NULL AND expires_at > $1",
    )
    .bind(now)
    .bind(editor)
    .bind(sha256(token))
    .bind(scope.id())
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if done != 1 {
        return Err(InvitationError::Invalid);
    }
    let row = sqlx::query("SELECT role FROM editor_invitations WHERE token_sha256 = $1")
        .bind(sha256(token))
        .fetch_one(&mut *tx)
        .await?;
    let role = Role::parse(&text(&row, "role")?).unwrap_or(Role::Editor);
    // Accepting never lowers a role the editor already holds.
    sqlx::query(
        "INSERT INTO editor_roles (tenant_id, editor_id, role, granted_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (tenant_id, editor_id) DO UPDATE SET role = CASE WHEN editor_roles.role = 'admin' THEN 'admin' ELSE excluded.role END",
    )
    .bind(scope.id())
    .bind(editor)
    .bind(role.as_str())
    .bind(now)
    .execute(&mut *tx)
    .await?;
    content::audit(
        &mut tx,
        Some(scope),
        Event {
            who: Who { actor: editor, now },
            action: "einladung angenommen",
            kind: "team",
            key: editor,
            old: None,
            new: Some(&Value::String(role.as_str().into())),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(role)
}

/// The published value of a portal-wide kind, from the tenant's settings (the
/// seed's values until the first publication).
pub fn published_portal_value(config: &TenantConfig, kind: Kind, key: &str) -> Option<Value> {
    match kind {
        Kind::Settings => serde_json::to_value(Settings::from_config(config)).ok(),
        Kind::Start => serde_json::to_value(StartPage::from_config(config)).ok(),
        Kind::Legal => {
            LegalPage::from_config(config, key).and_then(|p| serde_json::to_value(p).ok())
        }
        _ => None,
    }
}

/// Publishes an item's draft: a new version, the tenant's settings updated
/// for portal-wide kinds, the tenant's version bumped so that its cached
/// pages and other instances follow, and the audit log, in one transaction.
pub async fn publish(
    store: &Store,
    tenant: &Tenant,
    t: Target<'_>,
    who: Who<'_>,
) -> Result<i64, ContentError> {
    let mut tx = store.pool().begin().await?;
    let version = publish_item(&mut tx, tenant, t, who).await?;
    crate::tenancy::changed(&mut tx, tenant.scope(), "veröffentlicht", who.now).await?;
    tx.commit().await?;
    Ok(version)
}

/// Publishes the drafts of several items like [`publish`], all or none, with
/// one change of the tenant (an import's drafts).
pub async fn publish_all(
    store: &Store,
    tenant: &Tenant,
    targets: &[Target<'_>],
    who: Who<'_>,
) -> Result<(), ContentError> {
    if targets.is_empty() {
        return Ok(());
    }
    let mut tx = store.pool().begin().await?;
    for t in targets {
        publish_item(&mut tx, tenant, *t, who).await?;
    }
    crate::tenancy::changed(&mut tx, tenant.scope(), "veröffentlicht", who.now).await?;
    tx.commit().await?;
    Ok(())
}

async fn publish_item(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    tenant: &Tenant,
    t: Target<'_>,
    who: Who<'_>,
) -> Result<i64, ContentError> {
    let scope = tenant.scope();
    let (_, new, version) = content::publish_in(tx, scope, t, who, tenant.require_approval).await?;
    if t.kind.is_portal_wide() {
        let mut config = crate::tenancy::stored_config(&mut **tx, scope).await?;
        apply(&mut config, t, &new);
        let json = serde_json::to_string(&config)
            .map_err(|e| StoreError::Sqlx(sqlx::Error::Decode(e.into())))?;
        sqlx::query("UPDATE tenants SET config = $1 WHERE id = $2")
            .bind(json)
            .bind(scope.id())
            .execute(&mut **tx)
            .await?;
    }
    Ok(version)
}

/// Writes a portal-wide value into the tenant's settings.
pub fn apply(config: &mut TenantConfig, t: Target<'_>, value: &Value) {
    match t.kind {
        Kind::Settings => {
            if let Ok(s) = serde_json::from_value::<Settings>(value.clone()) {
                s.apply_to(config);
            }
        }
        Kind::Start => {
            if let Ok(s) = serde_json::from_value::<StartPage>(value.clone()) {
                s.apply_to(config);
            }
        }
        Kind::Legal => {
            if let Ok(p) = serde_json::from_value::<LegalPage>(value.clone()) {
                p.apply_to(config, t.key);
            }
        }
        _ => {}
    }
}

impl Settings {
    pub fn from_config(c: &TenantConfig) -> Settings {
        Settings {
            tagline: c.tagline.clone(),
            primary: c.colors.primary,
            accent: c.colors.accent,
            logo_upload: c.logo.upload.clone(),
            logo_alt: c.logo.alt.clone(),
            header_links: c.header_links.clone(),
            footer_links: c.footer_links.clone(),
            contact: model::Contact {
                name: c.contact.name.clone(),
                street: c.contact.street.clone(),
                postcode: c.contact.postcode.clone(),
                city: c.contact.city.clone(),
                phone: c.contact.phone.clone(),
                email: c.contact.email.clone(),
                opening_hours: c.contact.opening_hours.clone(),
            },
        }
    }

    /// The dark variant of the primary colour (hover, active) follows it.
    pub fn primary_dark(&self) -> crate::tenancy::colors::Rgb {
        self.primary.darker(0.72)
    }

    fn apply_to(self, c: &mut TenantConfig) {
        c.colors.primary_dark = self.primary_dark();
        c.tagline = self.tagline;
        c.colors.primary = self.primary;
        c.colors.accent = self.accent;
        c.logo.upload = self.logo_upload;
        c.logo.alt = self.logo_alt;
        c.header_links = self.header_links;
        c.footer_links = self.footer_links;
        c.contact = crate::tenancy::ContactInfo {
            name: self.contact.name,
            street: self.contact.street,
            postcode: self.contact.postcode,
            city: self.contact.city,
            phone: self.contact.phone,
            email: self.contact.email,
            opening_hours: self.contact.opening_hours,
        };
    }
}

/// How the tenant's settings name a local service among featured services.
const LOCAL_PREFIX: &str = "lokal:";

impl StartPage {
    pub fn from_config(c: &TenantConfig) -> StartPage {
        StartPage {
            featured: c
                .start
                .featured
                .iter()
                .filter_map(|f| match f.strip_prefix(LOCAL_PREFIX) {
                    Some(key) => Some(ServiceRef::Local(key.to_string())),
                    None => crate::keys::LeikaKey::parse(f)
                        .ok()
                        .map(ServiceRef::Catalogue),
                })
                .collect(),
            lebenslagen: c.start.lebenslagen.clone(),
        }
    }

    fn apply_to(self, c: &mut TenantConfig) {
        c.start.featured = self
            .featured
            .into_iter()
            .map(|r| match r {
                ServiceRef::Catalogue(k) => k.to_string(),
                ServiceRef::Local(key) => format!("{LOCAL_PREFIX}{key}"),
            })
            .collect();
        c.start.lebenslagen = self.lebenslagen;
    }
}

impl LegalPage {
    pub fn from_config(c: &TenantConfig, key: &str) -> Option<LegalPage> {
        let markdown = match key {
            "impressum" => &c.legal.impressum,
            "datenschutz" => &c.legal.datenschutz,
            "barrierefreiheit" => &c.legal.barrierefreiheit,
            _ => return None,
        };
        Some(LegalPage {
            markdown: markdown.clone(),
        })
    }

    fn apply_to(self, c: &mut TenantConfig, key: &str) {
        match key {
            "impressum" => c.legal.impressum = self.markdown,
            "datenschutz" => c.legal.datenschutz = self.markdown,
            "barrierefreiheit" => c.legal.barrierefreiheit = self.markdown,
            _ => {}
        }
    }
}

/// Whether a key names one of the legal pages.
pub fn is_legal_page(key: &str) -> bool {
    LEGAL_PAGES.iter().any(|(k, _, _)| *k == key)
}

/// Drafts of every kind applied over the published state: what a preview shows.
pub async fn with_drafts(store: &Store, tenant: &Tenant) -> Result<Tenant, StoreError> {
    let mut preview = tenant.clone();
    preview.config = crate::tenancy::full_config(store, tenant).await?;
    let mut local = (*tenant.local).clone();
    for item in content::drafts(store, tenant.scope()).await? {
        let Some(draft) = item.draft.clone() else {
            continue;
        };
        if item.kind.is_portal_wide() {
            apply(
                &mut preview.config,
                Target {
                    kind: item.kind,
                    key: &item.key,
                },
                &draft,
            );
        } else {
            local.add(item.kind, item.key.clone(), draft);
        }
    }
    preview.local = std::sync::Arc::new(local);
    preview.preview = true;
    Ok(preview)
}

/// Most viewed services of a tenant (counts only), for the editors' dashboard.
pub async fn top_views(
    store: &Store,
    scope: TenantScope,
    limit: i64,
) -> Result<Vec<(String, i64)>, StoreError> {
    top_counts(
        store,
        "SELECT service AS k, views AS n FROM tenant_service_views WHERE tenant_id = $1 ORDER BY views DESC, service LIMIT $2",
        scope,
        limit,
    )
    .await
}

/// Searches of a tenant that found nothing (counts only), most frequent first.
pub async fn top_misses(
    store: &Store,
    scope: TenantScope,
    limit: i64,
) -> Result<Vec<(String, i64)>, StoreError> {
    top_counts(
        store,
        "SELECT query AS k, count AS n FROM search_misses WHERE tenant_id = $1 ORDER BY count DESC, query LIMIT $2",
        scope,
        limit,
    )
    .await
}

/// (key, count) rows of a tenant-scoped `sql` with columns `k` and `n`.
async fn top_counts(
    store: &Store,
    sql: &str,
    scope: TenantScope,
    limit: i64,
) -> Result<Vec<(String, i64)>, StoreError> {
    let rows = sqlx::query(sql)
        .bind(scope.id())
        .bind(limit)
        .fetch_all(store.pool())
        .await?;
    rows.iter()
        .map(|r| Ok((text(r, "k")?, int(r, "n")?.unwrap_or(0))))
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::from)
}

/// A hash of what the central catalogue says about a service: an addition
/// written against it is flagged when the central text changes.
pub fn central_hash(l: &crate::catalogue::model::Leistung) -> String {
    let mut h = Sha256::new();
    for part in [&l.name, &l.short_text, &l.long_text, &l.legal_basis] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    for f in &l.fees {
        h.update(f.label.as_bytes());
        h.update(f.amount.as_bytes());
    }
    for d in &l.documents {
        h.update(d.as_bytes());
    }
    h.finalize()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The key under which a portal-wide kind is stored.
pub fn main_key(kind: Kind) -> Option<&'static str> {
    matches!(kind, Kind::Settings | Kind::Start).then_some(MAIN)
}
