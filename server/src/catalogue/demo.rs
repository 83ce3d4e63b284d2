//! Hand-written demo service texts (`catalogue/demo/leistungen.toml`).

use super::model::Fee;
use super::sources::SourceError;
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoLeistung {
    pub leika: String,
    pub name: String,
    pub short_text: String,
    pub long_text: String,
    #[serde(default)]
    pub fees: Vec<Fee>,
    #[serde(default)]
    pub documents: Vec<String>,
    #[serde(default)]
    pub deadlines: String,
    #[serde(default)]
    pub processing_time: String,
    #[serde(default)]
    pub legal_basis: String,
    #[serde(default)]
    pub keywords: Vec<String>,
    pub online: Option<String>,
    /// Further Lebenslagen (by name) where citizens look for this service.
    #[serde(default)]
    pub lebenslagen: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoFile {
    leistung: Vec<DemoLeistung>,
}

pub fn parse_demo(file: &str, text: &str) -> Result<Vec<DemoLeistung>, SourceError> {
    toml::from_str::<DemoFile>(text)
        .map(|f| f.leistung)
        .map_err(|e| SourceError {
            file: file.to_string(),
            record: e
                .span()
                .map(|s| format!("Zeile {}", line_of(text, s.start)))
                .unwrap_or_else(|| "Datei".into()),
            reason: e.message().to_string(),
        })
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}
