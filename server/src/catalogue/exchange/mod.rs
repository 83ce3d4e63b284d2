//! The shared catalogue from XZuFi 2.2 messages: import (or a dry run that
//! shows the difference), the history of imports, and rollback of the latest.
//!
//! Every input file is parsed and checked before anything is written; the
//! writes go into one transaction. Each write keeps its before-image, and the
//! import stores that list with its record. Before-images rather than a full
//! snapshot: at Germany scale the catalogue holds millions of
//! responsibilities, while an import touches a few thousand rows, and replaying
//! exactly the touched rows backwards restores the catalogue row for row.
//! Recording the import raises the catalogue version, which makes every running
//! server reload its catalogue (and start new page caches) within a second.

mod apply;
mod fetch;
mod rows;

use crate::catalogue::xzufi::{Klasse, Limits, Message, XzufiError};
use crate::store::{Store, StoreError};
use serde::{Deserialize, Serialize};
use sqlx::Row as _;

#[derive(Debug, thiserror::Error)]
pub enum ExchangeError {
    #[error("Datei abgelehnt, der Katalog bleibt unverändert: {0}")]
    Refused(#[from] XzufiError),
    #[error("„{0}“ gibt es nicht: nennen Sie eine XZuFi-Datei, einen Ordner mit XZuFi-Dateien oder eine http(s)-Adresse.")]
    NotFound(String),
    #[error("Im Ordner „{0}“ liegt keine XZuFi-Datei (*.xml).")]
    EmptyFolder(String),
    #[error("{url}: Der Abruf ist fehlgeschlagen ({reason}).")]
    Fetch { url: String, reason: String },
    #[error("{url}: Der Server antwortet mit Status {status} statt 200 (Weiterleitungen werden nicht verfolgt).")]
    Status { url: String, status: u16 },
    #[error("Noch kein Katalog importiert: zuerst `buergerportal import`, dann XZuFi.")]
    NoCatalogue,
    #[error("Es gibt keinen XZuFi-Import, der zurückgenommen werden kann.")]
    NothingToRollBack,
    #[error("Import {id} kann nicht zurückgenommen werden: danach wurden die Quelldaten neu eingelesen (Import {later}).")]
    Superseded { id: i64, later: i64 },
    #[error("Import {id} kann nicht zurückgenommen werden: seine Rücknahmedaten sind unlesbar ({reason}).")]
    UndoUnreadable { id: i64, reason: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for ExchangeError {
    fn from(e: sqlx::Error) -> Self {
        ExchangeError::Store(StoreError::Sqlx(e))
    }
}

/// What an import did (or would do) to one class of objects.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClassCounts {
    pub added: u64,
    pub changed: u64,
    pub removed: u64,
    /// Deletions of objects the catalogue never held ("verwaiste Löschungen").
    pub orphaned: u64,
    /// Objects delivered but not taken over; each is a finding.
    pub skipped: u64,
    pub examples: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub leistung: ClassCounts,
    pub organisationseinheit: ClassCounts,
    pub zustaendigkeit: ClassCounts,
    pub onlinedienst: ClassCounts,
    pub spezialisierung: ClassCounts,
}

impl Counts {
    pub fn class(&mut self, klasse: Klasse) -> &mut ClassCounts {
        match klasse {
            Klasse::Leistung => &mut self.leistung,
            Klasse::Organisationseinheit => &mut self.organisationseinheit,
            Klasse::Zustaendigkeit => &mut self.zustaendigkeit,
            Klasse::Onlinedienst => &mut self.onlinedienst,
            Klasse::Spezialisierung => &mut self.spezialisierung,
        }
    }

    pub fn classes(&self) -> [(&'static str, &ClassCounts); 5] {
        [
            ("Leistungen", &self.leistung),
            ("Organisationseinheiten", &self.organisationseinheit),
            ("Zuständigkeiten", &self.zustaendigkeit),
            ("Onlinedienste", &self.onlinedienst),
            ("Spezialisierungen", &self.spezialisierung),
        ]
    }

    pub fn summary(&self) -> String {
        self.classes()
            .iter()
            .map(|(name, c)| {
                format!(
                    "{name}: {} neu, {} geändert, {} entfernt, {} verwaiste Löschungen, {} nicht übernommen",
                    c.added, c.changed, c.removed, c.orphaned, c.skipped
                )
            })
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// Something in the input the importer did not understand or did not take over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub file: String,
    /// Element path; empty for objects not taken over.
    pub path: String,
    /// 1-based; 0 when it names an object rather than a line.
    pub line: u64,
    pub message: String,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            0 => write!(f, "{}: {}", self.file, self.message),
            line => write!(
                f,
                "{}, Zeile {line}, {}: {}",
                self.file, self.path, self.message
            ),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Report {
    pub dry_run: bool,
    /// The import's number in the history; `None` for a dry run.
    pub import_id: Option<i64>,
    pub files: Vec<String>,
    pub counts: Counts,
    pub findings: Vec<Finding>,
    /// Unknown elements and problems beyond the parser's list limit.
    pub findings_not_listed: u64,
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.import_id {
            Some(id) => writeln!(f, "Import {id} aus {} Datei(en):", self.files.len())?,
            None => writeln!(
                f,
                "Probelauf, nichts geschrieben. {} Datei(en) würden ändern:",
                self.files.len()
            )?,
        }
        for (name, c) in self.counts.classes() {
            writeln!(
                f,
                "  {name}: {} neu, {} geändert, {} entfernt, {} verwaiste Löschungen, {} nicht übernommen",
                c.added, c.changed, c.removed, c.orphaned, c.skipped
            )?;
            for example in &c.examples {
                writeln!(f, "    z. B. {example}")?;
            }
        }
        if !self.findings.is_empty() || self.findings_not_listed > 0 {
            writeln!(f, "Nicht verstanden oder nicht übernommen:")?;
            for finding in &self.findings {
                writeln!(f, "  {finding}")?;
            }
            if self.findings_not_listed > 0 {
                writeln!(f, "  … und {} weitere", self.findings_not_listed)?;
            }
        }
        Ok(())
    }
}

/// Imports (or with `dry_run` only compares) the messages at `location`: a
/// file, a folder of `*.xml` files or an http(s) URL. The first bad file
/// refuses the whole input before anything is written.
pub async fn import(
    store: &Store,
    location: &str,
    limits: &Limits,
    actor: &str,
    dry_run: bool,
) -> Result<Report, ExchangeError> {
    let (messages, hash) = fetch::read(location, limits).await?;
    apply_messages(store, location, &messages, &hash, actor, dry_run).await
}

async fn apply_messages(
    store: &Store,
    location: &str,
    messages: &[(String, Message)],
    hash: &str,
    actor: &str,
    dry_run: bool,
) -> Result<Report, ExchangeError> {
    let mut tx = store.pool().begin().await?;
    let base = sqlx::query("SELECT id FROM catalogue_imports WHERE kind = 'quellen' LIMIT 1")
        .fetch_optional(&mut *tx)
        .await?;
    if base.is_none() {
        return Err(ExchangeError::NoCatalogue);
    }
    let mut writer = apply::Writer::new(&mut tx);
    for (file, message) in messages {
        writer.message(file, message).await?;
    }
    let apply::Writer {
        changes,
        mut counts,
        findings: not_taken,
        ..
    } = writer;
    tally(&changes, &mut counts);
    let (mut findings, findings_not_listed) = parser_findings(messages);
    findings.extend(not_taken);
    let mut report = Report {
        dry_run,
        import_id: None,
        files: messages.iter().map(|(f, _)| f.clone()).collect(),
        counts,
        findings,
        findings_not_listed,
    };
    if dry_run {
        tx.rollback().await?;
        return Ok(report);
    }
    let undo = serde_json::to_string(&changes).unwrap_or_else(|_| "[]".into());
    let counts = serde_json::to_string(&report.counts).unwrap_or_else(|_| "{}".into());
    let row = sqlx::query(
        "INSERT INTO catalogue_imports (content_hash, imported_at, summary, kind, actor, source, counts, undo) \
         VALUES ($1, $2, $3, 'xzufi', $4, $5, $6, $7) RETURNING id",
    )
    .bind(hash)
    .bind(crate::clock::now_rfc3339())
    .bind(format!("XZuFi: {}", report.counts.summary()))
    .bind(actor)
    .bind(location)
    .bind(counts)
    .bind(undo)
    .fetch_one(&mut *tx)
    .await?;
    report.import_id = Some(row.try_get::<i64, _>("id")?);
    tx.commit().await?;
    Ok(report)
}

fn parser_findings(messages: &[(String, Message)]) -> (Vec<Finding>, u64) {
    let mut findings = Vec::new();
    let mut not_listed = 0;
    for (file, m) in messages {
        findings.extend(m.unknown.iter().map(|u| Finding {
            file: file.clone(),
            path: u.path.clone(),
            line: u.line,
            message: "Element nicht verstanden, übersprungen".into(),
        }));
        findings.extend(m.problems.iter().map(|p| Finding {
            file: file.clone(),
            path: p.path.clone(),
            line: p.line,
            message: p.message.clone(),
        }));
        not_listed += m.unknown_not_listed + m.problems_not_listed;
    }
    (findings, not_listed)
}

const EXAMPLES: usize = 3;

/// Counts the writes per class, with a few examples of each.
fn tally(changes: &[rows::Change], counts: &mut Counts) {
    for c in changes {
        let row = c.after.as_ref().or(c.before.as_ref());
        let Some(row) = row else { continue };
        let (klasse, label) = match c.table.as_str() {
            "leistungen" => (
                Klasse::Leistung,
                format!("{} ({})", rows::as_str(&row[1]), rows::as_str(&row[0])),
            ),
            "organisationseinheiten" => {
                (Klasse::Organisationseinheit, rows::as_str(&row[1]).into())
            }
            "zustaendigkeiten" => (
                Klasse::Zustaendigkeit,
                format!(
                    "{} für Gebiet „{}“",
                    rows::as_str(&row[0]),
                    rows::as_str(&row[1])
                ),
            ),
            "onlinedienste" => (
                Klasse::Onlinedienst,
                format!("{} ({})", rows::as_str(&row[2]), rows::as_str(&row[1])),
            ),
            "xzufi_objects" if rows::as_str(&row[0]) == "Spezialisierung" => (
                Klasse::Spezialisierung,
                format!("{}/{}", rows::as_str(&row[1]), rows::as_str(&row[2])),
            ),
            _ => continue,
        };
        let class = counts.class(klasse);
        let what = match (&c.before, &c.after) {
            (None, Some(_)) => {
                class.added += 1;
                "neu"
            }
            (Some(_), None) => {
                class.removed += 1;
                "entfernt"
            }
            _ => {
                class.changed += 1;
                "geändert"
            }
        };
        if class.examples.len() < EXAMPLES {
            class.examples.push(format!("{what}: {label}"));
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    pub id: i64,
    /// `quellen`, `xzufi` or `ruecknahme`.
    pub kind: String,
    pub actor: String,
    pub at: String,
    pub source: String,
    pub summary: String,
    pub rolled_back_by: Option<i64>,
}

/// Every catalogue import, newest first.
pub async fn history(store: &Store) -> Result<Vec<HistoryEntry>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, kind, actor, imported_at, source, summary, rolled_back_by \
         FROM catalogue_imports ORDER BY id DESC",
    )
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(HistoryEntry {
                id: r.try_get("id")?,
                kind: crate::store::text(r, "kind")?,
                actor: crate::store::text(r, "actor")?,
                at: crate::store::text(r, "imported_at")?,
                source: crate::store::text(r, "source")?,
                summary: crate::store::text(r, "summary")?,
                rolled_back_by: crate::store::int(r, "rolled_back_by")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::from)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rollback {
    /// The import taken back.
    pub import_id: i64,
    /// The rollback's own entry in the history.
    pub rollback_id: i64,
    pub rows: usize,
}

/// Takes back the newest XZuFi import not yet taken back, in one transaction.
pub async fn rollback(store: &Store, actor: &str) -> Result<Rollback, ExchangeError> {
    let mut tx = store.pool().begin().await?;
    let row = sqlx::query(
        "SELECT id, undo FROM catalogue_imports WHERE kind = 'xzufi' AND rolled_back_by IS NULL \
         ORDER BY id DESC LIMIT 1",
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(ExchangeError::NothingToRollBack)?;
    let id: i64 = row.try_get("id")?;
    let later = sqlx::query(
        "SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) AS n FROM catalogue_imports \
         WHERE kind = 'quellen' AND id > $1",
    )
    .bind(id)
    .fetch_one(&mut *tx)
    .await?
    .try_get::<i64, _>("n")?;
    if later > 0 {
        return Err(ExchangeError::Superseded { id, later });
    }
    let undo = crate::store::text(&row, "undo")?;
    let changes: Vec<rows::Change> =
        serde_json::from_str(&undo).map_err(|e| ExchangeError::UndoUnreadable {
            id,
            reason: e.to_string(),
        })?;
    for change in changes.iter().rev() {
        let table = rows::table(&change.table).ok_or_else(|| ExchangeError::UndoUnreadable {
            id,
            reason: format!("unbekannte Tabelle {}", change.table),
        })?;
        rows::put(&mut tx, table, &change.key, change.before.clone()).await?;
    }
    let rollback_id: i64 = sqlx::query(
        "INSERT INTO catalogue_imports (content_hash, imported_at, summary, kind, actor, source) \
         VALUES ('', $1, $2, 'ruecknahme', $3, $4) RETURNING id",
    )
    .bind(crate::clock::now_rfc3339())
    .bind(format!(
        "Rücknahme von Import {id}: {} Zeilen wiederhergestellt",
        changes.len()
    ))
    .bind(actor)
    .bind(format!("Import {id}"))
    .fetch_one(&mut *tx)
    .await?
    .try_get("id")?;
    sqlx::query("UPDATE catalogue_imports SET rolled_back_by = $1 WHERE id = $2")
        .bind(rollback_id)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(Rollback {
        import_id: id,
        rollback_id,
        rows: changes.len(),
    })
}

/// The catalogue tables, all of them: what a rollback must restore exactly.
const CATALOGUE_TABLES: [&str; 10] = [
    "regions",
    "postcodes",
    "lebenslagen",
    "leistungen",
    "leistung_lebenslagen",
    "organisationseinheiten",
    "zustaendigkeiten",
    "zustaendigkeitsregeln",
    "onlinedienste",
    "xzufi_objects",
];

/// SHA-256 over every row of every catalogue table, independent of row order.
pub async fn catalogue_hash(store: &Store) -> Result<String, StoreError> {
    use sha2::{Digest, Sha256};
    let mut hash = Sha256::new();
    for table in CATALOGUE_TABLES {
        let rows = sqlx::query(&format!("SELECT * FROM {table}"))
            .fetch_all(store.pool())
            .await?;
        let mut lines: Vec<String> = rows.iter().map(row_line).collect();
        lines.sort_unstable();
        hash.update(table.as_bytes());
        for line in lines {
            hash.update([0]);
            hash.update(line.as_bytes());
        }
    }
    Ok(hash.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

fn row_line(row: &sqlx::any::AnyRow) -> String {
    (0..row.len())
        .map(|i| {
            if let Ok(v) = row.try_get::<Option<String>, _>(i) {
                format!("{v:?}")
            } else if let Ok(v) = row.try_get::<Option<i64>, _>(i) {
                format!("{v:?}")
            } else {
                "?".to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\u{1f}")
}

/// `buergerportal catalogue …`: the command line, printing what happened.
pub async fn run(
    config: &crate::config::Config,
    action: crate::config::CatalogueAction,
) -> Result<(), Box<dyn std::error::Error>> {
    use crate::config::CatalogueAction as A;
    let store = Store::connect(&config.database_url()).await?;
    store.migrate().await?;
    let actor = std::env::var("USER")
        .ok()
        .filter(|u| !u.is_empty())
        .map_or_else(
            || "kommandozeile".to_string(),
            |u| format!("kommandozeile ({u})"),
        );
    match action {
        A::Import { xzufi, dry_run } => {
            let limits = limits(config.limits.catalogue_max_bytes);
            let report = import(&store, &xzufi, &limits, &actor, dry_run).await?;
            print!("{report}");
        }
        A::History => {
            for e in history(&store).await? {
                let undone = e
                    .rolled_back_by
                    .map(|r| format!(" (zurückgenommen durch {r})"))
                    .unwrap_or_default();
                println!(
                    "{:>5}  {}  {:<10}  {}  {}{undone}\n       {}",
                    e.id, e.at, e.kind, e.actor, e.source, e.summary
                );
            }
        }
        A::Rollback => {
            let done = rollback(&store, &actor).await?;
            println!(
                "Import {} zurückgenommen ({} Zeilen wiederhergestellt), verzeichnet als {}.",
                done.import_id, done.rows, done.rollback_id
            );
        }
    }
    store.close().await;
    Ok(())
}

/// The parser's limits with the configured size limit.
pub fn limits(max_bytes: u64) -> Limits {
    Limits {
        max_bytes,
        ..Limits::default()
    }
}
