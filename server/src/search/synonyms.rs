//! Curated synonyms: `word: replacement words`, one rule per line.

use super::analysis::{fold, words};
use std::collections::HashMap;

#[derive(Debug, Clone, Default)]
pub struct Synonyms(HashMap<String, Vec<String>>);

impl Synonyms {
    pub fn parse(file: &str, text: &str) -> Result<Synonyms, String> {
        let mut map = HashMap::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (key, value) = line
                .split_once(':')
                .ok_or_else(|| format!("{file}, Zeile {}: erwartet „wort: ersatzwörter“", i + 1))?;
            let replacement = words(value);
            if key.trim().is_empty() || replacement.is_empty() {
                return Err(format!(
                    "{file}, Zeile {}: Wort und Ersatz dürfen nicht leer sein",
                    i + 1
                ));
            }
            map.insert(fold(key.trim()), replacement);
        }
        Ok(Synonyms(map))
    }

    /// Folded replacement words for a folded query word.
    pub fn get(&self, word: &str) -> &[String] {
        self.0.get(word).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The words rules are for (folded).
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }

    pub fn words(&self) -> impl Iterator<Item = &str> {
        self.0.values().flatten().map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_fold_and_bad_lines_are_named() {
        let s = Synonyms::parse(
            "s.txt",
            "# c\nPerso: Personalausweis\nKfz: Fahrzeug Kraftfahrzeug\n",
        )
        .unwrap();
        assert_eq!(s.get("perso"), ["personalausweis"]);
        assert_eq!(s.get("kfz").len(), 2);
        assert!(Synonyms::parse("s.txt", "perso personalausweis")
            .unwrap_err()
            .contains("Zeile 1"));
    }
}
