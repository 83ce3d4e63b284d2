//! What editors edit, as typed values. Each kind is stored as JSON in
//! `content_items` (draft) and `content_versions` (published), parsed from
//! forms at the edge with errors that name the field, and sanitised when
//! rendered (Markdown through an allow-list, see `richtext`).

use crate::keys::LeikaKey;
use crate::tenancy::colors::Rgb;
use serde::{Deserialize, Serialize};

/// The kinds of content a tenant owns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Branding, tagline, links, contact (one item, key `main`).
    Settings,
    /// Featured services and the order of Lebenslagen (one item, key `main`).
    Start,
    /// Impressum, Datenschutzerklärung, Erklärung zur Barrierefreiheit (keys as in `LEGAL_PAGES`).
    Legal,
    /// An announcement with start and end date.
    News,
    /// The tenant's own additions to a catalogue service (key: the LeiKa key).
    Addition,
    /// A service of the tenant's own (Daseinsvorsorge, local permits).
    Service,
    /// An office (Organisationseinheit) of the tenant.
    Office,
}

impl Kind {
    pub const ALL: [Kind; 7] = [
        Kind::Settings,
        Kind::Start,
        Kind::Legal,
        Kind::News,
        Kind::Addition,
        Kind::Service,
        Kind::Office,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Settings => "settings",
            Kind::Start => "start",
            Kind::Legal => "legal",
            Kind::News => "news",
            Kind::Addition => "addition",
            Kind::Service => "service",
            Kind::Office => "office",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// What editors call it.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Settings => "Darstellung und Kontakt",
            Kind::Start => "Startseite",
            Kind::Legal => "Rechtliche Seite",
            Kind::News => "Meldung",
            Kind::Addition => "Ergänzung zu einer Leistung",
            Kind::Service => "Eigene Leistung",
            Kind::Office => "Stelle",
        }
    }

    /// Settings, start page and legal pages shape the whole portal; only
    /// admins may publish those, and they are published into the tenant itself.
    pub fn is_portal_wide(self) -> bool {
        matches!(self, Kind::Settings | Kind::Start | Kind::Legal)
    }
}

pub const MAIN: &str = "main";

/// The legal pages: key, title, path.
pub const LEGAL_PAGES: [(&str, &str, &str); 3] = [
    ("impressum", "Impressum", "/impressum"),
    ("datenschutz", "Datenschutzerklärung", "/datenschutz"),
    (
        "barrierefreiheit",
        "Erklärung zur Barrierefreiheit",
        "/barrierefreiheit",
    ),
];

/// A link in the header or footer: an internal path or an http(s) URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NavLink {
    pub label: String,
    pub href: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    pub tagline: String,
    pub primary: Rgb,
    pub accent: Rgb,
    /// An uploaded logo (`uploads.id` of this tenant); none: the seed's logo file.
    #[serde(default)]
    pub logo_upload: Option<String>,
    pub logo_alt: String,
    #[serde(default)]
    pub header_links: Vec<NavLink>,
    #[serde(default)]
    pub footer_links: Vec<NavLink>,
    pub contact: Contact,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Contact {
    pub name: String,
    pub street: String,
    pub postcode: String,
    pub city: String,
    pub phone: String,
    pub email: String,
    #[serde(default)]
    pub opening_hours: Vec<String>,
}

/// A reference to a service a page can feature: a catalogue service or a local one.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", content = "key", rename_all = "lowercase")]
pub enum ServiceRef {
    Catalogue(LeikaKey),
    Local(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct StartPage {
    pub featured: Vec<ServiceRef>,
    /// Lebenslagen by slug, in the order the start page shows them.
    pub lebenslagen: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LegalPage {
    pub markdown: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct News {
    pub title: String,
    pub markdown: String,
    /// Shown from this day on (YYYY-MM-DD) …
    pub starts: String,
    /// … until the end of this day.
    pub ends: String,
}

/// What a municipality adds to a catalogue service, shown beside the central text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Addition {
    #[serde(default)]
    pub fees: String,
    #[serde(default)]
    pub documents: String,
    #[serde(default)]
    pub contact: String,
    /// An office of this tenant (`Kind::Office` key).
    #[serde(default)]
    pub office: Option<String>,
    #[serde(default)]
    pub opening_hours: String,
    #[serde(default)]
    pub notes: String,
    /// Not offered here: the page says so and names who to ask instead.
    #[serde(default)]
    pub hidden: bool,
    #[serde(default)]
    pub ask_instead: String,
    /// A hash of the central text this addition was written against: when the
    /// catalogue changes it, the addition is flagged for review.
    #[serde(default)]
    pub central_hash: String,
    /// Search words citizens use for this service here.
    #[serde(default)]
    pub keywords: Vec<String>,
}

/// A service of the municipality's own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct LocalService {
    pub name: String,
    #[serde(default)]
    pub short_text: String,
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub fees: String,
    #[serde(default)]
    pub documents: String,
    #[serde(default)]
    pub lebenslagen: Vec<String>,
    #[serde(default)]
    pub keywords: Vec<String>,
    #[serde(default)]
    pub office: Option<String>,
    #[serde(default)]
    pub online_url: Option<String>,
    /// Other municipalities may adopt it (Nachnutzung).
    #[serde(default)]
    pub shared: bool,
    /// Adopted from another tenant's shared service: its later updates are
    /// taken over unless this tenant overrides the text (`overridden`).
    #[serde(default)]
    pub adopted_from: Option<Adoption>,
    #[serde(default)]
    pub overridden: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Adoption {
    pub tenant: String,
    pub key: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Office {
    pub name: String,
    #[serde(default)]
    pub street: String,
    #[serde(default)]
    pub postcode: String,
    #[serde(default)]
    pub city: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub web: String,
    #[serde(default)]
    pub opening_hours: Vec<String>,
}

/// Bounds on what one field may hold: editors write pages, not books.
pub const MAX_SHORT: usize = 300;
pub const MAX_TEXT: usize = 20_000;
pub const MAX_LIST: usize = 50;

/// A field that did not pass, for the form's error summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &str, message: impl Into<String>) -> FieldError {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// A required one-line value, trimmed, without control characters, bounded.
pub fn line(field: &str, value: &str, required: bool) -> Result<String, FieldError> {
    let v = value.trim();
    if required && v.is_empty() {
        return Err(FieldError::new(field, "Bitte ausfüllen."));
    }
    if v.chars().count() > MAX_SHORT {
        return Err(FieldError::new(
            field,
            format!("Höchstens {MAX_SHORT} Zeichen."),
        ));
    }
    if v.chars().any(|c| c.is_control() || is_bidi_control(c)) {
        return Err(FieldError::new(field, "Enthält Steuerzeichen."));
    }
    Ok(v.to_string())
}

/// Bidirectional overrides and isolates: they can make a name read as
/// something else ("Trojan Source"), so editors' single-line fields refuse them.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// A Markdown text, bounded; line breaks allowed, other control characters not.
pub fn text(field: &str, value: &str) -> Result<String, FieldError> {
    let v = value.trim().replace("\r\n", "\n");
    if v.chars().count() > MAX_TEXT {
        return Err(FieldError::new(
            field,
            format!("Höchstens {MAX_TEXT} Zeichen."),
        ));
    }
    if v.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(FieldError::new(field, "Enthält Steuerzeichen."));
    }
    Ok(v)
}

/// An internal path (`/…`, not `//`) or an http(s) URL; anything else
/// (`javascript:`, `data:`) is refused.
pub fn href(field: &str, value: &str) -> Result<String, FieldError> {
    let v = line(field, value, true)?;
    let internal = v.starts_with('/') && !v.starts_with("//") && !v.contains('\\');
    let external = (v.starts_with("https://") || v.starts_with("http://"))
        && v.len() > "https://".len()
        && !v.contains(char::is_whitespace);
    if internal || external {
        Ok(v)
    } else {
        Err(FieldError::new(
            field,
            "Bitte eine Adresse, die mit https:// oder / beginnt.",
        ))
    }
}

/// A calendar day, YYYY-MM-DD.
pub fn day(field: &str, value: &str) -> Result<String, FieldError> {
    let v = value.trim();
    let part = |r: std::ops::Range<usize>| v.get(r).and_then(|p| p.parse::<u16>().ok());
    let ok = v.len() == 10
        && v.as_bytes()[4] == b'-'
        && v.as_bytes()[7] == b'-'
        && match (part(0..4), part(5..7), part(8..10)) {
            (Some(y), Some(m), Some(d)) => time::Month::try_from(m as u8)
                .ok()
                .and_then(|m| time::Date::from_calendar_date(i32::from(y), m, d as u8).ok())
                .is_some(),
            _ => false,
        };
    if ok {
        Ok(v.to_string())
    } else {
        Err(FieldError::new(field, "Bitte ein Datum wie 2026-12-24."))
    }
}

/// Words separated by commas or lines, each bounded, at most `MAX_LIST`.
pub fn words(field: &str, value: &str) -> Result<Vec<String>, FieldError> {
    let mut out: Vec<String> = Vec::new();
    for w in value.split([',', '\n']) {
        let w = line(field, w, false)?;
        if !w.is_empty() && !out.iter().any(|o| o.eq_ignore_ascii_case(&w)) {
            out.push(w);
        }
    }
    if out.len() > MAX_LIST {
        return Err(FieldError::new(
            field,
            format!("Höchstens {MAX_LIST} Einträge."),
        ));
    }
    Ok(out)
}

/// Lines, each bounded, at most `MAX_LIST`.
pub fn lines(field: &str, value: &str) -> Result<Vec<String>, FieldError> {
    let out: Vec<String> = value
        .lines()
        .map(|l| line(field, l, false))
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .filter(|l| !l.is_empty())
        .collect();
    if out.len() > MAX_LIST {
        return Err(FieldError::new(
            field,
            format!("Höchstens {MAX_LIST} Zeilen."),
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_internal_paths_or_http() {
        assert!(href("l", "/impressum").is_ok());
        assert!(href("l", "https://kiel.de/rathaus").is_ok());
        for bad in [
            "javascript:alert(1)",
            "//evil.example",
            "data:text/html,x",
            "JaVaScRiPt:alert(1)",
            "/\\evil",
            "https://",
            "mailto:x@y",
        ] {
            assert!(href("l", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn fields_are_bounded_and_free_of_control_characters() {
        assert!(line("n", &"x".repeat(MAX_SHORT + 1), true).is_err());
        assert!(line("n", "a\u{202e}b", true).is_err());
        assert!(line("n", "  ", true).is_err());
        assert_eq!(text("t", "a\r\nb").unwrap(), "a\nb");
        assert!(day("d", "2026-02-30").is_err());
        assert_eq!(day("d", "2026-12-24").unwrap(), "2026-12-24");
        assert_eq!(
            words("w", "Kita, kita,Krippe\n").unwrap(),
            ["Kita", "Krippe"]
        );
    }

    #[test]
    fn references_serialise_with_their_type() {
        let r = ServiceRef::Local("kita-anmeldung".into());
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            r#"{"type":"local","key":"kita-anmeldung"}"#
        );
    }
}
