use crate::model::{AccountNav, Crumb, Shell};
use leptos::prelude::*;

pub fn document(shell: &Shell, title: &str, crumbs: Vec<Crumb>, body: AnyView) -> impl IntoView {
    let full_title = if title.is_empty() {
        shell.tenant_name.clone()
    } else {
        format!("{title} – {}", shell.tenant_name)
    };
    view! {
        <html lang="de">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <title>{full_title}</title>
                <link rel="stylesheet" href=shell.stylesheet_url.clone() />
                <link rel="stylesheet" href=shell.theme_url.clone() />
                <link rel="icon" type="image/svg+xml" href=shell.favicon_url.clone() />
            </head>
            <body>
                <a class="skip-link" href="#inhalt">"Zum Inhalt springen"</a>
                {header(shell)}
                <main id="inhalt" class="wrap" tabindex="-1">
                    {shell.preview.then(|| view! {
                        <p class="preview-banner" role="note"><strong>"Vorschau"</strong>" – so sähe die Seite mit den Entwürfen aus. Noch nicht veröffentlicht, nur für die Redaktion sichtbar."</p>
                    })}
                    {breadcrumbs(crumbs)}
                    {body}
                </main>
                {footer(shell)}
                <script src=shell.script_url.clone() defer></script>
            </body>
        </html>
    }
}

fn header(shell: &Shell) -> impl IntoView {
    let home = format!("/{}", shell.place_query);
    let place = shell.place_name.clone().map(|name| {
        view! { <p class="place">"Ihr Wohnort: " <strong>{name}</strong></p> }
    });
    view! {
        <header class="site-header">
            <div class="wrap header-inner">
                <a class="brand" href=home>
                    <img class="brand-logo" src=shell.logo_url.clone() alt="" width="48" height="48" />
                    <span class="brand-text">
                        <span class="brand-name">{shell.tenant_name.clone()}</span>
                        <span class="brand-tagline">{shell.tagline.clone()}</span>
                    </span>
                </a>
                {(!shell.back_office).then(|| view! {
                    <nav class="main-nav" aria-label="Hauptnavigation">
                        <ul>
                            <li><a href=format!("/lebenslagen{}", shell.place_query)>"Lebenslagen"</a></li>
                            <li><a href=format!("/a-z{}", shell.place_query)>"Leistungen A–Z"</a></li>
                            <li><a href=format!("/suche{}", shell.place_query)>"Suche"</a></li>
                            {shell.header_links.iter().map(|l| view! { <li><a href=l.href.clone()>{l.label.clone()}</a></li> }).collect_view()}
                            {account_nav(&shell.account)}
                        </ul>
                    </nav>
                })}
            </div>
            <div class="wrap">{place}</div>
        </header>
    }
}

pub(crate) fn account_nav(account: &AccountNav) -> AnyView {
    match account {
        AccountNav::Hidden => ().into_any(),
        AccountNav::Anonymous { login_href } => view! {
            <li><a href=login_href.clone()>"Anmelden"</a></li>
        }
        .into_any(),
        AccountNav::Citizen { name, unread, csrf } => {
            let postfach = match unread {
                0 => "Postfach".to_string(),
                n => format!("Postfach ({n} ungelesen)"),
            };
            view! {
                <li><a href="/mein-bereich" title=format!("Angemeldet als {name}")>"Mein Bereich"</a></li>
                <li><a href="/postfach">{postfach}</a></li>
                <li>
                    <form method="post" action="/abmelden" class="inline">
                        <input type="hidden" name="csrf" value=csrf.clone() />
                        <button type="submit" class="link-button">"Abmelden"</button>
                    </form>
                </li>
            }
            .into_any()
        }
    }
}

fn breadcrumbs(crumbs: Vec<Crumb>) -> Option<impl IntoView> {
    if crumbs.is_empty() {
        return None;
    }
    let last = crumbs.len() - 1;
    Some(view! {
        <nav class="breadcrumbs" aria-label="Sie sind hier">
            <ol>
                {crumbs
                    .into_iter()
                    .enumerate()
                    .map(|(i, c)| {
                        if i == last {
                            view! { <li><span aria-current="page">{c.label}</span></li> }.into_any()
                        } else {
                            view! { <li><a href=c.href>{c.label}</a></li> }.into_any()
                        }
                    })
                    .collect_view()}
            </ol>
        </nav>
    })
}

fn footer(shell: &Shell) -> impl IntoView {
    let c = &shell.contact;
    let filled = |s: &str| !s.trim().is_empty();
    // Only what is known: an empty phone or e-mail would be a link without text.
    let phone = filled(&c.phone).then(|| {
        let href = format!("tel:{}", c.phone.replace([' ', '-', '/'], ""));
        view! { "Telefon: " <a href=href>{c.phone.clone()}</a><br /> }
    });
    let email = filled(&c.email).then(|| {
        let href = format!("mailto:{}", c.email);
        view! { "E-Mail: " <a href=href>{c.email.clone()}</a> }
    });
    let has_contact = [&c.name, &c.street, &c.postcode_city, &c.phone, &c.email]
        .iter()
        .any(|s| filled(s))
        || !c.opening_hours.is_empty();
    let contact = has_contact.then(|| {
        view! {
            <section aria-labelledby="kontakt-titel">
                <h2 id="kontakt-titel">"Kontakt"</h2>
                <address>
                    {filled(&c.name).then(|| view! { <strong>{c.name.clone()}</strong><br /> })}
                    {filled(&c.street).then(|| view! { {c.street.clone()}<br /> })}
                    {filled(&c.postcode_city).then(|| view! { {c.postcode_city.clone()}<br /> })}
                    {phone}
                    {email}
                </address>
                <ul class="plain">
                    {c.opening_hours.iter().map(|h| view! { <li>{h.clone()}</li> }).collect_view()}
                </ul>
            </section>
        }
    });
    view! {
        <footer class="site-footer">
            <div class="wrap footer-inner">
                {contact}
                {(!shell.back_office).then(|| view! {
                    <nav aria-label="Rechtliches">
                        <h2>"Rechtliches"</h2>
                        <ul class="plain">
                            <li><a href="/impressum">"Impressum"</a></li>
                            <li><a href="/datenschutz">"Datenschutzerklärung"</a></li>
                            <li><a href="/barrierefreiheit">"Erklärung zur Barrierefreiheit"</a></li>
                            <li><a href="/ueber-diese-daten">"Über diese Daten"</a></li>
                            {shell.footer_links.iter().map(|l| view! { <li><a href=l.href.clone()>{l.label.clone()}</a></li> }).collect_view()}
                        </ul>
                    </nav>
                })}
            </div>
        </footer>
    }
}
