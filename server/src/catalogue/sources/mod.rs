//! Parsers for the public data sources kept byte for byte in `catalogue/sources/`.
//!
//! Each parser takes the file name (only for error messages) and the file's text,
//! and either returns every record or the first [`SourceError`]. Nothing here reads
//! files: the caller decides where the text comes from.

mod gv100ad;
mod gvisys;
mod ozg;
mod plz;

pub use gv100ad::{parse_gv100ad, GebietLevel, GebietRecord};
pub use gvisys::{parse_gvisys, AnschriftRecord};
pub use ozg::{
    parse_ozg_dump, OzgCatalogue, OzgLebenslage, OzgLeistung, OzgService, OzgThemenfeld,
};
pub use plz::{parse_plz, PostcodeRecord};

/// A source file that cannot be read: names the file, the record and the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceError {
    pub file: String,
    pub record: String,
    pub reason: String,
}

impl SourceError {
    fn new(file: &str, record: impl Into<String>, reason: impl Into<String>) -> Self {
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

/// Lines with their 1-based numbers, without a leading byte order mark.
fn numbered_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    text.lines().enumerate().map(|(i, line)| (i + 1, line))
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
    fn numbered_lines_skip_bom_and_count_from_one() {
        let lines: Vec<_> = numbered_lines("\u{feff}a\r\nb\n").collect();
        assert_eq!(lines, vec![(1, "a"), (2, "b")]);
    }
}
