//! German text analysis for search, done in Rust so that index and query see
//! exactly the same terms: words → lower case → umlaut folding → stop words →
//! compound splitting → Snowball stemming.

use rustc_hash::FxHashSet;
use std::cell::RefCell;
use std::collections::HashSet;
use std::sync::LazyLock;
use tantivy::tokenizer::{Language, RawTokenizer, Stemmer, TextAnalyzer, TokenStream};

const STOP_WORDS: &[&str] = &[
    "der", "die", "das", "den", "dem", "des", "ein", "eine", "einen", "einem", "einer", "und",
    "oder", "ich", "mein", "meine", "meinen", "meinem", "meiner", "mir", "mich", "wir", "sie",
    "er", "es", "wie", "wo", "was", "wann", "wer", "warum", "welche", "welcher", "kann", "muss",
    "brauche", "bekomme", "bekommen", "fur", "mit", "von", "vom", "zu", "zum", "zur", "im", "in",
    "am", "an", "auf", "bei", "beim", "ist", "sind", "hat", "habe", "haben", "nicht", "kein",
    "keine", "man", "als", "auch", "bitte", "gibt", "neu", "neue", "neuen", "how", "do", "i", "a",
    "an", "the", "my", "to", "get", "for", "of", "where", "what", "can",
];

/// Words of questions and sentences that name no service: "wo kann ich …",
/// "ich möchte …", "wie lange dauert …". Compared after folding, like query words.
const FILLER: &[&str] = &[
    "möchte",
    "möchten",
    "will",
    "willst",
    "wollen",
    "brauchen",
    "brauchst",
    "benötige",
    "benötigen",
    "kriege",
    "kriegen",
    "krieg",
    "bekommt",
    "lange",
    "dauert",
    "hallo",
    "danke",
    "dringend",
    "schnell",
    "sich",
    "mal",
    "noch",
    "schon",
    "jetzt",
    "gerade",
    "wieder",
    "da",
    "hier",
    "dort",
    "wenn",
    "ob",
    "weil",
    "dass",
    "uns",
    "unser",
    "unsere",
    "unseren",
    "dein",
    "deine",
    "ihr",
    "ihre",
    "ihren",
    "euch",
    "mache",
    "machen",
    "tun",
    "soll",
    "sollte",
    "darf",
    "dürfen",
    "können",
    "konnte",
    "kann",
    "musste",
    "müssen",
    "gehe",
    "geht",
    "gibts",
    "welches",
    "welchen",
    "wieso",
    "weshalb",
    "wohin",
    "woher",
    "womit",
    "wofür",
    "bis",
    "nach",
    "über",
    "um",
    "aus",
    "so",
    "denn",
    "eigentlich",
    "gerne",
    "gern",
    "jemand",
    "etwas",
    "alles",
    "einfach",
    "besten",
    "erfahre",
    "finde",
    "finden",
    "hin",
    "dafür",
    "dazu",
    "lassen",
    "lasse",
    "hab",
    "bin",
    "war",
    "wurde",
    "worden",
    "werden",
    "wird",
    "sein",
    "seine",
];

/// Stop words and filler, folded once.
static IGNORED: LazyLock<HashSet<String>> =
    LazyLock::new(|| STOP_WORDS.iter().chain(FILLER).map(|w| fold(w)).collect());

/// Linking morphemes (Fugenelemente) allowed between the parts of a compound.
const LINKS: &[&str] = &["", "s", "es", "e", "n", "en", "er"];

/// Bounds on the work one query word may cause, whatever it is: German
/// compounds citizens type are far shorter ("Anwohnerparkausweis": 19,
/// "Grundstücksverkehrsgenehmigung": 30). Longer words are matched exactly only.
pub const MAX_SPLIT_LEN: usize = 40;
/// One-letter-too-many variants cost a split per letter: only for short words.
pub const MAX_DELETION_LEN: usize = 28;
/// A compound part longer than this is not looked up (no lexicon word is longer).
const MAX_PART_LEN: usize = 30;

/// Folds case and umlauts so that "Führerschein", "fuehrerschein" and
/// "fuhrerschein" become the same word.
pub fn fold(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    for c in word.chars().flat_map(char::to_lowercase) {
        match c {
            'ä' | 'à' | 'á' | 'â' => out.push('a'),
            'ö' | 'ò' | 'ó' | 'ô' => out.push('o'),
            'ü' | 'ù' | 'ú' | 'û' => out.push('u'),
            'é' | 'è' | 'ê' => out.push('e'),
            'ß' => out.push_str("ss"),
            c => out.push(c),
        }
    }
    out.replace("ae", "a").replace("oe", "o").replace("ue", "u")
}

/// Splits text into folded words; everything that is not a letter or digit separates.
pub fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(fold)
        .filter(|w| !w.is_empty())
        .collect()
}

pub fn is_stop_word(word: &str) -> bool {
    IGNORED.contains(word)
}

/// The words of a query that can name a service: stop words and the filler of
/// questions and sentences removed.
pub fn without_filler(words: Vec<String>) -> Vec<String> {
    words.into_iter().filter(|w| !is_stop_word(w)).collect()
}

#[derive(Clone)]
pub struct Analyzer {
    stemmer: TextAnalyzer,
    /// FxHash: splitting looks up every substring of a word, and SipHash's
    /// protection against chosen collisions buys nothing for a fixed word list.
    lexicon: FxHashSet<String>,
}

impl Analyzer {
    /// `lexicon`: words (any spelling) that may stand as parts of compounds.
    pub fn new<'a>(lexicon: impl IntoIterator<Item = &'a str>) -> Self {
        Analyzer {
            stemmer: TextAnalyzer::builder(RawTokenizer::default())
                .filter(Stemmer::new(Language::German))
                .build(),
            lexicon: lexicon
                .into_iter()
                .map(fold)
                .filter(|w| (3..=MAX_PART_LEN).contains(&w.len()))
                .collect(),
        }
    }

    /// The German Snowball stem of a folded word. The stemmer is kept per thread
    /// rather than rebuilt for every word of every query.
    pub fn stem(&self, folded: &str) -> String {
        thread_local! {
            static STEMMER: RefCell<Option<TextAnalyzer>> = const { RefCell::new(None) };
        }
        STEMMER.with(|cell| {
            let mut slot = cell.borrow_mut();
            let stemmer = slot.get_or_insert_with(|| self.stemmer.clone());
            let mut stream = stemmer.token_stream(folded);
            if stream.advance() {
                stream.token().text.clone()
            } else {
                folded.to_string()
            }
        })
    }

    /// The parts of a compound, if the whole word is a sequence of lexicon words
    /// (with linking morphemes between them): "hundesteuer" → ["hund", "steuer"].
    pub fn split(&self, word: &str) -> Option<Vec<String>> {
        let n = word.len();
        if !(6..=MAX_SPLIT_LEN).contains(&n) || !word.is_ascii() {
            return None;
        }
        // best[i]: fewest parts covering word[..i], and where the last part began.
        let mut best: Vec<Option<(usize, usize, usize)>> = vec![None; n + 1];
        best[0] = Some((0, 0, 0));
        for end in 3..=n {
            for start in end.saturating_sub(MAX_PART_LEN)..=end.saturating_sub(3) {
                // The whole word is no split of itself, even when it is a lexicon word.
                if (start == 0 && end == n) || !self.lexicon.contains(&word[start..end]) {
                    continue;
                }
                for link in LINKS {
                    let Some(before) = start.checked_sub(link.len()) else {
                        continue;
                    };
                    if !word[before..start].eq(*link) || (before == 0 && !link.is_empty()) {
                        continue;
                    }
                    if let Some((parts, _, _)) = best[before] {
                        let candidate = (parts + 1, start, before);
                        if best[end].is_none_or(|b| candidate.0 < b.0) {
                            best[end] = Some(candidate);
                        }
                    }
                }
            }
        }
        let (parts, _, _) = best[n]?;
        if parts < 2 {
            return None;
        }
        let mut out = Vec::new();
        let mut end = n;
        while end > 0 {
            let (_, start, before) = best[end]?;
            out.push(word[start..end].to_string());
            end = before;
        }
        out.reverse();
        Some(out)
    }

    /// A compound with one letter too many ("Anwohnerparkausweiss"): the split
    /// of the first variant without one of its letters that splits, if any.
    fn split_with_one_deletion(&self, word: &str) -> Option<Vec<String>> {
        if !(8..=MAX_DELETION_LEN).contains(&word.len()) || !word.is_ascii() {
            return None;
        }
        (0..word.len()).rev().find_map(|i| {
            let variant = format!("{}{}", &word[..i], &word[i + 1..]);
            self.split(&variant)
        })
    }

    /// Terms to index for a text: each word's stem and, where it differs, the
    /// word itself (so that typos can be matched against whole words), plus the
    /// stems of its compound parts.
    pub fn terms(&self, text: &str) -> Vec<String> {
        let mut out = Vec::new();
        for w in words(text) {
            for (term, _) in self.weighted_terms(&w) {
                out.push(term);
            }
        }
        out
    }

    /// The terms of one folded word with their weight in a query: the stem counts
    /// fully, compound parts less, since they also match other compounds.
    pub fn weighted_terms(&self, word: &str) -> Vec<(String, f32)> {
        if is_stop_word(word) {
            return vec![];
        }
        let stem = self.stem(word);
        let mut out = vec![(stem.clone(), 1.0)];
        if stem != word {
            out.push((word.to_string(), 0.5));
        }
        if let Some(parts) = self.split(word) {
            out.extend(parts.iter().map(|p| (self.stem(p), 0.4)));
        }
        out
    }

    /// What a typed word searches for: as indexed, and for a compound that does
    /// not split because of one letter too many, the parts without it.
    pub fn query_terms(&self, word: &str) -> Vec<(String, f32)> {
        let mut out = self.weighted_terms(word);
        if out.len() <= 2 && self.split(word).is_none() {
            if let Some(parts) = self.split_with_one_deletion(word) {
                out.extend(parts.iter().map(|p| (self.stem(p), 0.4)));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn analyzer() -> Analyzer {
        Analyzer::new([
            "Hund", "Steuer", "Personal", "Ausweis", "Führer", "Schein", "Wohn", "Sitz",
        ])
    }

    #[test]
    fn questions_keep_only_the_words_that_name_a_service() {
        assert_eq!(
            without_filler(words("Wo kann ich meinen Personalausweis abholen?")),
            ["personalausweis", "abholen"]
        );
        assert_eq!(
            without_filler(words(
                "Ich möchte bitte einen Kitaplatz, wie lange dauert das?"
            )),
            ["kitaplatz"]
        );
    }

    #[test]
    fn umlaut_spellings_fold_together() {
        assert_eq!(fold("Führerschein"), "fuhrerschein");
        assert_eq!(fold("fuehrerschein"), "fuhrerschein");
        assert_eq!(fold("FUHRERSCHEIN"), "fuhrerschein");
        assert_eq!(fold("Straße"), "strasse");
    }

    #[test]
    fn the_work_for_one_word_is_bounded_by_its_length() {
        let a = analyzer();
        let long = "hund".repeat(11);
        assert!(long.len() > MAX_SPLIT_LEN);
        assert_eq!(
            a.split(&long),
            None,
            "no split beyond {MAX_SPLIT_LEN} letters"
        );
        let endless = "a".repeat(10_000);
        assert!(a.query_terms(&endless).len() <= 2, "exact terms only");
        let typo = format!("{}x", "hundesteuer".repeat(3));
        assert!(typo.len() > MAX_DELETION_LEN);
        assert_eq!(a.split_with_one_deletion(&typo), None);
    }

    #[test]
    fn compounds_split_into_lexicon_words() {
        let a = analyzer();
        let split = |w: &str| a.split(&fold(w));
        assert_eq!(split("Hundesteuer").unwrap(), ["hund", &fold("steuer")]);
        assert_eq!(split("Personalausweis").unwrap(), ["personal", "ausweis"]);
        assert_eq!(split("Führerschein").unwrap(), ["fuhrer", "schein"]);
        assert_eq!(split("Wohnsitz").unwrap(), ["wohn", "sitz"]);
        assert!(a.split("hundemarke").is_none());
        assert!(a.split("hund").is_none());
    }

    #[test]
    fn a_compound_with_a_doubled_letter_still_splits() {
        let a = analyzer();
        let terms: Vec<String> = a
            .query_terms(&fold("Personalausweiss"))
            .into_iter()
            .map(|(t, _)| t)
            .collect();
        assert!(terms.contains(&a.stem("ausweis")), "{terms:?}");
        assert!(terms.contains(&a.stem("personal")), "{terms:?}");
    }

    #[test]
    fn index_and_query_terms_meet() {
        let a = analyzer();
        let doc = a.terms("Hundesteuer Festsetzung");
        for q in a.terms("Hund Steuer") {
            assert!(doc.contains(&q), "{q} in {doc:?}");
        }
        let doc = a.terms("Personalausweis beantragen");
        assert!(a.terms("Ausweis").iter().all(|q| doc.contains(q)));
        assert_eq!(
            a.terms("Wie beantrage ich den Personalausweis?").len(),
            a.terms("beantrage Personalausweis").len()
        );
    }
}
