use super::analysis::{fold, without_filler, words, Analyzer};
use super::impact::{Document, Impacts, Matcher, WordPlan};
use super::stages::{verrichtung, StageRules, Stages};
use super::synonyms::Synonyms;
use crate::catalogue::model::Leistung;
use crate::catalogue::Catalogue;
use crate::editor::local::LocalContent;
use crate::keys::LeikaKey;
use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex, OnceLock};
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, FuzzyTermQuery, Occur, Query, TermQuery};
use tantivy::schema::Value as _;
use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, FAST, STORED, STRING,
};
use tantivy::tokenizer::{TextAnalyzer, WhitespaceTokenizer};
use tantivy::{doc, Index, IndexReader, Searcher, TantivyDocument, Term};

pub const PER_PAGE: usize = 10;
const CANDIDATES: usize = 1000;
const TOKENIZER: &str = "analysed";
/// Query words that may be expanded by two edits; later ones get one.
const MAX_TWO_EDIT_WORDS: usize = 1;
/// Unknown query words that are expanded fuzzily at all; later ones match
/// exactly only. Each expansion walks the term dictionary with an automaton.
const MAX_FUZZY_WORDS: usize = 2;
/// The weight of the field fuzzy and prefix terms are matched in: names and
/// keywords together, so that each word builds its automaton once.
const FUZZY_FIELD_WEIGHT: f32 = 3.5;
/// The `ord` of a tenant's local service: it is no catalogue position, its
/// document carries the service's key instead.
const LOCAL_ORD: u64 = u64::MAX;
/// Field weights: name above keywords above short text above long text.
const FIELDS: [(&str, f32); 4] = [
    ("name", 4.0),
    ("keywords", 3.0),
    ("short", 2.0),
    ("long", 1.0),
];

struct Fields {
    ord: Field,
    scope: Field,
    key: Field,
    text: [Field; 4],
    /// Name and keyword terms together, for fuzzy and prefix matching.
    fuzzy: Field,
}

/// How much fuzzy expansion a query has left.
struct Budget {
    fuzzy_words: usize,
    two_edit_words: usize,
}

pub struct SearchIndex {
    pub catalogue_version: i64,
    index: Index,
    reader: IndexReader,
    /// Tenants with documents of their own: local services and their
    /// keywords for catalogue services (scope `t<id>`).
    local_tenants: Mutex<HashSet<i64>>,
    fields: Fields,
    analyzer: Analyzer,
    synonyms: Synonyms,
    /// Folded words of service names with their frequency, for "did you mean".
    vocabulary: BTreeMap<String, usize>,
    /// The same by length in bytes, up to `MAX_SPLIT_LEN` + 2.
    by_length: Vec<Vec<(String, usize)>>,
    /// By catalogue position.
    facts: Vec<ServiceFacts>,
    stages: Stages,
    word_terms: moka::sync::Cache<String, Arc<WordTerms>>,
    /// What a query's words find in the catalogue, the same for every tenant;
    /// None: not kept (every search plans and scores anew).
    by_words: Option<moka::sync::Cache<String, Arc<ByWords>>>,
    /// The catalogue's services with their BM25 impacts: what every query searches.
    impacts: Impacts,
}

/// The part of a search that depends on the query's words alone: its plan,
/// the Verrichtungen its stage words name, the catalogue's candidates with
/// their text score, and "did you mean". Kept across tenants, so that the same
/// words (a typo included) asked on many portals are planned and scored once;
/// each tenant's signals, local documents, order and facets follow per search.
struct ByWords {
    plan: Vec<PlannedWord>,
    stages: HashSet<u16>,
    candidates: Vec<(usize, f32)>,
    suggestion: OnceLock<Option<String>>,
}

impl ByWords {
    /// Approximate bytes, for the cache's bound.
    fn weight(&self, key: &str) -> u32 {
        let plan: usize = self
            .plan
            .iter()
            .map(|p| 256 + p.loose.iter().map(|l| l.text.len() + 32).sum::<usize>())
            .sum();
        let bytes = key.len()
            + plan
            + self.stages.len() * 8
            + self.candidates.len() * std::mem::size_of::<(usize, f32)>()
            + 256;
        u32::try_from(bytes).unwrap_or(u32::MAX)
    }
}

/// One query word as searched: its exact terms, its weight in the query, and
/// the fuzzy or prefix clauses it gets.
struct PlannedWord {
    terms: Arc<WordTerms>,
    weight: f32,
    loose: Vec<Loose>,
}

/// A fuzzy or prefix clause: every service with a name or keyword term it
/// matches scores `constant`.
struct Loose {
    text: String,
    kind: LooseKind,
    constant: f32,
}

enum LooseKind {
    /// Within this many edits.
    Fuzzy(u8),
    Prefix,
}

/// What a query word searches for exactly, from analysis and synonyms alone.
struct WordTerms {
    exact: Vec<(String, f32)>,
    stem: String,
}

/// Words whose terms are kept (a few hundred bytes each).
const WORD_TERMS_KEPT: u64 = 20_000;

#[derive(Debug, Clone, Default)]
pub struct SearchRequest {
    pub query: String,
    pub lebenslage: Option<String>,
    pub online_only: bool,
    pub page: usize,
}

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct ScoreParts {
    pub text: f32,
    pub online: f32,
    pub office: f32,
    pub popularity: f32,
    pub total: f32,
}

#[derive(Debug, Clone)]
pub struct Hit {
    /// The catalogue position; `usize::MAX` for a local service.
    pub ord: usize,
    /// The key of the tenant's local service this hit is.
    pub local: Option<String>,
    pub score: ScoreParts,
}

#[derive(Debug, Clone, Default)]
pub struct SearchResults {
    /// Matches after filters, before pagination.
    pub total: usize,
    pub hits: Vec<Hit>,
    pub lebenslagen: Vec<(String, usize)>,
    pub online: usize,
    pub suggestion: Option<String>,
    /// False when nothing searchable was left of the query (empty, stop words only, punctuation).
    pub searched: bool,
}

/// What the tenant contributes to ranking, precomputed by catalogue position
/// so that ranking a candidate is two slice reads, not two lookups.
pub struct TenantSignals<'a> {
    pub scope: i64,
    /// The tenant's published local services, for hits on them.
    pub local: &'a LocalContent,
    /// Whether an office is known for the service at this position (for the citizen's Gemeinde).
    pub office: &'a [bool],
    /// The popularity part of the score at this position (see [`SearchIndex::popularity`]).
    pub popularity: &'a [f32],
}

/// What ranking, grouping and facets need of a catalogue service, looked up
/// once when the index is built instead of once per candidate and query.
struct ServiceFacts {
    online: bool,
    described: bool,
    /// The OZG-Leistung, or a group of its own.
    group: i64,
    /// Positions in the catalogue's Lebenslagen.
    lebenslagen: Vec<u16>,
    verrichtung: Option<u16>,
}

impl SearchIndex {
    pub fn build(
        catalogue: &Catalogue,
        synonyms: Synonyms,
        lexicon: &[String],
        stages: &StageRules,
        words_cache_bytes: u64,
    ) -> tantivy::Result<SearchIndex> {
        let mut sb = Schema::builder();
        let text_options = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(TOKENIZER)
                .set_index_option(IndexRecordOption::WithFreqs),
        );
        let fields = Fields {
            ord: sb.add_u64_field("ord", FAST | STORED),
            scope: sb.add_text_field("scope", STRING),
            key: sb.add_text_field("key", STRING | STORED),
            text: FIELDS.map(|(name, _)| sb.add_text_field(name, text_options.clone())),
            fuzzy: sb.add_text_field("fuzzy", text_options.clone()),
        };
        let index = Index::create_in_ram(sb.build());
        index.tokenizers().register(
            TOKENIZER,
            TextAnalyzer::from(WhitespaceTokenizer::default()),
        );
        let analyzer = Analyzer::new(
            lexicon_words(catalogue, lexicon, &synonyms)
                .iter()
                .map(String::as_str),
        );
        let mut writer = index.writer_with_num_threads(1, 50_000_000)?;
        let analysed: Vec<Document> = catalogue
            .leistungen
            .iter()
            .map(|l| documents(l, catalogue).map(|t| analyzer.terms(&t)))
            .collect();
        // The catalogue stays in the tantivy index too, so that the term
        // statistics of tenants' local documents are those of the whole.
        for (ord, terms) in analysed.iter().enumerate() {
            let [name, keywords, short, long] = terms.clone().map(|t| t.join(" "));
            writer.add_document(doc!(
                fields.ord => ord as u64,
                fields.scope => "central",
                fields.fuzzy => format!("{name} {keywords}"),
                fields.text[0] => name,
                fields.text[1] => keywords,
                fields.text[2] => short,
                fields.text[3] => long,
            ))?;
        }
        writer.commit()?;
        let mut vocabulary = BTreeMap::new();
        for l in &catalogue.leistungen {
            for w in words(&l.name)
                .into_iter()
                .chain(words(&l.keywords.join(" ")))
            {
                if w.len() >= 4 {
                    *vocabulary.entry(w).or_insert(0) += 1;
                }
            }
        }
        let mut by_length = vec![Vec::new(); crate::search::analysis::MAX_SPLIT_LEN + 3];
        for (w, n) in &vocabulary {
            if let Some(bucket) = by_length.get_mut(w.len()) {
                bucket.push((w.clone(), *n));
            }
        }
        Ok(SearchIndex {
            impacts: Impacts::build(&analysed, FIELDS.map(|(_, w)| w)),
            by_length,
            word_terms: moka::sync::Cache::new(WORD_TERMS_KEPT),
            // A typical query's words take a few KB, the broadest (every service) about 80 KB.
            by_words: (words_cache_bytes > 0).then(|| {
                moka::sync::Cache::builder()
                    .max_capacity(words_cache_bytes)
                    .weigher(|k: &String, v: &Arc<ByWords>| v.weight(k))
                    .build()
            }),
            facts: facts(catalogue),
            stages: Stages::resolve(stages, catalogue, &analyzer),
            catalogue_version: catalogue.version,
            reader: index
                .reader_builder()
                .reload_policy(tantivy::ReloadPolicy::Manual)
                .try_into()?,
            index,
            local_tenants: Mutex::new(HashSet::new()),
            fields,
            analyzer,
            synonyms,
            vocabulary,
        })
    }

    /// At most this many words of a query count; the rest is ignored.
    pub const MAX_QUERY_WORDS: usize = 10;

    /// The words a query searches for: folded, without stop words and filler,
    /// at most [`Self::MAX_QUERY_WORDS`]. Queries with the same words have the
    /// same results, so this is also the key of the result cache.
    pub fn query_words(query: &str) -> Vec<String> {
        without_filler(words(query))
            .into_iter()
            .take(Self::MAX_QUERY_WORDS)
            .collect()
    }

    /// The popularity part of the score by catalogue position: 0.3 · ln(1 + page views).
    pub fn popularity(c: &Catalogue, views: &dyn Fn(&LeikaKey) -> u64) -> Vec<f32> {
        c.leistungen
            .iter()
            .map(|l| 0.3 * (views(&l.leika) as f32).ln_1p())
            .collect()
    }

    pub fn search(
        &self,
        c: &Catalogue,
        tenant: &TenantSignals,
        req: &SearchRequest,
    ) -> SearchResults {
        let query_words = Self::query_words(&req.query);
        if query_words.is_empty() {
            return SearchResults::default();
        }
        let by_words = self.by_words(&query_words);
        let stages = &by_words.stages;
        let mut central = by_words.candidates.clone();
        let mut locals = Vec::new();
        let catalogue_only = central.len();
        if self.has_local(tenant.scope) {
            let searcher = self.reader.searcher();
            let query = self.local_query(&by_words.plan, tenant.scope);
            if let Ok(scored) =
                searcher.search(&query, &TopDocs::with_limit(CANDIDATES).order_by_score())
            {
                self.local_hits(
                    &searcher,
                    scored,
                    c,
                    tenant.local,
                    &mut locals,
                    &mut central,
                );
            }
        }
        let deduplicate = central.len() > catalogue_only;
        let ranked = self.ranked(central, deduplicate, &locals, tenant, stages);
        let ranked = self.order(ranked, req);
        let mut results = self.facets_and_filter(ranked, &locals, c, tenant, stages, req);
        if results.total == 0 {
            results.suggestion = by_words
                .suggestion
                .get_or_init(|| self.did_you_mean(&query_words))
                .clone();
        }
        results
    }

    /// The tenant-independent part of a search for these words, planned and
    /// scored once while it stays in the cache.
    fn by_words(&self, query_words: &[String]) -> Arc<ByWords> {
        let make = || {
            let plan = self.plan(query_words);
            let stages = self.stage_codes(&plan);
            let candidates = self.impacts.search(&self.impact_plan(&plan));
            Arc::new(ByWords {
                plan,
                stages,
                candidates,
                suggestion: OnceLock::new(),
            })
        };
        match &self.by_words {
            Some(cache) => cache.get_with(query_words.join(" "), make),
            None => make(),
        }
    }

    /// The Verrichtungen the query's stage words name ("abholen": Ausgabe).
    fn stage_codes(&self, plan: &[PlannedWord]) -> HashSet<u16> {
        plan.iter()
            .filter_map(|p| self.stages.codes(&p.terms.stem))
            .flatten()
            .copied()
            .collect()
    }

    /// The candidates with their score, best first: a catalogue service that
    /// matches twice (its own document and the tenant's keywords for it) counts once.
    fn ranked(
        &self,
        mut best: Vec<(usize, f32)>,
        deduplicate: bool,
        locals: &[Hit],
        tenant: &TenantSignals,
        stages: &HashSet<u16>,
    ) -> Vec<Candidate> {
        if deduplicate {
            best.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(b.1.total_cmp(&a.1)));
            best.dedup_by_key(|(ord, _)| *ord);
        }
        if best.len() > CANDIDATES {
            best.select_nth_unstable_by(CANDIDATES, |a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            best.truncate(CANDIDATES);
        }
        let mut ranked: Vec<Candidate> = locals
            .iter()
            .enumerate()
            .map(|(i, h)| Candidate {
                total: h.score.total,
                text: h.score.text,
                ord: NOT_IN_CATALOGUE,
                local: i as u32,
            })
            .collect();
        ranked.extend(best.into_iter().map(|(ord, text)| Candidate {
            total: self.rank(text, ord, tenant, stages).total,
            text,
            ord: ord as u32,
            local: NOT_LOCAL,
        }));
        ranked
    }

    /// The candidates in the order shown: best first, siblings spread (see
    /// [`Self::diversify`]). Only as many are sorted as the requested page
    /// needs; the rest follow unsorted, where only totals and facets see them.
    fn order(&self, mut ranked: Vec<Candidate>, req: &SearchRequest) -> Vec<Candidate> {
        let by_score = |a: &Candidate, b: &Candidate| {
            b.total
                .total_cmp(&a.total)
                .then(a.ord.cmp(&b.ord))
                .then(a.local.cmp(&b.local))
        };
        let needed = (req.page + 1) * PER_PAGE;
        // With a filter, the page may lie anywhere among the candidates.
        let filtered = req.lebenslage.is_some() || req.online_only;
        let mut head = (needed * 4).max(64);
        while !filtered && head < ranked.len() {
            ranked.select_nth_unstable_by(head, by_score);
            ranked[..head].sort_unstable_by(by_score);
            let (mut first, later) = self.diversify(&ranked[..head]);
            if first.len() >= needed {
                first.extend(later);
                first.extend_from_slice(&ranked[head..]);
                return first;
            }
            head *= 4;
        }
        ranked.sort_unstable_by(by_score);
        let (mut first, later) = self.diversify(&ranked);
        first.extend(later);
        first
    }

    fn has_local(&self, tenant: i64) -> bool {
        self.local_tenants
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains(&tenant)
    }

    /// The tenant's own documents among the matches: its local services become
    /// hits, its keywords for catalogue services join the catalogue's candidates.
    fn local_hits(
        &self,
        searcher: &Searcher,
        scored: Vec<(f32, tantivy::DocAddress)>,
        c: &Catalogue,
        local: &LocalContent,
        hits: &mut Vec<Hit>,
        central: &mut Vec<(usize, f32)>,
    ) {
        let ords: Vec<_> = searcher
            .segment_readers()
            .iter()
            .map(|seg| seg.fast_fields().u64("ord").ok())
            .collect();
        for (score, addr) in scored {
            let Some(ord) = ords
                .get(addr.segment_ord as usize)
                .and_then(|c| c.as_ref())
                .and_then(|c| c.first(addr.doc_id))
            else {
                continue;
            };
            if ord == LOCAL_ORD {
                hits.extend(self.local_hit(searcher, addr, score, local));
            } else if (ord as usize) < c.leistungen.len() {
                central.push((ord as usize, score));
            }
        }
    }

    /// A hit on a local service the tenant still publishes.
    fn local_hit(
        &self,
        searcher: &Searcher,
        addr: tantivy::DocAddress,
        score: f32,
        local: &LocalContent,
    ) -> Option<Hit> {
        let doc: TantivyDocument = searcher.doc(addr).ok()?;
        let key = doc.get_first(self.fields.key)?.as_str()?;
        local.services.iter().find(|s| s.key == key)?;
        // The municipality's own services are what its citizens most likely mean.
        let total = score * LOCAL_BOOST;
        Some(Hit {
            ord: usize::MAX,
            local: Some(key.to_string()),
            score: ScoreParts {
                text: score,
                total,
                ..Default::default()
            },
        })
    }

    /// Replaces the documents of these tenants (local services, their
    /// keywords for catalogue services) and nothing else: publishing in one
    /// portal leaves every other tenant's part of the index alone.
    pub fn update_local<'a>(
        &self,
        c: &Catalogue,
        tenants: impl IntoIterator<Item = (i64, Option<&'a LocalContent>)>,
    ) -> tantivy::Result<()> {
        let mut indexed = self.local_tenants.lock().unwrap_or_else(|e| e.into_inner());
        let mut writer: Option<tantivy::IndexWriter<TantivyDocument>> = None;
        for (tenant, local) in tenants {
            let docs = local
                .map(|l| self.local_documents(c, tenant, l))
                .unwrap_or_default();
            if docs.is_empty() && !indexed.contains(&tenant) {
                continue;
            }
            let w = match &mut writer {
                Some(w) => w,
                None => writer.insert(self.index.writer_with_num_threads(1, 15_000_000)?),
            };
            w.delete_term(Term::from_field_text(
                self.fields.scope,
                &format!("t{tenant}"),
            ));
            if docs.is_empty() {
                indexed.remove(&tenant);
            } else {
                indexed.insert(tenant);
            }
            for d in docs {
                w.add_document(d)?;
            }
        }
        if let Some(mut w) = writer {
            w.commit()?;
            self.reader.reload()?;
        }
        Ok(())
    }

    fn local_documents(
        &self,
        c: &Catalogue,
        tenant: i64,
        local: &LocalContent,
    ) -> Vec<TantivyDocument> {
        let scope = format!("t{tenant}");
        let terms = |t: &str| self.analyzer.terms(t).join(" ");
        let mut docs = Vec::new();
        for s in &local.services {
            let d = &s.data;
            let (name, keywords) = (terms(&d.name), terms(&d.keywords.join(" ")));
            docs.push(doc!(
                self.fields.ord => LOCAL_ORD,
                self.fields.scope => scope.as_str(),
                self.fields.key => s.key.as_str(),
                self.fields.fuzzy => format!("{name} {keywords}"),
                self.fields.text[0] => name,
                self.fields.text[1] => keywords,
                self.fields.text[2] => terms(&d.short_text),
                self.fields.text[3] => terms(&format!("{} {} {}", d.text, d.documents, d.fees)),
            ));
        }
        for (leika, a) in &local.additions {
            let Some(ord) = c.position(leika) else {
                continue;
            };
            if a.data.keywords.is_empty() {
                continue;
            }
            let keywords = terms(&a.data.keywords.join(" "));
            docs.push(doc!(
                self.fields.ord => ord as u64,
                self.fields.scope => scope.as_str(),
                self.fields.fuzzy => keywords.as_str(),
                self.fields.text[1] => keywords,
            ));
        }
        docs
    }

    /// What each query word searches for, decided once for the catalogue's
    /// index and the tenant's documents alike.
    fn plan(&self, query_words: &[String]) -> Vec<PlannedWord> {
        let last = query_words.len() - 1;
        let mut budget = Budget {
            fuzzy_words: MAX_FUZZY_WORDS,
            two_edit_words: MAX_TWO_EDIT_WORDS,
        };
        let terms: Vec<_> = query_words.iter().map(|w| self.word_terms(w)).collect();
        let is_stage = |t: &WordTerms| self.stages.codes(&t.stem).is_some();
        let all_stages = terms.iter().all(|t| is_stage(t));
        query_words
            .iter()
            .zip(terms)
            .enumerate()
            .map(|(i, (w, terms))| {
                let loose = self.loose(w, &terms.stem, i == last, &mut budget);
                // Stage words pick among siblings (see `rank`); the other words find them.
                let weight = if is_stage(&terms) && !all_stages {
                    STAGE_TEXT_WEIGHT
                } else {
                    1.0
                };
                PlannedWord {
                    terms,
                    weight,
                    loose,
                }
            })
            .collect()
    }

    fn impact_plan<'a>(&self, plan: &'a [PlannedWord]) -> Vec<WordPlan<'a>> {
        plan.iter()
            .map(|p| WordPlan {
                weight: p.weight,
                exact: &p.terms.exact,
                loose: p
                    .loose
                    .iter()
                    .filter_map(|l| {
                        let m = match l.kind {
                            LooseKind::Prefix => Matcher::Prefix(l.text.clone()),
                            LooseKind::Fuzzy(distance) => Matcher::Fuzzy(Impacts::automaton(
                                self.fields.fuzzy,
                                &l.text,
                                distance,
                            )?),
                        };
                        Some((m, l.constant))
                    })
                    .collect(),
            })
            .collect()
    }

    /// The same query over the tenant's own documents in tantivy.
    fn local_query(&self, plan: &[PlannedWord], scope: i64) -> BooleanQuery {
        let per_word: Vec<(Occur, Box<dyn Query>)> = plan
            .iter()
            .map(|p| {
                let q: Box<dyn Query> =
                    Box::new(BoostQuery::new(Box::new(self.word_query(p)), p.weight));
                (Occur::Should, q)
            })
            .collect();
        let scope: Box<dyn Query> = Box::new(TermQuery::new(
            Term::from_field_text(self.fields.scope, &format!("t{scope}")),
            IndexRecordOption::Basic,
        ));
        BooleanQuery::new(vec![
            (Occur::Must, Box::new(BooleanQuery::new(per_word))),
            (Occur::Must, scope),
        ])
    }

    /// The exact terms a query word searches for (its stem, compound parts, the
    /// parts of a compound with a letter too many, synonyms of it and of its
    /// parts), each once at its best weight. Computed once per word and kept:
    /// the analysis costs more than the index lookups, and words repeat far
    /// more than queries do.
    fn word_terms(&self, word: &str) -> Arc<WordTerms> {
        if let Some(t) = self.word_terms.get(word) {
            return t;
        }
        let mut exact = self.analyzer.query_terms(word);
        let synonyms = |w: &str, weight: f32, exact: &mut Vec<(String, f32)>| {
            for s in self.synonyms.get(w) {
                exact.extend(
                    self.analyzer
                        .weighted_terms(s)
                        .into_iter()
                        .map(|(t, w)| (t, w * weight)),
                );
            }
        };
        synonyms(word, 0.8, &mut exact);
        // A compound's parts have synonyms too: "kitaplatz" is about a "kita".
        for part in self.analyzer.split(word).unwrap_or_default() {
            synonyms(&part, 0.4, &mut exact);
        }
        exact.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.total_cmp(&a.1)));
        exact.dedup_by(|a, b| a.0 == b.0);
        let terms = Arc::new(WordTerms {
            exact,
            stem: self.analyzer.stem(word),
        });
        self.word_terms.insert(word.to_string(), terms.clone());
        terms
    }

    /// Fuzzy and prefix clauses, only where the word is no known name or
    /// keyword, of a plausible length (automata grow with the word) and among
    /// the first few unknown words; prefixes only for the last word typed.
    fn loose(&self, word: &str, stem: &str, is_last: bool, budget: &mut Budget) -> Vec<Loose> {
        let known = self.impacts.is_known(stem) || self.impacts.is_known(word);
        if known || word.len() > crate::search::analysis::MAX_SPLIT_LEN || budget.fuzzy_words == 0 {
            return Vec::new();
        }
        budget.fuzzy_words -= 1;
        let chars = word.chars().count();
        // Two edits only for mid-length words: the automaton for long words costs
        // milliseconds, and long compounds rarely carry two typos. And only for
        // the first unknown word of a query: at Germany scale, ten of them cost 30 ms.
        let distance = match chars {
            0..=4 => 0,
            9..=12 if budget.two_edit_words > 0 => {
                budget.two_edit_words -= 1;
                2
            }
            _ => 1,
        };
        let mut loose = Vec::new();
        if distance > 0 {
            loose.push(Loose {
                text: word.to_string(),
                kind: LooseKind::Fuzzy(distance),
                constant: FUZZY_FIELD_WEIGHT * 0.3,
            });
        }
        if is_last && chars >= 3 {
            let prefixes: &[&str] = if stem == word { &[word] } else { &[word, stem] };
            loose.extend(prefixes.iter().map(|p| Loose {
                text: p.to_string(),
                kind: LooseKind::Prefix,
                constant: FUZZY_FIELD_WEIGHT * 0.4,
            }));
        }
        loose
    }

    /// One planned word as a tantivy query: exact terms in every field, loose clauses on the fuzzy field.
    fn word_query(&self, p: &PlannedWord) -> BooleanQuery {
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for (i, (_, weight)) in FIELDS.iter().enumerate() {
            let field = self.fields.text[i];
            for (t, boost) in &p.terms.exact {
                let q = TermQuery::new(
                    Term::from_field_text(field, t),
                    IndexRecordOption::WithFreqs,
                );
                clauses.push((
                    Occur::Should,
                    Box::new(BoostQuery::new(Box::new(q), weight * boost)),
                ));
            }
        }
        for l in &p.loose {
            let term = Term::from_field_text(self.fields.fuzzy, &l.text);
            let q = match l.kind {
                LooseKind::Prefix => FuzzyTermQuery::new_prefix(term, 0, true),
                LooseKind::Fuzzy(distance) => FuzzyTermQuery::new(term, distance, true),
            };
            clauses.push((
                Occur::Should,
                Box::new(BoostQuery::new(Box::new(q), l.constant)),
            ));
        }
        BooleanQuery::new(clauses)
    }

    fn did_you_mean(&self, query_words: &[String]) -> Option<String> {
        let mut changed = false;
        // Each unknown word is compared with the vocabulary: a few per query, not ten.
        let mut lookups_left = MAX_TWO_EDIT_WORDS + 1;
        let words: Vec<String> = query_words
            .iter()
            .map(|w| {
                if lookups_left == 0 {
                    return w.clone();
                }
                if self.vocabulary.contains_key(w)
                    || !self.synonyms.get(w).is_empty()
                    || w.len() > crate::search::analysis::MAX_SPLIT_LEN
                {
                    return w.clone();
                }
                lookups_left -= 1;
                let max = 2.min(w.len() / 3 + 1);
                // Words whose length differs by more than `max` cannot be that close:
                // only the words of the lengths in between are compared.
                let lengths = w.len().saturating_sub(max)..=w.len() + max;
                let best = self.by_length[lengths.clone()]
                    .iter()
                    .flatten()
                    .filter_map(|(v, n)| {
                        let d = levenshtein_within(w.as_bytes(), v.as_bytes(), max)?;
                        Some((d, std::cmp::Reverse(*n), v))
                    })
                    .min();
                match best {
                    Some((_, _, v)) => {
                        changed = true;
                        v.clone()
                    }
                    None => w.clone(),
                }
            })
            .collect();
        changed.then(|| words.join(" "))
    }
}

fn lexicon_words(c: &Catalogue, extra: &[String], synonyms: &Synonyms) -> Vec<String> {
    let mut out: HashSet<String> = extra.iter().map(|w| fold(w)).collect();
    out.extend(synonyms.words().map(String::from));
    // What citizens say may be a compound's part too ("kita" in "kitaplatz").
    out.extend(synonyms.keys().map(String::from));
    for l in &c.leistungen {
        out.extend(
            words(&l.catalogue_name)
                .into_iter()
                .filter(|w| w.len() >= 4),
        );
    }
    out.into_iter().collect()
}

/// The four searchable texts of a service: name, keywords, short text, long text.
fn documents(l: &Leistung, c: &Catalogue) -> [String; 4] {
    let lebenslagen: Vec<&str> = l
        .lebenslagen
        .iter()
        .filter_map(|s| c.lebenslage(s))
        .map(|x| x.name.as_str())
        .collect();
    [
        format!("{} {}", l.name, l.catalogue_name),
        format!("{} {}", l.keywords.join(" "), l.ozg_name),
        l.short_text.clone(),
        format!(
            "{} {} {}",
            l.long_text,
            lebenslagen.join(" "),
            l.documents.join(" ")
        ),
    ]
}

/// How much the named step weighs: more than the other signals together, since
/// it tells siblings apart that the text alone cannot.
const STAGE_BOOST: f32 = 0.8;

/// How much a stage word's own text matches count beside the other words of a query.
const STAGE_TEXT_WEIGHT: f32 = 0.3;

/// How much a local service's text score counts against the catalogue's ranking signals.
const LOCAL_BOOST: f32 = 1.5;

fn facts(c: &Catalogue) -> Vec<ServiceFacts> {
    c.leistungen
        .iter()
        .enumerate()
        .map(|(ord, l)| ServiceFacts {
            online: c.online(&l.leika).is_some(),
            described: !l.short_text.is_empty(),
            group: l.ozg_id.unwrap_or(-(ord as i64) - 1),
            lebenslagen: lebenslage_positions(c, &l.lebenslagen),
            verrichtung: verrichtung(&l.leika),
        })
        .collect()
}

fn lebenslage_positions(c: &Catalogue, slugs: &[String]) -> Vec<u16> {
    slugs
        .iter()
        .filter_map(|s| c.lebenslage_position(s))
        .filter_map(|i| u16::try_from(i).ok())
        .collect()
}

impl SearchIndex {
    fn rank(
        &self,
        text: f32,
        ord: usize,
        tenant: &TenantSignals,
        stages: &HashSet<u16>,
    ) -> ScoreParts {
        let Some(f) = self.facts.get(ord) else {
            return ScoreParts::default();
        };
        let online = if f.online { 0.25 } else { 0.0 };
        let office = if tenant.office.get(ord).copied().unwrap_or(false) {
            0.25
        } else {
            0.0
        };
        let popularity = tenant.popularity.get(ord).copied().unwrap_or(0.0);
        // A service described in full is the one citizens mean among its siblings.
        let described = if f.described { 0.2 } else { 0.0 };
        // The sibling at the step the citizen names ("ausweis abholen": the Ausgabe).
        let stage = if f.verrichtung.is_some_and(|v| stages.contains(&v)) {
            STAGE_BOOST
        } else {
            0.0
        };
        let total = text * (1.0 + online + office + described + stage) + popularity;
        ScoreParts {
            text,
            online,
            office,
            popularity,
            total,
        }
    }

    /// Keeps near-identical siblings (same OZG-Leistung) from filling the first page:
    /// at most two per OZG-Leistung among the first results, the rest follow.
    fn diversify(&self, ranked: &[Candidate]) -> (Vec<Candidate>, Vec<Candidate>) {
        let mut seen: rustc_hash::FxHashMap<i64, usize> = Default::default();
        let (mut first, mut later) = (Vec::with_capacity(ranked.len()), Vec::new());
        for &h in ranked {
            let Some(f) = self.facts.get(h.ord as usize) else {
                first.push(h);
                continue;
            };
            let n = seen.entry(f.group).or_insert(0);
            *n += 1;
            if *n <= 2 {
                first.push(h)
            } else {
                later.push(h)
            }
        }
        (first, later)
    }

    fn facets_and_filter(
        &self,
        ranked: Vec<Candidate>,
        locals: &[Hit],
        c: &Catalogue,
        tenant: &TenantSignals,
        stages: &HashSet<u16>,
        req: &SearchRequest,
    ) -> SearchResults {
        let service = |h: &Candidate| {
            let key = locals.get(h.local as usize)?.local.as_ref()?;
            tenant.local.services.iter().find(|s| &s.key == key)
        };
        // Local services are few and rare among hits: their facts are looked up here.
        let local_facts = |h: &Candidate| -> (Vec<u16>, bool) {
            service(h).map_or((vec![], false), |s| {
                (
                    lebenslage_positions(c, &s.data.lebenslagen),
                    s.data.online_url.is_some(),
                )
            })
        };
        let wanted = req
            .lebenslage
            .as_ref()
            .map(|s| c.lebenslage_position(s).and_then(|i| u16::try_from(i).ok()));
        let mut counts = vec![0usize; c.lebenslagen.len()];
        let (mut total, mut online) = (0, 0);
        let mut page = Vec::with_capacity(PER_PAGE);
        let skip = req.page * PER_PAGE;
        for h in ranked {
            let owned;
            let (lebenslagen, is_online) = match self.facts.get(h.ord as usize) {
                Some(f) => (f.lebenslagen.as_slice(), f.online),
                None => {
                    owned = local_facts(&h);
                    (owned.0.as_slice(), owned.1)
                }
            };
            if !req.online_only || is_online {
                for &i in lebenslagen {
                    counts[i as usize] += 1;
                }
            }
            let in_lebenslage = match wanted {
                None => true,
                Some(None) => false,
                Some(Some(w)) => lebenslagen.contains(&w),
            };
            if in_lebenslage && is_online {
                online += 1;
            }
            if in_lebenslage && (!req.online_only || is_online) {
                if total >= skip && page.len() < PER_PAGE {
                    page.extend(self.hit(&h, locals, tenant, stages));
                }
                total += 1;
            }
        }
        let mut found: Vec<(usize, usize)> = counts
            .into_iter()
            .enumerate()
            .filter(|(_, n)| *n > 0)
            .collect();
        let slug = |i: usize| c.lebenslagen[i].slug.as_str();
        found.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(slug(a.0).cmp(slug(b.0))));
        let lebenslagen = found
            .into_iter()
            .map(|(i, n)| (slug(i).to_string(), n))
            .collect();
        SearchResults {
            total,
            hits: page,
            lebenslagen,
            online,
            suggestion: None,
            searched: true,
        }
    }
}

/// A ranked candidate, small so that sorting and grouping move little: a
/// catalogue position or an index into the tenant's local hits.
#[derive(Clone, Copy)]
struct Candidate {
    total: f32,
    text: f32,
    ord: u32,
    local: u32,
}

const NOT_IN_CATALOGUE: u32 = u32::MAX;
const NOT_LOCAL: u32 = u32::MAX;

impl SearchIndex {
    /// The hit shown for a candidate, with the parts of its score.
    fn hit(
        &self,
        h: &Candidate,
        locals: &[Hit],
        tenant: &TenantSignals,
        stages: &HashSet<u16>,
    ) -> Option<Hit> {
        if h.local != NOT_LOCAL {
            return locals.get(h.local as usize).cloned();
        }
        let ord = h.ord as usize;
        Some(Hit {
            ord,
            local: None,
            score: self.rank(h.text, ord, tenant, stages),
        })
    }
}

/// The edit distance of two words if it is at most `max`; gives up as soon as
/// a row of the table exceeds it (by hand: `strsim` has no bounded distance,
/// and the bound is what keeps "Meinten Sie" cheap). On bytes: the words are folded to ASCII
/// but for rare letters, which then count as two.
fn levenshtein_within(a: &[u8], b: &[u8], max: usize) -> Option<usize> {
    if a.len().abs_diff(b.len()) > max {
        return None;
    }
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        let mut best = row[0];
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (diagonal + usize::from(ca != cb))
                .min(above + 1)
                .min(row[j] + 1);
            diagonal = above;
            best = best.min(row[j + 1]);
        }
        if best > max {
            return None;
        }
    }
    Some(row[b.len()]).filter(|d| *d <= max)
}

#[cfg(test)]
mod tests {
    #[test]
    fn edit_distance() {
        let d = |a: &str, b: &str, max| super::levenshtein_within(a.as_bytes(), b.as_bytes(), max);
        assert_eq!(d("hundesteur", "hundesteuer", 2), Some(1));
        assert_eq!(d("", "abc", 3), Some(3));
        assert_eq!(d("", "abc", 2), None);
        assert_eq!(d("kitaplatz", "kinderarzt", 2), None);
        assert_eq!(d("ausweis", "ausweiss", 1), Some(1));
    }
}
