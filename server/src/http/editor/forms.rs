//! One form per kind of content, all following one pattern: the current value
//! (draft, else published) becomes fields; a submission is parsed into the
//! typed value with errors per field, references are checked against this
//! tenant's own content, and a draft is saved unless someone saved since the
//! form was read (then both versions are shown and nothing is lost).

use super::{new_key, render, render_status, EditorCtx, EditorForm};
use crate::editor::content::{self, Item, Saved, Target};
use crate::editor::model::{
    self, Addition, FieldError, Kind, LegalPage, LocalService, NavLink, News, Office, ServiceRef,
    Settings, StartPage, LEGAL_PAGES, MAIN,
};
use crate::http::{AppError, AppState};
use crate::keys::LeikaKey;
use crate::tenancy::colors::{check_brand, Rgb};
use app::{ActionButton, Conflict, EditPage, Field, FieldKind, FormView, LinkItem, Page};
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::Value;
use std::collections::HashMap;

type Fields = HashMap<String, String>;

#[derive(Deserialize, Default)]
pub struct Notice {
    gespeichert: Option<String>,
}

/// Where an item is edited.
pub fn edit_href(kind: Kind, key: &str) -> String {
    match kind {
        Kind::Settings => "/redaktion/darstellung".into(),
        Kind::Start => "/redaktion/startseite".into(),
        Kind::Legal => format!("/redaktion/rechtliches/{key}"),
        Kind::News => format!("/redaktion/meldungen/{key}"),
        Kind::Addition => format!("/redaktion/leistungen/{key}"),
        Kind::Service => format!("/redaktion/eigene-leistungen/{key}"),
        Kind::Office => format!("/redaktion/stellen/{key}"),
    }
}

/// The editor navigation entry an item belongs to.
fn nav_href(kind: Kind, key: &str) -> String {
    match kind {
        Kind::Legal => "/redaktion/rechtliches/impressum".into(),
        Kind::News => "/redaktion/meldungen".into(),
        Kind::Addition | Kind::Service => "/redaktion/leistungen".into(),
        Kind::Office => "/redaktion/stellen".into(),
        _ => edit_href(kind, key),
    }
}

/// The citizen page an item shows on (for the preview).
pub fn citizen_path(state: &AppState, kind: Kind, key: &str) -> String {
    match kind {
        Kind::Legal => LEGAL_PAGES
            .iter()
            .find(|(k, _, _)| *k == key)
            .map(|(_, _, p)| p.to_string())
            .unwrap_or_else(|| "/".into()),
        Kind::Addition => LeikaKey::parse(key)
            .ok()
            .and_then(|k| {
                state
                    .catalogue()
                    .leistung(&k)
                    .map(|l| crate::http::pages::service_href(l, ""))
            })
            .unwrap_or_else(|| "/".into()),
        Kind::Service => format!("/leistungen/lokal/{key}"),
        _ => "/".into(),
    }
}

/// A human name of an item, for lists and the audit log.
pub fn item_label(state: &AppState, kind: Kind, key: &str, value: Option<&Value>) -> String {
    let field = |name: &str| {
        value
            .and_then(|v| v.get(name))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    match kind {
        Kind::Settings | Kind::Start => kind.label().into(),
        Kind::Legal => LEGAL_PAGES
            .iter()
            .find(|(k, _, _)| *k == key)
            .map(|(_, t, _)| t.to_string())
            .unwrap_or_else(|| key.into()),
        Kind::News => format!("Meldung „{}“", field("title")),
        Kind::Addition => {
            let name = LeikaKey::parse(key)
                .ok()
                .and_then(|k| state.catalogue().leistung(&k).map(|l| l.name.clone()))
                .unwrap_or_else(|| key.into());
            format!("Ergänzung zu „{name}“")
        }
        Kind::Service => format!("Eigene Leistung „{}“", field("name")),
        Kind::Office => format!("Stelle „{}“", field("name")),
    }
}

// ---------------------------------------------------------------- per kind

fn text_field(name: &str, label: &str, value: &str) -> Field {
    Field::new(name, label, FieldKind::Text, value)
}

fn area(name: &str, label: &str, value: &str, rows: u32) -> Field {
    Field::new(name, label, FieldKind::Textarea { rows }, value)
}

fn markdown_hint(f: Field) -> Field {
    f.hint(
        "Markdown: Leerzeile für Absatz, „- “ für Listen, **fett**, [Text](https://…) für Links.",
    )
}

fn links_text(links: &[NavLink]) -> String {
    links
        .iter()
        .map(|l| format!("{} | {}", l.label, l.href))
        .collect::<Vec<_>>()
        .join("\n")
}

fn parse_links(field: &str, text: &str) -> Result<Vec<NavLink>, FieldError> {
    model::lines(field, text)?
        .into_iter()
        .map(|line| {
            let (label, href) = line.split_once('|').ok_or_else(|| {
                FieldError::new(field, format!("„{line}“: bitte „Bezeichnung | Adresse“."))
            })?;
            Ok(NavLink {
                label: model::line(field, label, true)?,
                href: model::href(field, href)?,
            })
        })
        .collect()
}

fn colour(field: &str, value: &str) -> Result<Rgb, FieldError> {
    Rgb::parse(value).ok_or_else(|| FieldError::new(field, "Bitte eine Farbe der Form #1a2b3c."))
}

fn settings_fields(s: &Settings) -> Vec<Field> {
    vec![
        text_field("tagline", "Unterzeile im Kopf", &s.tagline),
        Field::new("primary", "Hauptfarbe", FieldKind::Color, s.primary.to_string())
            .hint("Kopfzeile und Schaltflächen; weiße Schrift darauf braucht einen Kontrast von mindestens 4,5:1."),
        Field::new("accent", "Akzentfarbe", FieldKind::Color, s.accent.to_string())
            .hint("Bedienelemente und Fokusrahmen; gegen Weiß mindestens 3:1."),
        text_field("logo_alt", "Textalternative des Logos", &s.logo_alt),
        area("header_links", "Links im Kopf", &links_text(&s.header_links), 3)
            .hint("Je Zeile: Bezeichnung | https://… oder /pfad"),
        area("footer_links", "Links im Fuß", &links_text(&s.footer_links), 3)
            .hint("Je Zeile: Bezeichnung | https://… oder /pfad"),
        text_field("contact_name", "Kontakt: Name der Stelle", &s.contact.name),
        text_field("contact_street", "Kontakt: Straße und Hausnummer", &s.contact.street),
        text_field("contact_postcode", "Kontakt: Postleitzahl", &s.contact.postcode),
        text_field("contact_city", "Kontakt: Ort", &s.contact.city),
        text_field("contact_phone", "Kontakt: Telefon", &s.contact.phone),
        text_field("contact_email", "Kontakt: E-Mail", &s.contact.email),
        area("contact_hours", "Kontakt: Öffnungszeiten", &s.contact.opening_hours.join("\n"), 3)
            .hint("Je Zeile eine Angabe."),
    ]
}

fn parse_settings(f: &Fields, logo_upload: Option<String>) -> Result<Settings, Vec<FieldError>> {
    let get = |k: &str| f.get(k).map(String::as_str).unwrap_or("");
    let primary = colour("primary", get("primary"));
    let accent = colour("accent", get("accent"));
    let settings = collect(|errors| Settings {
        tagline: take(errors, model::line("tagline", get("tagline"), false)),
        primary: take_colour(errors, primary),
        accent: take_colour(errors, accent),
        logo_upload,
        logo_alt: take(errors, model::line("logo_alt", get("logo_alt"), true)),
        header_links: take(errors, parse_links("header_links", get("header_links"))),
        footer_links: take(errors, parse_links("footer_links", get("footer_links"))),
        contact: model::Contact {
            name: take(
                errors,
                model::line("contact_name", get("contact_name"), true),
            ),
            street: take(
                errors,
                model::line("contact_street", get("contact_street"), false),
            ),
            postcode: take(
                errors,
                model::line("contact_postcode", get("contact_postcode"), false),
            ),
            city: take(
                errors,
                model::line("contact_city", get("contact_city"), false),
            ),
            phone: take(
                errors,
                model::line("contact_phone", get("contact_phone"), false),
            ),
            email: take(
                errors,
                model::line("contact_email", get("contact_email"), false),
            ),
            opening_hours: take(errors, model::lines("contact_hours", get("contact_hours"))),
        },
    })?;
    let problems: Vec<FieldError> =
        check_brand(settings.primary, settings.primary_dark(), settings.accent)
            .into_iter()
            .map(|p| {
                FieldError::new(
                    if p.field == "accent" {
                        "accent"
                    } else {
                        "primary"
                    },
                    p.to_string(),
                )
            })
            .collect();
    if problems.is_empty() {
        Ok(settings)
    } else {
        Err(problems)
    }
}

fn take_colour(errors: &mut Vec<FieldError>, r: Result<Rgb, FieldError>) -> Rgb {
    r.unwrap_or_else(|e| {
        errors.push(e);
        Rgb([0, 0, 0])
    })
}

const START_INTRO: &str = "Welche Leistungen die Startseite hervorhebt und welche Lebenslagen sie in welcher Reihenfolge zeigt.";

fn start_fields(state: &AppState, s: &StartPage) -> Vec<Field> {
    let c = state.catalogue();
    let featured = s
        .featured
        .iter()
        .map(|r| match r {
            ServiceRef::Catalogue(k) => c
                .leistung(k)
                .map(|l| format!("{} ({k})", l.name))
                .unwrap_or_else(|| k.to_string()),
            ServiceRef::Local(key) => format!("lokal:{key}"),
        })
        .collect::<Vec<_>>()
        .join("\n");
    vec![
        area("featured", "Hervorgehobene Leistungen", &featured, 6).hint(
            "Je Zeile eine Leistung: ihr Name, ihr Leistungsschlüssel (z. B. 99102013002000) oder lokal:<Kennung> für eine eigene Leistung.",
        ),
        area("lebenslagen", "Lebenslagen auf der Startseite, in dieser Reihenfolge", &s.lebenslagen.join("\n"), 8)
            .hint("Je Zeile der Name einer Lebenslage, z. B. „Wohnen & Umzug“."),
    ]
}

/// A featured line: "Name (99…)", a LeiKa key, an exact service name, or lokal:<key>.
fn parse_ref(
    state: &AppState,
    local_keys: &[String],
    line: &str,
) -> Result<ServiceRef, FieldError> {
    let bad = || {
        FieldError::new(
            "featured",
            format!("„{line}“: keine Leistung dieses Portals."),
        )
    };
    if let Some(key) = line.strip_prefix("lokal:") {
        let key = key.trim();
        return if local_keys.iter().any(|k| k == key) {
            Ok(ServiceRef::Local(key.to_string()))
        } else {
            Err(bad())
        };
    }
    let c = state.catalogue();
    let key = line
        .rsplit_once('(')
        .and_then(|(_, k)| k.strip_suffix(')'))
        .unwrap_or(line)
        .trim();
    if let Ok(k) = LeikaKey::parse(key) {
        return c
            .leistung(&k)
            .map(|_| ServiceRef::Catalogue(k))
            .ok_or_else(bad);
    }
    let wanted = crate::catalogue::read::fold(line);
    c.leistungen
        .iter()
        .find(|l| crate::catalogue::read::fold(&l.name) == wanted)
        .map(|l| ServiceRef::Catalogue(l.leika.clone()))
        .ok_or_else(bad)
}

fn parse_start(
    state: &AppState,
    local_keys: &[String],
    f: &Fields,
) -> Result<StartPage, Vec<FieldError>> {
    let mut errors = Vec::new();
    let get = |k: &str| f.get(k).map(String::as_str).unwrap_or("");
    let featured: Vec<ServiceRef> = model::lines("featured", get("featured"))
        .map_err(|e| vec![e])?
        .iter()
        .filter_map(|l| {
            parse_ref(state, local_keys, l)
                .map_err(|e| errors.push(e))
                .ok()
        })
        .collect();
    let c = state.catalogue();
    let mut lebenslagen = Vec::new();
    for name in model::lines("lebenslagen", get("lebenslagen")).map_err(|e| vec![e])? {
        match c.lebenslage_by_name(&name) {
            Some(l) => lebenslagen.push(l.name.clone()),
            None => errors.push(FieldError::new(
                "lebenslagen",
                format!("„{name}“: keine Lebenslage des Katalogs."),
            )),
        }
    }
    if errors.is_empty() {
        Ok(StartPage {
            featured,
            lebenslagen,
        })
    } else {
        Err(errors)
    }
}

fn news_fields(n: &News) -> Vec<Field> {
    vec![
        text_field("title", "Überschrift", &n.title),
        markdown_hint(area("markdown", "Text", &n.markdown, 6)),
        Field::new("starts", "Sichtbar ab", FieldKind::Date, n.starts.clone()),
        Field::new(
            "ends",
            "Sichtbar bis einschließlich",
            FieldKind::Date,
            n.ends.clone(),
        ),
    ]
}

fn parse_news(f: &Fields) -> Result<News, Vec<FieldError>> {
    let get = |k: &str| f.get(k).map(String::as_str).unwrap_or("");
    collect(|errors| {
        let n = News {
            title: take(errors, model::line("title", get("title"), true)),
            markdown: take(errors, model::text("markdown", get("markdown"))),
            starts: take(errors, model::day("starts", get("starts"))),
            ends: take(errors, model::day("ends", get("ends"))),
        };
        if errors.is_empty() && n.ends < n.starts {
            errors.push(FieldError::new("ends", "Das Ende liegt vor dem Beginn."));
        }
        n
    })
}

fn office_options(offices: &[(String, String)]) -> Vec<(String, String)> {
    std::iter::once((String::new(), "– keine –".to_string()))
        .chain(offices.iter().cloned())
        .collect()
}

fn addition_fields(a: &Addition, offices: &[(String, String)]) -> Vec<Field> {
    vec![
        markdown_hint(area("fees", "Gebühren vor Ort", &a.fees, 4)),
        markdown_hint(area(
            "documents",
            "Was Sie mitbringen müssen",
            &a.documents,
            4,
        )),
        markdown_hint(area("contact", "Ansprechperson und Kontakt", &a.contact, 3)),
        Field::new(
            "office",
            "Zuständige Stelle vor Ort",
            FieldKind::Select {
                options: office_options(offices),
            },
            a.office.clone().unwrap_or_default(),
        ),
        markdown_hint(area("opening_hours", "Öffnungszeiten", &a.opening_hours, 3)),
        markdown_hint(area("notes", "Hinweise", &a.notes, 4)),
        area("keywords", "Suchwörter", &a.keywords.join(", "), 2).hint(
            "Wörter, mit denen Bürgerinnen und Bürger hier danach suchen, durch Komma getrennt.",
        ),
        Field::new(
            "hidden",
            "Diese Leistung bieten wir nicht an",
            FieldKind::Checkbox { checked: a.hidden },
            "ja",
        ),
        markdown_hint(area(
            "ask_instead",
            "Wer stattdessen hilft (bei „nicht angeboten“)",
            &a.ask_instead,
            3,
        )),
    ]
}

fn checked_office(offices: &[(String, String)], value: &str) -> Result<Option<String>, FieldError> {
    if value.is_empty() {
        return Ok(None);
    }
    offices
        .iter()
        .any(|(k, _)| k == value)
        .then(|| value.to_string())
        .map(Some)
        .ok_or_else(|| FieldError::new("office", "Diese Stelle gibt es in Ihrem Portal nicht."))
}

fn parse_addition(
    f: &Fields,
    offices: &[(String, String)],
    central_hash: String,
) -> Result<Addition, Vec<FieldError>> {
    let get = |k: &str| f.get(k).map(String::as_str).unwrap_or("");
    collect(|errors| Addition {
        fees: take(errors, model::text("fees", get("fees"))),
        documents: take(errors, model::text("documents", get("documents"))),
        contact: take(errors, model::text("contact", get("contact"))),
        office: take(errors, checked_office(offices, get("office"))),
        opening_hours: take(errors, model::text("opening_hours", get("opening_hours"))),
        notes: take(errors, model::text("notes", get("notes"))),
        hidden: get("hidden") == "ja",
        ask_instead: take(errors, model::text("ask_instead", get("ask_instead"))),
        central_hash,
        keywords: take(errors, model::words("keywords", get("keywords"))),
    })
}

fn service_fields(s: &LocalService, offices: &[(String, String)]) -> Vec<Field> {
    vec![
        text_field("name", "Name der Leistung", &s.name),
        text_field("short_text", "Kurzbeschreibung", &s.short_text),
        markdown_hint(area("text", "Beschreibung", &s.text, 8)),
        markdown_hint(area("fees", "Gebühren", &s.fees, 3)),
        markdown_hint(area("documents", "Unterlagen", &s.documents, 3)),
        area("lebenslagen", "Lebenslagen", &s.lebenslagen.join("\n"), 3)
            .hint("Je Zeile der Name einer Lebenslage."),
        area("keywords", "Suchwörter", &s.keywords.join(", "), 2),
        Field::new(
            "office",
            "Zuständige Stelle",
            FieldKind::Select {
                options: office_options(offices),
            },
            s.office.clone().unwrap_or_default(),
        ),
        text_field(
            "online_url",
            "Online-Antrag (Adresse)",
            s.online_url.as_deref().unwrap_or(""),
        ),
        Field::new(
            "shared",
            "Anderen Kommunen zur Nachnutzung anbieten",
            FieldKind::Checkbox { checked: s.shared },
            "ja",
        ),
    ]
}

fn parse_service(
    state: &AppState,
    f: &Fields,
    offices: &[(String, String)],
    before: &LocalService,
) -> Result<LocalService, Vec<FieldError>> {
    let get = |k: &str| f.get(k).map(String::as_str).unwrap_or("");
    let c = state.catalogue();
    collect(|errors| {
        let lebenslagen = take(errors, model::lines("lebenslagen", get("lebenslagen")))
            .into_iter()
            .filter_map(|name| match c.lebenslage_by_name(&name) {
                Some(l) => Some(l.name.clone()),
                None => {
                    errors.push(FieldError::new(
                        "lebenslagen",
                        format!("„{name}“: keine Lebenslage des Katalogs."),
                    ));
                    None
                }
            })
            .collect();
        let online = get("online_url").trim();
        let s = LocalService {
            name: take(errors, model::line("name", get("name"), true)),
            short_text: take(errors, model::line("short_text", get("short_text"), false)),
            text: take(errors, model::text("text", get("text"))),
            fees: take(errors, model::text("fees", get("fees"))),
            documents: take(errors, model::text("documents", get("documents"))),
            lebenslagen,
            keywords: take(errors, model::words("keywords", get("keywords"))),
            office: take(errors, checked_office(offices, get("office"))),
            online_url: if online.is_empty() {
                None
            } else {
                Some(take(errors, model::href("online_url", online)))
                    .filter(|u| u.starts_with("http"))
            },
            shared: get("shared") == "ja",
            adopted_from: before.adopted_from.clone(),
            overridden: before.overridden,
        };
        // An adopted service whose text the adopter changes no longer follows its source.
        let changed_text = s.name != before.name
            || s.text != before.text
            || s.short_text != before.short_text
            || s.fees != before.fees
            || s.documents != before.documents;
        LocalService {
            overridden: s.overridden || (s.adopted_from.is_some() && changed_text),
            ..s
        }
    })
}

fn office_fields(o: &Office) -> Vec<Field> {
    vec![
        text_field("name", "Name der Stelle", &o.name),
        text_field("street", "Straße und Hausnummer", &o.street),
        text_field("postcode", "Postleitzahl", &o.postcode),
        text_field("city", "Ort", &o.city),
        text_field("phone", "Telefon", &o.phone),
        text_field("email", "E-Mail", &o.email),
        text_field("web", "Internetseite", &o.web),
        area(
            "opening_hours",
            "Öffnungszeiten",
            &o.opening_hours.join("\n"),
            4,
        )
        .hint("Je Zeile eine Angabe."),
    ]
}

fn parse_office(f: &Fields) -> Result<Office, Vec<FieldError>> {
    let get = |k: &str| f.get(k).map(String::as_str).unwrap_or("");
    collect(|errors| {
        let web = get("web").trim();
        Office {
            name: take(errors, model::line("name", get("name"), true)),
            street: take(errors, model::line("street", get("street"), false)),
            postcode: take(errors, model::line("postcode", get("postcode"), false)),
            city: take(errors, model::line("city", get("city"), false)),
            phone: take(errors, model::line("phone", get("phone"), false)),
            email: take(errors, model::line("email", get("email"), false)),
            web: if web.is_empty() {
                String::new()
            } else {
                take(errors, model::href("web", web))
            },
            opening_hours: take(errors, model::lines("opening_hours", get("opening_hours"))),
        }
    })
}

fn take<T: Default>(errors: &mut Vec<FieldError>, r: Result<T, FieldError>) -> T {
    r.unwrap_or_else(|e| {
        errors.push(e);
        T::default()
    })
}

fn collect<T>(build: impl FnOnce(&mut Vec<FieldError>) -> T) -> Result<T, Vec<FieldError>> {
    let mut errors = Vec::new();
    let value = build(&mut errors);
    if errors.is_empty() {
        Ok(value)
    } else {
        Err(errors)
    }
}

// ---------------------------------------------------------------- shared flow

/// The tenant's offices (published and drafts) as (key, name): what its
/// content may reference, and nothing of another tenant.
async fn offices(state: &AppState, ctx: &EditorCtx) -> Result<Vec<(String, String)>, AppError> {
    Ok(
        content::items(state.store(), ctx.tenant.scope(), Kind::Office)
            .await?
            .into_iter()
            .filter_map(|i| {
                let name = i.current()?.get("name")?.as_str()?.to_string();
                Some((i.key, name))
            })
            .collect(),
    )
}

async fn local_service_keys(state: &AppState, ctx: &EditorCtx) -> Result<Vec<String>, AppError> {
    Ok(
        content::items(state.store(), ctx.tenant.scope(), Kind::Service)
            .await?
            .into_iter()
            .map(|i| i.key)
            .collect(),
    )
}

/// The item as stored, or for portal-wide kinds the tenant's current settings.
async fn load(
    state: &AppState,
    ctx: &EditorCtx,
    kind: Kind,
    key: &str,
) -> Result<(Option<Item>, Option<Value>), AppError> {
    let item = content::item(state.store(), ctx.tenant.scope(), Target { kind, key }).await?;
    let current = match item.as_ref().and_then(Item::current) {
        Some(v) => Some(v.clone()),
        None => {
            let config = crate::tenancy::full_config(state.store(), &ctx.tenant).await?;
            crate::editor::published_portal_value(&config, kind, key)
        }
    };
    Ok((item, current))
}

fn status_lines(item: Option<&Item>) -> Vec<String> {
    let Some(item) = item else {
        return vec!["Noch nicht bearbeitet: Sie sehen die veröffentlichten Angaben.".into()];
    };
    let mut out = vec![if item.published_version > 0 {
        format!("Veröffentlicht: Fassung {}.", item.published_version)
    } else {
        "Noch nicht veröffentlicht.".into()
    }];
    if let (Some(at), true) = (item.draft_at, item.draft.is_some()) {
        out.push(format!(
            "Entwurf vom {}, noch nicht veröffentlicht.",
            crate::clock::german_datetime(at)
        ));
    }
    out
}

struct Form<'a> {
    kind: Kind,
    key: String,
    title: String,
    intro: &'a str,
    fields: Vec<Field>,
    extra: Vec<(String, FormView)>,
}

fn page(
    state: &AppState,
    ctx: &EditorCtx,
    item: Option<&Item>,
    f: Form<'_>,
    errors: Vec<FieldError>,
    conflict: Option<Conflict>,
    notice: Option<String>,
) -> EditPage {
    let mut fields = f.fields;
    for e in &errors {
        if let Some(field) = fields.iter_mut().find(|x| x.name == e.field) {
            field.error.get_or_insert_with(|| e.message.clone());
        }
    }
    let key = f.key.as_str();
    let target = format!("/redaktion/inhalt/{}/{key}", f.kind.as_str());
    let button = |path: &str, label: &str, primary: bool| ActionButton {
        action: format!("{target}/{path}"),
        label: label.into(),
        csrf: ctx.me.csrf.clone(),
        hidden: vec![],
        primary,
    };
    let has_draft = item.is_some_and(|i| i.draft.is_some());
    let mut actions = Vec::new();
    if has_draft && ctx.is_admin() {
        actions.push(button("veroeffentlichen", "Veröffentlichen", true));
    }
    if has_draft {
        actions.push(button("verwerfen", "Entwurf verwerfen", false));
    }
    let mut links = vec![LinkItem {
        href: format!("/redaktion/vorschau{}", citizen_path(state, f.kind, key)),
        label: "Vorschau mit allen Entwürfen".into(),
        hint: String::new(),
    }];
    if item.is_some_and(|i| i.published_version > 0) {
        links.push(LinkItem {
            href: format!("{target}/verlauf"),
            label: "Verlauf und frühere Fassungen".into(),
            hint: String::new(),
        });
    }
    EditPage {
        nav: ctx.nav(&nav_href(f.kind, key)),
        title: f.title,
        intro: f.intro.into(),
        status: status_lines(item),
        errors: errors
            .iter()
            .map(|e| (e.field.clone(), e.message.clone()))
            .collect(),
        notice,
        conflict,
        form: FormView {
            action: edit_href(f.kind, key),
            csrf: ctx.me.csrf.clone(),
            rev: Some(item.map(|i| i.draft_rev).unwrap_or(0)),
            fields,
            submit: "Als Entwurf speichern".into(),
            multipart: false,
            hidden: vec![],
        },
        extra_forms: f.extra,
        actions,
        links,
    }
}

/// What the other editor saved, as (label, value) of the same fields.
fn conflict_view(by: Option<String>, theirs: Vec<Field>) -> Conflict {
    Conflict {
        by: by.unwrap_or_else(|| "Jemand".into()),
        theirs: theirs
            .into_iter()
            .map(|f| {
                let value = match f.kind {
                    FieldKind::Checkbox { checked } => if checked { "ja" } else { "nein" }.into(),
                    _ => f.value,
                };
                (f.label, value)
            })
            .collect(),
    }
}

/// Saves a parsed value as a draft; a refused form or a conflict re-renders
/// with what was typed.
async fn save(
    state: &AppState,
    form: &EditorForm,
    kind: Kind,
    key: &str,
    parsed: Result<Value, Vec<FieldError>>,
    form_of: impl Fn(Option<&Value>) -> Form<'static>,
) -> Result<Response, AppError> {
    let ctx = &form.ctx;
    let typed = || {
        let mut f = form_of(None);
        for field in &mut f.fields {
            match &mut field.kind {
                FieldKind::Checkbox { checked } => *checked = form.get(&field.name) == "ja",
                _ => field.value = form.get(&field.name).to_string(),
            }
        }
        f
    };
    let (item, _) = load(state, ctx, kind, key).await?;
    let title = form_of(None).title;
    let value = match parsed {
        Ok(v) => v,
        Err(errors) => {
            let p = page(state, ctx, item.as_ref(), typed(), errors, None, None);
            return Ok(render_status(
                state,
                ctx,
                &title,
                Page::EditorEdit(Box::new(p)),
                StatusCode::UNPROCESSABLE_ENTITY,
            ));
        }
    };
    let based_on: i64 = form.get("rev").parse().unwrap_or(-1);
    let saved = content::save_draft(
        state.store(),
        ctx.tenant.scope(),
        Target { kind, key },
        &value,
        based_on,
        ctx.who(),
    )
    .await?;
    match saved {
        Saved::Saved { .. } => {
            Ok(Redirect::to(&format!("{}?gespeichert=1", edit_href(kind, key))).into_response())
        }
        Saved::Conflict { theirs, by, .. } => {
            let by = match by {
                Some(id) => Some(crate::editor::name_of(state.store(), &id).await?),
                None => None,
            };
            let (item, _) = load(state, ctx, kind, key).await?;
            let conflict = conflict_view(by, form_of(theirs.as_ref()).fields);
            let p = page(
                state,
                ctx,
                item.as_ref(),
                typed(),
                vec![],
                Some(conflict),
                None,
            );
            Ok(render_status(
                state,
                ctx,
                &title,
                Page::EditorEdit(Box::new(p)),
                StatusCode::CONFLICT,
            ))
        }
    }
}

fn show(
    state: &AppState,
    ctx: &EditorCtx,
    item: Option<&Item>,
    f: Form<'_>,
    notice: &Notice,
) -> Response {
    let title = f.title.clone();
    let saved = notice.gespeichert.is_some().then(|| {
        "Entwurf gespeichert. Er wird sichtbar, sobald er veröffentlicht ist.".to_string()
    });
    let p = page(state, ctx, item, f, vec![], None, saved);
    render(state, ctx, &title, Page::EditorEdit(Box::new(p)))
}

fn json<T: serde::Serialize>(r: Result<T, Vec<FieldError>>) -> Result<Value, Vec<FieldError>> {
    r.map(|v| serde_json::to_value(v).unwrap_or(Value::Null))
}

fn value<T: serde::de::DeserializeOwned + Default>(v: Option<&Value>) -> T {
    v.and_then(|v| serde_json::from_value(v.clone()).ok())
        .unwrap_or_default()
}

// ---------------------------------------------------------------- settings

fn settings_form_of(v: Option<&Value>, fallback: &Settings) -> Form<'static> {
    let s: Settings = v
        .and_then(|v| serde_json::from_value(v.clone()).ok())
        .unwrap_or_else(|| fallback.clone());
    Form {
        kind: Kind::Settings,
        key: MAIN.into(),
        title: "Darstellung und Kontakt".into(),
        intro: "Farben, Logo, Unterzeile, Links und die Kontaktangaben im Fuß jeder Seite. Farben, die zu wenig Kontrast haben, werden nicht angenommen.",
        fields: settings_fields(&s),
        extra: vec![],
    }
}

fn logo_form(ctx: &EditorCtx) -> (String, FormView) {
    (
        "Logo hochladen".into(),
        FormView {
            action: "/redaktion/darstellung/logo".into(),
            csrf: ctx.me.csrf.clone(),
            rev: None,
            fields: vec![Field::new(
                "logo",
                "Logo-Datei",
                FieldKind::File {
                    accept: "image/png,image/webp,image/svg+xml".into(),
                },
                "",
            )
            .hint("PNG, WebP oder SVG, höchstens 512 KB. SVG-Dateien werden bereinigt (keine Skripte, keine externen Verweise).")],
            submit: "Hochladen (als Entwurf)".into(),
            multipart: true,
            hidden: vec![],
        },
    )
}

pub async fn settings_form(
    State(state): State<AppState>,
    ctx: EditorCtx,
    Query(n): Query<Notice>,
) -> Result<Response, AppError> {
    let (item, current) = load(&state, &ctx, Kind::Settings, MAIN).await?;
    let fallback = Settings::from_config(&ctx.tenant.config);
    let mut f = settings_form_of(current.as_ref(), &fallback);
    f.extra.push(logo_form(&ctx));
    Ok(show(&state, &ctx, item.as_ref(), f, &n))
}

pub async fn settings_save(
    State(state): State<AppState>,
    form: EditorForm,
) -> Result<Response, AppError> {
    let (_, current) = load(&state, &form.ctx, Kind::Settings, MAIN).await?;
    let fallback = Settings::from_config(&form.ctx.tenant.config);
    let before: Settings = current
        .and_then(|v| serde_json::from_value(v).ok())
        .unwrap_or_else(|| fallback.clone());
    let parsed = json(parse_settings(&form.fields, before.logo_upload.clone()));
    let ctx_logo = logo_form(&form.ctx);
    save(&state, &form, Kind::Settings, MAIN, parsed, move |v| {
        let mut f = settings_form_of(v, &fallback);
        f.extra.push(ctx_logo.clone());
        f
    })
    .await
}

/// A logo upload: checked (and an SVG rebuilt), stored for this tenant, and
/// put into the settings draft.
pub async fn logo_upload(
    State(state): State<AppState>,
    ctx: EditorCtx,
    mut multipart: Multipart,
) -> Result<Response, AppError> {
    let mut csrf = String::new();
    let mut file: Option<Vec<u8>> = None;
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| AppError::BadRequest(e.body_text()))?
    {
        match field.name() {
            Some("csrf") => {
                csrf = field
                    .text()
                    .await
                    .map_err(|e| AppError::BadRequest(e.body_text()))?
            }
            Some("logo") => {
                file = Some(
                    field
                        .bytes()
                        .await
                        .map_err(|e| AppError::BadRequest(e.body_text()))?
                        .to_vec(),
                )
            }
            _ => {}
        }
    }
    super::check_csrf(&ctx, &csrf)?;
    let data = file
        .filter(|f| !f.is_empty())
        .ok_or_else(|| AppError::BadRequest("Bitte wählen Sie eine Logo-Datei aus.".into()))?;
    let (content_type, checked) =
        crate::editor::uploads::check(&data).map_err(|e| AppError::BadRequest(e.to_string()))?;
    let who = ctx.who();
    let id = crate::editor::uploads::store(
        state.store(),
        ctx.tenant.scope(),
        content_type,
        &checked,
        who.actor,
        who.now,
    )
    .await?;
    let (item, current) = load(&state, &ctx, Kind::Settings, MAIN).await?;
    let mut settings: Settings = current
        .and_then(|v| serde_json::from_value(v).ok())
        .unwrap_or_else(|| Settings::from_config(&ctx.tenant.config));
    settings.logo_upload = Some(id);
    let rev = item.map(|i| i.draft_rev).unwrap_or(0);
    let value = serde_json::to_value(&settings).unwrap_or(Value::Null);
    content::save_draft(
        state.store(),
        ctx.tenant.scope(),
        Target {
            kind: Kind::Settings,
            key: MAIN,
        },
        &value,
        rev,
        who,
    )
    .await?;
    Ok(Redirect::to("/redaktion/darstellung?gespeichert=1").into_response())
}

// ---------------------------------------------------------------- start page

pub async fn start_form(
    State(state): State<AppState>,
    ctx: EditorCtx,
    Query(n): Query<Notice>,
) -> Result<Response, AppError> {
    let (item, current) = load(&state, &ctx, Kind::Start, MAIN).await?;
    let s: StartPage = value(current.as_ref());
    let f = Form {
        kind: Kind::Start,
        key: MAIN.into(),
        title: "Startseite".into(),
        intro: START_INTRO,
        fields: start_fields(&state, &s),
        extra: vec![],
    };
    Ok(show(&state, &ctx, item.as_ref(), f, &n))
}

pub async fn start_save(
    State(state): State<AppState>,
    form: EditorForm,
) -> Result<Response, AppError> {
    let keys = local_service_keys(&state, &form.ctx).await?;
    let parsed = json(parse_start(&state, &keys, &form.fields));
    let st = state.clone();
    save(&state, &form, Kind::Start, MAIN, parsed, move |v| {
        let s: StartPage = value(v);
        Form {
            kind: Kind::Start,
            key: MAIN.into(),
            title: "Startseite".into(),
            intro: START_INTRO,
            fields: start_fields(&st, &s),
            extra: vec![],
        }
    })
    .await
}

// ---------------------------------------------------------------- legal pages

fn legal_form_of(key: &str, v: Option<&Value>) -> Form<'static> {
    let p: LegalPage = v
        .and_then(|v| serde_json::from_value(v.clone()).ok())
        .unwrap_or(LegalPage {
            markdown: String::new(),
        });
    let title = LEGAL_PAGES
        .iter()
        .find(|(k, _, _)| *k == key)
        .map(|(_, t, _)| *t)
        .unwrap_or("Rechtliche Seite");
    Form {
        kind: Kind::Legal,
        key: key.to_string(),
        title: title.into(),
        intro: "Der Text in Markdown. Er wird beim Anzeigen auf eine sichere Auswahl an Auszeichnungen beschränkt.",
        fields: vec![markdown_hint(area("markdown", title, &p.markdown, 20))],
        extra: vec![],
    }
}

fn legal_key(key: &str) -> Result<&'static str, AppError> {
    LEGAL_PAGES
        .iter()
        .find(|(k, _, _)| *k == key)
        .map(|(k, _, _)| *k)
        .ok_or(AppError::NotFound)
}

pub async fn legal_form(
    State(state): State<AppState>,
    ctx: EditorCtx,
    Path(key): Path<String>,
    Query(n): Query<Notice>,
) -> Result<Response, AppError> {
    let key = legal_key(&key)?;
    let (item, current) = load(&state, &ctx, Kind::Legal, key).await?;
    let f = legal_form_of(key, current.as_ref());
    Ok(show(&state, &ctx, item.as_ref(), f, &n))
}

pub async fn legal_save(
    State(state): State<AppState>,
    Path(key): Path<String>,
    form: EditorForm,
) -> Result<Response, AppError> {
    let key = legal_key(&key)?;
    let parsed = json(collect(|errors| LegalPage {
        markdown: take(errors, model::text("markdown", form.get("markdown"))),
    }));
    save(&state, &form, Kind::Legal, key, parsed, move |v| {
        legal_form_of(key, v)
    })
    .await
}

// ---------------------------------------------------------------- news

fn news_form_of(key: String, v: Option<&Value>) -> Form<'static> {
    let n: News = value(v);
    let title = if n.title.is_empty() {
        "Neue Meldung".to_string()
    } else {
        format!("Meldung „{}“", n.title)
    };
    Form {
        kind: Kind::News,
        key,
        title,
        intro: "Meldungen erscheinen auf der Startseite, zwischen dem ersten und dem letzten Tag.",
        fields: news_fields(&n),
        extra: vec![],
    }
}

/// `neu` creates an item with a fresh key; any other key must exist.
async fn existing_or_new(
    state: &AppState,
    ctx: &EditorCtx,
    kind: Kind,
    key: &str,
) -> Result<String, AppError> {
    if key == "neu" {
        return Ok("neu".into());
    }
    content::item(state.store(), ctx.tenant.scope(), Target { kind, key })
        .await?
        .map(|i| i.key)
        .ok_or(AppError::NotFound)
}

pub async fn news_form(
    State(state): State<AppState>,
    ctx: EditorCtx,
    Path(key): Path<String>,
    Query(n): Query<Notice>,
) -> Result<Response, AppError> {
    let key = existing_or_new(&state, &ctx, Kind::News, &key).await?;
    let (item, current) = load(&state, &ctx, Kind::News, &key).await?;
    let f = news_form_of(key, current.as_ref());
    Ok(show(&state, &ctx, item.as_ref(), f, &n))
}

pub async fn news_save(
    State(state): State<AppState>,
    Path(key): Path<String>,
    form: EditorForm,
) -> Result<Response, AppError> {
    let key = match existing_or_new(&state, &form.ctx, Kind::News, &key)
        .await?
        .as_str()
    {
        "neu" => new_key(),
        k => k.to_string(),
    };
    let parsed = json(parse_news(&form.fields));
    let k = key.clone();
    save(&state, &form, Kind::News, &key, parsed, move |v| {
        news_form_of(k.clone(), v)
    })
    .await
}

// ---------------------------------------------------------------- additions

pub use crate::editor::central_hash;

fn addition_form_of(
    name: &str,
    key: String,
    v: Option<&Value>,
    offices: &[(String, String)],
) -> Form<'static> {
    let a: Addition = value(v);
    Form {
        kind: Kind::Addition,
        key,
        title: format!("Ergänzung zu „{name}“"),
        intro: "Was bei Ihnen vor Ort gilt, erscheint auf der Seite der Leistung neben dem zentralen Text. Der zentrale Text selbst kommt aus dem Katalog.",
        fields: addition_fields(&a, offices),
        extra: vec![],
    }
}

fn catalogue_service(
    state: &AppState,
    key: &str,
) -> Result<crate::catalogue::model::Leistung, AppError> {
    let k = LeikaKey::parse(key).map_err(|_| AppError::NotFound)?;
    state
        .catalogue()
        .leistung(&k)
        .cloned()
        .ok_or(AppError::NotFound)
}

pub async fn addition_form(
    State(state): State<AppState>,
    ctx: EditorCtx,
    Path(key): Path<String>,
    Query(n): Query<Notice>,
) -> Result<Response, AppError> {
    let l = catalogue_service(&state, &key)?;
    let offices = offices(&state, &ctx).await?;
    let (item, current) = load(&state, &ctx, Kind::Addition, &key).await?;
    let mut f = addition_form_of(&l.name, key.clone(), current.as_ref(), &offices);
    let stale = current
        .as_ref()
        .and_then(|v| v.get("central_hash"))
        .and_then(Value::as_str)
        .is_some_and(|h| !h.is_empty() && h != central_hash(&l));
    if stale {
        f.intro = "Achtung: Der zentrale Text dieser Leistung hat sich geändert, seit diese Ergänzung geschrieben wurde. Bitte prüfen Sie, ob sie noch passt, und speichern Sie sie erneut.";
    }
    Ok(show(&state, &ctx, item.as_ref(), f, &n))
}

pub async fn addition_save(
    State(state): State<AppState>,
    Path(key): Path<String>,
    form: EditorForm,
) -> Result<Response, AppError> {
    let l = catalogue_service(&state, &key)?;
    let offices = offices(&state, &form.ctx).await?;
    let parsed = json(parse_addition(&form.fields, &offices, central_hash(&l)));
    let name = l.name.clone();
    let k = key.clone();
    save(&state, &form, Kind::Addition, &key, parsed, move |v| {
        addition_form_of(&name, k.clone(), v, &offices)
    })
    .await
}

// ---------------------------------------------------------------- local services

fn service_form_of(key: String, v: Option<&Value>, offices: &[(String, String)]) -> Form<'static> {
    let s: LocalService = value(v);
    let title = if s.name.is_empty() {
        "Neue eigene Leistung".to_string()
    } else {
        format!("Eigene Leistung „{}“", s.name)
    };
    let intro = if s.adopted_from.is_some() && !s.overridden {
        "Von einer anderen Kommune übernommen: Änderungen dort kommen automatisch hierher, bis Sie den Text selbst ändern."
    } else {
        "Leistungen, die es nur bei Ihnen gibt (Kita, Sperrmüll, Friedhof, Sondernutzung …). Sie erscheinen nur in Ihrem Portal und in seiner Suche."
    };
    Form {
        kind: Kind::Service,
        key,
        title,
        intro,
        fields: service_fields(&s, offices),
        extra: vec![],
    }
}

pub async fn service_form(
    State(state): State<AppState>,
    ctx: EditorCtx,
    Path(key): Path<String>,
    Query(n): Query<Notice>,
) -> Result<Response, AppError> {
    let key = existing_or_new(&state, &ctx, Kind::Service, &key).await?;
    let offices = offices(&state, &ctx).await?;
    let (item, current) = load(&state, &ctx, Kind::Service, &key).await?;
    let f = service_form_of(key, current.as_ref(), &offices);
    Ok(show(&state, &ctx, item.as_ref(), f, &n))
}

pub async fn service_save(
    State(state): State<AppState>,
    Path(key): Path<String>,
    form: EditorForm,
) -> Result<Response, AppError> {
    let key = match existing_or_new(&state, &form.ctx, Kind::Service, &key)
        .await?
        .as_str()
    {
        "neu" => new_key(),
        k => k.to_string(),
    };
    let offices = offices(&state, &form.ctx).await?;
    let (_, current) = load(&state, &form.ctx, Kind::Service, &key).await?;
    let before: LocalService = value(current.as_ref());
    let parsed = json(parse_service(&state, &form.fields, &offices, &before));
    let k = key.clone();
    save(&state, &form, Kind::Service, &key, parsed, move |v| {
        service_form_of(k.clone(), v, &offices)
    })
    .await
}

// ---------------------------------------------------------------- offices

fn office_form_of(key: String, v: Option<&Value>) -> Form<'static> {
    let o: Office = value(v);
    let title = if o.name.is_empty() {
        "Neue Stelle".to_string()
    } else {
        format!("Stelle „{}“", o.name)
    };
    Form {
        kind: Kind::Office,
        key,
        title,
        intro: "Stellen (Bürgerbüro, Standesamt, Bauamt …) mit Anschrift und Öffnungszeiten; Ihre Ergänzungen und eigenen Leistungen verweisen auf sie.",
        fields: office_fields(&o),
        extra: vec![],
    }
}

pub async fn office_form(
    State(state): State<AppState>,
    ctx: EditorCtx,
    Path(key): Path<String>,
    Query(n): Query<Notice>,
) -> Result<Response, AppError> {
    let key = existing_or_new(&state, &ctx, Kind::Office, &key).await?;
    let (item, current) = load(&state, &ctx, Kind::Office, &key).await?;
    let f = office_form_of(key, current.as_ref());
    Ok(show(&state, &ctx, item.as_ref(), f, &n))
}

pub async fn office_save(
    State(state): State<AppState>,
    Path(key): Path<String>,
    form: EditorForm,
) -> Result<Response, AppError> {
    let key = match existing_or_new(&state, &form.ctx, Kind::Office, &key)
        .await?
        .as_str()
    {
        "neu" => new_key(),
        k => k.to_string(),
    };
    let parsed = json(parse_office(&form.fields));
    let k = key.clone();
    save(&state, &form, Kind::Office, &key, parsed, move |v| {
        office_form_of(k.clone(), v)
    })
    .await
}
