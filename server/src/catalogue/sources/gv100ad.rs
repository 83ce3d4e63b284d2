//! Destatis Gemeindeverzeichnis GV100AD: fixed-width records, one per line.
//!
//! Columns are character positions on the decoded UTF-8 string (names contain
//! umlauts and Sorbian letters, so byte positions would shift the columns).

use std::str::FromStr;

use super::{is_digits, numbered_lines, SourceError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GebietLevel {
    Land,
    Regierungsbezirk,
    /// Satzart 30, Baden-Württemberg only: a planning region between
    /// Regierungsbezirk and Kreis.
    Region,
    Kreis,
    Gemeindeverband,
    Gemeinde,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GebietRecord {
    pub level: GebietLevel,
    /// ARS prefix of the unit: 2 digits Land, 3 Regierungsbezirk, 5 Kreis,
    /// 9 Gemeindeverband, 12 Gemeinde. A Region has 4 digits, the Regierungsbezirk
    /// plus the region digit; BW numbers its Kreise so that this digit is the first
    /// digit of the Kreis, so the 4 digits are a prefix of the region's Kreise too.
    pub ars: String,
    /// 8-digit AGS, Gemeinde only.
    pub ags: Option<String>,
    pub name: String,
    /// Sitz der Verwaltung, None if blank (always blank for Gemeinden).
    pub seat: Option<String>,
    /// Textkennzeichen: type of Kreis (41–45), Gemeindeverband (50–58) or Gemeinde (60–67).
    pub type_code: Option<u8>,
    /// PLZ of the administrative seat, Gemeinde only.
    pub plz: Option<String>,
    /// The Gemeinde has more than one PLZ ('*****' after the PLZ).
    pub several_plz: bool,
    /// Gemeinde only.
    pub population: Option<u64>,
    /// 1-based line number.
    pub line: usize,
}

/// Length of every record in the file; shorter lines are read as if padded with blanks.
const RECORD_LEN: usize = 220;

pub fn parse_gv100ad(file: &str, text: &str) -> Result<Vec<GebietRecord>, SourceError> {
    numbered_lines(text)
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(n, line)| parse_record(line, n).map_err(|r| SourceError::at_line(file, n, r)))
        .collect()
}

/// One line as characters, so that slices are character positions.
struct Columns(Vec<char>);

impl Columns {
    fn new(line: &str) -> Self {
        let mut chars: Vec<char> = line.chars().collect();
        if chars.len() < RECORD_LEN {
            chars.resize(RECORD_LEN, ' ');
        }
        Columns(chars)
    }

    fn raw(&self, from: usize, to: usize) -> String {
        self.0[from..to].iter().collect()
    }

    fn text(&self, from: usize, to: usize) -> Option<String> {
        Some(self.raw(from, to).trim().to_string()).filter(|s| !s.is_empty())
    }

    /// A key part that must consist of digits only.
    fn key(&self, from: usize, to: usize, what: &str) -> Result<String, String> {
        let s = self.raw(from, to);
        if is_digits(&s) {
            Ok(s)
        } else {
            Err(format!("{what} '{s}' hat nicht {} Ziffern", to - from))
        }
    }

    /// A number that may be blank.
    fn number<T: FromStr>(&self, from: usize, to: usize, what: &str) -> Result<Option<T>, String> {
        match self.text(from, to) {
            None => Ok(None),
            Some(s) => s
                .parse()
                .map(Some)
                .map_err(|_| format!("{what} '{s}' ist keine Zahl")),
        }
    }
}

fn parse_record(line: &str, line_no: usize) -> Result<GebietRecord, String> {
    let c = Columns::new(line);
    let level = match c.raw(0, 2).as_str() {
        "10" => GebietLevel::Land,
        "20" => GebietLevel::Regierungsbezirk,
        "30" => GebietLevel::Region,
        "40" => GebietLevel::Kreis,
        "50" => GebietLevel::Gemeindeverband,
        "60" => GebietLevel::Gemeinde,
        other => return Err(format!("unbekannte Satzart '{other}'")),
    };
    let name = c.text(22, 72).ok_or("Name ist leer")?;
    let type_code = c.number(122, 124, "Textkennzeichen")?;
    let mut record = GebietRecord {
        level,
        ars: ars(&c, level)?,
        ags: None,
        name,
        seat: c.text(72, 122),
        type_code,
        plz: None,
        several_plz: false,
        population: None,
        line: line_no,
    };
    if level == GebietLevel::Gemeinde {
        record.ags = Some(c.key(10, 18, "AGS")?);
        record.plz = plz(&c)?;
        record.several_plz = c.raw(170, 175) == "*****";
        record.population = c.number(139, 150, "Einwohnerzahl")?;
    }
    Ok(record)
}

/// ARS = Land, RB, Kreis [10:15] + Gemeindeverband [18:22] + Gemeinde [15:18].
fn ars(c: &Columns, level: GebietLevel) -> Result<String, String> {
    let prefix = |to| c.key(10, to, "ARS");
    match level {
        GebietLevel::Land => prefix(12),
        GebietLevel::Regierungsbezirk => prefix(13),
        GebietLevel::Region => prefix(14),
        GebietLevel::Kreis => prefix(15),
        GebietLevel::Gemeindeverband => Ok(prefix(15)? + &c.key(18, 22, "Verbandsschlüssel")?),
        GebietLevel::Gemeinde => Ok(prefix(15)?
            + &c.key(18, 22, "Verbandsschlüssel")?
            + &c.key(15, 18, "Gemeindeschlüssel")?),
    }
}

fn plz(c: &Columns) -> Result<Option<String>, String> {
    match c.text(165, 170) {
        None => Ok(None),
        Some(p) if p.len() == 5 && is_digits(&p) => Ok(Some(p)),
        Some(p) => Err(format!("PLZ '{p}' hat nicht 5 Ziffern")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = concat!(
        "102025113001          Schleswig-Holstein                                Kiel                                                                                                                                                \n",
        "402025113001002       Kiel, Landeshauptstadt                            Kiel                                              41                                                                                                \n",
        "502025113001058   5890Hüttener Berge                                    Groß Wittensee                                    51                                                                                                \n",
        "6020251130010020000000Kiel, Landeshauptstadt                                                                              61    000000118650000025266800000123532    24103*****  2119151713101005                           \n",
        "6020251130096794529452Guttenberger Wald                                                                                   66    000000018050000000000000000000000                92574708     250                           \n",
        "30202511300811        Region Stuttgart                                  Stuttgart                                                                                                                                           \n",
    );

    fn sample() -> Vec<GebietRecord> {
        parse_gv100ad("GV100AD.txt", SAMPLE).expect("sample parses")
    }

    #[test]
    fn parses_every_level() {
        let r = sample();
        let levels: Vec<_> = r.iter().map(|r| r.level).collect();
        use GebietLevel::*;
        assert_eq!(
            levels,
            [Land, Kreis, Gemeindeverband, Gemeinde, Gemeinde, Region]
        );
        assert_eq!(r[0].ars, "01");
        assert_eq!(r[0].seat.as_deref(), Some("Kiel"));
        assert_eq!(r[0].type_code, None);
        assert_eq!(r[1].ars, "01002");
        assert_eq!(r[1].type_code, Some(41));
        assert_eq!(r[2].ars, "010585890");
        assert_eq!(r[2].name, "Hüttener Berge");
        assert_eq!(r[2].seat.as_deref(), Some("Groß Wittensee"));
        assert_eq!(r[2].ags, None);
        assert_eq!(r[5].ars, "0811");
        assert_eq!(r[5].line, 6);
    }

    #[test]
    fn parses_a_gemeinde() {
        let kiel = &sample()[3];
        assert_eq!(kiel.ars, "010020000000");
        assert_eq!(kiel.ags.as_deref(), Some("01002000"));
        assert_eq!(kiel.name, "Kiel, Landeshauptstadt");
        assert_eq!(kiel.seat, None);
        assert_eq!(kiel.type_code, Some(61));
        assert_eq!(kiel.plz.as_deref(), Some("24103"));
        assert!(kiel.several_plz);
        assert_eq!(kiel.population, Some(252668));
        assert_eq!(kiel.line, 4);
    }

    #[test]
    fn unpopulated_area_has_no_plz() {
        let wald = &sample()[4];
        assert_eq!(wald.plz, None);
        assert!(!wald.several_plz);
        assert_eq!(wald.population, Some(0));
        assert_eq!(wald.type_code, Some(66));
    }

    #[test]
    fn columns_are_characters_not_bytes() {
        // "Hüttener" has a two-byte character before the seat column.
        assert_eq!(sample()[2].seat.as_deref(), Some("Groß Wittensee"));
    }

    fn error(text: &str) -> SourceError {
        parse_gv100ad("GV100AD.txt", text).expect_err("must fail")
    }

    #[test]
    fn rejects_unknown_satzart() {
        let e = error("\n99202511300100200000000Kiel\n");
        assert_eq!(e.file, "GV100AD.txt");
        assert_eq!(e.record, "Zeile 2");
        assert_eq!(e.reason, "unbekannte Satzart '99'");
    }

    #[test]
    fn rejects_bad_keys() {
        let e = error("60202511300100 0000000Kiel\n");
        assert_eq!(e.record, "Zeile 1");
        assert_eq!(e.reason, "ARS '0100 ' hat nicht 5 Ziffern");
        let e = error("602025113001002000    Kiel\n");
        assert_eq!(e.reason, "Verbandsschlüssel '    ' hat nicht 4 Ziffern");
    }

    #[test]
    fn rejects_bad_numbers_and_names() {
        let e = error("402025113001002                                                                                                                 4x\n");
        assert_eq!(e.reason, "Name ist leer");
        let mut line: Vec<char> = SAMPLE.lines().nth(3).expect("line").chars().collect();
        line[145] = 'x';
        let e = error(&line.iter().collect::<String>());
        assert!(e.reason.starts_with("Einwohnerzahl '"), "{}", e.reason);
        line[145] = '0';
        line[167] = 'X';
        let e = error(&line.iter().collect::<String>());
        assert_eq!(e.reason, "PLZ '24X03' hat nicht 5 Ziffern");
    }

    #[test]
    fn bundled_2025_edition() {
        let text = std::fs::read_to_string(
            super::super::sources_dir_for_tests()
                .join("destatis-gv100ad-2025/GV100AD_30112025.txt"),
        )
        .expect("source in SOURCES_DIR");
        let text = text.as_str();
        let all = parse_gv100ad("GV100AD_30112025.txt", text).expect("bundled file parses");
        let count = |level, land: &str| {
            all.iter()
                .filter(|r| r.level == level && r.ars.starts_with(land))
                .count()
        };
        use GebietLevel::*;
        assert_eq!(all.len(), 16_000);
        assert_eq!(count(Land, ""), 16);
        assert_eq!(count(Regierungsbezirk, ""), 29);
        assert_eq!(count(Region, ""), 12);
        assert_eq!(count(Kreis, ""), 400);
        assert_eq!(count(Gemeindeverband, ""), 4_590);
        assert_eq!(count(Gemeinde, ""), 10_953);
        assert_eq!(count(Kreis, "01"), 15);
        assert_eq!(count(Gemeindeverband, "01"), 171);
        assert_eq!(count(Gemeinde, "01"), 1_106);

        let gemeinden = || all.iter().filter(|r| r.level == Gemeinde);
        let population = |land: &str| -> u64 {
            gemeinden()
                .filter(|r| r.ars.starts_with(land))
                .filter_map(|r| r.population)
                .sum()
        };
        assert_eq!(population(""), 83_577_140);
        assert_eq!(population("01"), 2_959_517);
        let sh_several = gemeinden().filter(|r| r.ars.starts_with("01") && r.several_plz);
        assert_eq!(sh_several.count(), 125);

        let kiel = gemeinden().find(|r| r.ags.as_deref() == Some("01002000"));
        assert_eq!(kiel.map(|k| k.ars.as_str()), Some("010020000000"));
        let amt = all
            .iter()
            .find(|r| r.level == Gemeindeverband && r.name == "Hüttener Berge");
        assert_eq!(amt.map(|a| a.ars.as_str()), Some("010585890"));
        let members = gemeinden().filter(|r| r.ars.starts_with("010585890"));
        assert_eq!(members.count(), 16);
        // Every BW Kreis lies in the Region whose 4-digit ARS prefixes its own.
        let regions: Vec<_> = all.iter().filter(|r| r.level == Region).collect();
        let bw_kreise = all
            .iter()
            .filter(|r| r.level == Kreis && r.ars.starts_with("08"));
        for kreis in bw_kreise {
            assert!(
                regions.iter().any(|r| kreis.ars.starts_with(&r.ars)),
                "{}",
                kreis.ars
            );
        }
    }
}
