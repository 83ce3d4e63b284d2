//! The Zuständigkeitsfinder catalogue, modelled after XZuFi 2.2.

use crate::keys::{Ars, LeikaKey, Vertrauensniveau};
use serde::{Deserialize, Serialize};

/// Where a record comes from.
pub mod source {
    pub const GV100AD: &str = "destatis-gv100ad-2025";
    pub const GVISYS: &str = "gvisys-anschriften-2011";
    pub const PLZ: &str = "plz-ags-osm-2022";
    pub const OZG: &str = "ozg-katalog-nrw-2019";
    pub const DEMO: &str = "demo";
    /// Prefix of the `source` of records made by a rule of the project's rule table.
    pub const RULE_PREFIX: &str = "regel:";
    /// Responsibilities the tenant's editors added.
    pub const EDITOR: &str = "redaktion";
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RegionLevel {
    Land,
    Regierungsbezirk,
    Kreis,
    Gemeindeverband,
    Gemeinde,
}

impl RegionLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Land => "land",
            Self::Regierungsbezirk => "regierungsbezirk",
            Self::Kreis => "kreis",
            Self::Gemeindeverband => "gemeindeverband",
            Self::Gemeinde => "gemeinde",
        }
    }
    pub fn parse(value: &str) -> Option<Self> {
        [
            Self::Land,
            Self::Regierungsbezirk,
            Self::Kreis,
            Self::Gemeindeverband,
            Self::Gemeinde,
        ]
        .into_iter()
        .find(|l| l.as_str() == value)
    }
}

/// A unit of the official register (GV100AD).
#[derive(Debug, Clone, PartialEq)]
pub struct Region {
    pub ars: Ars,
    pub ags: Option<String>,
    pub level: RegionLevel,
    pub name: String,
    pub type_code: Option<i64>,
    pub seat: Option<String>,
    pub plz: Option<String>,
    pub population: Option<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Postcode {
    pub plz: String,
    pub ags: String,
    pub ort: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Lebenslage {
    pub slug: String,
    pub name: String,
    pub themenfeld: String,
    pub position: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fee {
    pub label: String,
    pub amount: String,
}

/// Leistung: one service of the catalogue, keyed by its LeiKa key.
#[derive(Debug, Clone, PartialEq)]
pub struct Leistung {
    pub leika: LeikaKey,
    /// The name citizens read (a demo text may give a plainer one).
    pub name: String,
    /// The name in the LeiKa catalogue.
    pub catalogue_name: String,
    pub slug: String,
    pub ozg_id: Option<i64>,
    pub ozg_name: String,
    pub leika_type: String,
    pub legal_basis: String,
    pub short_text: String,
    pub long_text: String,
    pub fees: Vec<Fee>,
    pub documents: Vec<String>,
    pub deadlines: String,
    pub processing_time: String,
    pub keywords: Vec<String>,
    pub lebenslagen: Vec<String>,
    pub source: String,
}

/// Organisationseinheit: an office that serves citizens.
#[derive(Debug, Clone, PartialEq)]
pub struct Organisationseinheit {
    pub id: String,
    pub name: String,
    pub street: String,
    pub plz: String,
    pub city: String,
    pub phone: String,
    pub email: String,
    pub opening_hours: Vec<String>,
    pub source: String,
}

/// The area of a Zuständigkeit: the whole federation or an ARS prefix.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Area {
    Bund,
    Region(Ars),
}

impl Area {
    pub fn parse(value: &str) -> Result<Self, crate::keys::KeyError> {
        if value.is_empty() {
            Ok(Area::Bund)
        } else {
            Ars::parse(value).map(Area::Region)
        }
    }
    pub fn key(&self) -> &str {
        match self {
            Area::Bund => "",
            Area::Region(ars) => ars.as_str(),
        }
    }
    pub fn contains(&self, gemeinde: &Ars) -> bool {
        match self {
            Area::Bund => true,
            Area::Region(ars) => ars.contains(gemeinde),
        }
    }
    /// More digits is a smaller, more specific area.
    pub fn specificity(&self) -> usize {
        self.key().len()
    }
}

/// Where an answer to "Wer ist zuständig?" comes from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Provenance {
    /// A Zuständigkeitsfinder import (XZuFi).
    Imported,
    /// Added by the tenant's editors.
    Editor,
    /// The project's rule table; `basis` is its public source as citizens read it.
    Rule { id: String, basis: String },
}

impl Provenance {
    /// The value of the `source` column. A real import replaces exactly the rows
    /// whose source starts with [`source::RULE_PREFIX`].
    pub fn source(&self) -> String {
        match self {
            Provenance::Imported => "xzufi".into(),
            Provenance::Editor => source::EDITOR.into(),
            Provenance::Rule { id, .. } => format!("{}{id}", source::RULE_PREFIX),
        }
    }

    /// Reads a `source` column; `basis` finds the public source of a rule.
    pub fn from_source(value: &str, basis: impl Fn(&str) -> String) -> Provenance {
        if let Some(id) = value.strip_prefix(source::RULE_PREFIX) {
            Provenance::Rule {
                id: id.to_string(),
                basis: basis(id),
            }
        } else if value == source::EDITOR {
            Provenance::Editor
        } else {
            Provenance::Imported
        }
    }
}

/// Zuständigkeit: which office serves a service for which area, and why we know.
#[derive(Debug, Clone, PartialEq)]
pub struct Zustaendigkeit {
    pub leika: LeikaKey,
    pub area: Area,
    pub oe_id: String,
    pub provenance: Provenance,
}

/// Whose place decides the office: where the citizen lives, or where the event
/// (birth, death, marriage) took place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ort {
    Wohnort,
    Ereignisort,
}

impl Ort {
    pub fn as_str(self) -> &'static str {
        match self {
            Ort::Wohnort => "wohnort",
            Ort::Ereignisort => "ereignisort",
        }
    }
    pub fn parse(value: &str) -> Option<Ort> {
        match value {
            "wohnort" => Some(Ort::Wohnort),
            "ereignisort" => Some(Ort::Ereignisort),
            _ => None,
        }
    }
}

/// A rule of the rule table as the pages need it (`catalogue/zustaendigkeit-sh.toml`).
#[derive(Debug, Clone, PartialEq)]
pub struct ZustaendigkeitsRegel {
    pub id: String,
    /// The public source, as citizens read it: "§ 1 Landesmeldegesetz".
    pub basis: String,
    pub url: String,
    pub ort: Ort,
    /// The service whose office takes the application in person (the Führungszeugnis at the Meldebehörde).
    pub antrag_bei: Option<LeikaKey>,
    pub hinweis: String,
}

/// Onlinedienst: where the service can be applied for online.
#[derive(Debug, Clone, PartialEq)]
pub struct Onlinedienst {
    pub id: String,
    pub leika: LeikaKey,
    pub url: String,
    pub vertrauensniveau: Vertrauensniveau,
    pub source: String,
}

/// Everything one import writes, in one transaction.
#[derive(Debug, Clone, Default)]
pub struct CatalogueData {
    pub regions: Vec<Region>,
    pub postcodes: Vec<Postcode>,
    pub lebenslagen: Vec<Lebenslage>,
    pub leistungen: Vec<Leistung>,
    pub organisationseinheiten: Vec<Organisationseinheit>,
    pub zustaendigkeiten: Vec<Zustaendigkeit>,
    pub regeln: Vec<ZustaendigkeitsRegel>,
    pub onlinedienste: Vec<Onlinedienst>,
}
