//! The catalogue's own index: for each analysed term, the services that hold
//! it with their BM25 score already computed, per field. A query adds these
//! impacts into one dense score array over the catalogue (about 5,000
//! services) instead of building a weight, a posting-list cursor and a scorer
//! per term clause as a general engine must. Written here because no crate
//! offers score-at-build impact lists; the term dictionary for fuzzy and prefix
//! matches is tantivy's FST with its Levenshtein automata.
//!
//! The scores are tantivy's BM25 (k1 1.2, b 0.75, the same idf) on exact
//! document lengths, so a service ranks as it did in the general index.

use rustc_hash::FxHashMap;
use tantivy::query::{DfaWrapper, FuzzyTermQuery};
use tantivy::schema::Field;
use tantivy::Term;
use tantivy_fst::{IntoStreamer, Map, Streamer};

const K1: f32 = 1.2;
const B: f32 = 0.75;

/// The four weighted text fields: name, keywords, short text, long text.
pub const FIELDS: usize = 4;

/// A service's analysed terms per field, as indexed.
pub type Document = [Vec<String>; FIELDS];

pub struct Impacts {
    /// By analysed term: the services holding it, each with the term's BM25
    /// score summed over the fields, each field's score times its weight
    /// (the weights are fixed, so the sum is too: one entry per service).
    exact: FxHashMap<Box<str>, Box<[(u32, f32)]>>,
    /// Name and keyword terms (the fuzzy field), each with its position in `holders`.
    fuzzy_terms: Map<Vec<u8>>,
    /// The services holding each fuzzy term.
    holders: Vec<Box<[u32]>>,
    services: usize,
}

/// What one query word adds: exact terms with their weight, and fuzzy or
/// prefix clauses that add a constant to every service they match.
pub struct WordPlan<'a> {
    pub weight: f32,
    pub exact: &'a [(String, f32)],
    /// (matcher, constant): each matching service counts once per clause.
    pub loose: Vec<(Matcher, f32)>,
}

/// How a loose clause finds name and keyword terms.
pub enum Matcher {
    /// Within some edits (a Levenshtein automaton walks the FST).
    Fuzzy(DfaWrapper),
    /// Starting with these letters: a range of the sorted terms, no automaton.
    Prefix(String),
}

impl Impacts {
    pub fn build(docs: &[Document], field_weights: [f32; FIELDS]) -> Impacts {
        let n = docs.len();
        let mut postings: FxHashMap<Box<str>, Vec<(u32, f32)>> = FxHashMap::default();
        for (field, field_weight) in field_weights.into_iter().enumerate() {
            let total: usize = docs.iter().map(|d| d[field].len()).sum();
            let average = (total as f32 / n.max(1) as f32).max(1.0);
            let mut doc_freq: FxHashMap<&str, u32> = FxHashMap::default();
            let counts: Vec<FxHashMap<&str, u32>> = docs
                .iter()
                .map(|d| {
                    let mut tf: FxHashMap<&str, u32> = FxHashMap::default();
                    for t in &d[field] {
                        *tf.entry(t.as_str()).or_insert(0) += 1;
                    }
                    for t in tf.keys() {
                        *doc_freq.entry(t).or_insert(0) += 1;
                    }
                    tf
                })
                .collect();
            for (ord, tf) in counts.iter().enumerate() {
                let norm = K1 * (1.0 - B + B * docs[ord][field].len() as f32 / average);
                for (term, &freq) in tf {
                    let weight = idf(doc_freq[term], n) * (1.0 + K1);
                    let score = field_weight * weight * freq as f32 / (freq as f32 + norm);
                    postings
                        .entry((*term).into())
                        .or_default()
                        .push((ord as u32, score));
                }
            }
        }
        let exact = postings
            .into_iter()
            .map(|(t, mut p)| {
                // Fields were added one after another: one entry per service.
                p.sort_unstable_by_key(|(ord, _)| *ord);
                p.dedup_by(|later, first| {
                    let same = later.0 == first.0;
                    if same {
                        first.1 += later.1;
                    }
                    same
                });
                (t, p.into_boxed_slice())
            })
            .collect();
        let mut fuzzy: std::collections::BTreeMap<&str, Vec<u32>> = Default::default();
        for (ord, d) in docs.iter().enumerate() {
            for t in d[0].iter().chain(&d[1]) {
                let holders = fuzzy.entry(t.as_str()).or_default();
                if holders.last() != Some(&(ord as u32)) {
                    holders.push(ord as u32);
                }
            }
        }
        let fuzzy_terms = Map::from_iter(fuzzy.keys().enumerate().map(|(i, t)| (*t, i as u64)))
            .expect("sorted unique terms");
        Impacts {
            exact,
            fuzzy_terms,
            holders: fuzzy.into_values().map(Vec::into_boxed_slice).collect(),
            services: n,
        }
    }

    /// Whether the term is a name or keyword term of some service.
    pub fn is_known(&self, term: &str) -> bool {
        self.fuzzy_terms.get(term).is_some()
    }

    /// The automaton matching the terms within `distance` edits of `word`
    /// (tantivy's, built from its cached Levenshtein tables; `field` only
    /// names the term); `None` for a distance the automata do not support.
    pub fn automaton(field: Field, word: &str, distance: u8) -> Option<DfaWrapper> {
        let term = Term::from_field_text(field, word);
        FuzzyTermQuery::new(term, distance, true).automaton().ok()
    }

    /// Every service any word matches, with its text score: the sum over words
    /// of weight × (Σ field weight × term weight × BM25 + loose constants).
    pub fn search(&self, words: &[WordPlan]) -> Vec<(usize, f32)> {
        SCRATCH.with_borrow_mut(|scratch| self.search_in(scratch, words))
    }

    fn search_in(&self, scratch: &mut Scratch, words: &[WordPlan]) -> Vec<(usize, f32)> {
        scratch.prepare(self.services, words.iter().map(|w| w.loose.len()).sum());
        let Scratch {
            scores,
            touched,
            counted,
            clause,
        } = scratch;
        let mut add = |scores: &mut [f32], ord: u32, s: f32| {
            let slot = &mut scores[ord as usize];
            if *slot == 0.0 {
                touched.push(ord);
            }
            *slot += s;
        };
        for word in words {
            for (term, boost) in word.exact {
                let Some(postings) = self.exact.get(term.as_str()) else {
                    continue;
                };
                let factor = word.weight * boost;
                for &(ord, score) in postings.iter() {
                    add(scores, ord, factor * score);
                }
            }
            for (matcher, constant) in &word.loose {
                *clause += 1;
                let clause = *clause;
                let mut count = |i: u64| {
                    for &ord in self.holders[i as usize].iter() {
                        if counted[ord as usize] != clause {
                            counted[ord as usize] = clause;
                            add(scores, ord, word.weight * constant);
                        }
                    }
                };
                match matcher {
                    Matcher::Fuzzy(automaton) => {
                        let mut stream = self.fuzzy_terms.search(automaton).into_stream();
                        while let Some((_, i)) = stream.next() {
                            count(i);
                        }
                    }
                    Matcher::Prefix(prefix) => self.prefixed(prefix).for_each(count),
                }
            }
        }
        touched
            .drain(..)
            .map(|ord| (ord as usize, std::mem::take(&mut scores[ord as usize])))
            .collect()
    }
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = Default::default();
}

/// A search's working memory, kept per thread so that a query does not
/// allocate and zero two arrays over the whole catalogue.
#[derive(Default)]
struct Scratch {
    /// By service: the score so far; zero for every service not in `touched`.
    scores: Vec<f32>,
    touched: Vec<u32>,
    /// By service: the last loose clause that counted it (a clause matches a
    /// service once however many of its terms the service holds).
    counted: Vec<u32>,
    /// The last clause number handed out; 0 is never one.
    clause: u32,
}

impl Scratch {
    fn prepare(&mut self, services: usize, clauses: usize) {
        // Left over only if an earlier search panicked half-way.
        for ord in self.touched.drain(..) {
            self.scores[ord as usize] = 0.0;
        }
        self.scores.resize(services, 0.0);
        self.counted.resize(services, 0);
        if self.clause as usize + clauses >= u32::MAX as usize {
            self.counted.fill(0);
            self.clause = 0;
        }
    }
}

impl Impacts {
    /// The positions of the terms starting with `prefix`: terms are numbered
    /// in sorted order, so they are one range, found by two seeks.
    fn prefixed(&self, prefix: &str) -> std::ops::Range<u64> {
        let first_at_or_after = |key: &[u8]| {
            self.fuzzy_terms
                .range()
                .ge(key)
                .into_stream()
                .next()
                .map_or(self.holders.len() as u64, |(_, i)| i)
        };
        let start = first_at_or_after(prefix.as_bytes());
        let end = match successor(prefix.as_bytes()) {
            Some(next) => first_at_or_after(&next),
            None => self.holders.len() as u64,
        };
        start..end.max(start)
    }
}

/// The smallest key greater than every key starting with `prefix`, if any.
fn successor(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut next = prefix.to_vec();
    while let Some(last) = next.pop() {
        if last < u8::MAX {
            next.push(last + 1);
            return Some(next);
        }
    }
    None
}

fn idf(doc_freq: u32, docs: usize) -> f32 {
    let x = (docs as f32 - doc_freq as f32 + 0.5) / (doc_freq as f32 + 0.5);
    (1.0 + x).ln()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(name: &str, long: &str) -> Document {
        let terms = |s: &str| s.split_whitespace().map(String::from).collect();
        [terms(name), vec![], vec![], terms(long)]
    }

    const WEIGHTS: [f32; FIELDS] = [4.0, 3.0, 2.0, 1.0];

    fn plan(exact: &[(String, f32)]) -> WordPlan<'_> {
        WordPlan {
            weight: 1.0,
            exact,
            loose: vec![],
        }
    }

    #[test]
    fn rarer_terms_and_name_matches_score_higher() {
        let impacts = Impacts::build(
            &[
                doc("hund steuer", "hund"),
                doc("katz", "hund hund"),
                doc("steuer", "geld"),
            ],
            WEIGHTS,
        );
        let hund = [("hund".to_string(), 1.0)];
        let mut found = impacts.search(&[plan(&hund)]);
        found.sort_by(|a, b| b.1.total_cmp(&a.1));
        assert_eq!(found.iter().map(|f| f.0).collect::<Vec<_>>(), [0, 1]);
        let geld = [("geld".to_string(), 1.0)];
        let only = impacts.search(&[plan(&geld)]);
        assert_eq!(only.len(), 1);
        // "geld" is in one service of three, "hund" in two: the rarer term weighs more.
        assert!(only[0].1 > found[1].1);
    }

    #[test]
    fn a_loose_clause_counts_a_service_once() {
        let impacts = Impacts::build(
            &[doc("hundesteuer hundesteuern", ""), doc("katze", "")],
            WEIGHTS,
        );
        let field = tantivy::schema::Schema::builder().add_text_field("f", tantivy::schema::TEXT);
        let aut = Impacts::automaton(field, "hundesteur", 1).unwrap();
        let found = impacts.search(&[WordPlan {
            loose: vec![(Matcher::Fuzzy(aut), 2.0)],
            ..plan(&[])
        }]);
        assert_eq!(found, vec![(0, 2.0)]);
        let found = impacts.search(&[WordPlan {
            loose: vec![(Matcher::Prefix("kat".into()), 1.0)],
            ..plan(&[])
        }]);
        assert_eq!(found, vec![(1, 1.0)]);
        assert!(impacts.is_known("katze") && !impacts.is_known("kat"));
    }

    #[test]
    fn a_prefix_is_the_range_of_terms_starting_with_it() {
        let impacts = Impacts::build(
            &[doc("amt ausweis auto", ""), doc("aus", ""), doc("b", "")],
            WEIGHTS,
        );
        let terms = |p: &str| impacts.prefixed(p).count();
        assert_eq!(terms("aus"), 2);
        assert_eq!(terms("au"), 3);
        assert_eq!(terms("a"), 4);
        assert_eq!(terms("c"), 0);
        assert_eq!(terms("zzz"), 0);
        assert_eq!(super::successor(&[b'a', u8::MAX]), Some(vec![b'b']));
        assert_eq!(super::successor(&[u8::MAX]), None);
    }
}
