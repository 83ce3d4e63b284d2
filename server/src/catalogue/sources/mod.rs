//! The public data sources and their parsers.
//!
//! The sources are not part of the repository: they live, byte for byte as
//! published, in the folder `SOURCES_DIR` (default `../shared/data/raw`), one
//! folder per source with its `SOURCE.md`. [`SOURCES`] names each folder with
//! the attribution its licence asks for ("Über diese Daten" shows them).
//!
//! Each parser takes the file name (only for error messages) and the file's text,
//! and either returns every record or the first [`SourceError`]. Nothing here reads
//! files: the caller decides where the text comes from.

mod dldb;
mod gv100ad;
mod gvisys;
mod ozg;
mod plz;
mod pvog;

pub use dldb::{
    check_dldb_consistency, parse_dldb_locations, parse_dldb_services, DldbLink, DldbLocation,
    DldbService,
};
pub use gv100ad::{parse_gv100ad, GebietLevel, GebietRecord};
pub use gvisys::{parse_gvisys, AnschriftRecord};
pub use ozg::{
    parse_ozg_dump, OzgCatalogue, OzgLebenslage, OzgLeistung, OzgService, OzgThemenfeld,
};
pub use plz::{parse_plz, PostcodeRecord};
pub use pvog::{
    parse_pvog_bund, parse_pvog_detail, PvogBund, PvogDetail, PvogLink, PvogOnline, PvogPart,
    PvogService, PvogTextModule,
};

use crate::richtext::{plain_text, sanitize_pvog};

/// Far above any real source (the largest, Munich's services, has 1.7 MB); a larger
/// file is refused before it is parsed.
pub const MAX_FILE_BYTES: usize = 32 * 1024 * 1024;
/// Per HTML field, checked before sanitising (the longest real text has 3.7 KB).
pub const MAX_HTML_BYTES: usize = 200 * 1024;
/// Per other text field: names, URLs, keywords (the longest real one has 418 bytes).
pub const MAX_TEXT_BYTES: usize = 16 * 1024;

/// One public source: its folder under `SOURCES_DIR` and what must be shown with it.
#[derive(Debug, Clone, Copy)]
pub struct Source {
    pub folder: &'static str,
    /// What the data is, as a heading for citizens.
    pub topic: &'static str,
    /// The attribution, word for word as the source's `SOURCE.md` asks.
    pub attribution: &'static str,
    pub licence: &'static str,
}

pub const GV100AD_SOURCE: Source = Source {
    folder: "destatis-gv100ad-2025",
    topic: "Gemeindeverzeichnis",
    attribution: "Quelle: Statistisches Bundesamt (Destatis), Gemeindeverzeichnis GV100AD, Gebietsstand 30.11.2025",
    licence: "Datenlizenz Deutschland – Namensnennung – Version 2.0",
};

pub const PLZ_SOURCE: Source = Source {
    folder: "plz-ags-osm-2022",
    topic: "Postleitzahlen",
    attribution: "© OpenStreetMap-Mitwirkende, bereitgestellt über suche-postleitzahl.org",
    licence: "Open Database License (ODbL 1.0)",
};

pub const OZG_SOURCE: Source = Source {
    folder: "ozg-katalog-nrw-2019",
    topic: "Leistungen und Lebenslagen",
    attribution: "OZG-Katalog: KDN – Dachverband kommunaler IT-Dienstleister, „OZG-Datenbank NRW“ (MIT-Lizenz, © 2020 Gert Hammes); Inhalte aus dem OZG-Umsetzungskatalog (BMI/FITKO) und dem Leistungskatalog LeiKa (FIM), Stand 2019",
    licence: "MIT-Lizenz",
};

pub const GVISYS_SOURCE: Source = Source {
    folder: "gvisys-anschriften-2011",
    topic: "Anschriften der Verwaltungen",
    attribution: "Quelle: Statistisches Bundesamt (Destatis), Gemeindeverzeichnis-Informationssystem GV-ISys, Stand 31.12.2011",
    licence: "Weitergabe mit Quellenangabe",
};

pub const PVOG_SOURCE: Source = Source {
    folder: "pvog-bund-2025",
    topic: "Bundesleistungen und Onlinedienste",
    attribution: "Bundesleistungen und Onlinedienste: Portalverbund Online-Gateway (PVOG), Stand 20.01.2025, über semantic-systems/text-to-SHACL (MIT)",
    licence: "MIT-Lizenz",
};

pub const DLDB_MUENCHEN_SOURCE: Source = Source {
    folder: "dldb-muenchen-2026",
    topic: "Leistungen und Standorte der Landeshauptstadt München",
    attribution: "Dienstleistungen und Standorte: Landeshauptstadt München (it@M), Dienstleistungsdatenbank, Stand 08.06.2026, aus it-at-m/eappointment, EUPL-1.2",
    licence: "European Union Public Licence (EUPL-1.2)",
};

/// Every source the portal shows data from, in the order "Über diese Daten" lists them.
pub const SOURCES: [Source; 6] = [
    GV100AD_SOURCE,
    PLZ_SOURCE,
    OZG_SOURCE,
    GVISYS_SOURCE,
    PVOG_SOURCE,
    DLDB_MUENCHEN_SOURCE,
];

/// The source folder of the tests and benchmarks: `SOURCES_DIR`, or the shared
/// folder beside the checkout.
pub fn sources_dir_for_tests() -> std::path::PathBuf {
    std::env::var_os("SOURCES_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/raw")
        })
}

/// A source file that cannot be read: names the file, the record and the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceError {
    pub file: String,
    pub record: String,
    pub reason: String,
}

impl SourceError {
    pub fn new(file: &str, record: impl Into<String>, reason: impl Into<String>) -> Self {
        SourceError {
            file: file.to_string(),
            record: record.into(),
            reason: reason.into(),
        }
    }

    /// An error in the given 1-based line.
    fn at_line(file: &str, line: usize, reason: impl Into<String>) -> Self {
        Self::new(file, format!("Zeile {line}"), reason)
    }
}

impl std::fmt::Display for SourceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}, {}: {}", self.file, self.record, self.reason)
    }
}

impl std::error::Error for SourceError {}

fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// Refuses a file larger than `max` bytes before it is parsed.
fn check_size(file: &str, text: &str, max: usize) -> Result<(), SourceError> {
    if text.len() > max {
        return Err(SourceError::new(
            file,
            "Datei",
            format!(
                "größer als {} MiB ({} Bytes)",
                max / (1024 * 1024),
                text.len()
            ),
        ));
    }
    Ok(())
}

/// The trimmed URL if it is absolute http or https with a host; links to other
/// schemes, relative links and URLs with blanks are not shown to citizens.
fn http_url(raw: &str) -> Option<String> {
    let url = raw.trim();
    let scheme = ["https://", "http://"].into_iter().find(|prefix| {
        url.get(..prefix.len())
            .is_some_and(|s| s.eq_ignore_ascii_case(prefix))
    })?;
    let host = &url[scheme.len()..];
    let valid = !host.is_empty()
        && !host.starts_with('/')
        && !url.chars().any(|c| c.is_whitespace() || c.is_control());
    valid.then(|| url.to_string())
}

fn bounded(field: &str, text: &str, max: usize) -> Result<(), String> {
    if text.len() > max {
        return Err(format!(
            "'{field}' ist länger als {max} Bytes ({} Bytes)",
            text.len()
        ));
    }
    Ok(())
}

/// Sanitised HTML of an optional field; empty if it has no visible text.
fn rich_text(field: &str, html: Option<&str>) -> Result<String, String> {
    let html = html.unwrap_or("");
    bounded(field, html, MAX_HTML_BYTES)?;
    let clean = sanitize_pvog(html);
    Ok(if plain_text(&clean).is_empty() {
        String::new()
    } else {
        clean
    })
}

/// Trimmed, non-empty terms in their first spelling, without case-insensitive repeats.
fn distinct_terms<'a>(terms: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    terms
        .map(str::trim)
        .filter(|t| !t.is_empty() && seen.insert(t.to_lowercase()))
        .map(str::to_string)
        .collect()
}

/// Lines with their 1-based numbers, without a leading byte order mark.
fn numbered_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    text.lines().enumerate().map(|(i, line)| (i + 1, line))
}

/// A raw source file from the shared data folder (`SOURCES_DIR`, else `shared/data/raw`
/// beside the checkout); the files are read at run time, never copied into the repository.
#[cfg(test)]
fn shared_source(path: &str) -> String {
    let path = sources_dir_for_tests().join(path);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_display_names_file_record_and_reason() {
        let e = SourceError::at_line("x.csv", 17, "AGS '0100200' hat nicht 8 Ziffern");
        assert_eq!(
            e.to_string(),
            "x.csv, Zeile 17: AGS '0100200' hat nicht 8 Ziffern"
        );
    }

    #[test]
    fn http_urls_only() {
        assert_eq!(
            http_url(" https://stadt.muenchen.de/a "),
            Some("https://stadt.muenchen.de/a".into())
        );
        assert_eq!(http_url("HTTP://x.de"), Some("HTTP://x.de".into()));
        for bad in [
            "",
            "https://",
            "http:///x",
            "ftp://x.de",
            "javascript:alert(1)",
            "mailto:a@b.de",
            "/pfad",
            "www.x.de",
            "https://x.de/a b",
        ] {
            assert_eq!(http_url(bad), None, "{bad}");
        }
    }

    #[test]
    fn numbered_lines_skip_bom_and_count_from_one() {
        let lines: Vec<_> = numbered_lines("\u{feff}a\r\nb\n").collect();
        assert_eq!(lines, vec![(1, "a"), (2, "b")]);
    }
}
