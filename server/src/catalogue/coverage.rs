//! How much of the catalogue has a known responsible office, and from where:
//! for `buergerportal catalogue-coverage` and the operator console.

use super::model::Provenance;
use super::Catalogue;
use std::fmt;

/// Services counted by where their answers come from. A service with answers of
/// several kinds counts once, for the first of: imported, editor, rule.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    pub services: usize,
    pub imported: usize,
    pub editor: usize,
    pub rule: usize,
    pub none: usize,
}

impl Counts {
    fn add(&mut self, provenances: &[&Provenance]) {
        self.services += 1;
        if provenances.contains(&&Provenance::Imported) {
            self.imported += 1;
        } else if provenances.contains(&&Provenance::Editor) {
            self.editor += 1;
        } else if provenances
            .iter()
            .any(|p| matches!(p, Provenance::Rule { .. }))
        {
            self.rule += 1;
        } else {
            self.none += 1;
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Coverage {
    pub total: Counts,
    /// Per Lebenslage (by name, in catalogue order).
    pub by_lebenslage: Vec<(String, Counts)>,
}

pub fn coverage(c: &Catalogue) -> Coverage {
    let mut total = Counts::default();
    let mut by_lebenslage: Vec<(String, Counts)> = c
        .lebenslagen
        .iter()
        .map(|l| (l.name.clone(), Counts::default()))
        .collect();
    let position: std::collections::HashMap<&str, usize> = c
        .lebenslagen
        .iter()
        .enumerate()
        .map(|(i, l)| (l.slug.as_str(), i))
        .collect();
    for (i, l) in c.leistungen.iter().enumerate() {
        let provenances = c.provenances_of(i);
        total.add(&provenances);
        for slug in &l.lebenslagen {
            if let Some(&p) = position.get(slug.as_str()) {
                by_lebenslage[p].1.add(&provenances);
            }
        }
    }
    Coverage {
        total,
        by_lebenslage,
    }
}

fn percent(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        0.0
    } else {
        100.0 * part as f64 / whole as f64
    }
}

impl fmt::Display for Counts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} Leistungen: {} mit Regel mit Quelle ({:.1} %), {} importiert, {} von der Redaktion, {} ohne Zuständigkeit ({:.1} %)",
            self.services,
            self.rule,
            percent(self.rule, self.services),
            self.imported,
            self.editor,
            self.none,
            percent(self.none, self.services)
        )
    }
}

impl Coverage {
    /// The report, optionally with one line per Lebenslage.
    pub fn report(&self, per_lebenslage: bool) -> String {
        let mut out = format!("Zuständigkeiten im Katalog: {}\n", self.total);
        if per_lebenslage {
            for (name, counts) in &self.by_lebenslage {
                out.push_str(&format!("  {name}: {counts}\n"));
            }
        }
        out
    }
}
