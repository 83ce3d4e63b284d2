//! Tenancy: one process serves every municipality; the host names the tenant.

pub mod colors;
mod host;
mod seed;

pub use host::normalize_host;
pub use seed::{seed_from_dir, TenancyError};

use crate::keys::{Ars, TenantSlug};
use crate::store::{int, text, Store, StoreError};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TenantKind {
    Gemeinde,
    Stadt,
    KreisfreieStadt,
    Amt,
    /// Another Gemeindeverband: Samtgemeinde, Verbandsgemeinde, Verwaltungsgemeinschaft …
    Verband,
    Kreis,
}

impl TenantKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Gemeinde => "gemeinde",
            Self::Stadt => "stadt",
            Self::KreisfreieStadt => "kreisfreie-stadt",
            Self::Amt => "amt",
            Self::Verband => "verband",
            Self::Kreis => "kreis",
        }
    }

    /// How many digits the tenant's Regionalschlüssel has.
    pub fn ars_len(self) -> usize {
        match self {
            Self::Amt | Self::Verband => 9,
            Self::Kreis => 5,
            _ => 12,
        }
    }
}

/// Where a tenant is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TenantStatus {
    /// Onboarded: editors work on it; citizens see "not yet open"; no indexing.
    Draft,
    Live,
    /// Citizens see a maintenance page with the municipality's contact.
    Suspended,
}

impl TenantStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Live => "live",
            Self::Suspended => "suspended",
        }
    }

    pub fn parse(s: &str) -> TenantStatus {
        match s {
            "draft" => Self::Draft,
            "suspended" => Self::Suspended,
            _ => Self::Live,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Draft => "Entwurf",
            Self::Live => "Online",
            Self::Suspended => "Gesperrt",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Colors {
    pub primary: colors::Rgb,
    pub primary_dark: colors::Rgb,
    pub accent: colors::Rgb,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Logo {
    /// A file under `assets/tenants/` (the seed's logo).
    pub file: String,
    pub alt: String,
    /// An editor's upload (`uploads.id`), shown instead of `file`.
    #[serde(default)]
    pub upload: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactInfo {
    pub name: String,
    pub street: String,
    pub postcode: String,
    pub city: String,
    pub phone: String,
    pub email: String,
    #[serde(default)]
    pub opening_hours: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Legal {
    pub impressum: String,
    pub datenschutz: String,
    pub barrierefreiheit: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct StartConfig {
    #[serde(default)]
    pub featured: Vec<String>,
    #[serde(default)]
    pub lebenslagen: Vec<String>,
}

/// What editors will change later; stored as one JSON document per tenant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantConfig {
    #[serde(default)]
    pub tagline: String,
    pub colors: Colors,
    pub logo: Logo,
    pub contact: ContactInfo,
    pub legal: Legal,
    #[serde(default)]
    pub start: StartConfig,
    #[serde(default)]
    pub header_links: Vec<crate::editor::model::NavLink>,
    #[serde(default)]
    pub footer_links: Vec<crate::editor::model::NavLink>,
}

#[derive(Debug, Clone)]
pub struct Tenant {
    pub id: i64,
    pub slug: TenantSlug,
    pub name: String,
    pub kind: TenantKind,
    /// The area the tenant serves: a Gemeinde (12 digits) or a Gemeindeverband (9).
    pub ars: Ars,
    pub hosts: Vec<String>,
    /// Without the legal texts, except in a preview: see [`full_config`].
    pub config: TenantConfig,
    /// Bumped on every change; with `upstream`, part of every cache key.
    pub version: i64,
    /// The sum of the versions of the tenants whose shared services this one
    /// follows (Nachnutzung): their publications change this tenant's pages too.
    pub upstream: i64,
    /// Published local content: additions, local services, offices, announcements.
    pub local: Arc<crate::editor::local::LocalContent>,
    /// Publishing needs a second person (Freigabe).
    pub require_approval: bool,
    /// Drafts shown to editors: never cached, marked on every page.
    pub preview: bool,
    pub status: TenantStatus,
}

impl Tenant {
    /// Changes whenever anything this tenant's pages show changes.
    pub fn content_version(&self) -> i64 {
        self.version + self.upstream
    }

    /// The scope a tenant-owned query must carry.
    pub fn scope(&self) -> TenantScope {
        TenantScope(self.id)
    }

    /// CSS custom properties for this tenant's brand, over the shared stylesheet.
    /// The colours are typed values: only `#rrggbb` can reach the CSS.
    pub fn theme_css(&self) -> String {
        let c = &self.config.colors;
        format!(
            ":root{{--brand:{};--brand-dark:{};--accent:{};}}\n",
            c.primary, c.primary_dark, c.accent
        )
    }
}

/// Proof that a query is made for one tenant; only a `Tenant` hands it out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TenantScope(i64);

impl TenantScope {
    pub fn id(self) -> i64 {
        self.0
    }
}

/// Records that a tenant changed: its version moves on (its cached pages go)
/// and the change list grows (other instances reload). In the caller's transaction.
pub async fn changed(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    scope: TenantScope,
    what: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE tenants SET version = version + 1, updated_at = $1 WHERE id = $2")
        .bind(crate::clock::now_rfc3339())
        .bind(scope.id())
        .execute(&mut **tx)
        .await?;
    sqlx::query("INSERT INTO changes (tenant_id, what, at) VALUES ($1, $2, $3)")
        .bind(scope.id())
        .bind(what)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The newest change any process recorded (0: none).
pub async fn last_change(store: &Store) -> Result<i64, StoreError> {
    let row = sqlx::query("SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) AS n FROM changes")
        .fetch_one(store.pool())
        .await?;
    Ok(int(&row, "n")?.unwrap_or(0))
}

/// Sets whether publishing needs a second person's approval.
pub async fn set_require_approval(
    store: &Store,
    scope: TenantScope,
    on: bool,
    actor: &str,
    now: i64,
) -> Result<(), StoreError> {
    let mut tx = store.pool().begin().await?;
    sqlx::query("UPDATE tenants SET require_approval = $1 WHERE id = $2")
        .bind(i64::from(on))
        .bind(scope.id())
        .execute(&mut *tx)
        .await?;
    crate::editor::content::audit(
        &mut tx,
        Some(scope),
        crate::editor::content::Event {
            who: crate::editor::content::Who { actor, now },
            action: "freigabe",
            kind: "settings",
            key: "require_approval",
            old: None,
            new: Some(&serde_json::Value::Bool(on)),
        },
    )
    .await?;
    changed(&mut tx, scope, "einstellungen", now).await?;
    tx.commit().await?;
    Ok(())
}

/// All tenants, indexed by host. Rebuilt and swapped whenever a tenant changes.
#[derive(Debug, Default)]
pub struct Tenants {
    by_host: HashMap<String, Arc<Tenant>>,
    /// Former hosts → the tenant that now lives elsewhere.
    aliases: HashMap<String, Arc<Tenant>>,
    all: Vec<Arc<Tenant>>,
    /// The newest entry of the change list this set reflects.
    change: i64,
}

impl Tenants {
    pub fn new(tenants: Vec<Tenant>) -> Self {
        let all: Vec<Arc<Tenant>> = tenants.into_iter().map(Arc::new).collect();
        let by_host = all
            .iter()
            .flat_map(|t| t.hosts.iter().map(move |h| (h.clone(), t.clone())))
            .collect();
        Tenants {
            by_host,
            aliases: HashMap::new(),
            all,
            change: 0,
        }
    }

    pub fn change(&self) -> i64 {
        self.change
    }

    /// The tenant for a Host header value; ignores case, port and a trailing dot.
    pub fn resolve(&self, host: &str) -> Option<Arc<Tenant>> {
        self.by_host.get(&normalize_host(host)?).cloned()
    }

    /// The tenant a former host now belongs to (it redirects there).
    pub fn moved(&self, host: &str) -> Option<Arc<Tenant>> {
        self.aliases.get(&normalize_host(host)?).cloned()
    }

    pub fn by_slug(&self, slug: &str) -> Option<&Arc<Tenant>> {
        self.all().iter().find(|t| t.slug.as_str() == slug)
    }

    pub fn all(&self) -> &[Arc<Tenant>] {
        &self.all
    }

    /// Every tenant as served (see [`served_config`]), with hosts, local content and aliases.
    pub async fn load(store: &Store) -> Result<Tenants, StoreError> {
        // Read first: a change made while loading is then seen at the next poll.
        let change = last_change(store).await?;
        let mut local = crate::editor::local::load_all(store).await?;
        let mut hosts: HashMap<i64, Vec<String>> = HashMap::new();
        for r in sqlx::query("SELECT host, tenant_id FROM tenant_hosts ORDER BY host")
            .fetch_all(store.pool())
            .await?
        {
            hosts
                .entry(int(&r, "tenant_id")?.unwrap_or(0))
                .or_default()
                .push(text(&r, "host")?);
        }
        let mut tenants = Vec::new();
        // Row by row: all settings at once would be ~150 MB at Germany scale.
        let mut rows = sqlx::query("SELECT * FROM tenants ORDER BY slug").fetch(store.pool());
        while let Some(r) = futures_util::TryStreamExt::try_next(&mut rows).await? {
            let id = int(&r, "id")?.unwrap_or(0);
            let decode = |e: String| sqlx::Error::Decode(e.into());
            tenants.push(Tenant {
                id,
                slug: TenantSlug::parse(&text(&r, "slug")?).map_err(|e| decode(e.to_string()))?,
                name: text(&r, "name")?,
                kind: serde_json::from_value(serde_json::Value::String(text(&r, "kind")?))
                    .map_err(|e| decode(e.to_string()))?,
                ars: Ars::parse(&text(&r, "ars")?).map_err(|e| decode(e.to_string()))?,
                hosts: hosts.remove(&id).unwrap_or_default(),
                config: served_config(&text(&r, "config")?).map_err(decode)?,
                version: int(&r, "version")?.unwrap_or(1),
                upstream: 0,
                local: Arc::new(local.remove(&id).unwrap_or_default()),
                require_approval: int(&r, "require_approval")?.unwrap_or(0) == 1,
                preview: false,
                status: TenantStatus::parse(&text(&r, "status")?),
            });
        }
        drop(rows);
        crate::editor::local::follow_sources(&mut tenants);
        let loaded = Tenants::new(tenants);
        let by_id: HashMap<i64, Arc<Tenant>> =
            loaded.all.iter().map(|t| (t.id, t.clone())).collect();
        let mut aliases = HashMap::new();
        for r in sqlx::query("SELECT host, tenant_id FROM tenant_aliases")
            .fetch_all(store.pool())
            .await?
        {
            if let Some(t) = by_id.get(&int(&r, "tenant_id")?.unwrap_or(0)) {
                aliases.insert(text(&r, "host")?, t.clone());
            }
        }
        Ok(Tenants {
            change,
            aliases,
            ..loaded
        })
    }
}

/// A tenant's settings as every instance keeps them: without the legal texts.
/// Those are 10 KB and more per tenant (at Germany scale 130 MB of each
/// instance's memory), and are read only to render their three pages (then
/// kept by the page cache), for editors and for the operator: [`full_config`].
fn served_config(json: &str) -> Result<TenantConfig, String> {
    let mut config: TenantConfig = serde_json::from_str(json).map_err(|e| e.to_string())?;
    config.legal = Legal::default();
    Ok(config)
}

/// A tenant's settings with its legal texts: from the store, or for a preview
/// the drafts it was built with (see `editor::with_drafts`).
pub async fn full_config(store: &Store, tenant: &Tenant) -> Result<TenantConfig, StoreError> {
    if tenant.preview {
        return Ok(tenant.config.clone());
    }
    stored_config(store.pool(), tenant.scope()).await
}

/// A tenant's settings as stored, legal texts included; also inside a transaction.
pub async fn stored_config<'e>(
    db: impl sqlx::Executor<'e, Database = sqlx::Any>,
    scope: TenantScope,
) -> Result<TenantConfig, StoreError> {
    let row = sqlx::query("SELECT config FROM tenants WHERE id = $1")
        .bind(scope.id())
        .fetch_one(db)
        .await?;
    serde_json::from_str(&text(&row, "config")?)
        .map_err(|e| StoreError::Sqlx(sqlx::Error::Decode(e.into())))
}
