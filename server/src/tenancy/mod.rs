//! Tenancy: one process serves every municipality; the host names the tenant.

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
}

impl TenantKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Gemeinde => "gemeinde",
            Self::Stadt => "stadt",
            Self::KreisfreieStadt => "kreisfreie-stadt",
            Self::Amt => "amt",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Colors {
    pub primary: String,
    pub primary_dark: String,
    pub accent: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Logo {
    pub file: String,
    pub alt: String,
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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
    pub config: TenantConfig,
    /// Bumped on every change; part of every cache key.
    pub version: i64,
}

impl Tenant {
    /// The scope a tenant-owned query must carry.
    pub fn scope(&self) -> TenantScope {
        TenantScope(self.id)
    }

    /// CSS custom properties for this tenant's brand, over the shared stylesheet.
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

/// All tenants, indexed by host. Rebuilt and swapped whenever a tenant changes.
#[derive(Debug, Default)]
pub struct Tenants {
    by_host: HashMap<String, Arc<Tenant>>,
    all: Vec<Arc<Tenant>>,
}

impl Tenants {
    pub fn new(tenants: Vec<Tenant>) -> Self {
        let all: Vec<Arc<Tenant>> = tenants.into_iter().map(Arc::new).collect();
        let by_host = all
            .iter()
            .flat_map(|t| t.hosts.iter().map(move |h| (h.clone(), t.clone())))
            .collect();
        Tenants { by_host, all }
    }

    /// The tenant for a Host header value; ignores case, port and a trailing dot.
    pub fn resolve(&self, host: &str) -> Option<Arc<Tenant>> {
        self.by_host.get(&normalize_host(host)?).cloned()
    }

    pub fn by_slug(&self, slug: &str) -> Option<&Arc<Tenant>> {
        self.all().iter().find(|t| t.slug.as_str() == slug)
    }

    pub fn all(&self) -> &[Arc<Tenant>] {
        &self.all
    }

    pub async fn load(store: &Store) -> Result<Tenants, StoreError> {
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
        for r in sqlx::query("SELECT * FROM tenants ORDER BY slug")
            .fetch_all(store.pool())
            .await?
        {
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
                config: serde_json::from_str(&text(&r, "config")?)
                    .map_err(|e| decode(e.to_string()))?,
                version: int(&r, "version")?.unwrap_or(1),
            });
        }
        Ok(Tenants::new(tenants))
    }
}
