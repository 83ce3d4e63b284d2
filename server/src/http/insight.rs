//! Daily counts as a table, for the editors' dashboard and the operator console.

use crate::operator::insight::{Day, Metric};
use app::CountsTable;

pub fn table(days: Vec<Day>, caption: &str) -> CountsTable {
    CountsTable {
        caption: caption.into(),
        columns: Metric::ALL.iter().map(|m| m.label().to_string()).collect(),
        rows: days
            .into_iter()
            .map(|d| (german_day(&d.day), d.counts.to_vec()))
            .collect(),
        empty: "Noch nichts gezählt.".into(),
    }
}

/// "2026-11-28" as "28.11.2026".
fn german_day(day: &str) -> String {
    let mut parts = day.splitn(3, '-');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(y), Some(m), Some(d)) => format!("{d}.{m}.{y}"),
        _ => day.to_string(),
    }
}
