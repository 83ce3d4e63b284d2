//! The editors' area: forms with an error summary that links to each field
//! (GOV.UK's pattern), lists, history and the audit log. No script needed.

use crate::editor_model::*;
use crate::model::LinkItem;
use leptos::prelude::*;

fn nav(n: &EditorNav) -> impl IntoView {
    let current = n.current.clone();
    view! {
        <nav class="editor-nav" aria-label=n.label.clone()>
            <p class="editor-who">{n.label.clone()} " – angemeldet als " <strong>{n.editor_name.clone()}</strong></p>
            <ul>
                {n.items.iter().map(|(href, label)| {
                    let here = current == *href;
                    view! {
                        <li><a href=href.clone() aria-current=here.then_some("page")>{label.clone()}</a></li>
                    }
                }).collect_view()}
                <li>
                    <form method="post" action=n.logout.clone() class="inline">
                        <input type="hidden" name="csrf" value=n.csrf.clone() />
                        <button type="submit" class="link-button">"Abmelden"</button>
                    </form>
                </li>
            </ul>
        </nav>
    }
}

fn error_summary(errors: &[(String, String)]) -> Option<impl IntoView> {
    if errors.is_empty() {
        return None;
    }
    let items = errors
        .iter()
        .map(|(field, message)| {
            let href = format!("#feld-{field}");
            view! { <li><a href=href>{message.clone()}</a></li> }
        })
        .collect_view();
    Some(view! {
        <div class="error-summary" role="alert" aria-labelledby="fehler-titel" tabindex="-1">
            <h2 id="fehler-titel">"Bitte korrigieren Sie Ihre Angaben"</h2>
            <ul>{items}</ul>
        </div>
    })
}

/// The content of a `<textarea>`, escaped here: Leptos writes a textarea's
/// children as they are (like a script's), so a value with `</textarea>` in
/// it would end the element and the rest would become markup of the editor's
/// page, and entities such as `&amp;` would be decoded, changing the text at
/// the next save. The newline in front is the one the HTML parser drops after
/// `<textarea>`, so a value that starts with a line break keeps it.
fn textarea_text(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 16);
    out.push('\n');
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

fn field(f: Field) -> impl IntoView {
    let id = format!("feld-{}", f.name);
    let hint_id = format!("{id}-hinweis");
    let error_id = format!("{id}-fehler");
    let described: Vec<String> = [
        (!f.hint.is_empty()).then(|| hint_id.clone()),
        f.error.as_ref().map(|_| error_id.clone()),
    ]
    .into_iter()
    .flatten()
    .collect();
    let described = (!described.is_empty()).then(|| described.join(" "));
    let invalid = f.error.is_some().then_some("true");
    let hint = (!f.hint.is_empty())
        .then(|| view! { <p class="hint" id=hint_id.clone()>{f.hint.clone()}</p> });
    let error = f
        .error
        .clone()
        .map(|e| view! { <p class="field-error" id=error_id.clone()>{e}</p> });
    let name = f.name.clone();
    let input = match f.kind {
        FieldKind::Text => view! {
            <input type="text" id=id.clone() name=name value=f.value aria-describedby=described aria-invalid=invalid />
        }
        .into_any(),
        FieldKind::Date => view! {
            <input type="date" id=id.clone() name=name value=f.value aria-describedby=described aria-invalid=invalid />
        }
        .into_any(),
        FieldKind::Color => view! {
            <input type="text" class="color" id=id.clone() name=name value=f.value inputmode="text" pattern="#[0-9a-fA-F]{6}" aria-describedby=described aria-invalid=invalid />
        }
        .into_any(),
        FieldKind::Textarea { rows } => view! {
            <textarea id=id.clone() name=name rows=rows.to_string() aria-describedby=described aria-invalid=invalid>{textarea_text(&f.value)}</textarea>
        }
        .into_any(),
        FieldKind::Checkbox { checked } => view! {
            <input type="checkbox" id=id.clone() name=name value="ja" checked=checked aria-describedby=described />
        }
        .into_any(),
        FieldKind::Select { options } => {
            let current = f.value.clone();
            view! {
                <select id=id.clone() name=name aria-describedby=described aria-invalid=invalid>
                    {options.into_iter().map(|(value, label)| {
                        let selected = value == current;
                        view! { <option value=value selected=selected>{label}</option> }
                    }).collect_view()}
                </select>
            }
            .into_any()
        }
        FieldKind::File { accept } => view! {
            <input type="file" id=id.clone() name=name accept=accept aria-describedby=described aria-invalid=invalid />
        }
        .into_any(),
    };
    let class = if f.error.is_some() {
        "field field-invalid"
    } else {
        "field"
    };
    view! {
        <div class=class>
            <label for=id>{f.label}</label>
            {hint}
            {error}
            {input}
        </div>
    }
}

fn form(f: FormView) -> impl IntoView {
    let enctype = f.multipart.then_some("multipart/form-data");
    let rev = f
        .rev
        .map(|r| view! { <input type="hidden" name="rev" value=r.to_string() /> });
    view! {
        <form method="post" action=f.action enctype=enctype class="editor-form">
            <input type="hidden" name="csrf" value=f.csrf />
            {rev}
            {f.hidden.into_iter().map(|(n, v)| view! { <input type="hidden" name=n value=v /> }).collect_view()}
            {f.fields.into_iter().map(field).collect_view()}
            <button type="submit" class="button">{f.submit}</button>
        </form>
    }
}

fn action_button(a: ActionButton) -> impl IntoView {
    let class = if a.primary {
        "button"
    } else {
        "button secondary"
    };
    view! {
        <form method="post" action=a.action class="inline">
            <input type="hidden" name="csrf" value=a.csrf />
            {a.hidden.into_iter().map(|(n, v)| view! { <input type="hidden" name=n value=v /> }).collect_view()}
            <button type="submit" class=class>{a.label}</button>
        </form>
    }
}

fn links(items: Vec<LinkItem>) -> Option<impl IntoView> {
    (!items.is_empty()).then(|| {
        view! {
            <ul class="editor-links">
                {items.into_iter().map(|l| view! { <li><a href=l.href>{l.label}</a></li> }).collect_view()}
            </ul>
        }
    })
}

fn notice(text: Option<String>) -> Option<impl IntoView> {
    text.map(|t| view! { <p class="notice" role="status">{t}</p> })
}

pub fn edit(p: EditPage) -> impl IntoView {
    let conflict = p.conflict.map(|c| {
        view! {
            <section class="conflict" aria-labelledby="konflikt-titel">
                <h2 id="konflikt-titel">"Jemand anderes hat inzwischen gespeichert"</h2>
                <p>{format!("{} hat diesen Inhalt gespeichert, während Sie ihn bearbeitet haben. Ihre Eingaben stehen unverändert im Formular unten; hier sehen Sie die gespeicherte Fassung. Übernehmen Sie, was Sie brauchen, und speichern Sie dann erneut.", c.by)}</p>
                <dl class="facts">
                    {c.theirs.into_iter().map(|(k, v)| view! { <dt>{k}</dt><dd class="pre">{v}</dd> }).collect_view()}
                </dl>
            </section>
        }
    });
    view! {
        {nav(&p.nav)}
        <h1>{p.title}</h1>
        {error_summary(&p.errors)}
        {notice(p.notice)}
        <p class="lead">{p.intro}</p>
        <ul class="status">{p.status.into_iter().map(|s| view! { <li>{s}</li> }).collect_view()}</ul>
        {conflict}
        {form(p.form)}
        {p.extra_forms.into_iter().map(|(title, f)| view! {
            <section class="editor-extra"><h2>{title}</h2>{form(f)}</section>
        }).collect_view()}
        <div class="editor-actions">{p.actions.into_iter().map(action_button).collect_view()}</div>
        {links(p.links)}
    }
}

fn rows(rows: Vec<ListRow>, empty: String) -> AnyView {
    if rows.is_empty() {
        return view! { <p>{empty}</p> }.into_any();
    }
    view! {
        <ul class="editor-list">
            {rows.into_iter().map(|r| view! {
                <li>
                    <a href=r.href>{r.label}</a>
                    " " <span class="hint">{r.status}</span>
                    {r.actions.into_iter().map(action_button).collect_view()}
                </li>
            }).collect_view()}
        </ul>
    }
    .into_any()
}

pub fn list(p: ListPage) -> impl IntoView {
    view! {
        {nav(&p.nav)}
        <h1>{p.title}</h1>
        {error_summary(&p.errors)}
        {notice(p.notice)}
        <p class="lead">{p.intro}</p>
        {links(p.links)}
        {p.forms.into_iter().map(|(title, f)| view! {
            <section class="editor-extra"><h2>{title}</h2>{form(f)}</section>
        }).collect_view()}
        {p.sections.into_iter().map(|s| view! {
            <section><h2>{s.title}</h2>{rows(s.rows, s.empty)}</section>
        }).collect_view()}
    }
}

pub fn history(p: HistoryPage) -> impl IntoView {
    let versions = if p.versions.is_empty() {
        view! { <p>"Noch keine veröffentlichte Fassung."</p> }.into_any()
    } else {
        p.versions
            .into_iter()
            .map(|v| {
                view! {
                    <section class="version">
                        <h2>{format!("Fassung {}", v.version)}</h2>
                        <p class="hint">{format!("veröffentlicht am {} von {}", v.at, v.author)}</p>
                        <table>
                            <caption class="visually-hidden">{format!("Änderungen in Fassung {}", v.version)}</caption>
                            <thead><tr><th scope="col">"Feld"</th><th scope="col">"Vorher"</th><th scope="col">"Nachher"</th></tr></thead>
                            <tbody>
                                {v.changes.into_iter().map(|(f, old, new)| view! {
                                    <tr><th scope="row">{f}</th><td class="pre">{old}</td><td class="pre">{new}</td></tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                        {v.restore.map(action_button)}
                    </section>
                }
            })
            .collect_view()
            .into_any()
    };
    view! {
        {nav(&p.nav)}
        <h1>{p.title}</h1>
        <p><a href=p.back.href>{p.back.label}</a></p>
        {versions}
    }
}

pub fn audit(p: AuditPage) -> impl IntoView {
    view! {
        {nav(&p.nav)}
        <h1>"Protokoll"</h1>
        <p class="lead">"Jede Aktion der Redaktion dieses Portals, mit altem und neuem Wert."</p>
        <table class="audit">
            <caption class="visually-hidden">"Protokoll der Redaktion"</caption>
            <thead><tr>
                <th scope="col">"Zeit"</th><th scope="col">"Wer"</th><th scope="col">"Aktion"</th>
                <th scope="col">"Was"</th><th scope="col">"Vorher"</th><th scope="col">"Nachher"</th>
            </tr></thead>
            <tbody>
                {p.rows.into_iter().map(|r| view! {
                    <tr><td>{r.at}</td><td>{r.actor}</td><td>{r.action}</td><td>{r.what}</td>
                    <td class="pre">{r.old}</td><td class="pre">{r.new}</td></tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}

pub fn counts_table(t: CountsTable) -> impl IntoView {
    if t.rows.is_empty() {
        return view! { <p>{t.empty}</p> }.into_any();
    }
    view! {
        <table class="counts-table">
            <caption>{t.caption}</caption>
            <thead><tr>
                <th scope="col">"Tag"</th>
                {t.columns.into_iter().map(|c| view! { <th scope="col" class="number">{c}</th> }).collect_view()}
            </tr></thead>
            <tbody>
                {t.rows.into_iter().map(|(day, counts)| view! {
                    <tr>
                        <th scope="row">{day}</th>
                        {counts.into_iter().map(|n| view! { <td class="number">{n}</td> }).collect_view()}
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

pub fn insight(p: InsightPage) -> impl IntoView {
    view! {
        {nav(&p.nav)}
        <h1>{p.title}</h1>
        <p class="lead">{p.intro}</p>
        {counts_table(p.table)}
        {(!p.links.is_empty()).then(|| view! {
            <ul class="links">
                {p.links.into_iter().map(|l| view! { <li><a href=l.href>{l.label}</a></li> }).collect_view()}
            </ul>
        })}
    }
}

pub fn dashboard(p: DashboardPage) -> impl IntoView {
    let counts = |items: Vec<(String, i64)>, empty: &'static str| {
        if items.is_empty() {
            return view! { <p>{empty}</p> }.into_any();
        }
        view! {
            <ol class="counts">
                {items.into_iter().map(|(k, n)| view! { <li>{k} " " <span class="hint">{format!("({n})")}</span></li> }).collect_view()}
            </ol>
        }
        .into_any()
    };
    view! {
        {nav(&p.nav)}
        <h1>"Redaktion"</h1>
        <p class="lead">{format!("Ihre Rolle in diesem Portal: {}.", p.role)}</p>
        <section><h2>"Entwürfe, die auf Veröffentlichung warten"</h2>{rows(p.drafts, "Keine offenen Entwürfe.".into())}</section>
        <section><h2>"Zu prüfen"</h2>{rows(p.review, "Nichts fällig: alle Texte sind geprüft und aktuell.".into())}</section>
        <section><h2>"Suchen ohne Treffer"</h2>{counts(p.misses, "Bisher keine.")}</section>
        <section><h2>"Meistgesehene Leistungen"</h2>{counts(p.views, "Noch keine Aufrufe gezählt.")}</section>
        <section><h2>"Nutzung der letzten Tage"</h2>{counts_table(p.insight)}</section>
    }
}
