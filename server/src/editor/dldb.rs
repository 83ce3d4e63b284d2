//! Munich's service database (DLDB) as local content of one tenant: a service
//! with a LeiKa key of the catalogue becomes the tenant's addition to that
//! catalogue service, any other service a local service, a location an office.
//!
//! Both files are parsed, checked against each other and every value validated
//! as the editors' forms validate it before anything is written; then all
//! changed items are saved as drafts in one transaction, for an editor to
//! publish like any other change. Items are keyed by the DLDB id (`dldb-<id>`),
//! additions by their LeiKa key; an item whose value is unchanged is left
//! alone, so importing the same files again writes nothing.

use super::content::{self, ContentError, Saved, Target, Who};
use super::model::{self, Addition, FieldError, Kind, LocalService, Office, MAX_LIST};
use crate::catalogue::sources::{
    check_dldb_consistency, parse_dldb_locations, parse_dldb_services, DldbLink, DldbLocation,
    DldbService, SourceError, DLDB_MUENCHEN_SOURCE,
};
use crate::catalogue::Catalogue;
use crate::keys::LeikaKey;
use crate::richtext::{plain_text, sanitize_pvog};
use crate::store::{Store, StoreError};
use crate::tenancy::{Tenant, Tenants};
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

/// The demo tenant that shows Munich's content, and where its export lies in `SOURCES_DIR`.
pub const DEMO_TENANT: &str = "muenchen";
pub const SERVICES_FILE: &str = "services_de.json";
pub const LOCATIONS_FILE: &str = "locations_de.json";
/// Who writes the drafts; a different actor publishes them, so a tenant that
/// requires a second person's approval can still publish an import.
pub const IMPORT_ACTOR: &str = "import-dldb";
const SHORT_TEXT_CHARS: usize = 200;

#[derive(Debug, thiserror::Error)]
pub enum DldbError {
    #[error("{file}: kann nicht gelesen werden: {reason}")]
    Unreadable { file: String, reason: String },
    #[error("DLDB-Import abgelehnt, nichts geändert: {0}")]
    Refused(#[from] SourceError),
    #[error("DLDB-Import abgebrochen, nichts geändert: „{0}“ wurde gleichzeitig bearbeitet.")]
    Conflict(String),
    #[error(transparent)]
    Content(#[from] ContentError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for DldbError {
    fn from(e: sqlx::Error) -> Self {
        DldbError::Store(e.into())
    }
}

/// What an import did (or, with nothing changed, would have done).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    pub services: usize,
    /// Services that became (part of) an addition to a catalogue service …
    pub services_as_additions: usize,
    /// … the additions they make up (several services may share a LeiKa key) …
    pub additions: usize,
    /// … services that became local services …
    pub local_services: usize,
    /// … and services the city does not publish, left out.
    pub services_skipped: usize,
    pub locations: usize,
    pub offices: usize,
    pub locations_skipped: usize,
    /// The items saved as new drafts; empty when the files were imported before.
    pub drafts: Vec<(Kind, String)>,
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "{} Leistungen: {} als Ergänzung zu {} Katalogleistungen, {} als eigene Leistung, {} nicht öffentlich (übersprungen).",
            self.services,
            self.services_as_additions,
            self.additions,
            self.local_services,
            self.services_skipped
        )?;
        writeln!(
            f,
            "{} Standorte: {} als Stelle, {} nicht öffentlich (übersprungen).",
            self.locations, self.offices, self.locations_skipped
        )?;
        match self.drafts.len() {
            0 => write!(f, "Alles war schon so importiert; nichts geändert."),
            n => write!(
                f,
                "{n} Einträge als Entwurf gespeichert; die Redaktion veröffentlicht sie."
            ),
        }
    }
}

/// One item the export asks for.
struct Planned {
    kind: Kind,
    key: String,
    value: Value,
    /// For messages: the record it comes from.
    record: String,
}

/// Reads both files and saves what changed as drafts of `tenant`, all or nothing.
pub async fn import_files(
    store: &Store,
    catalogue: &Catalogue,
    tenant: &Tenant,
    services: &Path,
    locations: &Path,
    who: Who<'_>,
) -> Result<Report, DldbError> {
    let (services_text, locations_text) = (read(services)?, read(locations)?);
    let (planned, mut report) = plan(
        (&services.display().to_string(), &services_text),
        (&locations.display().to_string(), &locations_text),
        catalogue,
    )?;
    report.drafts = save_changed(store, tenant, &planned, who).await?;
    Ok(report)
}

/// The demo start: imports `SOURCES_DIR/dldb-muenchen-2026` into the München
/// demo tenant and publishes it, if that tenant exists and has no local content
/// yet. A missing folder only skips it.
pub async fn demo_import(
    store: &Store,
    catalogue: &Catalogue,
    sources_dir: &Path,
    now: i64,
) -> Result<Option<Report>, DldbError> {
    if !demo_tenant_is_empty(store).await? {
        return Ok(None);
    }
    let tenants = Tenants::load(store).await?;
    let Some(tenant) = tenants.by_slug(DEMO_TENANT) else {
        return Ok(None);
    };
    let folder = sources_dir.join(DLDB_MUENCHEN_SOURCE.folder);
    if !folder.is_dir() {
        tracing::info!(folder = %folder.display(), "DLDB-Export fehlt: München bleibt ohne eigene Inhalte");
        return Ok(None);
    }
    let drafts = Who {
        actor: IMPORT_ACTOR,
        now,
    };
    let report = import_files(
        store,
        catalogue,
        tenant,
        &folder.join(SERVICES_FILE),
        &folder.join(LOCATIONS_FILE),
        drafts,
    )
    .await?;
    let targets: Vec<Target> = report
        .drafts
        .iter()
        .map(|(kind, key)| Target { kind: *kind, key })
        .collect();
    let publisher = Who { actor: "demo", now };
    super::publish_all(store, tenant, &targets, publisher).await?;
    Ok(Some(report))
}

/// Whether the demo tenant exists and holds no local content yet (checked
/// before the tenants are loaded, as this runs at every start).
async fn demo_tenant_is_empty(store: &Store) -> Result<bool, StoreError> {
    let row = sqlx::query(
        "SELECT t.id FROM tenants t WHERE t.slug = $1 AND NOT EXISTS \
         (SELECT 1 FROM content_items i WHERE i.tenant_id = t.id AND i.kind IN ($2, $3, $4))",
    )
    .bind(DEMO_TENANT)
    .bind(Kind::Addition.as_str())
    .bind(Kind::Service.as_str())
    .bind(Kind::Office.as_str())
    .fetch_optional(store.pool())
    .await?;
    Ok(row.is_some())
}

fn read(path: &Path) -> Result<String, DldbError> {
    std::fs::read_to_string(path).map_err(|e| DldbError::Unreadable {
        file: path.display().to_string(),
        reason: e.to_string(),
    })
}

/// Saves every planned item whose value differs from the current one (draft,
/// else published) as a draft, in one transaction.
async fn save_changed(
    store: &Store,
    tenant: &Tenant,
    planned: &[Planned],
    who: Who<'_>,
) -> Result<Vec<(Kind, String)>, DldbError> {
    let scope = tenant.scope();
    let mut current: HashMap<(Kind, String), (i64, Option<Value>)> = HashMap::new();
    for kind in [Kind::Office, Kind::Addition, Kind::Service] {
        for item in content::items(store, scope, kind).await? {
            let value = item.current().cloned();
            current.insert((kind, item.key), (item.draft_rev, value));
        }
    }
    let changed: Vec<(&Planned, i64)> = planned
        .iter()
        .filter_map(|p| match current.get(&(p.kind, p.key.clone())) {
            Some((_, Some(v))) if *v == p.value => None,
            Some((rev, _)) => Some((p, *rev)),
            None => Some((p, 0)),
        })
        .collect();
    if changed.is_empty() {
        return Ok(Vec::new());
    }
    let mut tx = store.pool().begin().await?;
    for (p, rev) in &changed {
        let target = Target {
            kind: p.kind,
            key: &p.key,
        };
        if let Saved::Conflict { .. } =
            content::save_draft_in(&mut tx, scope, target, &p.value, *rev, who).await?
        {
            tx.rollback().await?;
            return Err(DldbError::Conflict(p.record.clone()));
        }
    }
    tx.commit().await?;
    Ok(changed
        .into_iter()
        .map(|(p, _)| (p.kind, p.key.clone()))
        .collect())
}

/// Parses, checks and validates both files into the items they make, or the
/// first error with file, record and reason.
fn plan(
    (services_file, services_text): (&str, &str),
    (locations_file, locations_text): (&str, &str),
    catalogue: &Catalogue,
) -> Result<(Vec<Planned>, Report), SourceError> {
    let services = parse_dldb_services(services_file, services_text)?;
    let locations = parse_dldb_locations(locations_file, locations_text)?;
    check_dldb_consistency(&services, &locations).map_err(|e| {
        // The check names the side by its German label; the editor needs the file.
        let file = match e.file.as_str() {
            "DLDB-Standorte" => locations_file,
            _ => services_file,
        };
        SourceError::new(file, e.record, e.reason)
    })?;
    let public_offices: HashSet<&str> = locations
        .iter()
        .filter(|l| l.public)
        .map(|l| l.id.as_str())
        .collect();
    let mut report = Report {
        services: services.len(),
        locations: locations.len(),
        ..Report::default()
    };
    let mut planned = Vec::new();
    for l in locations.iter().filter(|l| l.public) {
        planned.push(office(locations_file, l)?);
    }
    report.offices = planned.len();
    report.locations_skipped = locations.len() - report.offices;
    let mut by_key: BTreeMap<LeikaKey, Vec<&DldbService>> = BTreeMap::new();
    for s in services.iter().filter(|s| s.public) {
        let known: Vec<&LeikaKey> = s
            .leika
            .iter()
            .filter(|k| catalogue.leistung(k).is_some())
            .collect();
        if known.is_empty() {
            planned.push(local_service(services_file, s, &public_offices)?);
            report.local_services += 1;
        } else {
            report.services_as_additions += 1;
            for k in known {
                by_key.entry(k.clone()).or_default().push(s);
            }
        }
    }
    report.services_skipped = services.iter().filter(|s| !s.public).count();
    report.additions = by_key.len();
    for (key, group) in &by_key {
        let hash = catalogue
            .leistung(key)
            .map(super::central_hash)
            .unwrap_or_default();
        planned.push(addition(services_file, key, group, hash, &public_offices)?);
    }
    Ok((planned, report))
}

fn office(file: &str, l: &DldbLocation) -> Result<Planned, SourceError> {
    let record = format!("Standort {}", l.id);
    let field = |name: &str, value: Option<&str>| {
        model::line(name, value.unwrap_or(""), false).map_err(|e| refused(file, &record, e))
    };
    let o = Office {
        name: model::line("name", &l.name, true).map_err(|e| refused(file, &record, e))?,
        street: field("street", l.street.as_deref())?,
        postcode: field("postcode", l.postcode.as_ref().map(|p| p.as_str()))?,
        city: field("city", l.city.as_deref())?,
        phone: field("phone", l.phone.as_deref())?,
        email: field("email", l.email.as_deref())?,
        web: match &l.web {
            Some(url) => model::href("web", url).map_err(|e| refused(file, &record, e))?,
            None => String::new(),
        },
        opening_hours: Vec::new(),
    };
    planned(Kind::Office, item_key(&l.id), &o, record)
}

fn local_service(
    file: &str,
    s: &DldbService,
    offices: &HashSet<&str>,
) -> Result<Planned, SourceError> {
    let record = format!("Leistung {}", s.id);
    let err = |e: FieldError| refused(file, &record, e);
    let text = [s.description_html.clone(), further_links(s)].concat();
    let service = LocalService {
        name: model::line("name", &s.name, true).map_err(err)?,
        short_text: model::line("short_text", &summary(&s.description_html), false).map_err(err)?,
        text: model::text("text", &as_markdown(&text)).map_err(err)?,
        fees: model::text("fees", &as_markdown(&s.fees_html)).map_err(err)?,
        keywords: keywords(s.keywords.iter()).map_err(err)?,
        office: first_office(s, offices),
        ..LocalService::default()
    };
    planned(Kind::Service, item_key(&s.id), &service, record)
}

/// One addition from the services that name this LeiKa key; when several do,
/// each one's part is headed by its name.
fn addition(
    file: &str,
    key: &LeikaKey,
    group: &[&DldbService],
    central_hash: String,
    offices: &HashSet<&str>,
) -> Result<Planned, SourceError> {
    let ids: Vec<&str> = group.iter().map(|s| s.id.as_str()).collect();
    let record = format!("Leistung {}", ids.join(", "));
    let err = |e: FieldError| refused(file, &record, e);
    let part = |s: &DldbService, html: String| match (group.len(), html.is_empty()) {
        (_, true) => String::new(),
        (1, false) => html,
        _ => format!("<h4>{}</h4>{html}", escape(&s.name)),
    };
    let fees: String = group.iter().map(|s| part(s, s.fees_html.clone())).collect();
    let notes: String = group
        .iter()
        .map(|s| part(s, [s.description_html.clone(), further_links(s)].concat()))
        .collect();
    let a = Addition {
        fees: model::text("fees", &as_markdown(&fees)).map_err(err)?,
        notes: model::text("notes", &as_markdown(&notes)).map_err(err)?,
        office: group.iter().find_map(|s| first_office(s, offices)),
        central_hash,
        keywords: keywords(group.iter().flat_map(|s| s.keywords.iter())).map_err(err)?,
        ..Addition::default()
    };
    planned(Kind::Addition, key.as_str().to_string(), &a, record)
}

fn planned(
    kind: Kind,
    key: String,
    value: &impl Serialize,
    record: String,
) -> Result<Planned, SourceError> {
    let value = serde_json::to_value(value)
        .map_err(|e| SourceError::new("DLDB", record.clone(), e.to_string()))?;
    Ok(Planned {
        kind,
        key,
        value,
        record,
    })
}

fn refused(file: &str, record: &str, e: FieldError) -> SourceError {
    SourceError::new(file, record, format!("{}: {}", e.field, e.message))
}

/// The content key of an imported local service or office.
pub fn item_key(dldb_id: &str) -> String {
    format!("dldb-{dldb_id}")
}

fn first_office(s: &DldbService, offices: &HashSet<&str>) -> Option<String> {
    s.location_ids
        .iter()
        .find(|id| offices.contains(id.as_str()))
        .map(|id| item_key(id))
}

/// Search words as the form takes them; several services of one addition may
/// together name more than a form allows, and the first ones are kept.
fn keywords<'a>(words: impl Iterator<Item = &'a String>) -> Result<Vec<String>, FieldError> {
    let mut seen = HashSet::new();
    let distinct: Vec<&str> = words
        .map(String::as_str)
        .filter(|w| seen.insert(w.to_lowercase()))
        .take(MAX_LIST)
        .collect();
    model::words("keywords", &distinct.join(","))
}

/// Forms and further links of a service, and its page at the city, as a list.
fn further_links(s: &DldbService) -> String {
    let mut links: Vec<&DldbLink> = s.forms.iter().collect();
    for l in &s.links {
        if !links.iter().any(|f| f.url == l.url) {
            links.push(l);
        }
    }
    let mut items: Vec<String> = links
        .iter()
        .map(|l| {
            let description = l
                .description
                .as_deref()
                .map(|d| format!(" – {}", escape(d)))
                .unwrap_or_default();
            format!(
                "<li><a href=\"{}\">{}</a>{description}</li>",
                escape(&l.url),
                escape(&l.name)
            )
        })
        .collect();
    if let Some(url) = &s.url {
        items.push(format!(
            "<li><a href=\"{}\">Diese Leistung bei der Landeshauptstadt München</a></li>",
            escape(url)
        ));
    }
    if items.is_empty() {
        return String::new();
    }
    sanitize_pvog(&format!(
        "<p><strong>Formulare und weitere Informationen</strong></p><ul>{}</ul>",
        items.concat()
    ))
}

/// Sanitised HTML as the value of a Markdown field: on one line inside a
/// `<div>`, Markdown passes it through as one HTML block (a blank line would
/// end the block and the rest be read as Markdown); rendering sanitises it to
/// the allow-list again, which drops the `div`.
fn as_markdown(html: &str) -> String {
    if html.is_empty() {
        return String::new();
    }
    let line: Vec<&str> = html.split_ascii_whitespace().collect();
    format!("<div>{}</div>", line.join(" "))
}

/// The start of the description as plain text, cut at a word, for lists.
fn summary(html: &str) -> String {
    let text = plain_text(html);
    if text.chars().count() <= SHORT_TEXT_CHARS {
        return text;
    }
    let mut out = String::new();
    for word in text.split(' ') {
        if out.chars().count() + word.chars().count() + 1 > SHORT_TEXT_CHARS {
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out.push('…');
    out
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::richtext::markdown;

    #[test]
    fn html_survives_markdown_as_it_was() {
        let html = "<p>50 Euro</p>\n\n<ul><li>*nicht* kursiv</li></ul>    <p>_x_</p>";
        assert_eq!(
            markdown(&as_markdown(html)),
            "<p>50 Euro</p> <ul><li>*nicht* kursiv</li></ul> <p>_x_</p>"
        );
        assert_eq!(as_markdown(""), "");
    }

    #[test]
    fn summaries_stop_at_a_word() {
        let long = format!("<p>{}</p>", "Wort ".repeat(100));
        let s = summary(&long);
        assert!(s.ends_with("Wort…") && s.chars().count() <= SHORT_TEXT_CHARS + 1);
        assert_eq!(summary("<p>kurz</p>"), "kurz");
    }

    #[test]
    fn keywords_are_bounded_like_the_form() {
        let many: Vec<String> = (0..80).map(|i| format!("Wort{i}")).collect();
        let kept = keywords(many.iter()).expect("bounded");
        assert_eq!(kept.len(), MAX_LIST);
        let twice = ["Kita".to_string(), "kita".to_string()];
        assert_eq!(keywords(twice.iter()).expect("ok"), ["Kita"]);
    }
}
