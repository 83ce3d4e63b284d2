//! GV-ISys municipality records with the address of their administration
//! (`gvisys-anschriften-2011/data/<AGS>.yaml`, Schleswig-Holstein, Stand 2011).
//!
//! Each file is a flat YAML mapping of `Key: value` lines; values may be
//! single-quoted. That is all this reader understands.

use super::{is_digits, numbered_lines, SourceError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnschriftRecord {
    /// 8 digits.
    pub ags: String,
    /// "Anschrift der Gemeinde": the administering body, the Amt or the Gemeinde itself.
    pub verwaltung: String,
    pub street: String,
    /// PLZ of the administration, from "PLZ Ort".
    pub plz: String,
    /// Town of the administration, from "PLZ Ort".
    pub city: String,
    pub gemeindetyp: String,
}

pub fn parse_gvisys(file: &str, text: &str) -> Result<AnschriftRecord, SourceError> {
    let fields = Fields::parse(file, text)?;
    let (plz, city) = fields.get("PLZ Ort", split_plz_ort)?;
    Ok(AnschriftRecord {
        ags: fields.get("Amtl.Gemeindeschlüssel", ags)?,
        verwaltung: fields.get("Anschrift der Gemeinde", non_empty)?,
        street: fields.get("Straße", non_empty)?,
        plz,
        city,
        gemeindetyp: fields.get("Gemeindetyp", non_empty)?,
    })
}

/// The `Key: value` pairs of one file with their line numbers.
struct Fields<'a> {
    file: &'a str,
    pairs: Vec<(String, String, usize)>,
}

impl<'a> Fields<'a> {
    fn parse(file: &'a str, text: &str) -> Result<Self, SourceError> {
        let mut pairs: Vec<(String, String, usize)> = Vec::new();
        for (n, line) in numbered_lines(text) {
            let line = line.trim_end();
            if line.is_empty() || line == "---" || line.starts_with('#') {
                continue;
            }
            let error = |reason: String| SourceError::at_line(file, n, reason);
            let (key, value) = line
                .split_once(':')
                .ok_or_else(|| error(format!("'{line}' hat nicht die Form 'Schlüssel: Wert'")))?;
            let key = key.trim();
            if pairs.iter().any(|(k, _, _)| k == key) {
                return Err(error(format!("Schlüssel '{key}' kommt doppelt vor")));
            }
            pairs.push((key.to_string(), unquote(value).map_err(error)?, n));
        }
        Ok(Fields { file, pairs })
    }

    /// The value of `key`, checked and converted by `read`.
    fn get<T>(&self, key: &str, read: fn(&str) -> Result<T, String>) -> Result<T, SourceError> {
        let (_, value, line) = self
            .pairs
            .iter()
            .find(|(k, _, _)| k == key)
            .ok_or_else(|| SourceError::new(self.file, format!("Feld '{key}'"), "fehlt"))?;
        read(value)
            .map_err(|reason| SourceError::at_line(self.file, *line, format!("{key}: {reason}")))
    }
}

/// A plain or single-quoted YAML scalar ('' inside quotes is one quote).
fn unquote(value: &str) -> Result<String, String> {
    let v = value.trim();
    match v.strip_prefix('\'') {
        None => Ok(v.to_string()),
        Some(rest) => rest
            .strip_suffix('\'')
            .map(|inner| inner.replace("''", "'"))
            .ok_or_else(|| format!("Anführungszeichen nicht geschlossen in {v}")),
    }
}

fn non_empty(value: &str) -> Result<String, String> {
    Some(value.trim().to_string())
        .filter(|v| !v.is_empty())
        .ok_or_else(|| "leer".to_string())
}

fn ags(value: &str) -> Result<String, String> {
    if value.len() == 8 && is_digits(value) {
        Ok(value.to_string())
    } else {
        Err(format!("AGS '{value}' hat nicht 8 Ziffern"))
    }
}

/// "24103 Kiel" → ("24103", "Kiel").
fn split_plz_ort(value: &str) -> Result<(String, String), String> {
    let (plz, city) = value.split_once(' ').unwrap_or((value, ""));
    let city = city.trim();
    if plz.len() != 5 || !is_digits(plz) {
        return Err(format!("'{value}' beginnt nicht mit einer 5-stelligen PLZ"));
    }
    if city.is_empty() {
        return Err(format!("'{value}' nennt keinen Ort"));
    }
    Ok((plz.to_string(), city.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const KIEL: &str = "---
Stand: 31.12.2011
Bundesland: Schleswig-Holstein
Regierungs-Bezirk: \u{a0}
Kreisname: Kiel, Landeshauptstadt
Amtl.Gemeindeschlüssel: '01002000'
PLZ Gemeindenamen: 24103 Kiel, Landeshauptstadt
Gemeindetyp: Kreisfreie Stadt
Anschrift der Gemeinde: Kiel, Landeshauptstadt
Straße: Fleethörn 9
PLZ Ort: 24103 Kiel
Fläche km2: 118.65
";

    #[test]
    fn parses_a_file() {
        let r = parse_gvisys("01002000.yaml", KIEL).expect("sample parses");
        assert_eq!(
            r,
            AnschriftRecord {
                ags: "01002000".into(),
                verwaltung: "Kiel, Landeshauptstadt".into(),
                street: "Fleethörn 9".into(),
                plz: "24103".into(),
                city: "Kiel".into(),
                gemeindetyp: "Kreisfreie Stadt".into(),
            }
        );
    }

    #[test]
    fn reads_unquoted_keys_and_quoted_values() {
        let text = KIEL
            .replace("'01002000'", "01002000")
            .replace("Straße: Fleethörn 9", "Straße: 'Am Markt: ''Rathaus'''");
        let r = parse_gvisys("01002000.yaml", &text).expect("parses");
        assert_eq!(r.ags, "01002000");
        assert_eq!(r.street, "Am Markt: 'Rathaus'");
    }

    fn error(text: &str) -> SourceError {
        parse_gvisys("01002000.yaml", text).expect_err("must fail")
    }

    #[test]
    fn rejects_bad_values() {
        let e = error(&KIEL.replace("'01002000'", "'0100200'"));
        assert_eq!(e.file, "01002000.yaml");
        assert_eq!(e.record, "Zeile 6");
        assert_eq!(
            e.reason,
            "Amtl.Gemeindeschlüssel: AGS '0100200' hat nicht 8 Ziffern"
        );
        let e = error(&KIEL.replace("PLZ Ort: 24103 Kiel", "PLZ Ort: Kiel"));
        assert_eq!(e.record, "Zeile 11");
        assert_eq!(
            e.reason,
            "PLZ Ort: 'Kiel' beginnt nicht mit einer 5-stelligen PLZ"
        );
        let e = error(&KIEL.replace("PLZ Ort: 24103 Kiel", "PLZ Ort: 24103"));
        assert_eq!(e.reason, "PLZ Ort: '24103' nennt keinen Ort");
        let e = error(&KIEL.replace("Fleethörn 9", " "));
        assert_eq!(e.reason, "Straße: leer");
    }

    #[test]
    fn rejects_bad_structure() {
        let e = error(&KIEL.replace("Straße: Fleethörn 9\n", ""));
        assert_eq!(
            (e.record.as_str(), e.reason.as_str()),
            ("Feld 'Straße'", "fehlt")
        );
        let e = error(&KIEL.replace("Straße: Fleethörn 9", "Fleethörn 9"));
        assert_eq!(e.record, "Zeile 10");
        assert_eq!(
            e.reason,
            "'Fleethörn 9' hat nicht die Form 'Schlüssel: Wert'"
        );
        let e = error(&format!("{KIEL}Straße: Zweite 1\n"));
        assert_eq!(e.reason, "Schlüssel 'Straße' kommt doppelt vor");
        let e = error(&KIEL.replace("Fleethörn 9", "'Fleethörn 9"));
        assert_eq!(
            e.reason,
            "Anführungszeichen nicht geschlossen in 'Fleethörn 9"
        );
    }

    #[test]
    fn bundled_files() {
        let dir = super::super::sources_dir_for_tests().join("gvisys-anschriften-2011/data");
        let mut records = Vec::new();
        for entry in std::fs::read_dir(dir).expect("data folder") {
            let path = entry.expect("entry").path();
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
                .to_string();
            let text = std::fs::read_to_string(&path).expect("UTF-8 text");
            let record = parse_gvisys(&name, &text).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(
                format!("{}.yaml", record.ags),
                name,
                "AGS matches the file name"
            );
            records.push(record);
        }
        assert_eq!(records.len(), 1_114);
        let kiel = records.iter().find(|r| r.ags == "01002000").expect("Kiel");
        assert_eq!(
            (kiel.street.as_str(), kiel.plz.as_str(), kiel.city.as_str()),
            ("Fleethörn 9", "24103", "Kiel")
        );
        assert_eq!(kiel.verwaltung, "Kiel, Landeshauptstadt");
    }
}
