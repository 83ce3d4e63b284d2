//! The import boundary: source files in, one transaction out.

use super::demo::parse_demo;
use super::generate::{generate, Sources};
use super::model::CatalogueData;
use super::persist;
use super::rules::RuleTable;
use super::sources::{
    parse_dldb_services, parse_gv100ad, parse_gvisys, parse_ozg_dump, parse_plz, parse_pvog_bund,
    parse_pvog_detail, SourceError,
};
use crate::store::{Store, StoreError};
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use std::path::PathBuf;

/// Bump when the generation rules change, so that an unchanged source is re-imported.
const GENERATOR_VERSION: &str = "generate-v4-buergerwoerter";

/// Files in `SOURCES_DIR`.
pub const GV100AD: &str = "destatis-gv100ad-2025/GV100AD_30112025.txt";
pub const PLZ: &str = "plz-ags-osm-2022/zuordnung_plz_ort.csv";
pub const OZG: &str = "ozg-katalog-nrw-2019/symfony.data.sql";
pub const GVISYS_DIR: &str = "gvisys-anschriften-2011/data";
pub const PVOG: &str = "pvog-bund-2025/ars_000000000000.csv";
/// The PVOG's detail records (`detail_*.json`), for their synonyms.
pub const PVOG_DETAIL_DIR: &str = "pvog-bund-2025";
/// Munich's service database, for the keywords its citizens search with.
pub const DLDB: &str = "dldb-muenchen-2026/services_de.json";
/// The project's own demo texts, in `CATALOGUE_DIR`.
pub const DEMO: &str = "demo/leistungen.toml";
/// The project's rule table of responsibilities in Schleswig-Holstein, in `CATALOGUE_DIR`.
pub const RULES: &str = "zustaendigkeit-sh.toml";

/// Where an import reads from: the public sources (outside the repository) and
/// the project's own catalogue files.
#[derive(Debug, Clone)]
pub struct ImportPaths {
    pub sources_dir: PathBuf,
    pub catalogue_dir: PathBuf,
}

impl ImportPaths {
    pub fn from_config(config: &crate::config::Config) -> ImportPaths {
        ImportPaths {
            sources_dir: config.sources_dir.clone(),
            catalogue_dir: config.catalogue_dir.clone(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("Der Ordner der Quelldaten „{dir}“ fehlt: legen Sie die Quelldaten dorthin oder nennen Sie ihren Ort mit SOURCES_DIR.")]
    SourcesDirMissing { dir: String },
    #[error("Die Quelle „{file}“ fehlt im Ordner der Quelldaten „{dir}“ (SOURCES_DIR).")]
    SourceMissing { dir: String, file: String },
    #[error("{file}: kann nicht gelesen werden: {reason}")]
    Unreadable { file: String, reason: String },
    #[error("Quelle abgelehnt: {0}")]
    Source(#[from] SourceError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for ImportError {
    fn from(e: sqlx::Error) -> Self {
        ImportError::Store(StoreError::Sqlx(e))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportOutcome {
    Imported { version: i64, summary: String },
    Unchanged { version: i64 },
}

/// Reads, checks and writes the catalogue, with responsibilities generated for
/// Schleswig-Holstein. Anything wrong leaves the store as it was.
pub async fn import(store: &Store, paths: &ImportPaths) -> Result<ImportOutcome, ImportError> {
    import_for(store, paths, &[super::generate::LAND.to_string()]).await
}

/// The same, generating responsibilities for the given Länder (the Germany-scale benchmark uses all).
pub async fn import_for(
    store: &Store,
    paths: &ImportPaths,
    lands: &[String],
) -> Result<ImportOutcome, ImportError> {
    let files = SourceFiles::read(paths)?;
    let hash = files.hash(lands);
    if let Some((version, last)) = persist::latest_import(store).await? {
        if last == hash {
            return Ok(ImportOutcome::Unchanged { version });
        }
    }
    let data = files.parse(lands)?;
    validate(&data)?;
    let summary = summary(&data);
    let version = persist::replace_all(store, &data, &hash, &summary).await?;
    Ok(ImportOutcome::Imported { version, summary })
}

struct SourceFiles {
    files: Vec<(String, String)>,
}

impl SourceFiles {
    fn read(paths: &ImportPaths) -> Result<Self, ImportError> {
        let sources = &paths.sources_dir;
        if !sources.is_dir() {
            return Err(ImportError::SourcesDirMissing {
                dir: sources.display().to_string(),
            });
        }
        let missing = |file: &str| ImportError::SourceMissing {
            dir: sources.display().to_string(),
            file: file.to_string(),
        };
        let gvisys = sources.join(GVISYS_DIR);
        let mut yaml: Vec<String> = std::fs::read_dir(&gvisys)
            .map_err(|_| missing(GVISYS_DIR))?
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".yaml"))
            .map(|n| format!("{GVISYS_DIR}/{n}"))
            .collect();
        if yaml.is_empty() {
            return Err(missing(GVISYS_DIR));
        }
        yaml.sort();
        let mut details: Vec<String> = std::fs::read_dir(sources.join(PVOG_DETAIL_DIR))
            .map_err(|_| missing(PVOG_DETAIL_DIR))?
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("detail_") && n.ends_with(".json"))
            .map(|n| format!("{PVOG_DETAIL_DIR}/{n}"))
            .collect();
        details.sort();
        yaml.extend(details);
        let mut wanted: Vec<(String, PathBuf)> = [GV100AD, PLZ, OZG, PVOG, DLDB]
            .iter()
            .map(|n| (n.to_string(), sources.join(n)))
            .collect();
        wanted.extend(yaml.into_iter().map(|n| {
            let path = sources.join(&n);
            (n, path)
        }));
        wanted.push((DEMO.to_string(), paths.catalogue_dir.join(DEMO)));
        wanted.push((RULES.to_string(), paths.catalogue_dir.join(RULES)));
        let files = wanted
            .into_iter()
            .map(|(name, path)| {
                let bytes = std::fs::read(&path).map_err(|e| match e.kind() {
                    std::io::ErrorKind::NotFound if name != DEMO && name != RULES => missing(&name),
                    _ => unreadable(&name, e),
                })?;
                let text = String::from_utf8(bytes).map_err(|e| ImportError::Unreadable {
                    file: name.clone(),
                    reason: format!(
                        "kein gültiges UTF-8 (Byte {})",
                        e.utf8_error().valid_up_to()
                    ),
                })?;
                Ok((name, text))
            })
            .collect::<Result<_, ImportError>>()?;
        Ok(SourceFiles { files })
    }

    fn text(&self, name: &str) -> &str {
        self.files
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, t)| t.as_str())
            .unwrap_or("")
    }

    fn hash(&self, lands: &[String]) -> String {
        let mut h = Sha256::new();
        h.update(GENERATOR_VERSION);
        h.update(lands.join(",").as_bytes());
        for (name, text) in &self.files {
            h.update(name.as_bytes());
            h.update([0]);
            h.update(text.len().to_le_bytes());
            h.update(text.as_bytes());
        }
        h.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }

    fn parse(&self, lands: &[String]) -> Result<CatalogueData, ImportError> {
        let anschriften = self
            .files
            .iter()
            .filter(|(n, _)| n.starts_with(GVISYS_DIR))
            .map(|(n, t)| parse_gvisys(n, t))
            .collect::<Result<_, _>>()?;
        let pvog_details = self
            .files
            .iter()
            .filter(|(n, _)| n.starts_with(PVOG_DETAIL_DIR) && n.ends_with(".json"))
            .map(|(n, t)| parse_pvog_detail(n, t))
            .collect::<Result<_, _>>()?;
        let sources = Sources {
            dldb: parse_dldb_services(DLDB, self.text(DLDB))?,
            pvog_details,
            gebiete: parse_gv100ad(GV100AD, self.text(GV100AD))?,
            postcodes: parse_plz(PLZ, self.text(PLZ))?,
            ozg: parse_ozg_dump(OZG, self.text(OZG))?,
            pvog: parse_pvog_bund(PVOG, self.text(PVOG))?,
            anschriften,
            demo: parse_demo(DEMO, self.text(DEMO))?,
            demo_file: DEMO.into(),
            rules: RuleTable::parse(RULES, self.text(RULES))?,
            rules_file: RULES.into(),
            lands: lands.to_vec(),
        };
        Ok(generate(&sources)?)
    }
}

fn unreadable(file: &str, e: std::io::Error) -> ImportError {
    ImportError::Unreadable {
        file: file.to_string(),
        reason: e.to_string(),
    }
}

fn inconsistent(record: String, reason: String) -> SourceError {
    SourceError {
        file: "Katalog".into(),
        record,
        reason,
    }
}

/// Checks what the database would otherwise refuse half-way, with a message a person can act on.
pub fn validate(data: &CatalogueData) -> Result<(), SourceError> {
    let mut leika = HashSet::new();
    for l in &data.leistungen {
        if !leika.insert(&l.leika) {
            return Err(inconsistent(
                format!("Leistung {}", l.leika),
                "LeiKa-Schlüssel doppelt".into(),
            ));
        }
        if l.name.trim().is_empty() {
            return Err(inconsistent(
                format!("Leistung {}", l.leika),
                "Name fehlt".into(),
            ));
        }
    }
    let slugs: HashSet<&str> = data.lebenslagen.iter().map(|l| l.slug.as_str()).collect();
    if slugs.len() != data.lebenslagen.len() {
        return Err(inconsistent(
            "Lebenslagen".into(),
            "zwei Lebenslagen haben denselben Namen".into(),
        ));
    }
    for l in &data.leistungen {
        if let Some(missing) = l.lebenslagen.iter().find(|s| !slugs.contains(s.as_str())) {
            return Err(inconsistent(
                format!("Leistung {}", l.leika),
                format!("unbekannte Lebenslage {missing}"),
            ));
        }
    }
    let oes: HashSet<&str> = data
        .organisationseinheiten
        .iter()
        .map(|o| o.id.as_str())
        .collect();
    if oes.len() != data.organisationseinheiten.len() {
        return Err(inconsistent(
            "Organisationseinheiten".into(),
            "Kennung doppelt".into(),
        ));
    }
    let mut areas = HashSet::new();
    for z in &data.zustaendigkeiten {
        let record = format!("Zuständigkeit {} / {}", z.leika, z.area.key());
        if !leika.contains(&z.leika) {
            return Err(inconsistent(record, "unbekannte Leistung".into()));
        }
        if !oes.contains(z.oe_id.as_str()) {
            return Err(inconsistent(
                record,
                format!("unbekannte Organisationseinheit {}", z.oe_id),
            ));
        }
        if !areas.insert((&z.leika, z.area.key())) {
            return Err(inconsistent(
                record,
                "zwei Stellen für dasselbe Gebiet".into(),
            ));
        }
    }
    let regeln: HashSet<&str> = data.regeln.iter().map(|r| r.id.as_str()).collect();
    for z in &data.zustaendigkeiten {
        if let super::model::Provenance::Rule { id, .. } = &z.provenance {
            if !regeln.contains(id.as_str()) {
                return Err(inconsistent(
                    format!("Zuständigkeit {} / {}", z.leika, z.area.key()),
                    format!("unbekannte Regel {id}"),
                ));
            }
        }
    }
    for o in &data.onlinedienste {
        if !leika.contains(&o.leika) {
            return Err(inconsistent(
                format!("Onlinedienst {}", o.id),
                "unbekannte Leistung".into(),
            ));
        }
    }
    Ok(())
}

fn summary(d: &CatalogueData) -> String {
    format!(
        "{} Gebiete, {} Postleitzahl-Zuordnungen, {} Lebenslagen, {} Leistungen, {} Organisationseinheiten, {} Zuständigkeiten nach {} Regeln, {} Onlinedienste",
        d.regions.len(),
        d.postcodes.len(),
        d.lebenslagen.len(),
        d.leistungen.len(),
        d.organisationseinheiten.len(),
        d.zustaendigkeiten.len(),
        d.regeln.len(),
        d.onlinedienste.len()
    )
}
