//! The citizen's own area. Every change is a POST form with the session's CSRF token.

use crate::account_model::*;
use crate::pages::text_blocks;
use leptos::prelude::*;

fn csrf_field(csrf: &str) -> impl IntoView {
    view! { <input type="hidden" name="csrf" value=csrf.to_string() /> }
}

pub fn account(p: AccountPage) -> impl IntoView {
    let provider = p.provider_account_url.map(|href| {
        view! { <p><a href=href>"Daten beim Servicekonto ändern"</a></p> }
    });
    let address = p
        .address
        .into_iter()
        .map(|l| view! { {l} <br /> })
        .collect_view();
    let csrf = p.csrf.clone();
    let favourites = if p.favourites.is_empty() {
        view! { <p>"Sie haben noch keine Leistungen gemerkt. Auf jeder Leistungsseite können Sie „Merken“ wählen."</p> }.into_any()
    } else {
        view! {
            <ul class="favourites">
                {p.favourites.into_iter().map(|f| {
                    let saved_on = f.saved_on.map(|t| view! { <span class="hint">" (gemerkt bei " {t} ")"</span> });
                    view! {
                        <li>
                            <a href=f.href>{f.name.clone()}</a>
                            {saved_on}
                            <form method="post" action="/mein-bereich/merkliste" class="inline">
                                {csrf_field(&csrf)}
                                <input type="hidden" name="leika" value=f.leika />
                                <input type="hidden" name="aktion" value="entfernen" />
                                <input type="hidden" name="zurueck" value="/mein-bereich" />
                                <button type="submit" class="link-button">"Entfernen" <span class="visually-hidden">": " {f.name}</span></button>
                            </form>
                        </li>
                    }
                }).collect_view()}
            </ul>
        }.into_any()
    };
    let unread = match p.unread {
        0 => "Keine ungelesenen Nachrichten".to_string(),
        1 => "1 ungelesene Nachricht".to_string(),
        n => format!("{n} ungelesene Nachrichten"),
    };
    view! {
        <h1>"Mein Bereich"</h1>
        <section aria-labelledby="postfach-kurz">
            <h2 id="postfach-kurz">"Postfach"</h2>
            <p>{unread} " – " <a href="/postfach">"Zum Postfach"</a></p>
        </section>
        <section aria-labelledby="antraege-kurz">
            <h2 id="antraege-kurz">"Anträge"</h2>
            <p><a href="/mein-bereich/antraege">"Meine Anträge und ihr Stand"</a></p>
        </section>
        <section aria-labelledby="profil-titel">
            <h2 id="profil-titel">"Ihre Daten aus dem Servicekonto"</h2>
            <dl class="facts">
                <dt>"Name"</dt><dd>{p.name}</dd>
                <dt>"Anschrift"</dt><dd><address>{address}</address></dd>
                <dt>"E-Mail"</dt><dd>{p.email}</dd>
                <dt>"Vertrauensniveau dieser Anmeldung"</dt><dd>{p.level}</dd>
            </dl>
            {provider}
        </section>
        <section aria-labelledby="merkliste-titel">
            <h2 id="merkliste-titel">"Merkliste"</h2>
            {favourites}
        </section>
    }
}

pub fn postfach(p: PostfachPage) -> impl IntoView {
    let (title, empty) = if p.archive {
        ("Postfach: Archiv", "Im Archiv liegen keine Nachrichten.")
    } else {
        ("Postfach", "Ihr Postfach ist leer.")
    };
    let list = if p.messages.is_empty() {
        view! { <p>{empty}</p> }.into_any()
    } else {
        view! {
            <table class="messages">
                <caption class="visually-hidden">"Nachrichten"</caption>
                <thead><tr><th scope="col">"Betreff"</th><th scope="col">"Absender"</th><th scope="col">"Eingang"</th></tr></thead>
                <tbody>
                    {p.messages.into_iter().map(|m| {
                        let state = m.unread.then(|| view! { <span class="badge">"ungelesen"</span> " " });
                        let clip = (m.attachments > 0).then(|| view! { <span class="hint">" (" {m.attachments} " Anhang/Anhänge)"</span> });
                        view! {
                            <tr class:unread=m.unread>
                                <td>{state}<a href=m.href>{m.subject}</a>{clip}</td>
                                <td>{m.sender}</td>
                                <td>{m.date}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        }.into_any()
    };
    view! {
        <h1>{title}</h1>
        <nav aria-label="Ordner" class="folders">
            <ul>
                <li><a href=p.inbox_href aria-current=(!p.archive).then_some("page")>"Eingang"</a></li>
                <li><a href=p.archive_href aria-current=p.archive.then_some("page")>"Archiv"</a></li>
            </ul>
        </nav>
        {list}
    }
}

pub fn message(p: MessagePage) -> impl IntoView {
    let attachments = (!p.attachments.is_empty()).then(|| {
        view! {
            <section aria-labelledby="anhaenge-titel">
                <h2 id="anhaenge-titel">"Anhänge"</h2>
                <ul>
                    {p.attachments.into_iter().map(|a| view! {
                        <li><a href=a.href download>{a.filename}</a> <span class="hint">" (" {a.kind} ", " {a.size} ")"</span></li>
                    }).collect_view()}
                </ul>
            </section>
        }
    });
    let (archive_value, archive_label) = if p.archived {
        ("zurueck", "Zurück in den Eingang")
    } else {
        ("archivieren", "Archivieren")
    };
    view! {
        <h1>{p.subject}</h1>
        <dl class="facts">
            <dt>"Absender"</dt><dd>{p.sender}</dd>
            <dt>"Eingang"</dt><dd>{p.date}</dd>
        </dl>
        <div class="message-body">{text_blocks(p.body)}</div>
        {attachments}
        <div class="actions">
            <form method="post" action=p.action.clone()>
                {csrf_field(&p.csrf)}
                <input type="hidden" name="aktion" value=archive_value />
                <button type="submit" class="secondary">{archive_label}</button>
            </form>
            <form method="post" action=p.action>
                {csrf_field(&p.csrf)}
                <input type="hidden" name="aktion" value="loeschen" />
                <button type="submit" class="secondary">"Löschen"</button>
            </form>
        </div>
        <p><a href=p.back>"Zurück zum Postfach"</a></p>
    }
}

pub fn notice(p: NoticePage) -> impl IntoView {
    view! {
        <h1>{p.title}</h1>
        <p class="lead">{p.message}</p>
        <ul>
            {p.links.into_iter().map(|l| view! { <li><a href=l.href>{l.label}</a></li> }).collect_view()}
        </ul>
    }
}

fn facts(rows: Vec<(String, String)>) -> impl IntoView {
    view! {
        <dl class="facts">
            {rows.into_iter().map(|(k, v)| view! { <dt>{k}</dt><dd>{v}</dd> }).collect_view()}
        </dl>
    }
}

pub fn consent(p: ConsentPage) -> impl IntoView {
    let provider = p.provider_name.clone();
    view! {
        <h1>"Online beantragen: " {p.service_name}</h1>
        <p class="lead">"Das Antragsformular stellt der Formulardienst „" {p.provider_name.clone()} "“ bereit. Bevor Sie dorthin wechseln, sehen Sie hier genau, welche Angaben das Bürgerportal übermittelt."</p>
        <section aria-labelledby="immer-titel">
            <h2 id="immer-titel">"Diese Angaben werden immer übermittelt"</h2>
            {facts(p.always)}
        </section>
        <form method="post" action=p.action class="consent">
            <input type="hidden" name="csrf" value=p.csrf />
            <input type="hidden" name="gemeinde" value=p.gemeinde />
            <fieldset>
                <legend>"Nur mit Ihrer Einwilligung: Ihre Daten aus dem Servicekonto"</legend>
                {facts(p.personal)}
                <div class="checkbox">
                    <input type="checkbox" id="einwilligung" name="einwilligung" value="ja" />
                    <label for="einwilligung">"Ja, diese Daten dürfen an „" {provider} "“ übermittelt werden, damit ich sie nicht erneut eingeben muss."</label>
                </div>
                <p class="hint">"Ohne Häkchen werden nur die oben genannten Angaben zur Leistung übermittelt, und Sie füllen das Formular selbst aus. Sie können Ihre Einwilligung für diesen Antrag jederzeit beim Formulardienst widerrufen."</p>
            </fieldset>
            <button type="submit">"Weiter zum Antragsformular"</button>
        </form>
        <p><a href=p.back_href>"Zurück zur Leistung"</a></p>
    }
}

pub fn handoff(p: HandoffPage) -> impl IntoView {
    view! {
        <h1>"Weiter zum Antrag: " {p.service_name}</h1>
        <p class="lead">"Ihr Antrag öffnet sich beim Formulardienst „" {p.provider_name} "“."</p>
        <form method="post" action=p.action data-auto-submit="">
            <input type="hidden" name="token" value=p.token />
            <button type="submit">"Weiter zum Antrag"</button>
        </form>
        <script src=p.script_url defer></script>
    }
}

pub fn applications(p: ApplicationsPage) -> impl IntoView {
    if p.applications.is_empty() {
        return view! {
            <h1>"Meine Anträge"</h1>
            <p>"Sie haben noch keine Anträge über das Bürgerportal gestellt."</p>
        }
        .into_any();
    }
    view! {
        <h1>"Meine Anträge"</h1>
        <ul class="applications">
            {p.applications.into_iter().map(|a| {
                let messages = (!a.messages.is_empty()).then(|| view! {
                    <h3>"Nachrichten zu diesem Antrag"</h3>
                    <ul>{a.messages.into_iter().map(|m| view! { <li><a href=m.href>{m.label}</a></li> }).collect_view()}</ul>
                });
                view! {
                    <li class="application">
                        <h2><a href=a.service_href>{a.service_name}</a></h2>
                        <dl class="facts">
                            <dt>"Status"</dt><dd><strong>{a.status}</strong></dd>
                            <dt>"Vorgangsnummer"</dt><dd>{a.id}</dd>
                            <dt>"Gemeinde"</dt><dd>{a.place}</dd>
                            <dt>"Zuständige Stelle"</dt><dd>{a.office}</dd>
                            <dt>"Begonnen"</dt><dd>{a.started}</dd>
                        </dl>
                        <h3>"Verlauf"</h3>
                        <ol class="history">
                            {a.history.into_iter().map(|(s, d)| view! { <li>{d} ": " {s}</li> }).collect_view()}
                        </ol>
                        {messages}
                    </li>
                }
            }).collect_view()}
        </ul>
    }
    .into_any()
}
