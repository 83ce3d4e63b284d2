//! The editors' overview pages and the actions on one item: publish, discard,
//! "still valid", history and restore; the audit log; the team.

use super::forms::{central_hash, edit_href, item_label};
use super::{render, EditorCtx, EditorForm};
use crate::clock::{german_datetime, now_unix};
use crate::editor::content::{self, ContentError, Item, Saved, Target};
use crate::editor::model::{Kind, LocalService};
use crate::editor::{self as domain, Role};
use crate::http::{AppError, AppState};
use crate::keys::LeikaKey;
use app::{
    ActionButton, AuditRow, DashboardPage, Field, FieldKind, FormView, HistoryPage, LinkItem,
    ListPage, ListRow, ListSection, Page, VersionView,
};
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::Value;

impl From<ContentError> for AppError {
    fn from(e: ContentError) -> Self {
        match e {
            ContentError::Store(s) => AppError::from(s),
            other => AppError::Forbidden(other.to_string()),
        }
    }
}

fn button(ctx: &EditorCtx, action: String, label: &str, primary: bool) -> ActionButton {
    ActionButton {
        action,
        label: label.into(),
        csrf: ctx.me.csrf.clone(),
        hidden: vec![],
        primary,
    }
}

fn item_target(kind: &str, key: &str) -> Result<(Kind, String), AppError> {
    let kind = Kind::parse(kind).ok_or(AppError::NotFound)?;
    if key.is_empty() || key.len() > 100 {
        return Err(AppError::NotFound);
    }
    Ok((kind, key.to_string()))
}

fn row(state: &AppState, ctx: &EditorCtx, item: &Item) -> ListRow {
    let status = match (item.published_version, item.draft.is_some()) {
        (0, _) => "Entwurf, noch nie veröffentlicht".to_string(),
        (v, true) => format!("Fassung {v} veröffentlicht, neuer Entwurf wartet"),
        (v, false) => format!("Fassung {v} veröffentlicht"),
    };
    let target = format!("/redaktion/inhalt/{}/{}", item.kind.as_str(), item.key);
    let mut actions = Vec::new();
    if item.draft.is_some() && ctx.is_admin() {
        actions.push(button(
            ctx,
            format!("{target}/veroeffentlichen"),
            "Veröffentlichen",
            true,
        ));
    }
    ListRow {
        href: edit_href(item.kind, &item.key),
        label: item_label(state, item.kind, &item.key, item.current()),
        status,
        actions,
    }
}

pub async fn dashboard(
    State(state): State<AppState>,
    ctx: EditorCtx,
) -> Result<Response, AppError> {
    let store = state.store();
    let scope = ctx.tenant.scope();
    let drafts = content::drafts(store, scope)
        .await?
        .iter()
        .map(|i| row(&state, &ctx, i))
        .collect();
    let now = now_unix();
    let mut review: Vec<ListRow> = Vec::new();
    for item in content::due_for_review(store, scope, now).await? {
        let mut r = row(&state, &ctx, &item);
        r.status = format!(
            "Prüfung fällig seit {}",
            german_datetime(item.review_due.unwrap_or(now))
        );
        r.actions = vec![button(
            &ctx,
            format!(
                "/redaktion/inhalt/{}/{}/geprueft",
                item.kind.as_str(),
                item.key
            ),
            "Noch aktuell",
            false,
        )];
        review.push(r);
    }
    // Additions written against a central text that has changed since.
    let c = state.catalogue();
    for item in content::items(store, scope, Kind::Addition).await? {
        let Some(l) = LeikaKey::parse(&item.key).ok().and_then(|k| c.leistung(&k)) else {
            continue;
        };
        let written = item
            .current()
            .and_then(|v| v.get("central_hash"))
            .and_then(Value::as_str)
            .unwrap_or("");
        if !written.is_empty() && written != central_hash(l) {
            let mut r = row(&state, &ctx, &item);
            r.status = "Der zentrale Text hat sich geändert: bitte prüfen".into();
            r.actions = vec![];
            review.push(r);
        }
    }
    let page = DashboardPage {
        nav: ctx.nav("/redaktion"),
        role: ctx.role.label().into(),
        drafts,
        review,
        misses: domain::top_misses(store, scope, 10).await?,
        views: domain::top_views(store, scope, 10)
            .await?
            .into_iter()
            .map(|(service, n)| {
                let name = LeikaKey::parse(&service)
                    .ok()
                    .and_then(|k| c.leistung(&k).map(|l| l.name.clone()))
                    .or_else(|| {
                        let key = service.strip_prefix("lokal:")?;
                        ctx.tenant.local.service(key).map(|s| s.data.name.clone())
                    })
                    .unwrap_or(service);
                (name, n)
            })
            .collect(),
        insight: crate::http::insight::table(
            crate::operator::insight::daily(store, Some(scope), 14).await?,
            "Zählungen der letzten 14 Tage",
        ),
    };
    Ok(render(
        &state,
        &ctx,
        "Redaktion",
        Page::EditorDashboard(page),
    ))
}

pub async fn drafts(State(state): State<AppState>, ctx: EditorCtx) -> Result<Response, AppError> {
    let drafts = content::drafts(state.store(), ctx.tenant.scope()).await?;
    let rows = drafts
        .iter()
        .map(|i| {
            let mut r = row(&state, &ctx, i);
            r.status = format!(
                "{} – Entwurf vom {}",
                r.status,
                german_datetime(i.draft_at.unwrap_or(0))
            );
            r
        })
        .collect();
    let page = ListPage {
        nav: ctx.nav("/redaktion/entwuerfe"),
        title: "Entwürfe".into(),
        intro: if ctx.tenant.require_approval {
            "Alles, was auf Veröffentlichung wartet. In diesem Portal gibt eine zweite Person frei: Ihren eigenen Entwurf veröffentlicht jemand anderes aus der Verwaltung."
        } else {
            "Alles, was auf Veröffentlichung wartet. Die Vorschau zeigt das Portal mit allen Entwürfen."
        }
        .into(),
        notice: None,
        errors: vec![],
        links: vec![LinkItem {
            href: "/redaktion/vorschau".into(),
            label: "Vorschau des Portals mit allen Entwürfen".into(),
            hint: String::new(),
        }],
        forms: vec![],
        sections: vec![ListSection {
            title: "Wartende Entwürfe".into(),
            empty: "Keine offenen Entwürfe.".into(),
            rows,
        }],
    };
    Ok(render(&state, &ctx, "Entwürfe", Page::EditorList(page)))
}

async fn list_of(state: &AppState, ctx: &EditorCtx, kind: Kind) -> Result<Vec<ListRow>, AppError> {
    Ok(content::items(state.store(), ctx.tenant.scope(), kind)
        .await?
        .iter()
        .map(|i| row(state, ctx, i))
        .collect())
}

fn new_link(href: &str, label: &str) -> LinkItem {
    LinkItem {
        href: href.into(),
        label: label.into(),
        hint: String::new(),
    }
}

pub async fn news_list(
    State(state): State<AppState>,
    ctx: EditorCtx,
) -> Result<Response, AppError> {
    let page = ListPage {
        nav: ctx.nav("/redaktion/meldungen"),
        title: "Meldungen".into(),
        intro: "Meldungen stehen auf der Startseite, vom ersten bis zum letzten Tag.".into(),
        notice: None,
        errors: vec![],
        links: vec![new_link(
            "/redaktion/meldungen/neu",
            "Neue Meldung schreiben",
        )],
        forms: vec![],
        sections: vec![ListSection {
            title: "Alle Meldungen".into(),
            empty: "Noch keine Meldungen.".into(),
            rows: list_of(&state, &ctx, Kind::News).await?,
        }],
    };
    Ok(render(&state, &ctx, "Meldungen", Page::EditorList(page)))
}

pub async fn offices_list(
    State(state): State<AppState>,
    ctx: EditorCtx,
) -> Result<Response, AppError> {
    let page = ListPage {
        nav: ctx.nav("/redaktion/stellen"),
        title: "Stellen".into(),
        intro: "Die Stellen Ihrer Verwaltung mit Anschrift und Öffnungszeiten.".into(),
        notice: None,
        errors: vec![],
        links: vec![new_link("/redaktion/stellen/neu", "Neue Stelle anlegen")],
        forms: vec![],
        sections: vec![ListSection {
            title: "Alle Stellen".into(),
            empty: "Noch keine Stellen angelegt.".into(),
            rows: list_of(&state, &ctx, Kind::Office).await?,
        }],
    };
    Ok(render(&state, &ctx, "Stellen", Page::EditorList(page)))
}

fn addition_start_form(ctx: &EditorCtx, value: &str, error: Option<String>) -> (String, FormView) {
    (
        "Eine Leistung des Katalogs ergänzen".into(),
        FormView {
            action: "/redaktion/leistungen".into(),
            csrf: ctx.me.csrf.clone(),
            rev: None,
            fields: vec![Field {
                error,
                ..Field::new(
                    "leistung",
                    "Name oder Leistungsschlüssel",
                    FieldKind::Text,
                    value,
                )
                .hint("Zum Beispiel „Hund anmelden“ oder 99102013002000.")
            }],
            submit: "Ergänzung bearbeiten".into(),
            multipart: false,
            hidden: vec![],
        },
    )
}

async fn services_page(
    state: &AppState,
    ctx: &EditorCtx,
    typed: &str,
    error: Option<String>,
) -> Result<Response, AppError> {
    let mut shared = Vec::new();
    for t in state
        .tenants()
        .all()
        .iter()
        .filter(|t| t.id != ctx.tenant.id)
    {
        for s in t
            .local
            .services
            .iter()
            .filter(|s| s.data.shared && s.data.adopted_from.is_none())
        {
            shared.push(ListRow {
                href: format!(
                    "/redaktion/leistungen#nachnutzung-{}-{}",
                    t.slug.as_str(),
                    s.key
                ),
                label: format!("{} ({})", s.data.name, t.name),
                status: "zur Nachnutzung freigegeben".into(),
                actions: vec![ActionButton {
                    hidden: vec![
                        ("mandant".into(), t.slug.as_str().to_string()),
                        ("leistung".into(), s.key.clone()),
                    ],
                    ..button(ctx, "/redaktion/nachnutzung".into(), "Übernehmen", false)
                }],
            });
        }
    }
    let page = ListPage {
        nav: ctx.nav("/redaktion/leistungen"),
        title: "Leistungen".into(),
        intro: "Ergänzungen zu Leistungen des zentralen Katalogs (Gebühren, Unterlagen, Stellen vor Ort, „bieten wir nicht an“) und Leistungen, die es nur bei Ihnen gibt.".into(),
        notice: None,
        errors: error
            .iter()
            .map(|e| ("leistung".to_string(), e.clone()))
            .collect(),
        links: vec![new_link("/redaktion/eigene-leistungen/neu", "Neue eigene Leistung anlegen")],
        forms: vec![addition_start_form(ctx, typed, error)],
        sections: vec![
            ListSection {
                title: "Ergänzungen zu Leistungen des Katalogs".into(),
                empty: "Noch keine Ergänzungen.".into(),
                rows: list_of(state, ctx, Kind::Addition).await?,
            },
            ListSection {
                title: "Eigene Leistungen".into(),
                empty: "Noch keine eigenen Leistungen.".into(),
                rows: list_of(state, ctx, Kind::Service).await?,
            },
            ListSection {
                title: "Von anderen Kommunen zur Nachnutzung angeboten".into(),
                empty: "Derzeit keine.".into(),
                rows: shared,
            },
        ],
    };
    Ok(render(state, ctx, "Leistungen", Page::EditorList(page)))
}

pub async fn services_list(
    State(state): State<AppState>,
    ctx: EditorCtx,
) -> Result<Response, AppError> {
    services_page(&state, &ctx, "", None).await
}

/// Finds the catalogue service to add to, by key or exact name.
pub async fn addition_start(
    State(state): State<AppState>,
    form: EditorForm,
) -> Result<Response, AppError> {
    let typed = form.get("leistung").trim().to_string();
    let c = state.catalogue();
    let found = LeikaKey::parse(&typed)
        .ok()
        .and_then(|k| c.leistung(&k))
        .or_else(|| {
            let wanted = crate::catalogue::read::fold(&typed);
            c.leistungen
                .iter()
                .find(|l| crate::catalogue::read::fold(&l.name) == wanted)
        });
    match found {
        Some(l) => Ok(Redirect::to(&edit_href(Kind::Addition, l.leika.as_str())).into_response()),
        None => {
            let error = Some(format!(
                "„{typed}“: keine Leistung des Katalogs mit diesem Namen oder Schlüssel."
            ));
            let mut res = services_page(&state, &form.ctx, &typed, error).await?;
            *res.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            Ok(res)
        }
    }
}

/// Takes over another municipality's shared service as a draft of one's own.
pub async fn adopt(State(state): State<AppState>, form: EditorForm) -> Result<Response, AppError> {
    let tenants = state.tenants();
    let source = tenants
        .by_slug(form.get("mandant"))
        .filter(|t| t.id != form.ctx.tenant.id)
        .ok_or(AppError::NotFound)?;
    let shared = source
        .local
        .service(form.get("leistung"))
        .filter(|s| s.data.shared && s.data.adopted_from.is_none())
        .ok_or(AppError::NotFound)?;
    let adopted = LocalService {
        // The source's office is not this tenant's: the adopter chooses its own.
        office: None,
        shared: false,
        adopted_from: Some(crate::editor::model::Adoption {
            tenant: source.slug.as_str().to_string(),
            key: shared.key.clone(),
        }),
        overridden: false,
        ..shared.data.clone()
    };
    let key = super::new_key();
    let value = serde_json::to_value(&adopted).unwrap_or(Value::Null);
    content::save_draft(
        state.store(),
        form.ctx.tenant.scope(),
        Target {
            kind: Kind::Service,
            key: &key,
        },
        &value,
        0,
        form.ctx.who(),
    )
    .await?;
    Ok(Redirect::to(&format!("{}?gespeichert=1", edit_href(Kind::Service, &key))).into_response())
}

pub async fn publish(
    State(state): State<AppState>,
    Path((kind, key)): Path<(String, String)>,
    form: EditorForm,
) -> Result<Response, AppError> {
    form.ctx.require_admin()?;
    let (kind, key) = item_target(&kind, &key)?;
    domain::publish(
        state.store(),
        &form.ctx.tenant,
        Target { kind, key: &key },
        form.ctx.who(),
    )
    .await?;
    // This instance at once; the others with their next poll of the change list.
    if let Err(e) = state.refresh().await {
        tracing::warn!("Aktualisierung nach dem Veröffentlichen: {e}");
    }
    Ok(Redirect::to(&edit_href(kind, &key)).into_response())
}

pub async fn discard(
    State(state): State<AppState>,
    Path((kind, key)): Path<(String, String)>,
    form: EditorForm,
) -> Result<Response, AppError> {
    let (kind, key) = item_target(&kind, &key)?;
    if !content::discard_draft(
        state.store(),
        form.ctx.tenant.scope(),
        Target { kind, key: &key },
        form.ctx.who(),
    )
    .await?
    {
        return Err(AppError::NotFound);
    }
    let back = if kind.is_portal_wide()
        || content::item(
            state.store(),
            form.ctx.tenant.scope(),
            Target { kind, key: &key },
        )
        .await?
        .is_some()
    {
        edit_href(kind, &key)
    } else {
        "/redaktion/entwuerfe".into()
    };
    Ok(Redirect::to(&back).into_response())
}

pub async fn reviewed(
    State(state): State<AppState>,
    Path((kind, key)): Path<(String, String)>,
    form: EditorForm,
) -> Result<Response, AppError> {
    let (kind, key) = item_target(&kind, &key)?;
    if !content::mark_reviewed(
        state.store(),
        form.ctx.tenant.scope(),
        Target { kind, key: &key },
        form.ctx.who(),
    )
    .await?
    {
        return Err(AppError::NotFound);
    }
    Ok(Redirect::to("/redaktion").into_response())
}

/// Field-by-field changes between two versions, as text.
fn changes(old: Option<&Value>, new: &Value) -> Vec<(String, String, String)> {
    let show = |v: Option<&Value>| match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    };
    let Some(map) = new.as_object() else {
        return vec![("Wert".into(), show(old), show(Some(new)))];
    };
    map.iter()
        .filter(|(k, v)| old.and_then(|o| o.get(k.as_str())) != Some(v))
        .map(|(k, v)| {
            (
                k.clone(),
                show(old.and_then(|o| o.get(k.as_str()))),
                show(Some(v)),
            )
        })
        .collect()
}

pub async fn history(
    State(state): State<AppState>,
    ctx: EditorCtx,
    Path((kind, key)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let (kind, key) = item_target(&kind, &key)?;
    let target = Target { kind, key: &key };
    let current = content::item(state.store(), ctx.tenant.scope(), target)
        .await?
        .ok_or(AppError::NotFound)?
        .published_version;
    let versions = content::versions(state.store(), ctx.tenant.scope(), target).await?;
    let views = versions
        .iter()
        .enumerate()
        .map(|(i, v)| VersionView {
            version: v.version,
            author: v.author.clone(),
            at: german_datetime(v.published_at),
            changes: changes(versions.get(i + 1).map(|p| &p.data), &v.data),
            restore: (v.version != current).then(|| ActionButton {
                hidden: vec![("fassung".into(), v.version.to_string())],
                ..button(
                    &ctx,
                    format!("/redaktion/inhalt/{}/{key}/wiederherstellen", kind.as_str()),
                    &format!("Fassung {} als Entwurf wiederherstellen", v.version),
                    false,
                )
            }),
        })
        .collect();
    let label = item_label(&state, kind, &key, versions.first().map(|v| &v.data));
    let page = HistoryPage {
        nav: ctx.nav(""),
        title: format!("Verlauf: {label}"),
        back: LinkItem {
            href: edit_href(kind, &key),
            label: "Zurück zum Bearbeiten".into(),
            hint: String::new(),
        },
        versions: views,
    };
    Ok(render(&state, &ctx, "Verlauf", Page::EditorHistory(page)))
}

pub async fn restore(
    State(state): State<AppState>,
    Path((kind, key)): Path<(String, String)>,
    form: EditorForm,
) -> Result<Response, AppError> {
    let (kind, key) = item_target(&kind, &key)?;
    let version: i64 = form
        .get("fassung")
        .parse()
        .map_err(|_| AppError::NotFound)?;
    match content::restore(
        state.store(),
        form.ctx.tenant.scope(),
        Target { kind, key: &key },
        version,
        form.ctx.who(),
    )
    .await?
    {
        Saved::Saved { .. } => {
            Ok(Redirect::to(&format!("{}?gespeichert=1", edit_href(kind, &key))).into_response())
        }
        Saved::Conflict { .. } => Err(AppError::Forbidden(
            "Jemand hat den Entwurf gerade geändert. Bitte versuchen Sie es noch einmal.".into(),
        )),
    }
}

pub async fn audit(State(state): State<AppState>, ctx: EditorCtx) -> Result<Response, AppError> {
    let names: std::collections::HashMap<String, String> =
        domain::team(state.store(), ctx.tenant.scope())
            .await?
            .into_iter()
            .map(|m| (m.editor_id, m.name))
            .collect();
    let rows = content::audit_log(state.store(), ctx.tenant.scope(), 200)
        .await?
        .into_iter()
        .map(|e| {
            let what = Kind::parse(&e.kind)
                .map(|k| item_label(&state, k, &e.key, None))
                .unwrap_or_else(|| format!("{} {}", e.kind, e.key));
            AuditRow {
                at: german_datetime(e.at),
                actor: names.get(&e.actor).cloned().unwrap_or(e.actor),
                action: e.action,
                what,
                old: shorten(e.old.unwrap_or_default()),
                new: shorten(e.new.unwrap_or_default()),
            }
        })
        .collect();
    let page = app::AuditPage {
        nav: ctx.nav("/redaktion/protokoll"),
        rows,
    };
    Ok(render(&state, &ctx, "Protokoll", Page::EditorAudit(page)))
}

fn shorten(s: String) -> String {
    if s.chars().count() > 400 {
        format!("{}…", s.chars().take(400).collect::<String>())
    } else {
        s
    }
}

pub async fn team(State(state): State<AppState>, ctx: EditorCtx) -> Result<Response, AppError> {
    ctx.require_admin()?;
    team_page(&state, &ctx, None).await
}

async fn team_page(
    state: &AppState,
    ctx: &EditorCtx,
    invitation: Option<String>,
) -> Result<Response, AppError> {
    let members = domain::team(state.store(), ctx.tenant.scope()).await?;
    let rows = members
        .into_iter()
        .map(|m| ListRow {
            href: "/redaktion/team".into(),
            label: if m.name.is_empty() {
                m.subject.clone()
            } else {
                m.name.clone()
            },
            status: format!("{} {}", m.role.label(), m.email),
            actions: (m.editor_id != ctx.me.editor_id)
                .then(|| {
                    button(
                        ctx,
                        format!("/redaktion/team/{}/entziehen", m.editor_id),
                        "Zugang entziehen",
                        false,
                    )
                })
                .into_iter()
                .collect(),
        })
        .collect();
    let invite = FormView {
        action: "/redaktion/team/einladen".into(),
        csrf: ctx.me.csrf.clone(),
        rev: None,
        fields: vec![Field::new(
            "rolle",
            "Rolle",
            FieldKind::Select {
                options: vec![
                    ("editor".into(), "Redaktion (Entwürfe)".into()),
                    (
                        "admin".into(),
                        "Verwaltung (veröffentlichen, Team, Einstellungen)".into(),
                    ),
                ],
            },
            "editor",
        )],
        submit: "Einladungslink erzeugen".into(),
        multipart: false,
        hidden: vec![],
    };
    let approval = FormView {
        action: "/redaktion/einstellungen".into(),
        csrf: ctx.me.csrf.clone(),
        rev: None,
        fields: vec![Field::new(
            "freigabe",
            "Veröffentlichen nur mit Freigabe durch eine zweite Person",
            FieldKind::Checkbox {
                checked: ctx.tenant.require_approval,
            },
            "ja",
        )],
        submit: "Einstellung speichern".into(),
        multipart: false,
        hidden: vec![],
    };
    let notice = invitation.map(|link| {
        format!("Einladungslink (einmal verwendbar, 7 Tage gültig, nur jetzt sichtbar): {link}")
    });
    let page = ListPage {
        nav: ctx.nav("/redaktion/team"),
        title: "Team".into(),
        intro: "Wer dieses Portal bearbeitet. Neue Personen laden Sie mit einem Link ein, der einmal gilt.".into(),
        notice,
        errors: vec![],
        links: vec![],
        forms: vec![
            ("Person einladen".into(), invite),
            ("Freigabe".into(), approval),
        ],
        sections: vec![ListSection {
            title: "Personen".into(),
            empty: "Niemand.".into(),
            rows,
        }],
    };
    Ok(render(state, ctx, "Team", Page::EditorList(page)))
}

/// Creates an invitation and shows its link once, in this answer only (never in a URL).
pub async fn invite(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    form: EditorForm,
) -> Result<Response, AppError> {
    form.ctx.require_admin()?;
    let role = Role::parse(form.get("rolle"))
        .ok_or_else(|| AppError::BadRequest("Unbekannte Rolle.".into()))?;
    let token =
        domain::invite(state.store(), form.ctx.tenant.scope(), role, form.ctx.who()).await?;
    let link = format!(
        "{}/redaktion/einladung/{token}",
        crate::http::account::origin(&state, &headers)?
    );
    team_page(&state, &form.ctx, Some(link)).await
}

pub async fn revoke(
    State(state): State<AppState>,
    Path(editor): Path<String>,
    form: EditorForm,
) -> Result<Response, AppError> {
    form.ctx.require_admin()?;
    if editor == form.ctx.me.editor_id {
        return Err(AppError::Forbidden(
            "Den eigenen Zugang kann man nicht selbst entziehen.".into(),
        ));
    }
    if !domain::revoke(
        state.store(),
        form.ctx.tenant.scope(),
        &editor,
        form.ctx.who(),
    )
    .await?
    {
        return Err(AppError::NotFound);
    }
    Ok(Redirect::to("/redaktion/team").into_response())
}

pub async fn settings(
    State(state): State<AppState>,
    form: EditorForm,
) -> Result<Response, AppError> {
    form.ctx.require_admin()?;
    let who = form.ctx.who();
    crate::tenancy::set_require_approval(
        state.store(),
        form.ctx.tenant.scope(),
        form.get("freigabe") == "ja",
        who.actor,
        who.now,
    )
    .await?;
    let _ = state.refresh().await;
    Ok(Redirect::to("/redaktion/team").into_response())
}
