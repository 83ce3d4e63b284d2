//! The citizen pages: each handler turns the tenant, the catalogue and the
//! URL into a view model and renders it with the `app` components.

use super::error::ErrorInfo;
use super::middleware::Cacheable;
use super::place::{EventPlace, Place, PlaceQuery};
use super::{AppError, AppState};
use crate::catalogue::model::{source, Leistung, Ort, Provenance, Region};
use crate::catalogue::read::fold;
use crate::catalogue::Catalogue;
use crate::keys::LeikaKey;
use crate::tenancy::Tenant;
use app::{Block, Crumb, LinkItem, Page, ServiceCard, Shell};
use axum::extract::{Extension, Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use std::sync::Arc;

pub const PAGE_CACHE_CONTROL: &str = "public, max-age=60";

type TenantExt = Extension<Arc<Tenant>>;
type PageResult = Result<Response, AppError>;

fn html(body: String) -> Response {
    let mut res = (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static(PAGE_CACHE_CONTROL),
            ),
        ],
        body,
    )
        .into_response();
    res.extensions_mut().insert(Cacheable);
    res
}

/// For pages of the citizen's own area: never stored by any cache.
pub(super) fn html_private(body: String) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, no-store"),
            ),
        ],
        body,
    )
        .into_response()
}

pub(super) fn page_shell(state: &AppState, tenant: &Tenant) -> Shell {
    shell(state, tenant, None)
}

pub(super) fn shell(state: &AppState, tenant: &Tenant, place: Option<&Place>) -> Shell {
    let c = &tenant.config.contact;
    let chosen = place.filter(|p| !p.query().is_empty());
    Shell {
        tenant_name: tenant.name.clone(),
        tagline: tenant.config.tagline.clone(),
        logo_url: match &tenant.config.logo.upload {
            Some(id) => format!("/medien/{id}"),
            None => state
                .assets()
                .url(&format!("tenants/{}", tenant.config.logo.file)),
        },
        logo_alt: tenant.config.logo.alt.clone(),
        stylesheet_url: state.assets().url("style.css"),
        theme_url: format!("/theme.css?v={}", tenant.version),
        favicon_url: state.assets().url("favicon.svg"),
        script_url: state.assets().url("js/suggest.js"),
        contact: app::Contact {
            name: c.name.clone(),
            street: c.street.clone(),
            postcode_city: format!("{} {}", c.postcode, c.city),
            phone: c.phone.clone(),
            email: c.email.clone(),
            opening_hours: c.opening_hours.clone(),
        },
        place_query: place.map(Place::query).unwrap_or_default(),
        place_name: chosen
            .and_then(Place::gemeinde)
            .map(|g| crate::catalogue::generate::municipality_name(&g.name, g.type_code)),
        search_query: String::new(),
        account: super::account::current_nav(),
        header_links: nav_links(&tenant.config.header_links),
        footer_links: nav_links(&tenant.config.footer_links),
        preview: tenant.preview,
        back_office: false,
    }
}

fn nav_links(links: &[crate::editor::model::NavLink]) -> Vec<LinkItem> {
    links
        .iter()
        .map(|l| LinkItem {
            href: l.href.clone(),
            label: l.label.clone(),
            hint: String::new(),
        })
        .collect()
}

pub(super) fn home_crumb(shell: &Shell) -> Crumb {
    home(shell)
}

pub(super) fn home(shell: &Shell) -> Crumb {
    Crumb {
        label: "Startseite".into(),
        href: format!("/{}", shell.place_query),
    }
}

fn crumb(label: &str, href: String) -> Crumb {
    Crumb {
        label: label.to_string(),
        href,
    }
}

pub fn service_href(l: &Leistung, place_query: &str) -> String {
    format!("/leistungen/{}-{}{}", l.leika, l.slug, place_query)
}

pub(super) fn card(c: &Catalogue, l: &Leistung, place_query: &str) -> ServiceCard {
    let summary = if !l.short_text.is_empty() {
        l.short_text.clone()
    } else if !l.ozg_name.is_empty() {
        format!("Gehört zur Leistung „{}“.", l.ozg_name)
    } else {
        String::new()
    };
    ServiceCard {
        href: service_href(l, place_query),
        name: l.name.clone(),
        summary,
        online: c.online(&l.leika).is_some(),
        office: None,
    }
}

fn lebenslage_link(
    c: &Catalogue,
    l: &crate::catalogue::model::Lebenslage,
    place_query: &str,
) -> LinkItem {
    let n = c.leistungen_in(&l.slug).count();
    LinkItem {
        href: format!("/lebenslagen/{}{}", l.slug, place_query),
        label: l.name.clone(),
        hint: format!("{n} Leistungen"),
    }
}

pub(super) fn lebenslage_links(c: &Catalogue, tenant: &Tenant, place_query: &str) -> Vec<LinkItem> {
    let chosen: Vec<_> = tenant
        .config
        .start
        .lebenslagen
        .iter()
        .filter_map(|n| c.lebenslage_by_name(n))
        .collect();
    let list = if chosen.is_empty() {
        c.lebenslagen.iter().take(10).collect()
    } else {
        chosen
    };
    list.into_iter()
        .map(|l| lebenslage_link(c, l, place_query))
        .collect()
}

pub async fn start(
    State(state): State<AppState>,
    Extension(tenant): TenantExt,
    Query(q): Query<PlaceQuery>,
) -> PageResult {
    let c = state.catalogue();
    let place = Place::resolve(&tenant, &c, &q);
    let shell = shell(&state, &tenant, Some(&place));
    let pq = shell.place_query.clone();
    let featured = tenant
        .config
        .start
        .featured
        .iter()
        .filter_map(|f| match f.strip_prefix("lokal:") {
            Some(key) => tenant.local.service(key).map(|s| ServiceCard {
                href: s.href(),
                name: s.data.name.clone(),
                summary: s.data.short_text.clone(),
                online: s.data.online_url.is_some(),
                office: None,
            }),
            None => LeikaKey::parse(f)
                .ok()
                .and_then(|k| c.leistung(&k))
                .map(|l| card(&c, l, &pq)),
        })
        .collect();
    let today = crate::clock::german_day(crate::clock::now_unix());
    let news = tenant
        .local
        .current_news(&today)
        .into_iter()
        .map(|n| app::NewsItem {
            title: n.data.title.clone(),
            date: n.data.starts.clone(),
            html: n.html.clone(),
        })
        .collect();
    let page = app::StartPage {
        lebenslagen: lebenslage_links(&c, &tenant, &pq),
        featured,
        news,
    };
    Ok(html(app::render(&shell, "", vec![], Page::Start(page))))
}

pub async fn lebenslagen(
    State(state): State<AppState>,
    Extension(tenant): TenantExt,
    Query(q): Query<PlaceQuery>,
) -> PageResult {
    let c = state.catalogue();
    let place = Place::resolve(&tenant, &c, &q);
    let shell = shell(&state, &tenant, Some(&place));
    let mut groups: Vec<(String, Vec<LinkItem>)> = Vec::new();
    let mut sorted: Vec<_> = c.lebenslagen.iter().collect();
    sorted.sort_by(|a, b| a.themenfeld.cmp(&b.themenfeld).then(a.name.cmp(&b.name)));
    for l in sorted {
        let item = lebenslage_link(&c, l, &shell.place_query);
        match groups.last_mut() {
            Some((t, items)) if *t == l.themenfeld => items.push(item),
            _ => groups.push((l.themenfeld.clone(), vec![item])),
        }
    }
    let crumbs = vec![home(&shell), crumb("Lebenslagen", String::new())];
    Ok(html(app::render(
        &shell,
        "Lebenslagen",
        crumbs,
        Page::LebenslagenIndex(app::LebenslagenIndex { groups }),
    )))
}

pub async fn lebenslage(
    State(state): State<AppState>,
    Extension(tenant): TenantExt,
    Path(slug): Path<String>,
    Query(q): Query<PlaceQuery>,
) -> PageResult {
    let c = state.catalogue();
    let l = c.lebenslage(&slug).ok_or(AppError::NotFound)?;
    let place = Place::resolve(&tenant, &c, &q);
    let shell = shell(&state, &tenant, Some(&place));
    let pq = &shell.place_query;
    let services: Vec<&Leistung> = c.leistungen_in(&l.slug).collect();
    let mut groups: Vec<(String, Vec<LinkItem>)> = Vec::new();
    let mut by_bundle: Vec<&Leistung> = services.clone();
    by_bundle.sort_by(|a, b| a.ozg_name.cmp(&b.ozg_name));
    for s in by_bundle {
        let title = if s.ozg_name.is_empty() {
            "Weitere Leistungen".to_string()
        } else {
            s.ozg_name.clone()
        };
        let item = LinkItem {
            href: service_href(s, pq),
            label: s.name.clone(),
            hint: String::new(),
        };
        match groups.last_mut() {
            Some((t, items)) if *t == title => items.push(item),
            _ => groups.push((title, vec![item])),
        }
    }
    let page = app::LebenslagePage {
        name: l.name.clone(),
        themenfeld: l.themenfeld.clone(),
        featured: services
            .iter()
            .filter(|s| s.source == source::DEMO)
            .map(|s| card(&c, s, pq))
            .collect(),
        groups,
        total: services.len(),
    };
    let crumbs = vec![
        home(&shell),
        crumb("Lebenslagen", format!("/lebenslagen{pq}")),
        crumb(&l.name, String::new()),
    ];
    Ok(html(app::render(
        &shell,
        &l.name,
        crumbs,
        Page::Lebenslage(page),
    )))
}

/// `/leistungen/<leika>-<slug>`; other spellings redirect to that one.
pub async fn service(
    State(state): State<AppState>,
    Extension(tenant): TenantExt,
    citizen: super::account::MaybeCitizen,
    Path(id): Path<String>,
    Query(q): Query<PlaceQuery>,
) -> PageResult {
    let c = state.catalogue();
    let key = id
        .get(..14)
        .and_then(|k| LeikaKey::parse(k).ok())
        .ok_or(AppError::NotFound)?;
    let l = c.leistung(&key).ok_or(AppError::NotFound)?;
    let place = Place::resolve(&tenant, &c, &q);
    let plz_answered = q.plz.is_some() && matches!(place, Place::Known { chosen: true, .. });
    if id != format!("{}-{}", l.leika, l.slug) {
        return Ok(Redirect::permanent(&service_href(l, &place.query())).into_response());
    }
    if plz_answered {
        return Ok(Redirect::to(&service_href(l, &place.query())).into_response());
    }
    if let Some(res) = not_offered(&state, &tenant, l) {
        return Ok(res);
    }
    let by_event = c.rule(&l.leika).map(|r| r.ort) == Some(Ort::Ereignisort);
    let event = by_event.then(|| EventPlace::resolve(&c, &q));
    if let (Some(EventPlace::Known(g)), Some(_)) = (&event, &q.ereignis_plz) {
        return Ok(Redirect::to(&event_href(l, &place, g)).into_response());
    }
    let shell = shell(&state, &tenant, Some(&place));
    let mut page = service_page(&c, &tenant, l, &place, event.as_ref(), &shell.place_query);
    if let Some(Extension(super::account::Citizen(s))) = citizen {
        page.favourite = Some(app::FavouriteForm {
            leika: l.leika.to_string(),
            saved: super::personal::is_favourite(&state, &s.citizen_id, l.leika.as_str()).await?,
            csrf: s.csrf.clone(),
            back: service_href(l, &shell.place_query),
        });
    }
    let crumbs = vec![
        home(&shell),
        crumb("Leistungen A–Z", format!("/a-z{}", shell.place_query)),
        crumb(&l.name, String::new()),
    ];
    let mut res = html(app::render(
        &shell,
        &l.name,
        crumbs,
        Page::Service(Box::new(page)),
    ));
    res.extensions_mut().insert(super::cache::FavouriteSlot {
        leika: l.leika.to_string(),
        back: service_href(l, &shell.place_query),
    });
    Ok(res)
}

/// The service page's URL with the place of the event (and the chosen Wohnort, if any).
fn event_href(l: &Leistung, place: &Place, event: &Region) -> String {
    let pq = place.query();
    let sep = if pq.is_empty() { '?' } else { '&' };
    format!("{}{sep}ereignisort={}", service_href(l, &pq), event.ars)
}

fn office_view(c: &Catalogue, r: &crate::catalogue::read::Responsible) -> app::Office {
    app::Office {
        name: r.office.name.clone(),
        area: c.area_label(r.area),
        street: r.office.street.clone(),
        postcode_city: format!("{} {}", r.office.plz, r.office.city)
            .trim()
            .to_string(),
        phone: r.office.phone.clone(),
        email: r.office.email.clone(),
        opening_hours: r.office.opening_hours.clone(),
    }
}

/// The answer for one Gemeinde (the Wohnort, or the place of the event), or the
/// honest "not recorded" with the tenant's contact: never a guess.
fn answer_for(
    c: &Catalogue,
    tenant: &Tenant,
    l: &Leistung,
    gemeinde: &Region,
    event_place: Option<String>,
    change_event_href: Option<String>,
) -> app::Responsibility {
    let Some(r) = c.responsible(&l.leika, &gemeinde.ars) else {
        return app::Responsibility::Unknown {
            place: crate::catalogue::generate::municipality_name(
                &gemeinde.name,
                gemeinde.type_code,
            ),
            contact: shell_contact(tenant),
        };
    };
    let rule = c.rule(&l.leika);
    let antrag = rule
        .and_then(|rule| rule.antrag_bei.as_ref())
        .and_then(|k| c.responsible(k, &gemeinde.ars))
        .map(|a| office_view(c, &a));
    let basis = match r.provenance {
        Provenance::Rule { basis, .. } => basis.clone(),
        Provenance::Imported | Provenance::Editor => String::new(),
    };
    app::Responsibility::Office(Box::new(app::Answer {
        office: office_view(c, &r),
        basis,
        hinweis: rule.map(|r| r.hinweis.clone()).unwrap_or_default(),
        antrag,
        event_place,
        change_event_href,
    }))
}

fn service_page(
    c: &Catalogue,
    tenant: &Tenant,
    l: &Leistung,
    place: &Place,
    event: Option<&EventPlace>,
    pq: &str,
) -> app::ServicePage {
    let path = format!("/leistungen/{}-{}", l.leika, l.slug);
    let responsibility = match (event, place) {
        (Some(EventPlace::Known(g)), _) => answer_for(
            c,
            tenant,
            l,
            g,
            Some(crate::catalogue::generate::municipality_name(
                &g.name,
                g.type_code,
            )),
            Some(service_href(l, &place.query())),
        ),
        (
            Some(EventPlace::Unknown {
                error,
                plz,
                candidates,
            }),
            _,
        ) => app::Responsibility::ChooseEventPlace(app::EventPlaceChoice {
            action: path.clone(),
            gemeinde: place
                .query()
                .strip_prefix("?gemeinde=")
                .unwrap_or("")
                .to_string(),
            gemeinden: c
                .gemeinden_in(&tenant.ars)
                .into_iter()
                .map(|g| (g.ars.to_string(), g.name.clone()))
                .collect(),
            plz: plz.clone(),
            error: error.clone(),
            candidates: candidates
                .iter()
                .map(|g| LinkItem {
                    href: event_href(l, place, g),
                    label: g.name.clone(),
                    hint: String::new(),
                })
                .collect(),
        }),
        (None, Place::Known { gemeinde, .. }) => answer_for(c, tenant, l, gemeinde, None, None),
        (
            None,
            Place::Unknown {
                error,
                plz,
                candidates,
            },
        ) => app::Responsibility::ChoosePlace(app::PlaceChoice {
            action: path.clone(),
            gemeinden: c
                .gemeinden_in(&tenant.ars)
                .into_iter()
                .map(|g| (g.ars.to_string(), g.name.clone()))
                .collect(),
            plz: plz.clone(),
            error: error.clone(),
            candidates: candidates
                .iter()
                .map(|g| LinkItem {
                    href: format!("{path}?gemeinde={}", g.ars),
                    label: g.name.clone(),
                    hint: String::new(),
                })
                .collect(),
        }),
    };
    let change_place_href =
        matches!(place, Place::Known { chosen: true, .. }).then(|| path.clone());
    app::ServicePage {
        name: l.name.clone(),
        catalogue_name: (l.catalogue_name != l.name).then(|| l.catalogue_name.clone()),
        leika: l.leika.to_string(),
        short_text: l.short_text.clone(),
        long_text: app::blocks(&l.long_text),
        fees: l
            .fees
            .iter()
            .map(|f| app::Fee {
                label: f.label.clone(),
                amount: f.amount.clone(),
            })
            .collect(),
        documents: l.documents.clone(),
        deadlines: l.deadlines.clone(),
        processing_time: l.processing_time.clone(),
        legal_basis: l.legal_basis.clone(),
        ozg_leistung: l.ozg_name.clone(),
        lebenslagen: l
            .lebenslagen
            .iter()
            .filter_map(|s| c.lebenslage(s))
            .map(|ll| lebenslage_link(c, ll, pq))
            .collect(),
        responsibility,
        online: c.online(&l.leika).map(|o| app::Online {
            href: format!("/leistungen/{}/beantragen{pq}", l.leika),
            level: o.vertrauensniveau.label().to_string(),
        }),
        change_place_href,
        favourite: None,
        local: local_addition(tenant, &l.leika),
    }
}

fn office_of(o: &crate::editor::model::Office) -> app::Office {
    app::Office {
        name: o.name.clone(),
        area: String::new(),
        street: o.street.clone(),
        postcode_city: format!("{} {}", o.postcode, o.city).trim().to_string(),
        phone: o.phone.clone(),
        email: o.email.clone(),
        opening_hours: o.opening_hours.clone(),
    }
}

/// The municipality's own additions to a catalogue service, if it wrote any.
fn local_addition(tenant: &Tenant, key: &LeikaKey) -> Option<app::LocalAddition> {
    let a = tenant.local.additions.get(key)?;
    let office = a
        .data
        .office
        .as_ref()
        .and_then(|k| tenant.local.offices.get(k))
        .map(office_of);
    let add = app::LocalAddition {
        tenant_name: tenant.name.clone(),
        fees_html: a.fees_html.clone(),
        documents_html: a.documents_html.clone(),
        contact_html: a.contact_html.clone(),
        office,
        opening_hours_html: a.opening_hours_html.clone(),
        notes_html: a.notes_html.clone(),
    };
    let empty = add.fees_html.is_empty()
        && add.documents_html.is_empty()
        && add.contact_html.is_empty()
        && add.office.is_none()
        && add.opening_hours_html.is_empty()
        && add.notes_html.is_empty();
    (!empty).then_some(add)
}

/// "Not offered here": the service page says so and names who to ask.
fn not_offered(state: &AppState, tenant: &Tenant, l: &Leistung) -> Option<Response> {
    let a = tenant
        .local
        .additions
        .get(&l.leika)
        .filter(|a| a.data.hidden)?;
    let shell = shell(state, tenant, None);
    let crumbs = vec![home(&shell), crumb(&l.name, String::new())];
    let page = app::NotOfferedPage {
        name: l.name.clone(),
        tenant_name: tenant.name.clone(),
        ask_instead_html: a.ask_instead_html.clone(),
        contact: shell_contact(tenant),
    };
    Some(html(app::render(
        &shell,
        &l.name,
        crumbs,
        Page::NotOffered(page),
    )))
}

/// `/leistungen/lokal/<key>`: a service of the municipality's own.
pub async fn local_service(
    State(state): State<AppState>,
    Extension(tenant): TenantExt,
    Path(key): Path<String>,
) -> PageResult {
    let s = tenant.local.service(&key).ok_or(AppError::NotFound)?;
    let c = state.catalogue();
    let shell = shell(&state, &tenant, None);
    let page = app::LocalServicePage {
        name: s.data.name.clone(),
        tenant_name: tenant.name.clone(),
        short_text: s.data.short_text.clone(),
        text_html: s.text_html.clone(),
        fees_html: s.fees_html.clone(),
        documents_html: s.documents_html.clone(),
        office: s
            .data
            .office
            .as_ref()
            .and_then(|k| tenant.local.offices.get(k))
            .map(office_of),
        online_href: s.data.online_url.clone(),
        lebenslagen: s
            .data
            .lebenslagen
            .iter()
            .filter_map(|n| c.lebenslage_by_name(n))
            .map(|ll| lebenslage_link(&c, ll, ""))
            .collect(),
    };
    let crumbs = vec![home(&shell), crumb(&s.data.name, String::new())];
    Ok(html(app::render(
        &shell,
        &s.data.name,
        crumbs,
        Page::LocalService(Box::new(page)),
    )))
}

/// `/medien/<id>`: an editor's upload (a logo), only on its tenant's hosts.
/// An SVG is served with a CSP that forbids any script or load.
pub async fn upload(
    State(state): State<AppState>,
    Extension(tenant): TenantExt,
    Path(id): Path<String>,
) -> PageResult {
    if id.len() != 24 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(AppError::NotFound);
    }
    let (content_type, data) = crate::editor::uploads::get(state.store(), tenant.scope(), &id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_str(&content_type)
                    .unwrap_or(HeaderValue::from_static("application/octet-stream")),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=31536000, immutable"),
            ),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; sandbox"),
            ),
        ],
        data,
    )
        .into_response())
}

fn shell_contact(tenant: &Tenant) -> app::Contact {
    let c = &tenant.config.contact;
    app::Contact {
        name: c.name.clone(),
        street: c.street.clone(),
        postcode_city: format!("{} {}", c.postcode, c.city),
        phone: c.phone.clone(),
        email: c.email.clone(),
        opening_hours: c.opening_hours.clone(),
    }
}

fn first_letter(name: &str) -> String {
    fold(name)
        .chars()
        .find(|c| c.is_ascii_alphabetic())
        .map(|c| c.to_ascii_uppercase().to_string())
        .unwrap_or_else(|| "#".into())
}

pub async fn az_start(
    state: State<AppState>,
    tenant: TenantExt,
    q: Query<PlaceQuery>,
) -> PageResult {
    az_page(state, tenant, "a".into(), q).await
}

pub async fn az(
    state: State<AppState>,
    tenant: TenantExt,
    Path(letter): Path<String>,
    q: Query<PlaceQuery>,
) -> PageResult {
    az_page(state, tenant, letter, q).await
}

async fn az_page(
    State(state): State<AppState>,
    Extension(tenant): TenantExt,
    letter: String,
    Query(q): Query<PlaceQuery>,
) -> PageResult {
    let current = letter.to_uppercase();
    if current.len() != 1 || !current.chars().all(|c| c.is_ascii_uppercase()) {
        return Err(AppError::NotFound);
    }
    let c = state.catalogue();
    let place = Place::resolve(&tenant, &c, &q);
    let shell = shell(&state, &tenant, Some(&place));
    let pq = &shell.place_query;
    let letters = ('A'..='Z')
        .map(|l| {
            (
                l.to_string(),
                format!("/a-z/{}{pq}", l.to_ascii_lowercase()),
                l.to_string() == current,
            )
        })
        .collect();
    let items = c
        .leistungen
        .iter()
        .filter(|l| first_letter(&l.name) == current)
        .map(|l| LinkItem {
            href: service_href(l, pq),
            label: l.name.clone(),
            hint: String::new(),
        })
        .collect();
    let crumbs = vec![home(&shell), crumb("Leistungen A–Z", String::new())];
    let title = format!("Leistungen A–Z: {current}");
    Ok(html(app::render(
        &shell,
        &title,
        crumbs,
        Page::Az(app::AzPage {
            letters,
            current,
            items,
        }),
    )))
}

fn text_page(state: &AppState, tenant: &Tenant, title: &str, blocks: Vec<Block>) -> Response {
    let shell = shell(state, tenant, None);
    let crumbs = vec![home(&shell), crumb(title, String::new())];
    html(app::render(
        &shell,
        title,
        crumbs,
        Page::Text(app::TextPage {
            title: title.into(),
            blocks,
        }),
    ))
}

pub async fn impressum(state: State<AppState>, t: TenantExt) -> Response {
    legal_page(state, t, "Impressum", |l| &l.impressum).await
}

pub async fn datenschutz(state: State<AppState>, t: TenantExt) -> Response {
    legal_page(state, t, "Datenschutzerklärung", |l| &l.datenschutz).await
}

pub async fn barrierefreiheit(state: State<AppState>, t: TenantExt) -> Response {
    legal_page(state, t, "Erklärung zur Barrierefreiheit", |l| {
        &l.barrierefreiheit
    })
    .await
}

/// A legal page: its text comes from the store (served tenants do not keep
/// it), and the page cache keeps the rendered page.
async fn legal_page(
    State(state): State<AppState>,
    Extension(t): TenantExt,
    title: &str,
    text: fn(&crate::tenancy::Legal) -> &String,
) -> Response {
    match crate::tenancy::full_config(state.store(), &t).await {
        Ok(config) => text_page(
            &state,
            &t,
            title,
            vec![Block::Html(crate::richtext::markdown(text(&config.legal)))],
        ),
        Err(e) => AppError::from(e).into_response(),
    }
}

const ABOUT_GENERATED: &str = "## Zuständigkeiten
Zuständigkeiten liegen in keiner dieser Quellen vor. Das Portal leitet sie aus einer eigenen Regeltabelle für Schleswig-Holstein ab; jede Regel nennt ihre öffentliche Quelle (Gesetz oder veröffentlichter Text des Landes), und die Seite einer Leistung zeigt sie an. Wo keine Regel mit Quelle vorliegt, nennt das Portal keine Stelle, sondern sagt, dass die Zuständigkeit noch nicht erfasst ist. Öffnungszeiten, Telefonnummern und E-Mail-Adressen stehen nur dort, wo eine Quelle sie nennt.

## Beispieltexte
Einige ausführliche Leistungsbeschreibungen sind Beispieltexte dieser Demo-Installation. Die Online-Dienste sind Beispiele.";

/// "Über diese Daten": every source with the attribution and licence it asks for.
fn about_data_text() -> String {
    let mut text =
        String::from("Dieses Portal zeigt öffentliche Daten. Wir danken den Herausgebern.\n\n");
    for s in crate::catalogue::sources::SOURCES {
        text.push_str(&format!(
            "## {}\n{}. Lizenz: {}.\n\n",
            s.topic, s.attribution, s.licence
        ));
    }
    text.push_str(ABOUT_GENERATED);
    text
}

pub async fn about_data(State(state): State<AppState>, Extension(t): TenantExt) -> Response {
    text_page(
        &state,
        &t,
        "Über diese Daten",
        app::blocks(&about_data_text()),
    )
}

pub async fn theme(Extension(t): TenantExt) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        t.theme_css(),
    )
        .into_response()
}

pub async fn not_found() -> AppError {
    AppError::NotFound
}

pub fn error_page(state: &AppState, tenant: &Tenant, info: &ErrorInfo) -> Response {
    let shell = shell(state, tenant, None);
    let page = app::ErrorPage {
        status: info.status.as_u16(),
        title: info.title.clone(),
        message: info.message.clone(),
    };
    let body = app::render(&shell, &info.title, vec![], Page::Error(page));
    (
        info.status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
}

/// What citizens see of a portal that is not (or not now) open.
pub fn closed_page(
    state: &AppState,
    tenant: &Tenant,
    status: crate::tenancy::TenantStatus,
) -> Response {
    let shell = shell(state, tenant, None);
    let (title, message, code) = match status {
        crate::tenancy::TenantStatus::Suspended => (
            "Vorübergehend nicht erreichbar",
            format!("Das Portal von {} ist gerade in Wartung. Bitte wenden Sie sich in der Zwischenzeit direkt an die Verwaltung.", tenant.name),
            StatusCode::SERVICE_UNAVAILABLE,
        ),
        _ => (
            "Noch nicht geöffnet",
            "Dieses Portal wird gerade eingerichtet und ist noch nicht geöffnet.".to_string(),
            StatusCode::SERVICE_UNAVAILABLE,
        ),
    };
    let contact =
        (status == crate::tenancy::TenantStatus::Suspended).then(|| shell_contact(tenant));
    let page = app::NoticePage {
        title: title.into(),
        message: match &contact {
            Some(c) => format!("{message} {}: {} {}", c.name, c.phone, c.email)
                .trim()
                .to_string(),
            None => message,
        },
        links: vec![],
    };
    let mut res = html_private(app::render(&shell, title, vec![], Page::Notice(page)));
    *res.status_mut() = code;
    res.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("3600"));
    res
}

pub async fn healthz() -> &'static str {
    "ok"
}

pub async fn readyz(State(state): State<AppState>) -> Response {
    let db = state.store().ping().await;
    let catalogue = state.catalogue().version > 0;
    let status = if db && catalogue {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        axum::Json(serde_json::json!({ "database": db, "catalogue": catalogue })),
    )
        .into_response()
}
