//! The operating association's side: who runs the platform, and the whole
//! life of a tenant — onboarding from the official register (one or a whole
//! Land), the go-live checklist, suspend and resume, host aliases, export and
//! deletion. Every action is audited at the platform level.

pub mod export;
pub mod insight;
pub mod links;

use crate::catalogue::model::{Region, RegionLevel};
use crate::catalogue::Catalogue;
use crate::editor::content::{self, Event, Who};
use crate::keys::{slugify, Ars, TenantSlug};
use crate::store::{insert_rows, int, text, Store, StoreError, Value as Cell};
use crate::tenancy::{
    colors::Rgb, normalize_host, Colors, ContactInfo, Legal, Logo, StartConfig, Tenant,
    TenantConfig, TenantKind, TenantScope, TenantStatus,
};
use serde_json::Value;
use std::collections::HashSet;

#[derive(Debug, thiserror::Error)]
pub enum OperatorError {
    #[error("Der Regionalschlüssel {0} steht nicht im Gemeindeverzeichnis.")]
    UnknownArs(String),
    #[error("{0}")]
    Invalid(String),
    #[error("Der Hostname {0} gehört schon einem Mandanten.")]
    HostTaken(String),
    #[error("Online gehen geht erst, wenn alles erledigt ist: {0}")]
    NotReady(String),
    #[error("Ein Portal im Entwurf ist noch nicht online und kann nicht ausgesetzt werden.")]
    DraftNotSuspendable,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for OperatorError {
    fn from(e: sqlx::Error) -> Self {
        OperatorError::Store(e.into())
    }
}

// ---------------------------------------------------------------- operators

pub async fn grant_operator(store: &Store, editor: &str, now: i64) -> Result<(), StoreError> {
    let mut tx = store.pool().begin().await?;
    sqlx::query(
        "INSERT INTO operators (editor_id, granted_at) VALUES ($1, $2) ON CONFLICT (editor_id) DO NOTHING",
    )
    .bind(editor)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    platform_audit(
        &mut tx,
        Who {
            actor: "kommandozeile",
            now,
        },
        "betrieb-rolle",
        editor,
        None,
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn is_operator(store: &Store, editor: &str) -> Result<bool, StoreError> {
    let row = sqlx::query("SELECT 1 AS one FROM operators WHERE editor_id = $1")
        .bind(editor)
        .fetch_optional(store.pool())
        .await?;
    Ok(row.is_some())
}

/// An operator action in the platform's audit log (no tenant: it outlives deletions).
pub async fn platform_audit(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    who: Who<'_>,
    action: &str,
    key: &str,
    old: Option<&Value>,
    new: Option<&Value>,
) -> Result<(), sqlx::Error> {
    content::audit(
        tx,
        None,
        Event {
            who,
            action,
            kind: "mandant",
            key,
            old,
            new,
        },
    )
    .await
}

/// The platform's audit log (operator actions), newest first.
pub async fn platform_log(
    store: &Store,
    limit: i64,
) -> Result<Vec<content::AuditEntry>, StoreError> {
    let rows = sqlx::query(
        "SELECT actor, action, kind, item_key, old_value, new_value, at FROM audit_log \
         WHERE tenant_id IS NULL ORDER BY id DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(content::AuditEntry {
                actor: text(r, "actor")?,
                action: text(r, "action")?,
                kind: text(r, "kind")?,
                key: text(r, "item_key")?,
                old: sqlx::Row::try_get::<Option<String>, _>(r, "old_value")?,
                new: sqlx::Row::try_get::<Option<String>, _>(r, "new_value")?,
                at: int(r, "at")?.unwrap_or(0),
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::from)
}

/// Records that a tenant's data left the platform as an export.
pub async fn audit_export(store: &Store, slug: &str, who: Who<'_>) -> Result<(), StoreError> {
    let mut tx = store.pool().begin().await?;
    platform_audit(&mut tx, who, "exportiert", slug, None, None).await?;
    tx.commit().await?;
    Ok(())
}

// ---------------------------------------------------------------- onboarding

/// An administration of the official register that can become a tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub ars: Ars,
    pub name: String,
    pub kind: TenantKind,
}

fn verband_name(r: &Region) -> String {
    let prefix = match r.type_code {
        Some(51) => "Amt",
        Some(52) => "Samtgemeinde",
        Some(53) => "Verbandsgemeinde",
        Some(54) => "Verwaltungsgemeinschaft",
        Some(55) => "Kirchspielslandgemeinde",
        Some(56) => "Verwaltungsverband",
        Some(57) => "Verbandsgemeinde",
        Some(58) => "Erfüllende Gemeinde",
        _ => "Verband",
    };
    format!("{prefix} {}", r.name)
}

/// What onboarding an ARS means: a Gemeinde (12 digits), a Gemeindeverband
/// (9; a verbandsfreie one is its single Gemeinde), or a Kreis (5).
pub fn candidate(c: &Catalogue, ars: &Ars) -> Result<Candidate, OperatorError> {
    let r = c
        .region(ars)
        .ok_or_else(|| OperatorError::UnknownArs(ars.to_string()))?;
    match r.level {
        RegionLevel::Gemeinde => Ok(Candidate {
            ars: r.ars.clone(),
            name: crate::catalogue::generate::municipality_name(&r.name, r.type_code),
            kind: match r.type_code {
                Some(61 | 62) => TenantKind::KreisfreieStadt,
                Some(63 | 67) => TenantKind::Stadt,
                _ => TenantKind::Gemeinde,
            },
        }),
        RegionLevel::Gemeindeverband if r.type_code == Some(50) => {
            let members = c.gemeinden_in(&r.ars);
            match members.as_slice() {
                [only] => candidate(c, &only.ars),
                _ => Err(OperatorError::Invalid(format!(
                    "{} ist verbandsfrei, hat aber {} Gemeinden",
                    r.name,
                    members.len()
                ))),
            }
        }
        RegionLevel::Gemeindeverband => Ok(Candidate {
            ars: r.ars.clone(),
            name: verband_name(r),
            kind: if r.type_code == Some(51) {
                TenantKind::Amt
            } else {
                TenantKind::Verband
            },
        }),
        RegionLevel::Kreis if matches!(r.type_code, Some(41 | 42)) => {
            // A kreisfreie Stadt is its own Gemeinde: onboard that.
            let members = c.gemeinden_in(&r.ars);
            let city = members
                .first()
                .ok_or_else(|| OperatorError::UnknownArs(ars.to_string()))?;
            candidate(c, &city.ars)
        }
        RegionLevel::Kreis => Ok(Candidate {
            ars: r.ars.clone(),
            name: c.area_label(&crate::catalogue::model::Area::Region(r.ars.clone())),
            kind: TenantKind::Kreis,
        }),
        _ => Err(OperatorError::Invalid(format!(
            "{} ist keine Kommune: ein Land oder Regierungsbezirk wird kein Portal",
            r.name
        ))),
    }
}

/// Every administration of a Land: each Amt and Verband, each verbandsfreie
/// Gemeinde and kreisfreie Stadt, each Kreis.
pub fn land_candidates(c: &Catalogue, land: &str) -> Result<Vec<Candidate>, OperatorError> {
    if land.len() != 2 || !land.bytes().all(|b| b.is_ascii_digit()) {
        return Err(OperatorError::Invalid(format!(
            "„{land}“ ist kein Landesschlüssel (zwei Ziffern, z. B. 01)"
        )));
    }
    let mut out: Vec<Candidate> = c
        .regions()
        .filter(|r| r.ars.as_str().starts_with(land))
        .filter(|r| {
            matches!(r.level, RegionLevel::Gemeindeverband)
                || (r.level == RegionLevel::Kreis && !matches!(r.type_code, Some(41 | 42)))
        })
        .filter_map(|r| candidate(c, &r.ars).ok())
        .collect();
    out.sort_by(|a, b| a.ars.as_str().cmp(b.ars.as_str()));
    out.dedup_by(|a, b| a.ars == b.ars);
    if out.is_empty() {
        return Err(OperatorError::Invalid(format!(
            "Zum Land {land} stehen keine Kommunen im Gemeindeverzeichnis"
        )));
    }
    Ok(out)
}

/// The settings a new portal starts with: readable colours, the platform's
/// neutral logo, and empty legal pages (the go-live checklist asks for them).
pub fn starting_config(name: &str) -> TenantConfig {
    TenantConfig {
        tagline: "Bürgerservice online".into(),
        colors: Colors {
            primary: Rgb([0x00, 0x50, 0x8c]),
            primary_dark: Rgb([0x00, 0x3a, 0x66]),
            accent: Rgb([0x00, 0x8a, 0x94]),
        },
        logo: Logo {
            file: "neutral.svg".into(),
            alt: name.into(),
            upload: None,
        },
        contact: ContactInfo {
            name: name.into(),
            street: String::new(),
            postcode: String::new(),
            city: String::new(),
            phone: String::new(),
            email: String::new(),
            opening_hours: vec![],
        },
        legal: Legal {
            impressum: String::new(),
            datenschutz: String::new(),
            barrierefreiheit: String::new(),
        },
        start: StartConfig::default(),
        header_links: vec![],
        footer_links: vec![],
    }
}

/// A free slug for a name: the name's, else with the ARS appended.
fn slug_for(name: &str, ars: &Ars, taken: &HashSet<String>) -> String {
    let full = slugify(name);
    let short = [
        "landeshauptstadt-",
        "hansestadt-",
        "stadt-",
        "gemeinde-",
        "amt-",
    ]
    .iter()
    .find_map(|p| full.strip_prefix(p))
    .unwrap_or(&full);
    // Cut at 50 characters, never leaving a hyphen at the end (not a valid slug).
    let cut: String = short.chars().take(50).collect();
    let base = match cut.trim_end_matches('-') {
        "" => slugify(name),
        b => b.to_string(),
    };
    if !taken.contains(&base) {
        base
    } else {
        format!("{base}-{}", ars.as_str())
    }
}

/// What a bulk onboarding did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Onboarded {
    pub created: Vec<String>,
    pub unchanged: usize,
}

/// Onboards candidates as draft tenants in one transaction; those whose ARS
/// already has a tenant are left as they are (so a second run changes
/// nothing). `hosts(slug)` gives each new tenant its host names.
pub async fn onboard(
    store: &Store,
    candidates: &[Candidate],
    hosts: impl Fn(&str) -> Vec<String>,
    who: Who<'_>,
    progress: impl Fn(usize),
) -> Result<Onboarded, OperatorError> {
    let mut tx = store.pool().begin().await?;
    let mut existing_ars = HashSet::new();
    let mut slugs = HashSet::new();
    for r in sqlx::query("SELECT slug, ars FROM tenants")
        .fetch_all(&mut *tx)
        .await?
    {
        slugs.insert(text(&r, "slug")?);
        existing_ars.insert(text(&r, "ars")?);
    }
    let mut taken_hosts: HashSet<String> = HashSet::new();
    for r in sqlx::query("SELECT host FROM tenant_hosts UNION SELECT host FROM tenant_aliases")
        .fetch_all(&mut *tx)
        .await?
    {
        taken_hosts.insert(text(&r, "host")?);
    }
    let mut result = Onboarded::default();
    let mut rows = Vec::new();
    let mut new = Vec::new();
    let now_text = crate::clock::now_rfc3339();
    for c in candidates {
        if !existing_ars.insert(c.ars.to_string()) {
            result.unchanged += 1;
            continue;
        }
        let slug = slug_for(&c.name, &c.ars, &slugs);
        TenantSlug::parse(&slug).map_err(|e| OperatorError::Invalid(e.to_string()))?;
        slugs.insert(slug.clone());
        let mut these = Vec::new();
        for h in hosts(&slug) {
            let h = normalize_host(&h)
                .ok_or_else(|| OperatorError::Invalid(format!("ungültiger Hostname „{h}“")))?;
            if !taken_hosts.insert(h.clone()) {
                return Err(OperatorError::HostTaken(h));
            }
            these.push(h);
        }
        let config = serde_json::to_string(&starting_config(&c.name))
            .map_err(|e| OperatorError::Invalid(e.to_string()))?;
        rows.push(vec![
            Cell::from(slug.clone()),
            Cell::from(c.name.clone()),
            Cell::from(c.kind.as_str()),
            Cell::from(c.ars.as_str()),
            Cell::from(config),
            Cell::from(1i64),
            Cell::from(now_text.clone()),
            Cell::from(TenantStatus::Draft.as_str()),
        ]);
        new.push((slug, these));
    }
    insert_rows(
        &mut tx,
        "tenants",
        &[
            "slug",
            "name",
            "kind",
            "ars",
            "config",
            "version",
            "updated_at",
            "status",
        ],
        rows,
    )
    .await?;
    let mut ids = std::collections::HashMap::new();
    for r in sqlx::query("SELECT id, slug FROM tenants")
        .fetch_all(&mut *tx)
        .await?
    {
        ids.insert(text(&r, "slug")?, int(&r, "id")?.unwrap_or(0));
    }
    let mut host_rows = Vec::new();
    let mut change_rows = Vec::new();
    for (i, (slug, hosts)) in new.iter().enumerate() {
        let id = ids[slug];
        for h in hosts {
            host_rows.push(vec![Cell::from(h.clone()), Cell::from(id)]);
        }
        change_rows.push(vec![
            Cell::from(id),
            Cell::from("angelegt"),
            Cell::from(who.now),
        ]);
        progress(i + 1);
    }
    insert_rows(&mut tx, "tenant_hosts", &["host", "tenant_id"], host_rows).await?;
    insert_rows(
        &mut tx,
        "changes",
        &["tenant_id", "what", "at"],
        change_rows,
    )
    .await?;
    if !new.is_empty() {
        let list = Value::from(new.iter().map(|(s, _)| s.clone()).collect::<Vec<_>>());
        platform_audit(&mut tx, who, "angelegt", "", None, Some(&list)).await?;
    }
    tx.commit().await?;
    result.created = new.into_iter().map(|(s, _)| s).collect();
    Ok(result)
}

// ---------------------------------------------------------------- life

/// What must be done before a portal goes live, with whether it is.
pub async fn checklist(store: &Store, t: &Tenant) -> Result<Vec<(&'static str, bool)>, StoreError> {
    let c = &crate::tenancy::full_config(store, t).await?;
    let editors = sqlx::query("SELECT COUNT(*) AS n FROM editor_roles WHERE tenant_id = $1")
        .bind(t.id)
        .fetch_one(store.pool())
        .await?;
    let has = |s: &str| !s.trim().is_empty();
    Ok(vec![
        ("Impressum geschrieben", has(&c.legal.impressum)),
        (
            "Datenschutzerklärung geschrieben",
            has(&c.legal.datenschutz),
        ),
        (
            "Erklärung zur Barrierefreiheit geschrieben",
            has(&c.legal.barrierefreiheit),
        ),
        (
            "Kontakt eingetragen (Telefon oder E-Mail)",
            has(&c.contact.phone) || has(&c.contact.email),
        ),
        (
            "Logo hochgeladen",
            c.logo.upload.is_some() || c.logo.file != "neutral.svg",
        ),
        (
            "Mindestens eine Person in der Redaktion",
            int(&editors, "n")?.unwrap_or(0) > 0,
        ),
    ])
}

/// Moves a tenant on in its life. Going live needs the checklist done.
pub async fn set_status(
    store: &Store,
    t: &Tenant,
    status: TenantStatus,
    who: Who<'_>,
) -> Result<(), OperatorError> {
    // A draft goes online only through the checklist; a suspended portal was
    // online before and resumes without it. A draft cannot be suspended, so a
    // suspension is no shortcut past the checklist.
    if status == TenantStatus::Suspended && t.status == TenantStatus::Draft {
        return Err(OperatorError::DraftNotSuspendable);
    }
    if status == TenantStatus::Live && t.status == TenantStatus::Draft {
        let missing: Vec<&str> = checklist(store, t)
            .await?
            .into_iter()
            .filter(|(_, ok)| !ok)
            .map(|(what, _)| what)
            .collect();
        if !missing.is_empty() {
            return Err(OperatorError::NotReady(missing.join(", ")));
        }
    }
    let mut tx = store.pool().begin().await?;
    sqlx::query("UPDATE tenants SET status = $1 WHERE id = $2")
        .bind(status.as_str())
        .bind(t.id)
        .execute(&mut *tx)
        .await?;
    crate::tenancy::changed(&mut tx, t.scope(), status.as_str(), who.now).await?;
    platform_audit(
        &mut tx,
        who,
        "status",
        t.slug.as_str(),
        Some(&Value::from(t.status.as_str())),
        Some(&Value::from(status.as_str())),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Makes `new` the tenant's host; its current hosts become aliases that redirect.
pub async fn move_host(
    store: &Store,
    t: &Tenant,
    new: &str,
    who: Who<'_>,
) -> Result<(), OperatorError> {
    let new = normalize_host(new)
        .ok_or_else(|| OperatorError::Invalid(format!("ungültiger Hostname „{new}“")))?;
    let mut tx = store.pool().begin().await?;
    let owner = sqlx::query(
        "SELECT tenant_id FROM tenant_hosts WHERE host = $1 UNION SELECT tenant_id FROM tenant_aliases WHERE host = $1",
    )
    .bind(&new)
    .fetch_optional(&mut *tx)
    .await?;
    if owner.is_some_and(|r| int(&r, "tenant_id").ok().flatten() != Some(t.id)) {
        return Err(OperatorError::HostTaken(new));
    }
    sqlx::query("DELETE FROM tenant_aliases WHERE host = $1")
        .bind(&new)
        .execute(&mut *tx)
        .await?;
    for old in t.hosts.iter().filter(|h| **h != new) {
        sqlx::query("INSERT INTO tenant_aliases (host, tenant_id, created_at) VALUES ($1, $2, $3) ON CONFLICT (host) DO NOTHING")
            .bind(old)
            .bind(t.id)
            .bind(who.now)
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query("DELETE FROM tenant_hosts WHERE tenant_id = $1")
        .bind(t.id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("INSERT INTO tenant_hosts (host, tenant_id) VALUES ($1, $2)")
        .bind(&new)
        .bind(t.id)
        .execute(&mut *tx)
        .await?;
    crate::tenancy::changed(&mut tx, t.scope(), "hostname", who.now).await?;
    platform_audit(
        &mut tx,
        who,
        "hostname",
        t.slug.as_str(),
        Some(&Value::from(t.hosts.clone())),
        Some(&Value::from(new)),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Tables with the tenant's rows, children first; all reference tenants(id).
pub const TENANT_TABLES: [&str; 13] = [
    "content_versions",
    "content_items",
    "editor_roles",
    "editor_invitations",
    "uploads",
    "audit_log",
    "tenant_service_views",
    "search_misses",
    "responsibility_gaps",
    "daily_counts",
    "tenant_aliases",
    "tenant_hosts",
    "tenants",
];

/// Deletes a tenant and everything it owns, in one transaction; returns the
/// rows removed per table. Citizens' accounts stay; their Merkliste entries
/// of this tenant go.
pub async fn delete(
    store: &Store,
    t: &Tenant,
    who: Who<'_>,
) -> Result<Vec<(String, u64)>, OperatorError> {
    let mut tx = store.pool().begin().await?;
    let mut report = Vec::new();
    let favourites = sqlx::query("DELETE FROM favourites WHERE tenant_slug = $1")
        .bind(t.slug.as_str())
        .execute(&mut *tx)
        .await?
        .rows_affected();
    report.push(("favourites".to_string(), favourites));
    // The change list only grows (instances compare its highest id): the
    // tenant's entries lose their tenant instead of being removed.
    let changes = sqlx::query("UPDATE changes SET tenant_id = NULL WHERE tenant_id = $1")
        .bind(t.id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    report.push(("changes (Mandant entfernt)".to_string(), changes));
    for table in TENANT_TABLES {
        let column = if table == "tenants" {
            "id"
        } else {
            "tenant_id"
        };
        let done = sqlx::query(&format!("DELETE FROM {table} WHERE {column} = $1"))
            .bind(t.id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        report.push((table.to_string(), done));
    }
    // Other instances must notice the tenant is gone: a change without a tenant.
    sqlx::query("INSERT INTO changes (tenant_id, what, at) VALUES (NULL, $1, $2)")
        .bind(format!("gelöscht: {}", t.slug.as_str()))
        .bind(who.now)
        .execute(&mut *tx)
        .await?;
    let counts: serde_json::Map<String, Value> = report
        .iter()
        .map(|(k, n)| (k.clone(), Value::from(*n)))
        .collect();
    platform_audit(
        &mut tx,
        who,
        "gelöscht",
        t.slug.as_str(),
        None,
        Some(&Value::Object(counts)),
    )
    .await?;
    tx.commit().await?;
    Ok(report)
}

/// Creates an invitation for the first admin of a tenant.
pub async fn invite_first_admin(
    store: &Store,
    scope: TenantScope,
    who: Who<'_>,
) -> Result<String, StoreError> {
    crate::editor::invite(store, scope, crate::editor::Role::Admin, who).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_names_give_valid_slugs() {
        // Cut at 50 characters, this name ends in a hyphen.
        let name = "Verwaltungsgemeinschaft (VVG) der Stadt Weilheim an der Teck";
        let ars = Ars::parse("081165005").unwrap();
        let slug = slug_for(name, &ars, &HashSet::new());
        assert!(TenantSlug::parse(&slug).is_ok(), "{slug}");
        assert!(!slug.ends_with('-'));
        let taken = HashSet::from([slug.clone()]);
        let other = slug_for(name, &ars, &taken);
        assert!(TenantSlug::parse(&other).is_ok(), "{other}");
        assert_ne!(other, slug);
    }
}
