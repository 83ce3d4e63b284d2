//! Seeds tenants from `tenants/<slug>.toml` into the database, where they live
//! from then on (editors will change them there). Existing tenants are left alone.

use super::{colors, normalize_host, TenantConfig, TenantKind};
use crate::keys::{Ars, TenantSlug};
use crate::store::{Store, StoreError};
use serde::Deserialize;
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum TenancyError {
    #[error("{file}: {reason}")]
    Invalid { file: String, reason: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for TenancyError {
    fn from(e: sqlx::Error) -> Self {
        TenancyError::Store(StoreError::Sqlx(e))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TenantFile {
    name: String,
    kind: TenantKind,
    ars: String,
    hosts: Vec<String>,
    #[serde(flatten)]
    config: TenantConfig,
}

pub struct SeedTenant {
    pub slug: TenantSlug,
    pub name: String,
    pub kind: TenantKind,
    pub ars: Ars,
    pub hosts: Vec<String>,
    pub config: TenantConfig,
}

pub fn parse_tenant_file(file: &str, slug: &str, text: &str) -> Result<SeedTenant, TenancyError> {
    let invalid = |reason: String| TenancyError::Invalid {
        file: file.to_string(),
        reason,
    };
    let f: TenantFile = toml::from_str(text).map_err(|e| invalid(e.message().to_string()))?;
    let slug = TenantSlug::parse(slug).map_err(|e| invalid(e.to_string()))?;
    let ars = Ars::parse(&f.ars).map_err(|e| invalid(e.to_string()))?;
    let expected = f.kind.ars_len();
    if ars.as_str().len() != expected {
        return Err(invalid(format!(
            "ein Mandant der Art {} braucht einen {expected}-stelligen Regionalschlüssel",
            f.kind.as_str()
        )));
    }
    let hosts = f
        .hosts
        .iter()
        .map(|h| normalize_host(h).ok_or_else(|| invalid(format!("ungültiger Hostname „{h}“"))))
        .collect::<Result<Vec<_>, _>>()?;
    if hosts.is_empty() {
        return Err(invalid("mindestens ein Hostname ist nötig".into()));
    }
    let c = &f.config.colors;
    if let Some(p) = colors::check_brand(c.primary, c.primary_dark, c.accent).first() {
        return Err(invalid(format!("colors.{}: {p}", p.field)));
    }
    Ok(SeedTenant {
        slug,
        name: f.name,
        kind: f.kind,
        ars,
        hosts,
        config: f.config,
    })
}

/// Reads every `*.toml` in `dir` and inserts the tenants not yet in the store.
pub async fn seed_from_dir(store: &Store, dir: &Path) -> Result<Vec<String>, TenancyError> {
    let unreadable = |reason: String| TenancyError::Invalid {
        file: dir.display().to_string(),
        reason,
    };
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| unreadable(e.to_string()))?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    let mut seeded = Vec::new();
    for path in files {
        let file = path.display().to_string();
        let slug = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("")
            .to_string();
        let text = std::fs::read_to_string(&path).map_err(|e| TenancyError::Invalid {
            file: file.clone(),
            reason: e.to_string(),
        })?;
        let tenant = parse_tenant_file(&file, &slug, &text)?;
        if insert_if_new(store, &tenant).await? {
            seeded.push(slug);
        }
    }
    Ok(seeded)
}

async fn insert_if_new(store: &Store, t: &SeedTenant) -> Result<bool, TenancyError> {
    let mut tx = store.pool().begin().await?;
    let exists = sqlx::query("SELECT id FROM tenants WHERE slug = $1")
        .bind(t.slug.as_str())
        .fetch_optional(&mut *tx)
        .await?
        .is_some();
    if exists {
        return Ok(false);
    }
    let config = serde_json::to_string(&t.config).map_err(|e| TenancyError::Invalid {
        file: t.slug.as_str().into(),
        reason: e.to_string(),
    })?;
    let row = sqlx::query(
        "INSERT INTO tenants (slug, name, kind, ars, config, version, updated_at) VALUES ($1, $2, $3, $4, $5, 1, $6) RETURNING id",
    )
    .bind(t.slug.as_str())
    .bind(&t.name)
    .bind(t.kind.as_str())
    .bind(t.ars.as_str())
    .bind(config)
    .bind(crate::clock::now_rfc3339())
    .fetch_one(&mut *tx)
    .await?;
    let id = crate::store::int(&row, "id")?.unwrap_or(0);
    for host in &t.hosts {
        let taken = sqlx::query("SELECT tenant_id FROM tenant_hosts WHERE host = $1")
            .bind(host)
            .fetch_optional(&mut *tx)
            .await?
            .is_some();
        if taken {
            return Err(TenancyError::Invalid {
                file: format!("{}.toml", t.slug.as_str()),
                reason: format!("Hostname {host} gehört schon einem anderen Mandanten"),
            });
        }
        sqlx::query("INSERT INTO tenant_hosts (host, tenant_id) VALUES ($1, $2)")
            .bind(host)
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    super::changed(
        &mut tx,
        super::TenantScope(id),
        "angelegt",
        crate::clock::now_unix(),
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_tenant_files_are_valid() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../tenants");
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let slug = path.file_stem().unwrap().to_str().unwrap().to_string();
            let text = std::fs::read_to_string(&path).unwrap();
            let t = parse_tenant_file(&path.display().to_string(), &slug, &text)
                .unwrap_or_else(|e| panic!("{e}"));
            assert!(
                t.hosts.contains(&format!("{slug}.localhost")),
                "{slug} has a dev host"
            );
        }
    }

    #[test]
    fn weak_colours_and_wrong_keys_are_refused() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../tenants/kiel.toml");
        let good = std::fs::read_to_string(dir).unwrap();
        let pale = good.replacen("primary = \"#", "primary = \"#ffff00\" # was #", 1);
        let err = parse_tenant_file("kiel.toml", "kiel", &pale)
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("Kontrast"), "{err}");
        let short = good.replace("010020000000", "01002");
        assert!(parse_tenant_file("kiel.toml", "kiel", &short).is_err());
    }
}
