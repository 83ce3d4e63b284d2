use super::analysis::{fold, is_stop_word, words, Analyzer};
use super::synonyms::Synonyms;
use crate::catalogue::model::Leistung;
use crate::catalogue::Catalogue;
use crate::editor::local::LocalContent;
use crate::keys::LeikaKey;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Mutex;
use tantivy::collector::{Count, TopDocs};
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
const MAX_TWO_EDIT_WORDS: usize = 2;
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
}

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

/// What the tenant contributes to ranking.
pub struct TenantSignals<'a> {
    pub scope: i64,
    /// The tenant's published local services, for hits on them.
    pub local: &'a LocalContent,
    /// Whether an office is known for the service at this position of the catalogue.
    pub has_office: &'a dyn Fn(usize) -> bool,
    pub views: &'a dyn Fn(&LeikaKey) -> u64,
}

impl SearchIndex {
    pub fn build(
        catalogue: &Catalogue,
        synonyms: Synonyms,
        lexicon: &[String],
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
        for (ord, l) in catalogue.leistungen.iter().enumerate() {
            let [name, keywords, short, long] =
                documents(l, catalogue).map(|t| analyzer.terms(&t).join(" "));
            writer.add_document(doc!(
                fields.ord => ord as u64,
                fields.scope => "central",
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
        Ok(SearchIndex {
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

    pub fn search(
        &self,
        c: &Catalogue,
        tenant: &TenantSignals,
        req: &SearchRequest,
    ) -> SearchResults {
        let query_words: Vec<String> = words(&req.query)
            .into_iter()
            .filter(|w| !is_stop_word(w))
            .take(Self::MAX_QUERY_WORDS)
            .collect();
        if query_words.is_empty() {
            return SearchResults::default();
        }
        let searcher = self.reader.searcher();
        let query = self.query(&searcher, &query_words, tenant.scope);
        let Ok((scored, _count)) = searcher.search(
            &query,
            &(TopDocs::with_limit(CANDIDATES).order_by_score(), Count),
        ) else {
            return SearchResults {
                searched: true,
                ..Default::default()
            };
        };
        // One column reader per segment, not one per hit.
        let ords: Vec<_> = searcher
            .segment_readers()
            .iter()
            .map(|seg| seg.fast_fields().u64("ord").ok())
            .collect();
        // A catalogue service may match twice (its own document and the
        // tenant's keywords for it): the better match counts.
        let mut central: HashMap<usize, f32> = HashMap::new();
        let mut hits: Vec<Hit> = Vec::new();
        for (score, addr) in scored {
            let Some(ord) = ords
                .get(addr.segment_ord as usize)
                .and_then(|c| c.as_ref())
                .and_then(|c| c.first(addr.doc_id))
            else {
                continue;
            };
            if ord == LOCAL_ORD {
                hits.extend(self.local_hit(&searcher, addr, score, tenant.local));
            } else {
                let best = central.entry(ord as usize).or_insert(score);
                *best = best.max(score);
            }
        }
        hits.extend(central.into_iter().filter_map(|(ord, score)| {
            let l = c.leistungen.get(ord)?;
            Some(Hit {
                ord,
                local: None,
                score: rank(score, ord, l, c, tenant),
            })
        }));
        hits.sort_by(|a, b| {
            b.score
                .total
                .total_cmp(&a.score.total)
                .then(a.ord.cmp(&b.ord))
        });
        let hits = diversify(hits, c);
        let mut results = facets_and_filter(hits, c, tenant.local, req);
        results.searched = true;
        if results.total == 0 {
            results.suggestion = self.did_you_mean(&query_words);
        }
        results
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
            docs.push(doc!(
                self.fields.ord => LOCAL_ORD,
                self.fields.scope => scope.as_str(),
                self.fields.key => s.key.as_str(),
                self.fields.text[0] => terms(&d.name),
                self.fields.text[1] => terms(&d.keywords.join(" ")),
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
            docs.push(doc!(
                self.fields.ord => ord as u64,
                self.fields.scope => scope.as_str(),
                self.fields.text[1] => terms(&a.data.keywords.join(" ")),
            ));
        }
        docs
    }

    fn query(&self, searcher: &Searcher, query_words: &[String], scope: i64) -> BooleanQuery {
        let last = query_words.len() - 1;
        let mut two_edits_left = MAX_TWO_EDIT_WORDS;
        let per_word: Vec<(Occur, Box<dyn Query>)> = query_words
            .iter()
            .enumerate()
            .map(|(i, w)| {
                let q = self.word_query(searcher, w, i == last, &mut two_edits_left);
                (Occur::Should, Box::new(q) as Box<dyn Query>)
            })
            .collect();
        let scopes = ["central".to_string(), format!("t{scope}")]
            .into_iter()
            .map(|s| {
                let q: Box<dyn Query> = Box::new(TermQuery::new(
                    Term::from_field_text(self.fields.scope, &s),
                    IndexRecordOption::Basic,
                ));
                (Occur::Should, q)
            })
            .collect();
        BooleanQuery::new(vec![
            (Occur::Must, Box::new(BooleanQuery::new(per_word))),
            (Occur::Must, Box::new(BooleanQuery::new(scopes))),
        ])
    }

    /// One query word: exact terms (with compound parts and synonyms); and where
    /// the word is no known name or keyword, fuzzy terms scaled by its length and,
    /// for the last word typed, prefixes.
    fn word_query(
        &self,
        searcher: &Searcher,
        word: &str,
        is_last: bool,
        two_edits_left: &mut usize,
    ) -> BooleanQuery {
        let mut exact = self.analyzer.query_terms(word);
        for s in self.synonyms.get(word) {
            exact.extend(
                self.analyzer
                    .weighted_terms(s)
                    .into_iter()
                    .map(|(t, w)| (t, w * 0.8)),
            );
        }
        let stem = self.analyzer.stem(word);
        let known = self.fields.text[..2].iter().any(|&f| {
            [stem.as_str(), word]
                .iter()
                .any(|t| searcher.doc_freq(&Term::from_field_text(f, t)).unwrap_or(0) > 0)
        });
        // Two edits only for mid-length words: the automaton for long words costs
        // milliseconds, and long compounds rarely carry two typos. And only for
        // the first unknown words of a query: ten of them cost 16 ms.
        let distance = match word.chars().count() {
            0..=4 => 0,
            5..=8 => 1,
            9..=14 if !known && *two_edits_left > 0 => {
                *two_edits_left -= 1;
                2
            }
            _ => 1,
        };
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for (i, (field_name, weight)) in FIELDS.iter().enumerate() {
            let field = self.fields.text[i];
            let term = |t: &str| Term::from_field_text(field, t);
            for (t, boost) in &exact {
                let q = TermQuery::new(term(t), IndexRecordOption::WithFreqs);
                clauses.push((
                    Occur::Should,
                    Box::new(BoostQuery::new(Box::new(q), weight * boost)),
                ));
            }
            // Fuzzy and prefix terms only for words of a plausible length:
            // their automata grow with the word.
            if known
                || !matches!(*field_name, "name" | "keywords")
                || word.len() > crate::search::analysis::MAX_SPLIT_LEN
            {
                continue;
            }
            if distance > 0 {
                let q = FuzzyTermQuery::new(term(word), distance, true);
                clauses.push((
                    Occur::Should,
                    Box::new(BoostQuery::new(Box::new(q), weight * 0.3)),
                ));
            }
            if is_last && word.chars().count() >= 3 {
                for prefix in [word, stem.as_str()] {
                    let q = FuzzyTermQuery::new_prefix(term(prefix), 0, true);
                    clauses.push((
                        Occur::Should,
                        Box::new(BoostQuery::new(Box::new(q), weight * 0.4)),
                    ));
                }
            }
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
                // skipping them saves most of the distance computations.
                let best = self
                    .vocabulary
                    .iter()
                    .filter(|(v, _)| v.len().abs_diff(w.len()) <= max)
                    .map(|(v, n)| (levenshtein(w, v), std::cmp::Reverse(*n), v))
                    .filter(|(d, _, _)| *d <= max)
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

    /// Names of services whose name starts with or contains what was typed, for suggestions.
    pub fn suggest<'c>(
        &self,
        c: &'c Catalogue,
        tenant: &TenantSignals,
        prefix: &str,
        n: usize,
    ) -> Vec<&'c Leistung> {
        let req = SearchRequest {
            query: prefix.to_string(),
            ..Default::default()
        };
        let results = self.search(c, tenant, &SearchRequest { page: 0, ..req });
        results
            .hits
            .iter()
            .filter_map(|h| c.leistungen.get(h.ord))
            .take(n)
            .collect()
    }
}

fn lexicon_words(c: &Catalogue, extra: &[String], synonyms: &Synonyms) -> Vec<String> {
    let mut out: HashSet<String> = extra.iter().map(|w| fold(w)).collect();
    out.extend(synonyms.words().map(String::from));
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

fn rank(text: f32, ord: usize, l: &Leistung, c: &Catalogue, tenant: &TenantSignals) -> ScoreParts {
    let online = if c.online(&l.leika).is_some() {
        0.25
    } else {
        0.0
    };
    let office = if (tenant.has_office)(ord) { 0.25 } else { 0.0 };
    let popularity = 0.3 * ((tenant.views)(&l.leika) as f32).ln_1p();
    // A service described in full is the one citizens mean among its siblings.
    let described = if l.short_text.is_empty() { 0.0 } else { 0.2 };
    let total = text * (1.0 + online + office + described) + popularity;
    ScoreParts {
        text,
        online,
        office,
        popularity,
        total,
    }
}

/// How much a local service's text score counts against the catalogue's ranking signals.
const LOCAL_BOOST: f32 = 1.5;

/// Keeps near-identical siblings (same OZG-Leistung) from filling the first page:
/// at most two per OZG-Leistung among the first results, the rest follow.
fn diversify(hits: Vec<Hit>, c: &Catalogue) -> Vec<Hit> {
    let mut seen: HashMap<i64, usize> = HashMap::new();
    let (mut first, mut later) = (Vec::new(), Vec::new());
    for h in hits {
        let Some(l) = c.leistungen.get(h.ord) else {
            first.push(h);
            continue;
        };
        let group = l.ozg_id.unwrap_or(-(h.ord as i64));
        let n = seen.entry(group).or_insert(0);
        *n += 1;
        if *n <= 2 {
            first.push(h)
        } else {
            later.push(h)
        }
    }
    first.extend(later);
    first
}

fn facets_and_filter(
    hits: Vec<Hit>,
    c: &Catalogue,
    local: &LocalContent,
    req: &SearchRequest,
) -> SearchResults {
    let service = |h: &Hit| {
        let key = h.local.as_ref()?;
        local.services.iter().find(|s| &s.key == key)
    };
    let lebenslagen_of = |h: &Hit| -> &[String] {
        if let Some(l) = c.leistungen.get(h.ord) {
            return &l.lebenslagen;
        }
        service(h).map_or(&[], |s| &s.data.lebenslagen)
    };
    let in_lebenslage = |h: &Hit| {
        req.lebenslage
            .as_ref()
            .is_none_or(|s| lebenslagen_of(h).contains(s))
    };
    let is_online = |h: &Hit| match c.leistungen.get(h.ord) {
        Some(l) => c.online(&l.leika).is_some(),
        None => service(h).is_some_and(|s| s.data.online_url.is_some()),
    };
    let mut lebenslagen: HashMap<&str, usize> = HashMap::new();
    for h in hits.iter().filter(|h| !req.online_only || is_online(h)) {
        for s in lebenslagen_of(h) {
            *lebenslagen.entry(s.as_str()).or_insert(0) += 1;
        }
    }
    let mut lebenslagen: Vec<(String, usize)> = lebenslagen
        .into_iter()
        .map(|(s, n)| (s.to_string(), n))
        .collect();
    lebenslagen.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let online = hits
        .iter()
        .filter(|h| in_lebenslage(h) && is_online(h))
        .count();
    let filtered: Vec<Hit> = hits
        .into_iter()
        .filter(|h| in_lebenslage(h) && (!req.online_only || is_online(h)))
        .collect();
    SearchResults {
        total: filtered.len(),
        hits: filtered
            .into_iter()
            .skip(req.page * PER_PAGE)
            .take(PER_PAGE)
            .collect(),
        lebenslagen,
        online,
        suggestion: None,
        searched: true,
    }
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    #[test]
    fn edit_distance() {
        assert_eq!(super::levenshtein("hundesteur", "hundesteuer"), 1);
        assert_eq!(super::levenshtein("", "abc"), 3);
    }
}
