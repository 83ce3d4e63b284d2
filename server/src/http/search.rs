//! The search page, the JSON search API, suggestions and the OpenAPI document.

use super::pages::{card, home, lebenslage_links, service_href, shell};
use super::place::{Place, PlaceQuery};
use super::{AppState, Content};
use crate::catalogue::model::Region;
use crate::editor::local::ServiceView;
use crate::keys::LeikaKey;
use crate::operator::insight::Metric;
use crate::search::cache::{BodyKey, ResultKey};
use crate::search::{Hit, SearchIndex, SearchRequest, SearchResults, TenantSignals, PER_PAGE};
use crate::tenancy::Tenant;
use app::{Crumb, Facet, LinkItem, Page, ServiceCard};
use axum::body::Bytes;
use axum::extract::{Extension, RawQuery, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;

const MAX_PAGE_QUERY: usize = 200;
/// Names offered while typing.
const SUGGESTIONS: usize = 8;
const MAX_API_QUERY: usize = 200;
/// Results beyond page 50 are never useful and only cost.
const MAX_PAGE: usize = 50;

/// Query-string parameters, decoded leniently; `invalid` records what was not UTF-8.
struct Params {
    values: HashMap<String, String>,
    invalid: bool,
}

impl Params {
    fn parse(raw: Option<String>) -> Params {
        let raw = raw.unwrap_or_default();
        let mut values = HashMap::new();
        let mut invalid = false;
        for (k, v) in form_urlencoded::parse(raw.as_bytes()) {
            invalid |= v.contains('\u{FFFD}') || k.contains('\u{FFFD}');
            values
                .entry(k.into_owned())
                .or_insert_with(|| v.into_owned());
        }
        Params { values, invalid }
    }

    fn get(&self, key: &str) -> Option<&str> {
        self.values
            .get(key)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// The query without control characters, cut to `max` characters; and whether it was cut.
    fn query(&self, max: usize) -> (String, bool) {
        let q: String = self
            .get("q")
            .unwrap_or("")
            .chars()
            .filter(|c| !c.is_control())
            .collect();
        let cut = q.chars().count() > max;
        (
            q.chars().take(max).collect::<String>().trim().to_string(),
            cut,
        )
    }
}

fn place_of<'a>(tenant: &Tenant, content: &'a Content, params: &Params) -> Place<'a> {
    let q = PlaceQuery {
        gemeinde: params.get("gemeinde").map(String::from),
        plz: None,
        ..Default::default()
    };
    Place::resolve(tenant, &content.catalogue, &q)
}

/// The Gemeinde whose responsibilities rank results: the chosen one, else the tenant's first.
fn ranking_gemeinde<'a>(
    tenant: &Tenant,
    content: &'a Content,
    place: &Place<'a>,
) -> Option<&'a Region> {
    place.gemeinde().or_else(|| {
        content
            .catalogue
            .gemeinden_in(&tenant.ars)
            .into_iter()
            .next()
    })
}

/// The results of a search: from the result cache, or searched in one of the
/// bounded search slots (so that searches never occupy every worker thread
/// while pages wait) and then cached. `counted`: a search a citizen made
/// (not a suggestion while typing), counted for the tenant's insight.
async fn run(
    state: &AppState,
    tenant: &Tenant,
    content: &Content,
    place: &Place<'_>,
    req: &SearchRequest,
    counted: bool,
) -> Arc<SearchResults> {
    let c = &content.catalogue;
    let shared = state.search();
    let gemeinde = ranking_gemeinde(tenant, content, place).map(|g| &g.ars);
    let popularity = shared.popularity(c, || state.views());
    let words = SearchIndex::query_words(&req.query).join(" ");
    let key = ResultKey {
        tenant: tenant.id,
        words,
        lebenslage: req.lebenslage.clone(),
        online_only: req.online_only,
        page: req.page,
        gemeinde: gemeinde.map(|g| g.as_str().to_string()),
        versions: (c.version, tenant.content_version(), popularity.generation),
    };
    // A preview shows drafts: its results must neither come from nor enter the
    // shared cache, whose key cannot tell a preview from the published portal.
    let cached = if tenant.preview {
        None
    } else {
        shared.results.get(&key)
    };
    let results = match cached {
        Some(r) => r,
        None => {
            let _slot = state.0.search_slots.acquire().await;
            let started = std::time::Instant::now();
            let office = shared.offices(c, gemeinde);
            let signals = TenantSignals {
                scope: tenant.id,
                local: &tenant.local,
                office: &office,
                popularity: &popularity.values,
            };
            let r = Arc::new(content.search.search(c, &signals, req));
            super::metrics::search_done(
                if counted { "suche" } else { "vorschlag" },
                started.elapsed(),
            );
            if !tenant.preview {
                shared.results.insert(key.clone(), r.clone());
            }
            r
        }
    };
    if counted && results.searched && req.page == 0 {
        state.count(tenant.id, Metric::Search);
        if results.total == 0 {
            state.count(tenant.id, Metric::ZeroResult);
            shared.miss(tenant.id, &key.words);
        }
    }
    results
}

/// The tenant's local service a hit names, if it is one.
fn local_service<'t>(tenant: &'t Tenant, hit: &Hit) -> Option<&'t ServiceView> {
    let key = hit.local.as_ref()?;
    tenant.local.services.iter().find(|s| &s.key == key)
}

fn local_card(tenant: &Tenant, s: &ServiceView) -> ServiceCard {
    ServiceCard {
        href: s.href(),
        name: s.data.name.clone(),
        summary: s.data.short_text.clone(),
        online: s.data.online_url.is_some(),
        office: s
            .data
            .office
            .as_ref()
            .and_then(|k| tenant.local.offices.get(k))
            .map(|o| format!("Zuständig: {}", o.name)),
    }
}

fn office_label(content: &Content, gemeinde: Option<&Region>, leika: &LeikaKey) -> Option<String> {
    let r = content.catalogue.responsible(leika, &gemeinde?.ars)?;
    Some(format!("Zuständig: {}", r.office.name))
}

fn search_href(
    q: &str,
    lebenslage: Option<&str>,
    online: bool,
    page: usize,
    gemeinde: Option<&str>,
) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    s.append_pair("q", q);
    if let Some(l) = lebenslage {
        s.append_pair("lebenslage", l);
    }
    if online {
        s.append_pair("online", "1");
    }
    if page > 0 {
        s.append_pair("seite", &(page + 1).to_string());
    }
    if let Some(g) = gemeinde {
        s.append_pair("gemeinde", g);
    }
    format!("/suche?{}", s.finish())
}

fn request(params: &Params, query: String, page_key: &str) -> Result<SearchRequest, String> {
    let page = match params.get(page_key) {
        None => 1,
        Some(p) => p
            .parse::<usize>()
            .ok()
            .filter(|p| (1..=MAX_PAGE).contains(p))
            .ok_or_else(|| format!("{page_key} muss eine Zahl von 1 bis {MAX_PAGE} sein"))?,
    };
    let online_only = match params.get("online") {
        None | Some("0") | Some("false") => false,
        Some("1") | Some("true") => true,
        Some(_) => return Err("online muss 1, 0, true oder false sein".into()),
    };
    Ok(SearchRequest {
        query,
        lebenslage: params.get("lebenslage").map(String::from),
        online_only,
        page: page - 1,
    })
}

pub async fn page(
    State(state): State<AppState>,
    Extension(tenant): Extension<Arc<Tenant>>,
    RawQuery(raw): RawQuery,
) -> Response {
    let raw = raw.unwrap_or_default();
    let params = Params::parse(Some(raw.clone()));
    let content = state.content();
    let place = place_of(&tenant, &content, &params);
    let (query, cut) = params.query(MAX_PAGE_QUERY);
    let (req, bad_param) = match request(&params, query.clone(), "seite") {
        Ok(r) => (r, false),
        Err(_) => (
            SearchRequest {
                query,
                ..Default::default()
            },
            true,
        ),
    };
    let results = run(&state, &tenant, &content, &place, &req, true).await;
    let input = PageInput {
        params: &params,
        req: &req,
        cut,
        bad_param,
    };
    let render = || {
        Bytes::from(page_body(
            &state, &tenant, &content, &place, &input, &results,
        ))
    };
    let nav = super::account::current_nav();
    // The same query on the same results is the same page for every anonymous
    // visitor (the login link follows the URL, which is part of the key); a
    // citizen's page and an editor's preview are rendered for them alone.
    let body = if tenant.preview || matches!(nav, app::AccountNav::Citizen { .. }) {
        render()
    } else {
        let key = BodyKey {
            results: results.clone(),
            request: format!("page\u{0}{raw}\u{0}{}", crate::clock::german_local_day()),
        };
        state.search().bodies.get_or(key, render)
    };
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

/// What the search page shows of the request besides its results.
struct PageInput<'a> {
    params: &'a Params,
    req: &'a SearchRequest,
    /// The query was cut to `MAX_PAGE_QUERY` characters.
    cut: bool,
    /// A parameter was invalid: the first page without filters is shown.
    bad_param: bool,
}

fn page_body(
    state: &AppState,
    tenant: &Tenant,
    content: &Content,
    place: &Place<'_>,
    input: &PageInput<'_>,
    results: &SearchResults,
) -> String {
    let c = &content.catalogue;
    let req = input.req;
    let query = req.query.clone();
    let mut shell = shell(state, tenant, Some(place));
    let gemeinde_param = input
        .params
        .get("gemeinde")
        .filter(|_| place.gemeinde().is_some())
        .map(String::from);
    let gemeinde = place.gemeinde();
    let pq = shell.place_query.clone();
    let cards = results
        .hits
        .iter()
        .filter_map(|h| {
            if let Some(s) = local_service(tenant, h) {
                return Some(local_card(tenant, s));
            }
            let l = c.leistungen.get(h.ord)?;
            let mut card = card(c, l, &pq);
            card.office = office_label(content, gemeinde, &l.leika);
            Some(card)
        })
        .collect();
    let message = if input.bad_param {
        Some(
            "Einige Angaben in der Adresse waren ungültig; wir zeigen die erste Seite ohne Filter."
                .to_string(),
        )
    } else if input.cut {
        Some(format!("Ihre Suchanfrage war sehr lang; wir haben die ersten {MAX_PAGE_QUERY} Zeichen verwendet."))
    } else if !query.is_empty() && !results.searched {
        Some("Bitte geben Sie ein Wort ein, zum Beispiel „Personalausweis“ oder „Umzug“.".into())
    } else if results.searched && results.total == 0 {
        Some("Dazu haben wir leider nichts gefunden. Versuchen Sie ein anderes Wort oder stöbern Sie nach Lebenslage.".into())
    } else {
        None
    };
    let g = gemeinde_param.as_deref();
    let href = |lebenslage: Option<&str>, online: bool, page: usize| {
        search_href(&query, lebenslage, online, page, g)
    };
    let facets = results
        .lebenslagen
        .iter()
        .filter_map(|(slug, n)| {
            let selected = req.lebenslage.as_deref() == Some(slug.as_str());
            Some(Facet {
                label: c.lebenslage(slug)?.name.clone(),
                count: *n,
                href: href((!selected).then_some(slug.as_str()), req.online_only, 0),
                selected,
            })
        })
        .take(12)
        .collect();
    let online_facet = (results.online > 0 || req.online_only).then(|| Facet {
        label: "Online beantragen möglich".into(),
        count: results.online,
        href: href(req.lebenslage.as_deref(), !req.online_only, 0),
        selected: req.online_only,
    });
    let pages = results.total.div_ceil(PER_PAGE).max(1);
    let lebenslage = req.lebenslage.as_deref();
    shell.search_query = query.clone();
    let page = app::SearchPage {
        total: results.total,
        results: cards,
        lebenslagen: lebenslage_links(c, tenant, &pq),
        message,
        suggestion: results.suggestion.as_ref().map(|s| LinkItem {
            href: search_href(s, None, false, 0, g),
            label: s.clone(),
            hint: String::new(),
        }),
        facets,
        online_facet,
        previous: (req.page > 0).then(|| href(lebenslage, req.online_only, req.page - 1)),
        next: (req.page + 1 < pages).then(|| href(lebenslage, req.online_only, req.page + 1)),
        page_label: if pages > 1 {
            format!("(Seite {} von {pages})", req.page + 1)
        } else {
            String::new()
        },
        query,
    };
    let crumbs = vec![
        home(&shell),
        Crumb {
            label: "Suche".into(),
            href: String::new(),
        },
    ];
    app::render(&shell, "Suche", crumbs, Page::Search(Box::new(page)))
}

/// An RFC 9457 problem document.
fn problem(status: StatusCode, detail: &str) -> Response {
    let body = json!({ "type": "about:blank", "title": status.canonical_reason().unwrap_or("Fehler"), "status": status.as_u16(), "detail": detail });
    (
        status,
        [(header::CONTENT_TYPE, "application/problem+json")],
        body.to_string(),
    )
        .into_response()
}

pub async fn api(
    State(state): State<AppState>,
    Extension(tenant): Extension<Arc<Tenant>>,
    RawQuery(raw): RawQuery,
) -> Response {
    let params = Params::parse(raw);
    if params.invalid {
        return problem(
            StatusCode::BAD_REQUEST,
            "Die Anfrage enthält Zeichen, die kein gültiges UTF-8 sind.",
        );
    }
    let (query, cut) = params.query(MAX_API_QUERY);
    if cut {
        return problem(
            StatusCode::BAD_REQUEST,
            &format!("q ist zu lang (höchstens {MAX_API_QUERY} Zeichen)."),
        );
    }
    let req = match request(&params, query, "page") {
        Ok(r) => r,
        Err(e) => return problem(StatusCode::BAD_REQUEST, &e),
    };
    if let Some(l) = &req.lebenslage {
        if state.catalogue().lebenslage(l).is_none() {
            return problem(
                StatusCode::BAD_REQUEST,
                &format!("unbekannte Lebenslage „{l}“"),
            );
        }
    }
    let debug = matches!(params.get("debug"), Some("1") | Some("true"));
    let content = state.content();
    let place = place_of(&tenant, &content, &params);
    let results = run(&state, &tenant, &content, &place, &req, true).await;
    let key = BodyKey {
        results: results.clone(),
        request: format!("api\u{0}{}\u{0}{}\u{0}{debug}", req.query, place.query()),
    };
    let body = state.search().bodies.get_or(key, || {
        api_body(&tenant, &content, &place, &req, &results, debug)
    });
    json_response(body, None)
}

fn json_response(body: Bytes, cache_control: Option<&'static str>) -> Response {
    let mut response = (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response();
    if let Some(c) = cache_control {
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static(c));
    }
    response
}

/// The API's answer: hits with their office for the citizen's Gemeinde, facets, a suggestion.
#[derive(Serialize)]
struct ApiAnswer<'a> {
    query: &'a str,
    total: usize,
    page: usize,
    per_page: usize,
    hits: Vec<ApiHit<'a>>,
    facets: ApiFacets<'a>,
    suggestion: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum ApiHit<'a> {
    Local {
        local: &'a str,
        name: String,
        url: String,
        summary: String,
        online: Option<LocalOnline<'a>>,
        office: Option<String>,
    },
    Service {
        leika: &'a str,
        name: &'a str,
        url: String,
        summary: &'a str,
        online: Option<ServiceOnline<'a>>,
        office: Option<ApiOffice<'a>>,
        #[serde(skip_serializing_if = "Option::is_none")]
        score: Option<&'a crate::search::ScoreParts>,
    },
}

#[derive(Serialize)]
struct LocalOnline<'a> {
    url: &'a str,
}

#[derive(Serialize)]
struct ServiceOnline<'a> {
    vertrauensniveau: &'a str,
}

#[derive(Serialize)]
struct ApiOffice<'a> {
    name: &'a str,
    area: String,
}

#[derive(Serialize)]
struct ApiFacets<'a> {
    lebenslagen: Vec<ApiFacet<'a>>,
    online: usize,
}

#[derive(Serialize)]
struct ApiFacet<'a> {
    slug: &'a str,
    name: &'a str,
    count: usize,
}

/// The API's answer as JSON bytes (typed, so that no map of strings is built per hit).
fn api_body(
    tenant: &Tenant,
    content: &Content,
    place: &Place<'_>,
    req: &SearchRequest,
    results: &SearchResults,
    debug: bool,
) -> Bytes {
    let c = &content.catalogue;
    let gemeinde = place.gemeinde();
    let place_query = place.query();
    let hits = results
        .hits
        .iter()
        .filter_map(|h| {
            if let Some(s) = local_service(tenant, h) {
                let card = local_card(tenant, s);
                return Some(ApiHit::Local {
                    local: &s.key,
                    name: card.name,
                    url: card.href,
                    summary: card.summary,
                    online: s.data.online_url.as_deref().map(|url| LocalOnline { url }),
                    office: card.office,
                });
            }
            let l = c.leistungen.get(h.ord)?;
            let office = gemeinde
                .and_then(|g| c.responsible(&l.leika, &g.ars))
                .map(|r| ApiOffice {
                    name: &r.office.name,
                    area: c.area_label(r.area),
                });
            Some(ApiHit::Service {
                leika: l.leika.as_str(),
                name: &l.name,
                url: service_href(l, &place_query),
                summary: &l.short_text,
                online: c.online(&l.leika).map(|o| ServiceOnline {
                    vertrauensniveau: o.vertrauensniveau.as_str(),
                }),
                office,
                score: debug.then_some(&h.score),
            })
        })
        .collect();
    let lebenslagen = results
        .lebenslagen
        .iter()
        .filter_map(|(slug, n)| {
            Some(ApiFacet {
                slug,
                name: &c.lebenslage(slug)?.name,
                count: *n,
            })
        })
        .collect();
    let answer = ApiAnswer {
        query: &req.query,
        total: results.total,
        page: req.page + 1,
        per_page: PER_PAGE,
        hits,
        facets: ApiFacets {
            lebenslagen,
            online: results.online,
        },
        suggestion: results.suggestion.as_deref(),
    };
    Bytes::from(serde_json::to_vec(&answer).unwrap_or_default())
}

pub async fn suggest(
    State(state): State<AppState>,
    Extension(tenant): Extension<Arc<Tenant>>,
    RawQuery(raw): RawQuery,
) -> Response {
    let params = Params::parse(raw);
    let (query, cut) = params.query(100);
    if params.invalid || cut {
        return problem(
            StatusCode::BAD_REQUEST,
            "q muss gültiges UTF-8 mit höchstens 100 Zeichen sein.",
        );
    }
    let content = state.content();
    let c = &content.catalogue;
    let place = place_of(&tenant, &content, &params);
    let req = SearchRequest {
        query,
        ..Default::default()
    };
    let results = run(&state, &tenant, &content, &place, &req, false).await;
    let key = BodyKey {
        results: results.clone(),
        request: format!("suggest\u{0}{}\u{0}{}", req.query, place.query()),
    };
    let body = state.search().bodies.get_or(key, || {
        let items: Vec<_> = results
            .hits
            .iter()
            .filter_map(|h| c.leistungen.get(h.ord))
            .take(SUGGESTIONS)
            .map(|l| json!({ "name": l.name, "url": service_href(l, &place.query()) }))
            .collect();
        let json = json!({ "query": req.query, "suggestions": items });
        Bytes::from(serde_json::to_vec(&json).unwrap_or_default())
    });
    json_response(body, Some("public, max-age=60"))
}

pub async fn openapi() -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("openapi.json"),
    )
        .into_response()
}
