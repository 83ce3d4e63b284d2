//! The rule table: who executes which service in Schleswig-Holstein, each rule
//! with its public source (`catalogue/zustaendigkeit-sh.toml`).
//!
//! A rule selects services by LeiKa key or by family: the Leistungsobjekt (the
//! first 8 digits) or Leistungsobjekt and Verrichtung (11 digits). The most
//! specific selector wins, so the siblings of a family answer alike unless a
//! sourced rule says otherwise. No words are matched. A service no rule selects
//! gets no Zuständigkeit, and its page says that it is not recorded yet.

use super::model::*;
use super::sources::SourceError;
use crate::keys::{Ars, LeikaKey};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap, HashSet};

/// Who executes a rule's services, by administrative level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Ebene {
    /// Amt, amtsfreie Gemeinde or Stadt.
    Gemeinde,
    /// Kreis or kreisfreie Stadt.
    Kreis,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Quelle {
    pub id: String,
    pub text: String,
    pub url: String,
}

/// A named Organisationseinheit, serving the areas in `gebiete`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stelle {
    pub id: String,
    pub gruppe: String,
    pub name: String,
    #[serde(default)]
    pub strasse: String,
    #[serde(default)]
    pub plz: String,
    #[serde(default)]
    pub ort: String,
    #[serde(default)]
    pub telefon: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub oeffnungszeiten: Vec<String>,
    pub gebiete: Vec<String>,
    pub quelle: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GemeindeRef {
    pub ars: String,
    pub name: String,
}

/// A Kreis task carried by the Gemeinde level: in single towns or in a whole Kreis.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Uebertragung {
    pub id: String,
    #[serde(default)]
    pub gemeinden: Vec<GemeindeRef>,
    #[serde(default)]
    pub kreise: Vec<String>,
    pub quelle: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Regel {
    pub id: String,
    pub leistungen: Vec<String>,
    #[serde(default)]
    pub ausser: Vec<String>,
    pub ebene: Option<Ebene>,
    pub gruppe: Option<String>,
    pub uebertragung: Option<String>,
    #[serde(default)]
    pub gebiete: Vec<String>,
    #[serde(default = "wohnort")]
    pub ort: String,
    pub antrag_bei: Option<String>,
    #[serde(default)]
    pub hinweis: String,
    pub quelle: String,
}

fn wohnort() -> String {
    Ort::Wohnort.as_str().into()
}

/// The whole table, checked: every reference resolves, every key is well formed.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleTable {
    pub land: String,
    #[serde(default)]
    pub quelle: Vec<Quelle>,
    #[serde(default)]
    pub stelle: Vec<Stelle>,
    #[serde(default)]
    pub uebertragung: Vec<Uebertragung>,
    #[serde(default)]
    pub regel: Vec<Regel>,
}

/// A selector is a prefix of LeiKa keys: 8, 11 or 14 digits.
fn selector(value: &str) -> Result<&str, String> {
    let ok = matches!(value.len(), 8 | 11 | 14)
        && value.starts_with("99")
        && value.bytes().all(|b| b.is_ascii_digit());
    if ok {
        Ok(value)
    } else {
        Err(format!(
            "„{value}“ ist kein LeiKa-Schlüssel (14 Ziffern) und keine Familie (8 oder 11 Ziffern, beginnend mit 99)"
        ))
    }
}

/// An area of a Stelle: "bund" or an ARS prefix.
fn area(value: &str) -> Result<Area, String> {
    if value == "bund" {
        return Ok(Area::Bund);
    }
    Ars::parse(value)
        .map(Area::Region)
        .map_err(|e| e.to_string())
}

impl RuleTable {
    /// Parses and checks the table; errors name the file, the entry and the reason.
    pub fn parse(file: &str, text: &str) -> Result<RuleTable, SourceError> {
        let table: RuleTable = toml::from_str(text).map_err(|e| SourceError {
            file: file.to_string(),
            record: e
                .span()
                .map(|s| {
                    format!(
                        "Zeile {}",
                        text[..s.start.min(text.len())].matches('\n').count() + 1
                    )
                })
                .unwrap_or_else(|| "Datei".into()),
            reason: e.message().to_string(),
        })?;
        table.check(file)?;
        Ok(table)
    }

    fn check(&self, file: &str) -> Result<(), SourceError> {
        let err = |record: String, reason: String| SourceError {
            file: file.to_string(),
            record,
            reason,
        };
        Ars::parse(&self.land).map_err(|e| err("land".into(), e.to_string()))?;
        let mut quellen = HashSet::new();
        for q in &self.quelle {
            if !quellen.insert(q.id.as_str()) {
                return Err(err(format!("quelle „{}“", q.id), "Kennung doppelt".into()));
            }
            if q.text.trim().is_empty() || q.url.trim().is_empty() {
                return Err(err(
                    format!("quelle „{}“", q.id),
                    "text und url dürfen nicht leer sein".into(),
                ));
            }
        }
        let known_quelle = |record: String, id: &str| {
            if quellen.contains(id) {
                Ok(())
            } else {
                Err(err(record, format!("unbekannte quelle „{id}“")))
            }
        };
        let mut stellen = HashSet::new();
        let mut gruppen = HashSet::new();
        for s in &self.stelle {
            let record = format!("stelle „{}“", s.id);
            if !stellen.insert(s.id.as_str()) {
                return Err(err(record, "Kennung doppelt".into()));
            }
            gruppen.insert(s.gruppe.as_str());
            known_quelle(record.clone(), &s.quelle)?;
            if s.gebiete.is_empty() {
                return Err(err(record, "gebiete fehlt".into()));
            }
            for g in &s.gebiete {
                area(g).map_err(|e| err(record.clone(), e))?;
            }
        }
        let mut uebertragungen = HashSet::new();
        for u in &self.uebertragung {
            let record = format!("uebertragung „{}“", u.id);
            if !uebertragungen.insert(u.id.as_str()) {
                return Err(err(record, "Kennung doppelt".into()));
            }
            known_quelle(record.clone(), &u.quelle)?;
            for g in &u.gemeinden {
                match Ars::parse(&g.ars) {
                    Ok(a) if a.as_str().len() == 12 => {}
                    _ => {
                        return Err(err(
                            record,
                            format!(
                                "„{}“ ist kein 12-stelliger Regionalschlüssel einer Gemeinde",
                                g.ars
                            ),
                        ))
                    }
                }
            }
            for k in &u.kreise {
                match Ars::parse(k) {
                    Ok(a) if a.as_str().len() == 5 => {}
                    _ => {
                        return Err(err(
                            record,
                            format!("„{k}“ ist kein 5-stelliger Regionalschlüssel eines Kreises"),
                        ))
                    }
                }
            }
        }
        let mut regeln = HashSet::new();
        let mut selected: HashMap<&str, &str> = HashMap::new();
        for r in &self.regel {
            let record = format!("regel „{}“", r.id);
            if !regeln.insert(r.id.as_str()) {
                return Err(err(record, "Kennung doppelt".into()));
            }
            known_quelle(record.clone(), &r.quelle)?;
            if r.leistungen.is_empty() {
                return Err(err(record, "leistungen fehlt".into()));
            }
            for s in r.leistungen.iter().chain(&r.ausser) {
                selector(s).map_err(|e| err(record.clone(), e))?;
            }
            for s in &r.leistungen {
                if let Some(other) = selected.insert(s, &r.id) {
                    return Err(err(
                        record,
                        format!("„{s}“ wählt schon die regel „{other}“"),
                    ));
                }
            }
            if r.ebene.is_none() && r.gruppe.is_none() {
                return Err(err(record, "ebene oder gruppe fehlt".into()));
            }
            if let Some(g) = &r.gruppe {
                if !gruppen.contains(g.as_str()) {
                    return Err(err(record, format!("keine stelle hat die gruppe „{g}“")));
                }
            }
            if let Some(u) = &r.uebertragung {
                if !uebertragungen.contains(u.as_str()) {
                    return Err(err(record, format!("unbekannte uebertragung „{u}“")));
                }
                if r.ebene != Some(Ebene::Kreis) {
                    return Err(err(
                        record,
                        "eine uebertragung gilt nur für Regeln mit ebene = \"kreis\"".into(),
                    ));
                }
            }
            for g in &r.gebiete {
                Ars::parse(g).map_err(|e| err(record.clone(), e.to_string()))?;
            }
            if Ort::parse(&r.ort).is_none() {
                return Err(err(
                    record,
                    format!("ort „{}“: erlaubt sind „wohnort“ und „ereignisort“", r.ort),
                ));
            }
            if let Some(a) = &r.antrag_bei {
                LeikaKey::parse(a).map_err(|e| err(record.clone(), e.to_string()))?;
            }
        }
        Ok(())
    }

    fn quelle(&self, id: &str) -> &Quelle {
        self.quelle
            .iter()
            .find(|q| q.id == id)
            .expect("checked by parse")
    }

    /// The rule that decides a service: the one with the most specific selector;
    /// `None` where no rule selects it or the rule excludes it.
    pub fn rule_for(&self, leika: &LeikaKey) -> Option<&Regel> {
        let key = leika.as_str();
        let (rule, _) = self
            .regel
            .iter()
            .flat_map(|r| r.leistungen.iter().map(move |s| (r, s)))
            .filter(|(_, s)| key.starts_with(s.as_str()))
            .max_by_key(|(_, s)| s.len())?;
        (!rule.ausser.iter().any(|a| key.starts_with(a.as_str()))).then_some(rule)
    }

    /// The public source of a rule, as citizens read it.
    pub fn basis(&self, rule: &Regel) -> &str {
        &self.quelle(&rule.quelle).text
    }
}

/// The offices of the administrative levels, built from the official register.
pub struct LevelOffices<'a> {
    /// (area, office id): each Amt's, amtsfreie Gemeinde's and kreisfreie Stadt's administration.
    pub gemeinde: &'a [(Ars, String)],
    /// (area, office id): each Kreisverwaltung, and each kreisfreie Stadt's own administration.
    pub kreis: &'a [(Ars, String)],
}

/// What the rule table adds to a catalogue.
pub struct Applied {
    pub offices: Vec<Organisationseinheit>,
    pub zustaendigkeiten: Vec<Zustaendigkeit>,
    pub regeln: Vec<ZustaendigkeitsRegel>,
}

/// Gives every service that a rule selects its offices, area by area.
pub fn apply(
    table: &RuleTable,
    file: &str,
    leistungen: &[Leistung],
    regions: &[Region],
    levels: &LevelOffices,
) -> Result<Applied, SourceError> {
    let err = |record: String, reason: String| SourceError {
        file: file.to_string(),
        record,
        reason,
    };
    let names: HashMap<&str, &str> = regions
        .iter()
        .map(|r| (r.ars.as_str(), r.name.as_str()))
        .collect();
    // Each delegation as (area, office) pairs of the Gemeinde level.
    let mut delegated: HashMap<&str, Vec<(Ars, String)>> = HashMap::new();
    for u in &table.uebertragung {
        let record = format!("uebertragung „{}“", u.id);
        let mut pairs = Vec::new();
        for g in &u.gemeinden {
            let registered = names.get(g.ars.as_str()).copied().unwrap_or("");
            if registered.split(',').next() != Some(g.name.as_str()) {
                return Err(err(
                    record,
                    format!(
                        "die Gemeinde {} heißt im Gemeindeverzeichnis „{registered}“, nicht „{}“",
                        g.ars, g.name
                    ),
                ));
            }
            let ars = Ars::parse(&g.ars).expect("checked by parse");
            let office = levels
                .gemeinde
                .iter()
                .filter(|(a, _)| a.contains(&ars))
                .max_by_key(|(a, _)| a.as_str().len())
                .map(|(_, id)| id.clone())
                .ok_or_else(|| {
                    err(
                        record.clone(),
                        format!("keine Verwaltung für die Gemeinde {}", g.ars),
                    )
                })?;
            pairs.push((ars, office));
        }
        for k in &u.kreise {
            let kreis = Ars::parse(k).expect("checked by parse");
            pairs.extend(
                levels
                    .gemeinde
                    .iter()
                    .filter(|(a, _)| kreis.contains(a))
                    .cloned(),
            );
        }
        delegated.insert(u.id.as_str(), pairs);
    }
    let mut used = HashSet::new();
    let mut zustaendigkeiten = Vec::new();
    let mut targets_of: HashMap<&str, BTreeMap<Area, String>> = HashMap::new();
    for l in leistungen {
        let Some(rule) = table.rule_for(&l.leika) else {
            continue;
        };
        let targets = targets_of
            .entry(rule.id.as_str())
            .or_insert_with(|| targets(table, rule, levels, &delegated));
        used.insert(rule.id.as_str());
        let provenance = Provenance::Rule {
            id: rule.id.clone(),
            basis: table.basis(rule).to_string(),
        };
        zustaendigkeiten.extend(targets.iter().map(|(area, oe)| Zustaendigkeit {
            leika: l.leika.clone(),
            area: area.clone(),
            oe_id: oe.clone(),
            provenance: provenance.clone(),
        }));
    }
    let known: HashSet<&str> = leistungen.iter().map(|l| l.leika.as_str()).collect();
    for r in &table.regel {
        let record = format!("regel „{}“", r.id);
        if let Some(s) = r
            .leistungen
            .iter()
            .find(|s| !known.iter().any(|k| k.starts_with(s.as_str())))
        {
            return Err(err(
                record,
                format!("keine Leistung im Katalog passt zu „{s}“"),
            ));
        }
        if let Some(a) = &r.antrag_bei {
            if !known.contains(a.as_str()) {
                return Err(err(
                    record,
                    format!("antrag_bei: Leistung {a} fehlt im Katalog"),
                ));
            }
        }
    }
    let regeln = table
        .regel
        .iter()
        .filter(|r| used.contains(r.id.as_str()))
        .map(|r| ZustaendigkeitsRegel {
            id: r.id.clone(),
            basis: table.basis(r).to_string(),
            url: table.quelle(&r.quelle).url.clone(),
            ort: Ort::parse(&r.ort).expect("checked by parse"),
            antrag_bei: r
                .antrag_bei
                .as_deref()
                .map(|a| LeikaKey::parse(a).expect("checked by parse")),
            hinweis: r.hinweis.clone(),
        })
        .collect();
    let offices = table
        .stelle
        .iter()
        .map(|s| Organisationseinheit {
            id: s.id.clone(),
            name: s.name.clone(),
            street: s.strasse.clone(),
            plz: s.plz.clone(),
            city: s.ort.clone(),
            phone: s.telefon.clone(),
            email: s.email.clone(),
            opening_hours: s.oeffnungszeiten.clone(),
            source: table.quelle(&s.quelle).url.clone(),
        })
        .collect();
    Ok(Applied {
        offices,
        zustaendigkeiten,
        regeln,
    })
}

/// Area → office for one rule: its level, the delegations, then its named Stellen.
fn targets(
    table: &RuleTable,
    rule: &Regel,
    levels: &LevelOffices,
    delegated: &HashMap<&str, Vec<(Ars, String)>>,
) -> BTreeMap<Area, String> {
    let within = |a: &Ars| {
        rule.gebiete.is_empty()
            || rule
                .gebiete
                .iter()
                .any(|g| a.as_str().starts_with(g.as_str()))
    };
    let mut out = BTreeMap::new();
    let level: &[(Ars, String)] = match rule.ebene {
        Some(Ebene::Gemeinde) => levels.gemeinde,
        Some(Ebene::Kreis) => levels.kreis,
        None => &[],
    };
    for (a, oe) in level.iter().filter(|(a, _)| within(a)) {
        out.insert(Area::Region(a.clone()), oe.clone());
    }
    if let Some(u) = &rule.uebertragung {
        for (a, oe) in delegated.get(u.as_str()).into_iter().flatten() {
            if within(a) {
                out.insert(Area::Region(a.clone()), oe.clone());
            }
        }
    }
    if let Some(g) = &rule.gruppe {
        for s in table.stelle.iter().filter(|s| &s.gruppe == g) {
            for gebiet in &s.gebiete {
                let a = area(gebiet).expect("checked by parse");
                if let Area::Region(ars) = &a {
                    if !within(ars) {
                        continue;
                    }
                }
                out.insert(a, s.id.clone());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
land = "01"
[[quelle]]
id = "Q"
text = "§ 1 Landesmeldegesetz"
url = "https://example.org"
[[regel]]
id = "melde"
leistungen = ["99115005"]
ebene = "gemeinde"
quelle = "Q"
"#;

    #[test]
    fn the_bundled_table_is_valid() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../catalogue/zustaendigkeit-sh.toml"
        );
        let text = std::fs::read_to_string(path).unwrap();
        let table = RuleTable::parse("zustaendigkeit-sh.toml", &text).unwrap();
        assert!(table.regel.len() >= 40, "{} rules", table.regel.len());
    }

    #[test]
    fn errors_name_file_rule_and_reason() {
        let cases = [
            (MINIMAL.replace("quelle = \"Q\"\n", "quelle = \"X\"\n"), "regel „melde“", "unbekannte quelle „X“"),
            (MINIMAL.replace("99115005", "9911500"), "regel „melde“", "9911500"),
            (MINIMAL.replace("ebene = \"gemeinde\"\n", ""), "regel „melde“", "ebene oder gruppe fehlt"),
            (MINIMAL.replace("ebene = \"gemeinde\"", "ebene = \"gemeinde\"\nort = \"geburtsort\""), "regel „melde“", "ort „geburtsort“"),
            (MINIMAL.replace("ebene = \"gemeinde\"", "ebene = \"land\""), "Zeile", "land"),
            (format!("{MINIMAL}\n[[regel]]\nid = \"zwei\"\nleistungen = [\"99115005\"]\nebene = \"kreis\"\nquelle = \"Q\"\n"), "regel „zwei“", "schon die regel „melde“"),
        ];
        for (text, record, reason) in cases {
            let e = RuleTable::parse("zustaendigkeit-sh.toml", &text).unwrap_err();
            assert_eq!(e.file, "zustaendigkeit-sh.toml");
            assert!(e.record.contains(record), "{e}");
            assert!(e.to_string().contains(reason), "{e}");
        }
    }

    #[test]
    fn the_most_specific_selector_wins_and_exceptions_have_no_rule() {
        let text = format!(
            "{MINIMAL}\n[[regel]]\nid = \"nebenwohnung\"\nleistungen = [\"99115005104002\"]\nausser = [\"99115005104002\"]\nebene = \"kreis\"\nquelle = \"Q\"\n"
        );
        let table = RuleTable::parse("t.toml", &text).unwrap();
        let key = |k: &str| LeikaKey::parse(k).unwrap();
        assert_eq!(table.rule_for(&key("99115005104000")).unwrap().id, "melde");
        assert_eq!(table.rule_for(&key("99115005070000")).unwrap().id, "melde");
        assert!(table.rule_for(&key("99115005104002")).is_none());
        assert!(table.rule_for(&key("99115003012000")).is_none());
    }
}
