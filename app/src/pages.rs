use crate::model::*;
use leptos::prelude::*;

pub fn start(shell: &Shell, p: StartPage) -> impl IntoView {
    view! {
        <h1 class="visually-hidden">{shell.tenant_name.clone()}</h1>
        <section class="hero" aria-labelledby="suche-titel">
            <h2 id="suche-titel">"Was möchten Sie erledigen?"</h2>
            {search_form(&shell.search_query, &shell.place_query, "suche-start")}
        </section>
        <section aria-labelledby="lebenslagen-titel">
            <h2 id="lebenslagen-titel">"Lebenslagen"</h2>
            <ul class="tiles">
                {p.lebenslagen.into_iter().map(link_tile).collect_view()}
            </ul>
            <p><a class="more" href=format!("/lebenslagen{}", shell.place_query)>"Alle Lebenslagen"</a></p>
        </section>
        {news(p.news)}
        <section aria-labelledby="beliebt-titel">
            <h2 id="beliebt-titel">"Häufig gesucht"</h2>
            {cards(p.featured)}
        </section>
    }
}

fn news(items: Vec<NewsItem>) -> Option<impl IntoView> {
    (!items.is_empty()).then(|| {
        view! {
            <section aria-labelledby="meldungen-titel" class="news">
                <h2 id="meldungen-titel">"Aktuelles"</h2>
                {items.into_iter().map(|n| view! {
                    <article class="news-item">
                        <h3>{n.title}</h3>
                        <p class="meta">{n.date}</p>
                        <div class="prose" inner_html=n.html></div>
                    </article>
                }).collect_view()}
            </section>
        }
    })
}

/// A section of sanitised HTML (from the server's allow-list), if any.
fn html_section(id: &'static str, title: String, html: String) -> Option<impl IntoView> {
    (!html.is_empty()).then(|| {
        view! {
            <section aria-labelledby=format!("{id}-titel")>
                <h3 id=format!("{id}-titel")>{title}</h3>
                <div class="prose" inner_html=html></div>
            </section>
        }
    })
}

fn local_addition(a: LocalAddition) -> impl IntoView {
    let office = a.office.map(|o| {
        view! {
            <section aria-labelledby="vorort-stelle-titel">
                <h3 id="vorort-stelle-titel">"Stelle vor Ort"</h3>
                {office_view(o)}
            </section>
        }
    });
    view! {
        <section class="local-addition" aria-labelledby="vorort-titel">
            <h2 id="vorort-titel">{format!("Gut zu wissen bei {}", a.tenant_name)}</h2>
            {html_section("vorort-gebuehren", "Gebühren vor Ort".into(), a.fees_html)}
            {html_section("vorort-unterlagen", "Was Sie mitbringen müssen".into(), a.documents_html)}
            {html_section("vorort-kontakt", "Ansprechperson".into(), a.contact_html)}
            {office}
            {html_section("vorort-zeiten", "Öffnungszeiten".into(), a.opening_hours_html)}
            {html_section("vorort-hinweise", "Hinweise".into(), a.notes_html)}
        </section>
    }
}

fn office_view(o: Office) -> impl IntoView {
    view! {
        <address>
            <strong>{o.name}</strong><br />
            {(!o.street.is_empty()).then(|| view! { {o.street.clone()} <br /> })}
            {(!o.postcode_city.trim().is_empty()).then(|| view! { {o.postcode_city.clone()} <br /> })}
            {(!o.phone.is_empty()).then(|| view! { "Telefon: " {o.phone.clone()} <br /> })}
            {(!o.email.is_empty()).then(|| view! { "E-Mail: " {o.email.clone()} })}
        </address>
        <ul class="plain">{o.opening_hours.into_iter().map(|h| view! { <li>{h}</li> }).collect_view()}</ul>
    }
}

pub fn not_offered(p: NotOfferedPage) -> impl IntoView {
    let c = p.contact;
    view! {
        <h1>{p.name}</h1>
        <p class="lead">{format!("Diese Leistung bietet {} nicht an.", p.tenant_name)}</p>
        <section aria-labelledby="stattdessen-titel">
            <h2 id="stattdessen-titel">"Wer Ihnen stattdessen hilft"</h2>
            <div class="prose" inner_html=p.ask_instead_html></div>
            <p>"Fragen beantwortet auch: " <strong>{c.name}</strong> ", " {c.phone} ", " {c.email}</p>
        </section>
    }
}

pub fn local_service(p: LocalServicePage) -> impl IntoView {
    let online = p.online_href.map(|href| {
        view! {
            <section class="online" aria-labelledby="online-titel">
                <h2 id="online-titel">"Online beantragen"</h2>
                <p><a class="button online-link" href=href>"Zum Online-Antrag"</a></p>
            </section>
        }
    });
    let office = p.office.map(|o| {
        view! {
            <section aria-labelledby="zustaendig-titel" id="zustaendig">
                <h2 id="zustaendig-titel">"Wer ist zuständig?"</h2>
                {office_view(o)}
            </section>
        }
    });
    let lead =
        (!p.short_text.is_empty()).then(|| view! { <p class="lead">{p.short_text.clone()}</p> });
    view! {
        <article class="service">
            <h1>{p.name}</h1>
            {lead}
            <p class="meta">{format!("Eine Leistung von {}", p.tenant_name)}</p>
            {online}
            {office}
            <div class="prose" inner_html=p.text_html></div>
            {html_section("lokal-gebuehren", "Was kostet das?".into(), p.fees_html)}
            {html_section("lokal-unterlagen", "Erforderliche Unterlagen".into(), p.documents_html)}
            <section aria-labelledby="einordnung-titel" class="meta-box">
                <h2 id="einordnung-titel">"Lebenslagen"</h2>
                <ul class="plain">
                    {p.lebenslagen.into_iter().map(|l| view! { <li><a href=l.href>{l.label}</a></li> }).collect_view()}
                </ul>
            </section>
        </article>
    }
}

pub fn search_form(query: &str, place_query: &str, id: &'static str) -> impl IntoView {
    let gemeinde = place_query.strip_prefix("?gemeinde=").map(|g| {
        view! { <input type="hidden" name="gemeinde" value=g.to_string() /> }
    });
    view! {
        <form class="search" role="search" method="get" action="/suche">
            <label for=id>"Leistung suchen, z. B. Personalausweis oder Umzug"</label>
            <div class="search-row">
                <input id=id type="search" name="q" value=query.to_string() maxlength="200" autocomplete="off" data-suggest="true" />
                {gemeinde}
                <button type="submit">"Suchen"</button>
            </div>
        </form>
    }
}

fn link_tile(item: LinkItem) -> impl IntoView {
    view! {
        <li>
            <a href=item.href>{item.label}</a>
            <span class="hint">{item.hint}</span>
        </li>
    }
}

fn cards(services: Vec<ServiceCard>) -> impl IntoView {
    view! {
        <ul class="cards">
            {services
                .into_iter()
                .map(|s| {
                    let badge = s.online.then(|| view! { <span class="badge">"Online beantragen möglich"</span> });
                    let office = s.office.map(|o| view! { <p class="card-office">{o}</p> });
                    view! {
                        <li class="card">
                            <a href=s.href>{s.name}</a>
                            <p>{s.summary}</p>
                            {office}
                            {badge}
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
}

pub fn lebenslagen_index(p: LebenslagenIndex) -> impl IntoView {
    view! {
        <h1>"Lebenslagen"</h1>
        <p class="lead">"Finden Sie Leistungen nach Ihrer Lebenssituation."</p>
        {p
            .groups
            .into_iter()
            .map(|(themenfeld, items)| {
                view! {
                    <section>
                        <h2>{themenfeld}</h2>
                        <ul class="tiles">{items.into_iter().map(link_tile).collect_view()}</ul>
                    </section>
                }
            })
            .collect_view()}
    }
}

pub fn lebenslage(p: LebenslagePage) -> impl IntoView {
    let count = format!("{} Leistungen im Themenfeld {}", p.total, p.themenfeld);
    let featured = (!p.featured.is_empty()).then(|| {
        view! {
            <section aria-labelledby="wichtig-titel">
                <h2 id="wichtig-titel">"Häufig gebraucht"</h2>
                {cards(p.featured)}
            </section>
        }
    });
    view! {
        <h1>{p.name}</h1>
        <p class="lead">{count}</p>
        {featured}
        <section aria-labelledby="alle-titel">
            <h2 id="alle-titel">"Alle Leistungen"</h2>
            {p
                .groups
                .into_iter()
                .map(|(title, items)| {
                    view! {
                        <h3>{title}</h3>
                        <ul class="az-list">
                            {items.into_iter().map(|i| view! { <li><a href=i.href>{i.label}</a></li> }).collect_view()}
                        </ul>
                    }
                })
                .collect_view()}
        </section>
    }
}

pub fn service(p: ServicePage) -> impl IntoView {
    let online = p.online.map(|o| {
        view! {
            <section class="online" aria-labelledby="online-titel">
                <h2 id="online-titel">"Online beantragen"</h2>
                <p>"Sie können diese Leistung online beantragen. Dafür melden Sie sich mit Ihrem Servicekonto an. Erforderliches Vertrauensniveau: " <strong>{o.level}</strong> "."</p>
                <p><a class="button online-link" href=o.href>"Online beantragen"</a></p>
            </section>
        }
    });
    let favourite = p.favourite.map(favourite_form);
    let alt_name = p
        .catalogue_name
        .map(|n| view! { <p class="meta">"Bezeichnung im Leistungskatalog: " {n}</p> });
    let lead = (!p.short_text.is_empty()).then(|| view! { <p class="lead">{p.short_text}</p> });
    view! {
        <article class="service">
            <h1>{p.name}</h1>
            {lead}
            {alt_name}
            {online}
            {favourite}
            {responsibility(p.responsibility, p.change_place_href)}
            {text_blocks(p.long_text)}
            {p.local.map(local_addition)}
            {fees(p.fees)}
            {list_section("unterlagen", "Erforderliche Unterlagen", p.documents)}
            {fact("fristen", "Fristen", p.deadlines)}
            {fact("bearbeitungsdauer", "Bearbeitungsdauer", p.processing_time)}
            {fact("rechtsgrundlage", "Rechtsgrundlage", p.legal_basis)}
            <section aria-labelledby="einordnung-titel" class="meta-box">
                <h2 id="einordnung-titel">"Einordnung"</h2>
                <dl>
                    <dt>"Leistungsschlüssel (LeiKa)"</dt><dd>{p.leika}</dd>
                    <dt>"OZG-Leistung"</dt><dd>{p.ozg_leistung}</dd>
                    <dt>"Lebenslagen"</dt>
                    <dd>
                        <ul class="plain">
                            {p.lebenslagen.into_iter().map(|l| view! { <li><a href=l.href>{l.label}</a></li> }).collect_view()}
                        </ul>
                    </dd>
                </dl>
            </section>
        </article>
    }
}

fn fees(fees: Vec<Fee>) -> impl IntoView {
    let body = if fees.is_empty() {
        view! { <p>"Zu den Gebühren liegen keine Angaben vor. Die zuständige Stelle gibt Auskunft."</p> }.into_any()
    } else {
        view! {
            <table class="fees">
                <caption class="visually-hidden">"Gebühren"</caption>
                <thead><tr><th scope="col">"Leistung"</th><th scope="col">"Gebühr"</th></tr></thead>
                <tbody>
                    {fees.into_iter().map(|f| view! { <tr><td>{f.label}</td><td class="amount">{f.amount}</td></tr> }).collect_view()}
                </tbody>
            </table>
        }
        .into_any()
    };
    view! {
        <section aria-labelledby="gebuehren-titel">
            <h2 id="gebuehren-titel">"Was kostet das?"</h2>
            {body}
        </section>
    }
}

fn list_section(
    id: &'static str,
    title: &'static str,
    items: Vec<String>,
) -> Option<impl IntoView> {
    (!items.is_empty()).then(|| {
        view! {
            <section aria-labelledby=format!("{id}-titel")>
                <h2 id=format!("{id}-titel")>{title}</h2>
                <ul>{items.into_iter().map(|i| view! { <li>{i}</li> }).collect_view()}</ul>
            </section>
        }
    })
}

fn fact(id: &'static str, title: &'static str, text: String) -> Option<impl IntoView> {
    (!text.is_empty()).then(|| {
        view! {
            <section aria-labelledby=format!("{id}-titel")>
                <h2 id=format!("{id}-titel")>{title}</h2>
                <p>{text}</p>
            </section>
        }
    })
}

/// Stands right before the section `responsibility` renders.
pub(crate) fn favourite_form(f: FavouriteForm) -> impl IntoView {
    let (aktion, label) = if f.saved {
        ("entfernen", "Von der Merkliste entfernen")
    } else {
        ("merken", "Merken")
    };
    view! {
        <form method="post" action="/mein-bereich/merkliste" class="favourite">
            <input type="hidden" name="csrf" value=f.csrf />
            <input type="hidden" name="leika" value=f.leika />
            <input type="hidden" name="aktion" value=aktion />
            <input type="hidden" name="zurueck" value=f.back />
            <button type="submit" class="secondary">{label}</button>
        </form>
    }
}

/// How the section `responsibility` renders begins.
pub(crate) const RESPONSIBILITY_START: &str = "<section id=\"zustaendig\"";

fn responsibility(r: Responsibility, change_href: Option<String>) -> impl IntoView {
    let change = change_href.map(|h| view! { <p><a href=h>"Anderen Wohnort wählen"</a></p> });
    let body = match r {
        Responsibility::Office(a) => answer(*a).into_any(),
        Responsibility::Unknown { place, contact } => view! {
            <p class="not-recorded">"Welche Stelle diese Leistung für " {place} " erbringt, ist in diesem Portal noch nicht erfasst. Wir nennen Ihnen keine geratene Stelle. Ihre Verwaltung hilft Ihnen weiter:"</p>
            <address>
                <strong>{contact.name}</strong><br />
                {contact.street}<br />
                {contact.postcode_city}<br />
                "Telefon: " {contact.phone}<br />
                "E-Mail: " {contact.email}
            </address>
        }
        .into_any(),
        Responsibility::ChoosePlace(c) => place_form(c).into_any(),
        Responsibility::ChooseEventPlace(c) => event_place_form(c).into_any(),
    };
    view! {
        <section id="zustaendig" class="responsible" aria-labelledby="zustaendig-titel">
            <h2 id="zustaendig-titel">"Wer ist zuständig?"</h2>
            {body}
            {change}
        </section>
    }
}

fn answer(a: Answer) -> impl IntoView {
    let event = a.event_place.map(|p| {
        view! { <p class="event-place">"Zuständig ist das Standesamt des Ortes, an dem das Ereignis stattfand: " {p}"."</p> }
    });
    let change_event = a
        .change_event_href
        .map(|h| view! { <p><a href=h>"Anderen Ort des Ereignisses wählen"</a></p> });
    let hinweis = (!a.hinweis.is_empty()).then(|| view! { <p class="hint">{a.hinweis}</p> });
    let antrag = a.antrag.map(|o| {
        view! {
            <h3>"Antrag persönlich bei"</h3>
            {office(o)}
        }
    });
    let basis = (!a.basis.is_empty())
        .then(|| view! { <p class="basis">"Zuständigkeit nach " {a.basis}</p> });
    view! {
        {event}
        {office(a.office)}
        {antrag}
        {hinweis}
        {change_event}
        {basis}
    }
}

fn event_place_form(c: EventPlaceChoice) -> impl IntoView {
    let error = c.error.map(|e| {
        view! {
            <div class="error-summary" role="alert" aria-labelledby="ereignisort-fehler-titel">
                <h3 id="ereignisort-fehler-titel">"Bitte prüfen Sie Ihre Eingabe"</h3>
                <p><a href="#ereignis_plz">{e}</a></p>
            </div>
        }
    });
    let candidates = (!c.candidates.is_empty()).then(|| {
        view! {
            <p>"Diese Postleitzahl gehört zu mehreren Gemeinden. Bitte wählen Sie den Ort:"</p>
            <ul class="plain candidates">
                {c.candidates.into_iter().map(|l| view! { <li><a href=l.href>{l.label}</a></li> }).collect_view()}
            </ul>
        }
    });
    let has_error = error.is_some();
    let gemeinde = (!c.gemeinde.is_empty())
        .then(|| view! { <input type="hidden" name="gemeinde" value=c.gemeinde /> });
    view! {
        <p>"Zuständig ist das Standesamt des Ortes, an dem die Geburt, der Sterbefall oder die Eheschließung stattfand – nicht unbedingt das Standesamt Ihres Wohnorts. Bitte nennen Sie diesen Ort."</p>
        {error}
        {candidates}
        <form id="ereignisort" class="place-form" method="get" action=c.action.clone()>
            {gemeinde}
            <div class="field">
                <label for="ereignis_plz">"Postleitzahl des Ortes"</label>
                <input id="ereignis_plz" name="ereignis_plz" type="text" inputmode="numeric"
                    maxlength="5" value=c.plz aria-invalid=has_error.then_some("true") />
            </div>
            <p class="or">"oder"</p>
            <div class="field">
                <label for="ereignisort-auswahl">"Ort in Ihrer Kommune"</label>
                <select id="ereignisort-auswahl" name="ereignisort">
                    <option value="">"Bitte wählen"</option>
                    {c.gemeinden.into_iter().map(|(ars, name)| view! { <option value=ars>{name}</option> }).collect_view()}
                </select>
            </div>
            <button type="submit">"Zuständiges Standesamt anzeigen"</button>
        </form>
    }
}

fn office(o: Office) -> impl IntoView {
    let phone = (!o.phone.is_empty()).then(|| view! { <br />"Telefon: " {o.phone} });
    let email = (!o.email.is_empty()).then(|| view! { <br />"E-Mail: " {o.email} });
    let street = (!o.street.is_empty()).then(|| view! { {o.street}<br /> });
    let hours = (!o.opening_hours.is_empty()).then(|| {
        view! {
            <h3>"Öffnungszeiten"</h3>
            <ul class="plain">{o.opening_hours.into_iter().map(|h| view! { <li>{h}</li> }).collect_view()}</ul>
        }
    });
    view! {
        <p class="office-name"><strong>{o.name}</strong></p>
        <p class="office-area">"Zuständig für: " {o.area}</p>
        <address>{street}{o.postcode_city}{phone}{email}</address>
        {hours}
    }
}

fn place_form(c: PlaceChoice) -> impl IntoView {
    let error = c.error.map(|e| {
        view! {
            <div class="error-summary" role="alert" aria-labelledby="wohnort-fehler-titel">
                <h3 id="wohnort-fehler-titel">"Bitte prüfen Sie Ihre Eingabe"</h3>
                <p><a href="#plz">{e}</a></p>
            </div>
        }
    });
    let candidates = (!c.candidates.is_empty()).then(|| {
        view! {
            <p>"Diese Postleitzahl gehört zu mehreren Gemeinden. Bitte wählen Sie Ihre Gemeinde:"</p>
            <ul class="plain candidates">
                {c.candidates.into_iter().map(|l| view! { <li><a href=l.href>{l.label}</a></li> }).collect_view()}
            </ul>
        }
    });
    let has_error = error.is_some();
    view! {
        <p>"Die zuständige Stelle hängt davon ab, wo Sie wohnen. Bitte nennen Sie Ihre Gemeinde oder Postleitzahl."</p>
        {error}
        {candidates}
        <form id="wohnort" class="place-form" method="get" action=c.action.clone()>
            <div class="field">
                <label for="plz">"Postleitzahl"</label>
                <input id="plz" name="plz" type="text" inputmode="numeric" autocomplete="postal-code"
                    maxlength="5" value=c.plz aria-invalid=has_error.then_some("true") />
            </div>
            <p class="or">"oder"</p>
            <div class="field">
                <label for="gemeinde">"Gemeinde"</label>
                <select id="gemeinde" name="gemeinde">
                    <option value="">"Bitte wählen"</option>
                    {c.gemeinden.into_iter().map(|(ars, name)| view! { <option value=ars>{name}</option> }).collect_view()}
                </select>
            </div>
            <button type="submit">"Zuständige Stelle anzeigen"</button>
        </form>
    }
}

pub fn az(p: AzPage) -> impl IntoView {
    let heading = format!("Leistungen A–Z: {}", p.current);
    view! {
        <h1>{heading}</h1>
        <nav aria-label="Anfangsbuchstaben">
            <ul class="letters">
                {p.letters
                    .into_iter()
                    .map(|(letter, href, current)| {
                        view! { <li><a href=href aria-current=current.then_some("page")>{letter}</a></li> }
                    })
                    .collect_view()}
            </ul>
        </nav>
        <ul class="az-list">
            {p.items.into_iter().map(|i| view! { <li><a href=i.href>{i.label}</a> <span class="hint">{i.hint}</span></li> }).collect_view()}
        </ul>
    }
}

pub fn search(shell: &Shell, p: SearchPage) -> impl IntoView {
    let summary = (!p.query.is_empty())
        .then(|| format!("{} Treffer für „{}“ {}", p.total, p.query, p.page_label));
    let message = p.message.map(|m| view! { <p class="notice">{m}</p> });
    let suggestion = p
        .suggestion
        .map(|s| view! { <p class="notice">"Meinten Sie " <a href=s.href>{s.label}</a> "?"</p> });
    let filters = (!p.facets.is_empty() || p.online_facet.is_some()).then(|| {
        view! {
            <nav class="facets" aria-labelledby="filter-titel">
                <h2 id="filter-titel">"Ergebnisse eingrenzen"</h2>
                {p.online_facet.map(|f| view! { <ul class="plain">{facet(f)}</ul> })}
                <h3>"Nach Lebenslage"</h3>
                <ul class="plain">{p.facets.into_iter().map(facet).collect_view()}</ul>
            </nav>
        }
    });
    let results = (!p.results.is_empty()).then(|| cards(p.results));
    let pager = (p.previous.is_some() || p.next.is_some()).then(|| {
        view! {
            <nav class="pager" aria-label="Seiten">
                <ul class="plain">
                    {p.previous.map(|h| view! { <li><a href=h rel="prev">"Vorherige Seite"</a></li> })}
                    {p.next.map(|h| view! { <li><a href=h rel="next">"Nächste Seite"</a></li> })}
                </ul>
            </nav>
        }
    });
    let empty = p.total.eq(&0).then(|| {
        view! {
            <section aria-labelledby="weiter-titel">
                <h2 id="weiter-titel">"Stöbern Sie nach Lebenslage"</h2>
                <ul class="tiles">{p.lebenslagen.into_iter().map(link_tile).collect_view()}</ul>
            </section>
        }
    });
    view! {
        <h1>"Suche"</h1>
        {search_form(&p.query, &shell.place_query, "suche-seite")}
        {message}
        {suggestion}
        {summary.map(|s| view! { <p class="lead" role="status">{s}</p> })}
        <div class="search-results">
            {filters}
            <div>{results}{pager}</div>
        </div>
        {empty}
    }
}

fn facet(f: Facet) -> impl IntoView {
    let label = format!("{} ({})", f.label, f.count);
    view! { <li><a href=f.href aria-current=f.selected.then_some("true")>{label}</a></li> }
}

pub fn text(p: TextPage) -> impl IntoView {
    view! {
        <h1>{p.title}</h1>
        {text_blocks(p.blocks)}
    }
}

pub(crate) fn text_blocks(blocks: Vec<Block>) -> impl IntoView {
    blocks
        .into_iter()
        .map(|b| match b {
            Block::Heading(h) => view! { <h2>{h}</h2> }.into_any(),
            Block::Paragraph(t) => view! { <p>{t}</p> }.into_any(),
            Block::Html(h) => view! { <div class="prose" inner_html=h></div> }.into_any(),
            Block::List(items) => view! { <ul>{items.into_iter().map(|i| view! { <li>{i}</li> }).collect_view()}</ul> }.into_any(),
        })
        .collect_view()
}

pub fn error(p: ErrorPage) -> impl IntoView {
    view! {
        <h1>{p.title}</h1>
        <p class="lead">{p.message}</p>
        <p>"Fehlercode " {p.status}</p>
        <p><a href="/">"Zur Startseite"</a></p>
    }
}
