//! Postcode ↔ AGS pairs (suche-postleitzahl.org `zuordnung_plz_ort.csv`, from OpenStreetMap).
//!
//! This copy lost the leading zero of AGS in Länder 01–09 and of PLZ starting
//! with 0 (`1056025` for Helgoland `01056025`, `1945` for `01945`), so exactly one
//! missing zero is restored; anything shorter is an error.

use super::{is_digits, numbered_lines, SourceError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostcodeRecord {
    /// 5 digits, zero-filled.
    pub plz: String,
    /// 8 digits, zero-filled.
    pub ags: String,
    pub ort: String,
    /// 1-based line number.
    pub line: usize,
}

pub fn parse_plz(file: &str, text: &str) -> Result<Vec<PostcodeRecord>, SourceError> {
    let mut lines = numbered_lines(text).filter(|(_, line)| !line.trim().is_empty());
    let (header_no, header) = lines
        .next()
        .ok_or_else(|| SourceError::at_line(file, 1, "Kopfzeile fehlt"))?;
    let header = Header::parse(header).map_err(|r| SourceError::at_line(file, header_no, r))?;
    lines
        .map(|(n, line)| {
            header
                .record(line, n)
                .map_err(|r| SourceError::at_line(file, n, r))
        })
        .collect()
}

/// Positions of the columns we need, found by name.
struct Header {
    width: usize,
    ags: usize,
    ort: usize,
    plz: usize,
}

impl Header {
    fn parse(line: &str) -> Result<Self, String> {
        let names = split_csv_line(line)?;
        let find = |name: &str| {
            names
                .iter()
                .position(|n| n.trim() == name)
                .ok_or_else(|| format!("Spalte '{name}' fehlt in der Kopfzeile"))
        };
        Ok(Header {
            width: names.len(),
            ags: find("ags")?,
            ort: find("ort")?,
            plz: find("plz")?,
        })
    }

    fn record(&self, line: &str, line_no: usize) -> Result<PostcodeRecord, String> {
        let fields = split_csv_line(line)?;
        if fields.len() != self.width {
            return Err(format!(
                "{} Felder statt {} wie in der Kopfzeile",
                fields.len(),
                self.width
            ));
        }
        let ort = fields[self.ort].trim();
        if ort.is_empty() {
            return Err("Ort ist leer".into());
        }
        Ok(PostcodeRecord {
            plz: zero_filled(&fields[self.plz], 5, "PLZ")?,
            ags: zero_filled(&fields[self.ags], 8, "AGS")?,
            ort: ort.to_string(),
            line: line_no,
        })
    }
}

/// Restores the one leading zero the file may have dropped.
fn zero_filled(value: &str, len: usize, what: &str) -> Result<String, String> {
    let v = value.trim();
    if is_digits(v) && (v.len() == len || v.len() + 1 == len) {
        Ok(format!("{v:0>len$}"))
    } else {
        Err(format!("{what} '{v}' hat nicht {len} Ziffern"))
    }
}

/// Splits one CSV line (RFC 4180 quoting, no line breaks inside fields).
fn split_csv_line(line: &str) -> Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut chars = line.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (false, '"') if field.is_empty() => quoted = true,
            (false, ',') => fields.push(std::mem::take(&mut field)),
            _ => field.push(c),
        }
    }
    if quoted {
        return Err("Anführungszeichen nicht geschlossen".into());
    }
    fields.push(field);
    Ok(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "osm_id,ags,ort,plz,landkreis,bundesland\n";

    fn parse(body: &str) -> Result<Vec<PostcodeRecord>, SourceError> {
        parse_plz("plz.csv", &format!("{HEADER}{body}"))
    }

    fn error(body: &str) -> SourceError {
        parse(body).expect_err("must fail")
    }

    #[test]
    fn parses_rows_and_restores_leading_zeros() {
        let rows = parse(concat!(
            "3745584,1056025,Helgoland,27498,Kreis Pinneberg,Schleswig-Holstein\n",
            "62422,14612000,Dresden,1067,,Sachsen\n",
            "1,09162000,\"München, Landeshauptstadt\",80331,,\"Bayern \"\"Freistaat\"\"\"\n",
        ))
        .expect("sample parses");
        let expected = [
            ("27498", "01056025", "Helgoland", 2),
            ("01067", "14612000", "Dresden", 3),
            ("80331", "09162000", "München, Landeshauptstadt", 4),
        ];
        assert_eq!(rows.len(), expected.len());
        for (row, (plz, ags, ort, line)) in rows.iter().zip(expected) {
            assert_eq!((row.plz.as_str(), row.ags.as_str()), (plz, ags));
            assert_eq!((row.ort.as_str(), row.line), (ort, line));
        }
    }

    #[test]
    fn columns_are_found_by_name() {
        let rows = parse_plz("plz.csv", "plz,ort,ags\n24103,Kiel,01002000\n").expect("parses");
        assert_eq!(rows[0].ags, "01002000");
        assert_eq!(rows[0].plz, "24103");
    }

    #[test]
    fn rejects_a_missing_header() {
        let e = parse_plz("plz.csv", "").expect_err("must fail");
        assert_eq!(
            (e.record.as_str(), e.reason.as_str()),
            ("Zeile 1", "Kopfzeile fehlt")
        );
        let e = parse_plz("plz.csv", "osm_id,ags,ort\n").expect_err("must fail");
        assert_eq!(e.reason, "Spalte 'plz' fehlt in der Kopfzeile");
    }

    #[test]
    fn rejects_bad_keys() {
        let e = error("1,100200,Kiel,24103,,SH\n");
        assert_eq!(e.file, "plz.csv");
        assert_eq!(e.record, "Zeile 2");
        assert_eq!(e.reason, "AGS '100200' hat nicht 8 Ziffern");
        let e = error("1,01002000,Kiel,24103,,SH\n1,01002000,Kiel,241O3,,SH\n");
        assert_eq!(e.record, "Zeile 3");
        assert_eq!(e.reason, "PLZ '241O3' hat nicht 5 Ziffern");
    }

    #[test]
    fn rejects_bad_rows() {
        let e = error("1,01002000,Kiel,24103,SH\n");
        assert_eq!(e.reason, "5 Felder statt 6 wie in der Kopfzeile");
        let e = error("1,01002000,\"Kiel,24103,,SH\n");
        assert_eq!(e.reason, "Anführungszeichen nicht geschlossen");
        let e = error("1,01002000, ,24103,,SH\n");
        assert_eq!(e.reason, "Ort ist leer");
    }

    #[test]
    fn bundled_file() {
        let text = std::fs::read_to_string(
            super::super::sources_dir_for_tests().join("plz-ags-osm-2022/zuordnung_plz_ort.csv"),
        )
        .expect("source in SOURCES_DIR");
        let text = text.as_str();
        let rows = parse_plz("zuordnung_plz_ort.csv", text).expect("bundled file parses");
        assert_eq!(rows.len(), 12_871);
        let distinct = |key: fn(&PostcodeRecord) -> &str, land: &str| {
            let set: std::collections::HashSet<_> = rows
                .iter()
                .filter(|r| r.ags.starts_with(land))
                .map(key)
                .collect();
            set.len()
        };
        assert_eq!(distinct(|r| &r.ags, ""), 10_789);
        assert_eq!(distinct(|r| &r.plz, ""), 8_170);
        assert_eq!(
            rows.iter().filter(|r| r.ags.starts_with("01")).count(),
            1_203
        );
        assert_eq!(distinct(|r| &r.ags, "01"), 1_106);
        assert_eq!(distinct(|r| &r.plz, "01"), 447);
        let helgoland = rows
            .iter()
            .find(|r| r.ort == "Helgoland")
            .expect("Helgoland");
        assert_eq!(
            (helgoland.ags.as_str(), helgoland.plz.as_str()),
            ("01056025", "27498")
        );
        assert_eq!(
            rows.iter().filter(|r| r.plz.starts_with('0')).count(),
            1_082
        );
    }
}
