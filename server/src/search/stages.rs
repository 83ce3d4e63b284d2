//! Stage words: "abholen", "verlängern", "ummelden" name a step of a procedure,
//! and the LeiKa names that step as the Verrichtung of a service, digits 9–11
//! of its key ("Personalausweis Ausgabe" is 99008001 040 000). A query with a
//! stage word prefers the sibling whose Verrichtung is that step.

use super::analysis::{fold, words, Analyzer};
use crate::catalogue::Catalogue;
use crate::keys::LeikaKey;
use std::collections::{HashMap, HashSet};

/// Rules as written: `stage words: Verrichtung names`, one rule per line.
#[derive(Debug, Clone, Default)]
pub struct StageRules(Vec<(Vec<String>, Vec<String>)>);

impl StageRules {
    pub fn parse(file: &str, text: &str) -> Result<StageRules, String> {
        let mut rules = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (stages, names) = line.split_once(':').ok_or_else(|| {
                format!("{file}, Zeile {}: erwartet „wörter: Verrichtungen“", i + 1)
            })?;
            let names: Vec<String> = names
                .split(',')
                .map(|n| fold(n.trim()))
                .filter(|n| !n.is_empty())
                .collect();
            let stages = words(stages);
            if stages.is_empty() || names.is_empty() {
                return Err(format!(
                    "{file}, Zeile {}: Wörter und Verrichtungen dürfen nicht leer sein",
                    i + 1
                ));
            }
            rules.push((stages, names));
        }
        Ok(StageRules(rules))
    }
}

/// The Verrichtung code of a service: digits 9–11 of its 14-digit key; none
/// for the Leistungsobjekt itself (code 000) and keys of another shape.
pub fn verrichtung(key: &LeikaKey) -> Option<u16> {
    let code: u16 = key.as_str().get(8..11)?.parse().ok()?;
    (code != 0).then_some(code)
}

/// Stage words resolved against a catalogue: by stem, the Verrichtung codes they mean.
#[derive(Debug, Clone, Default)]
pub struct Stages(HashMap<String, HashSet<u16>>);

impl Stages {
    /// Resolves the rules' Verrichtung names to the codes the catalogue uses for
    /// them, read from the names of its services ("Personalausweis Ausgabe" after
    /// "Personalausweis": code 040 is "Ausgabe"). A name no service uses resolves to nothing.
    pub fn resolve(rules: &StageRules, c: &Catalogue, analyzer: &Analyzer) -> Stages {
        let names = verrichtung_names(c);
        let mut out: HashMap<String, HashSet<u16>> = HashMap::new();
        for (stages, wanted) in &rules.0 {
            let codes: HashSet<u16> = names
                .iter()
                .filter(|(_, name)| wanted.contains(name))
                .map(|(code, _)| *code)
                .collect();
            if codes.is_empty() {
                continue;
            }
            for s in stages {
                out.entry(analyzer.stem(s))
                    .or_default()
                    .extend(codes.iter().copied());
            }
        }
        Stages(out)
    }

    /// The Verrichtung codes a folded query word names, if it is a stage word.
    pub fn codes(&self, stem: &str) -> Option<&HashSet<u16>> {
        self.0.get(stem)
    }
}

/// Each Verrichtung code with the (folded) name the catalogue's services give it.
fn verrichtung_names(c: &Catalogue) -> HashSet<(u16, String)> {
    let objects: HashMap<&str, &str> = c
        .leistungen
        .iter()
        .filter(|l| verrichtung(&l.leika).is_none())
        .filter_map(|l| Some((l.leika.as_str().get(..8)?, l.catalogue_name.as_str())))
        .collect();
    c.leistungen
        .iter()
        .filter_map(|l| {
            let code = verrichtung(&l.leika)?;
            let object = objects.get(l.leika.as_str().get(..8)?)?;
            let rest = l.catalogue_name.strip_prefix(object)?.trim();
            let name = rest.split_whitespace().next()?;
            Some((code, fold(name)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_fold_and_bad_lines_are_named() {
        let r =
            StageRules::parse("s.txt", "# c\nAbholen abholung: Ausgabe, Aushändigung\n").unwrap();
        assert_eq!(r.0[0].0, ["abholen", "abholung"]);
        assert_eq!(r.0[0].1, ["ausgabe", "aushandigung"]);
        assert!(StageRules::parse("s.txt", "abholen ausgabe")
            .unwrap_err()
            .contains("Zeile 1"));
    }

    #[test]
    fn the_verrichtung_is_read_from_the_key() {
        let key = |k: &str| LeikaKey::parse(k).unwrap();
        assert_eq!(verrichtung(&key("99008001040000")), Some(40));
        assert_eq!(verrichtung(&key("99008001000000")), None);
    }
}
