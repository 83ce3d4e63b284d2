//! XZuFi 2.2 messages (services, offices, responsibilities, online services
//! of the Portalverbund), read as a stream.
//!
//! No DTD is ever processed and no entity is ever resolved: a DOCTYPE is
//! refused outright, and only the five predefined entities and character
//! references are accepted. Size, depth, text length and object count are
//! bounded by [`Limits`]. What the parser does not understand is reported in
//! [`Message::unknown`] with its path and line, never silently dropped.
//! HTML in text modules is passed on raw; the importer sanitises it.

mod error;
mod objects;
mod pull;
mod source;

#[cfg(test)]
mod tests;

pub use error::XzufiError;

use crate::keys::LeikaKey;
use pull::Pull;
use std::io::BufRead;

pub const XZUFI_NS: &str = "http://xoev.de/schemata/xzufi/2_2_0";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    pub max_bytes: u64,
    pub max_depth: usize,
    pub max_text_bytes: usize,
    pub max_objects: usize,
}

impl Default for Limits {
    /// Generous for a PVOG delivery file, which holds one object or a few
    /// thousand (orphaned deletions of Zuständigkeiten come by the million,
    /// spread over many files).
    fn default() -> Self {
        Limits {
            max_bytes: 256 * 1024 * 1024,
            max_depth: 64,
            max_text_bytes: 1024 * 1024,
            max_objects: 1_000_000,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub version: String,
    pub operations: Vec<Operation>,
    /// At most 10 000; any further ones are only counted in `unknown_not_listed`.
    pub unknown: Vec<Unknown>,
    pub unknown_not_listed: u64,
    /// At most 10 000; any further ones are only counted in `problems_not_listed`.
    pub problems: Vec<Problem>,
    pub problems_not_listed: u64,
}

/// An element the parser does not understand; it and its content were skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unknown {
    /// e.g. `/xzufi.nachricht/schreibe/leistung/modulFoo`
    pub path: String,
    pub line: u64,
}

/// Something understood but not taken over, e.g. a link with a `javascript:` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub path: String,
    pub line: u64,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operation {
    /// Boxed: deletions, far more numerous, stay small.
    Schreibe(Box<Object>),
    Loesche {
        klasse: Klasse,
        id: ObjectId,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Klasse {
    Leistung,
    Organisationseinheit,
    Zustaendigkeit,
    Spezialisierung,
    Onlinedienst,
}

impl Klasse {
    /// The value of `loesche/@klasse`.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "Leistung" => Some(Self::Leistung),
            "Organisationseinheit" => Some(Self::Organisationseinheit),
            "Zustaendigkeit" => Some(Self::Zustaendigkeit),
            "LeistungSpezialisierung" => Some(Self::Spezialisierung),
            "Onlinedienst" => Some(Self::Onlinedienst),
            _ => None,
        }
    }
}

/// An object is identified by its editorial system (`schemeAgencyID`) and value.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectId {
    pub agency: String,
    pub scheme: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Object {
    Leistung(Leistung),
    Organisationseinheit(Organisationseinheit),
    Zustaendigkeit(Zustaendigkeit),
    Spezialisierung(Spezialisierung),
    Onlinedienst(Onlinedienst),
}

impl Object {
    pub fn klasse(&self) -> Klasse {
        match self {
            Object::Leistung(_) => Klasse::Leistung,
            Object::Organisationseinheit(_) => Klasse::Organisationseinheit,
            Object::Zustaendigkeit(_) => Klasse::Zustaendigkeit,
            Object::Spezialisierung(_) => Klasse::Spezialisierung,
            Object::Onlinedienst(_) => Klasse::Onlinedienst,
        }
    }

    pub fn id(&self) -> &ObjectId {
        match self {
            Object::Leistung(o) => &o.id,
            Object::Organisationseinheit(o) => &o.id,
            Object::Zustaendigkeit(o) => &o.id,
            Object::Spezialisierung(o) => &o.id,
            Object::Onlinedienst(o) => &o.id,
        }
    }
}

/// A text in one language (`languageCode`, `de` when not given).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Localized {
    pub language: String,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub uri: String,
    pub titel: String,
}

/// One `modulText` in one language. `html` is raw, not sanitised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextModule {
    /// LeiKa text module code: 02 Leistungsbezeichnung, 03 Leistungsname, 06 Beschreibung, …
    pub code: String,
    pub language: String,
    pub html: String,
    pub links: Vec<Link>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kategorie {
    pub klasse: String,
    pub id: String,
    pub bezeichnung: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leistung {
    pub id: ObjectId,
    pub leika: Option<LeikaKey>,
    /// Text module 03 (Leistungsname), else 02 (Leistungsbezeichnung), German first.
    pub name: Option<String>,
    pub texts: Vec<TextModule>,
    pub kosten: Vec<Localized>,
    pub frist: Vec<Localized>,
    pub bearbeitungsdauer: Vec<Localized>,
    pub begriffe_im_kontext: Vec<String>,
    pub typisierung: Vec<String>,
    pub kategorien: Vec<Kategorie>,
    /// ARS of the areas the texts apply to.
    pub gueltigkeit_gebiete: Vec<String>,
    pub geaendert: Option<String>,
}

/// A Zuständigkeit given inside an Organisationseinheit: one per area.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Zuordnung {
    pub leistung: ObjectId,
    pub gebiet: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organisationseinheit {
    pub id: ObjectId,
    pub name: Option<String>,
    /// Straße and Hausnummer.
    pub street: Option<String>,
    pub postcode: Option<String>,
    pub city: Option<String>,
    pub ars: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub web: Option<String>,
    pub opening_hours: Vec<String>,
    pub zustaendigkeiten: Vec<Zuordnung>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Zustaendigkeit {
    pub id: ObjectId,
    /// `uebergeordnetesObjektID`: the Organisationseinheit.
    pub organisationseinheit: Option<ObjectId>,
    pub leistung: Option<ObjectId>,
    /// ARS of 2, 5, 9 or 12 digits; `""` or `000000000000` for the federation.
    pub gebiet: Option<String>,
    pub rolle_code: Option<String>,
    pub rolle_name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spezialisierung {
    pub id: ObjectId,
    pub leistung: Option<ObjectId>,
    pub gebiete: Vec<String>,
    pub texts: Vec<TextModule>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnlinedienstLink {
    /// Code of `urn:xoev-de:fim:codeliste:onlinedienstlinktyp`.
    pub typ: Option<String>,
    /// Always http or https.
    pub url: String,
    pub titel: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Onlinedienst {
    pub id: ObjectId,
    pub bezeichnung: Option<String>,
    pub links: Vec<OnlinedienstLink>,
    pub vertrauensniveau: Option<String>,
    pub leistungen: Vec<ObjectId>,
    pub gebiete: Vec<String>,
}

/// Reads one XZuFi 2.2 message. `source_name` only names the file in errors.
pub fn parse(
    source_name: &str,
    reader: impl BufRead,
    limits: &Limits,
) -> Result<Message, XzufiError> {
    let mut pull = Pull::new(source_name, reader, limits);
    let root = pull.root()?;
    let version = objects::check_root(&pull, &root)?;
    let operations = objects::operations(&mut pull)?;
    pull.finish()?;
    Ok(Message {
        version,
        operations,
        unknown: std::mem::take(&mut pull.unknown),
        unknown_not_listed: pull.unknown_not_listed,
        problems: std::mem::take(&mut pull.problems),
        problems_not_listed: pull.problems_not_listed,
    })
}
