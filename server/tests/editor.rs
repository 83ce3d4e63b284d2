//! The editors' area through HTTP, on both backends: isolation (generated from
//! the router's own list of editor routes), roles, CSRF, drafts, conflicts,
//! publish, restore, references inside content, and hostile input.
mod common;
use buergerportal::editor::{self, content::Who, Role};
use common::{Backend, TestApp};

/// A signed-in editor: the session cookie and its CSRF token.
type Editor = common::BackOffice;

async fn editor(app: &TestApp, tenant: Option<(&str, Role)>, subject: &str) -> Editor {
    let e = common::back_office_session(app, "bp_redaktion", "editor", subject).await;
    if let Some((slug, role)) = tenant {
        let t = app.state.tenants().by_slug(slug).unwrap().clone();
        let now = buergerportal::clock::now_unix();
        editor::grant(
            app.state.store(),
            t.scope(),
            &e.id,
            role,
            Who { actor: "test", now },
        )
        .await
        .unwrap();
    }
    e
}

async fn get(app: &TestApp, host: &str, path: &str, cookie: &str) -> (u16, String) {
    let (status, body, _) = app.get_as(host, path, cookie).await;
    (status, body)
}

async fn post(
    app: &TestApp,
    host: &str,
    path: &str,
    e: &Editor,
    fields: &[(&str, &str)],
) -> (u16, String, Option<String>) {
    app.post_as(host, path, e, fields).await
}

/// Rows of every table that holds tenant content, for "nothing changed".
async fn content_rows(app: &TestApp) -> Vec<i64> {
    let mut out = Vec::new();
    for table in [
        "content_items",
        "content_versions",
        "editor_roles",
        "editor_invitations",
        "audit_log",
        "uploads",
        "changes",
    ] {
        let row = sqlx::query(&format!("SELECT COUNT(*) AS n FROM {table}"))
            .fetch_one(app.state.store().pool())
            .await
            .unwrap();
        out.push(buergerportal::store::int(&row, "n").unwrap().unwrap());
    }
    out
}

async fn call(
    app: &TestApp,
    method: &str,
    host: &str,
    path: &str,
    who: &Editor,
    fields: &[(&str, &str)],
) -> u16 {
    if method == "GET" {
        get(app, host, path, &who.cookie).await.0
    } else {
        post(app, host, path, who, fields).await.0
    }
}

const KIEL: &str = "kiel.localhost";
const HUSUM: &str = "husum.localhost";

/// Husum has an office, a local service and a draft; returns their keys.
async fn husum_content(app: &TestApp, admin: &Editor) -> (String, String) {
    let (s, _, loc) = post(
        app,
        HUSUM,
        "/redaktion/stellen/neu",
        admin,
        &[("name", "Bürgerbüro Husum"), ("rev", "0")],
    )
    .await;
    assert_eq!(s, 303);
    let office = loc
        .unwrap()
        .split('/')
        .nth(3)
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_string();
    let (s, _, loc) = post(
        app,
        HUSUM,
        "/redaktion/eigene-leistungen/neu",
        admin,
        &[
            ("name", "Krabbenkutter-Genehmigung"),
            ("office", &office),
            ("shared", "ja"),
            ("rev", "0"),
        ],
    )
    .await;
    assert_eq!(s, 303);
    let service = loc
        .unwrap()
        .split('/')
        .nth(3)
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_string();
    (office, service)
}

backend_test!(
    every_editor_route_refuses_other_tenants_and_citizens,
    |app: TestApp| async move {
        let kiel_admin = editor(&app, Some(("kiel", Role::Admin)), "kiel-admin").await;
        let husum_admin = editor(&app, Some(("husum", Role::Admin)), "husum-admin").await;
        let (office, service) = husum_content(&app, &husum_admin).await;
        let before = content_rows(&app).await;
        let routes = buergerportal::http::editor::route_list();
        assert!(routes.len() > 30, "the router's own list");
        for route in routes.iter().filter(|r| r.login) {
            // Husum's objects wherever a route names one.
            let path = route
                .path
                .replace("{kind}/{key}", &format!("office/{office}"))
                .replace(
                    "{key}",
                    if route.path.contains("eigene-leistungen") {
                        &service
                    } else {
                        &office
                    },
                )
                .replace("{editor}", &husum_admin.id)
                .replace("{token}", "x")
                .replace("{*path}", "impressum");
            let method = route.method.as_str();
            let fields = [
                ("rev", "0"),
                ("name", "Übernahme"),
                ("fassung", "1"),
                ("rolle", "admin"),
                ("mandant", "husum"),
                ("leistung", &service),
            ];
            // Kiel's editor on Husum's host: no role there.
            let status = call(&app, method, HUSUM, &path, &kiel_admin, &fields).await;
            assert_eq!(status, 403, "{method} {path} on husum with a Kiel session");
            // Kiel's editor on Kiel's host with Husum's object ids.
            if route.path.contains('{')
                && !route.path.contains("{*path}")
                && !route.path.contains("{token}")
            {
                let status = call(&app, method, KIEL, &path, &kiel_admin, &fields).await;
                assert!(
                    [403, 404, 422].contains(&status),
                    "{method} {path} on kiel with Husum's ids: {status}"
                );
            }
            // A citizen (or nobody) is sent to the editors' login, or refused.
            let citizen = Editor {
                id: String::new(),
                cookie: "bp_session=some-citizen-session".into(),
                csrf: String::new(),
            };
            let status = call(&app, method, KIEL, &path, &citizen, &fields).await;
            assert!(
                status == 303 || status == 403,
                "{method} {path} with a citizen session: {status}"
            );
        }
        assert_eq!(content_rows(&app).await, before, "nothing changed");
    }
);

backend_test!(
    content_cannot_reference_another_tenants_objects,
    |app: TestApp| async move {
        let kiel = editor(&app, Some(("kiel", Role::Admin)), "kiel-admin").await;
        let husum = editor(&app, Some(("husum", Role::Admin)), "husum-admin").await;
        let (office, service) = husum_content(&app, &husum).await;
        let before = content_rows(&app).await;
        let (s, body, _) = post(
            &app,
            KIEL,
            "/redaktion/leistungen/99102013002000",
            &kiel,
            &[("office", &office), ("fees", "10 €"), ("rev", "0")],
        )
        .await;
        assert_eq!(s, 422);
        assert!(body.contains("Diese Stelle gibt es in Ihrem Portal nicht"));
        let (s, body, _) = post(
            &app,
            KIEL,
            "/redaktion/eigene-leistungen/neu",
            &kiel,
            &[("name", "X"), ("office", &office), ("rev", "0")],
        )
        .await;
        assert_eq!(s, 422, "{body}");
        let (s, body, _) = post(
            &app,
            KIEL,
            "/redaktion/startseite",
            &kiel,
            &[
                ("featured", &format!("lokal:{service}")),
                ("lebenslagen", ""),
                ("rev", "0"),
            ],
        )
        .await;
        assert_eq!(s, 422);
        assert!(body.contains("keine Leistung dieses Portals"));
        assert_eq!(content_rows(&app).await, before, "nothing saved");
    }
);

backend_test!(
    a_weak_colour_pair_is_refused_with_ratio_and_suggestion_and_the_form_keeps_what_was_typed,
    |app: TestApp| async move {
        let e = editor(&app, Some(("kiel", Role::Editor)), "kiel-editor").await;
        let (s, form) = get(&app, KIEL, "/redaktion/darstellung", &e.cookie).await;
        assert_eq!(s, 200);
        assert!(form.contains("name=\"primary\""));
        let fields = [
            ("tagline", "Unsere neue Zeile"),
            ("primary", "#ffff00"),
            ("accent", "#008a94"),
            ("logo_alt", "Kiel"),
            ("contact_name", "Bürgerservice"),
            ("header_links", "Rathaus | https://kiel.example/rathaus"),
            ("rev", "0"),
        ];
        let before = content_rows(&app).await;
        let (s, body, _) = post(&app, KIEL, "/redaktion/darstellung", &e, &fields).await;
        assert_eq!(s, 422);
        assert!(body.contains("error-summary") && body.contains("href=\"#feld-primary\""));
        assert!(
            body.contains("Kontrast 1.07:1") && body.contains("Vorschlag"),
            "the measured ratio and a suggestion"
        );
        for value in [
            "Unsere neue Zeile",
            "#ffff00",
            "Rathaus | https://kiel.example/rathaus",
        ] {
            assert!(body.contains(value), "keeps {value}");
        }
        assert_eq!(content_rows(&app).await, before);
        // The suggestion passes.
        let suggestion = body.split("Vorschlag, der passt: ").nth(1).unwrap()[..7].to_string();
        let fields: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| {
                if *k == "primary" {
                    (*k, suggestion.as_str())
                } else {
                    (*k, *v)
                }
            })
            .collect();
        let (s, _, _) = post(&app, KIEL, "/redaktion/darstellung", &e, &fields).await;
        assert_eq!(s, 303, "{suggestion} is accepted");
        // Links that are not http(s) or internal are refused.
        let mut evil = fields.clone();
        evil.retain(|(k, _)| *k != "header_links" && *k != "rev");
        evil.push(("header_links", "Klick | javascript:alert(1)"));
        evil.push(("rev", "1"));
        let (s, body, _) = post(&app, KIEL, "/redaktion/darstellung", &e, &evil).await;
        assert_eq!(s, 422, "{body}");
    }
);

backend_test!(
    two_editors_saving_the_same_item_lose_nothing,
    |app: TestApp| async move {
        let anna = editor(&app, Some(("kiel", Role::Editor)), "anna").await;
        let bernd = editor(&app, Some(("kiel", Role::Editor)), "bernd").await;
        // Both opened the Impressum at revision 0.
        let (s, _, _) = post(
            &app,
            KIEL,
            "/redaktion/rechtliches/impressum",
            &anna,
            &[("markdown", "Annas Fassung"), ("rev", "0")],
        )
        .await;
        assert_eq!(s, 303);
        let (s, body, _) = post(
            &app,
            KIEL,
            "/redaktion/rechtliches/impressum",
            &bernd,
            &[("markdown", "Bernds Fassung"), ("rev", "0")],
        )
        .await;
        assert_eq!(s, 409);
        assert!(body.contains("class=\"conflict\""));
        assert!(body.contains("Annas Fassung"), "shows what was saved");
        assert!(body.contains("Bernds Fassung"), "keeps what was typed");
        assert!(body.contains("anna"), "names who saved");
        // The draft is Anna's; Bernd saves again on top of it and wins, knowingly.
        let rev = body
            .split("name=\"rev\" value=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_string();
        let (s, _, _) = post(
            &app,
            KIEL,
            "/redaktion/rechtliches/impressum",
            &bernd,
            &[("markdown", "Bernds Fassung"), ("rev", &rev)],
        )
        .await;
        assert_eq!(s, 303);
    }
);

backend_test!(
    publish_reaches_citizens_at_once_and_a_restore_brings_back_an_earlier_version,
    |app: TestApp| async move {
        let admin = editor(&app, Some(("kiel", Role::Admin)), "kiel-admin").await;
        let husum_page = app.get(HUSUM, "/impressum").await;
        assert_eq!(husum_page.status(), 200);
        let husum = app.state.tenants().by_slug("husum").unwrap().id;
        assert!(app.state.cache().contains(husum, "/impressum"));
        let publish = |text: &'static str, rev: &'static str| {
            let app = &app;
            let admin = &admin;
            async move {
                let (s, _, _) = post(
                    app,
                    KIEL,
                    "/redaktion/rechtliches/impressum",
                    admin,
                    &[("markdown", text), ("rev", rev)],
                )
                .await;
                assert_eq!(s, 303);
                let (s, _, _) = post(
                    app,
                    KIEL,
                    "/redaktion/inhalt/legal/impressum/veroeffentlichen",
                    admin,
                    &[],
                )
                .await;
                assert_eq!(s, 303);
            }
        };
        publish("## Herausgeber\n\nErste Fassung", "0").await;
        let (_, page) = app.page(KIEL, "/impressum").await;
        assert!(page.contains("Erste Fassung") && page.contains("<h2>Herausgeber</h2>"));
        let served = app.state.tenants().by_slug("kiel").unwrap().clone();
        assert!(
            served.config.legal.impressum.is_empty(),
            "served tenants keep no legal text in memory"
        );
        let (_, other) = app.page(KIEL, "/datenschutz").await;
        assert!(
            other.contains("<main"),
            "the other legal pages still render"
        );
        publish("Zweite Fassung", "2").await;
        assert!(app
            .page(KIEL, "/impressum")
            .await
            .1
            .contains("Zweite Fassung"));
        assert!(
            app.state.cache().contains(husum, "/impressum"),
            "Husum's cached pages stay"
        );
        let (s, history) = get(
            &app,
            KIEL,
            "/redaktion/inhalt/legal/impressum/verlauf",
            &admin.cookie,
        )
        .await;
        assert_eq!(s, 200);
        assert!(
            history.contains("Fassung 2") && history.contains("Erste Fassung"),
            "old and new values"
        );
        let (s, _, _) = post(
            &app,
            KIEL,
            "/redaktion/inhalt/legal/impressum/wiederherstellen",
            &admin,
            &[("fassung", "1")],
        )
        .await;
        assert_eq!(s, 303);
        let (s, _, _) = post(
            &app,
            KIEL,
            "/redaktion/inhalt/legal/impressum/veroeffentlichen",
            &admin,
            &[],
        )
        .await;
        assert_eq!(s, 303);
        let (_, page) = app.page(KIEL, "/impressum").await;
        assert!(page.contains("Erste Fassung") && !page.contains("Zweite Fassung"));
        let (_, log) = get(&app, KIEL, "/redaktion/protokoll", &admin.cookie).await;
        assert!(
            log.matches("veröffentlicht").count() >= 3,
            "the audit log records every publication"
        );
    }
);

backend_test!(
    editors_draft_admins_publish_and_approval_needs_a_second_person,
    |app: TestApp| async move {
        let ed = editor(&app, Some(("kiel", Role::Editor)), "redakteur").await;
        let admin = editor(&app, Some(("kiel", Role::Admin)), "admin").await;
        let second = editor(&app, Some(("kiel", Role::Admin)), "zweite").await;
        let (s, _, _) = post(
            &app,
            KIEL,
            "/redaktion/rechtliches/datenschutz",
            &ed,
            &[("markdown", "Neu"), ("rev", "0")],
        )
        .await;
        assert_eq!(s, 303);
        let (s, _, _) = post(
            &app,
            KIEL,
            "/redaktion/inhalt/legal/datenschutz/veroeffentlichen",
            &ed,
            &[],
        )
        .await;
        assert_eq!(s, 403, "an editor cannot publish");
        let (s, _, _) = post(
            &app,
            KIEL,
            "/redaktion/team/einladen",
            &ed,
            &[("rolle", "admin")],
        )
        .await;
        assert_eq!(s, 403, "an editor cannot invite");
        let (s, _, _) = post(
            &app,
            KIEL,
            "/redaktion/einstellungen",
            &admin,
            &[("freigabe", "ja")],
        )
        .await;
        assert_eq!(s, 303);
        let (s, _, _) = post(
            &app,
            KIEL,
            "/redaktion/rechtliches/impressum",
            &admin,
            &[("markdown", "Vom Admin"), ("rev", "0")],
        )
        .await;
        assert_eq!(s, 303);
        let (s, body, _) = post(
            &app,
            KIEL,
            "/redaktion/inhalt/legal/impressum/veroeffentlichen",
            &admin,
            &[],
        )
        .await;
        assert_eq!(s, 403, "not one's own draft with Freigabe");
        assert!(body.contains("zweiten Person") || body.contains("Freigabe"));
        let (s, _, _) = post(
            &app,
            KIEL,
            "/redaktion/inhalt/legal/impressum/veroeffentlichen",
            &second,
            &[],
        )
        .await;
        assert_eq!(s, 303, "a second admin approves");
        assert!(app.page(KIEL, "/impressum").await.1.contains("Vom Admin"));
        // Forms without the session's token change nothing.
        let forged = Editor {
            csrf: "falsch".into(),
            ..editor(&app, None, "leer").await
        };
        let forged = Editor {
            cookie: admin.cookie.clone(),
            ..forged
        };
        let (s, _, _) = post(
            &app,
            KIEL,
            "/redaktion/rechtliches/impressum",
            &forged,
            &[("markdown", "Fremd"), ("rev", "9")],
        )
        .await;
        assert_eq!(s, 403);
    }
);

backend_test!(
    invitations_are_single_use_and_for_one_tenant,
    |app: TestApp| async move {
        let admin = editor(&app, Some(("kiel", Role::Admin)), "admin").await;
        let newcomer = editor(&app, None, "neu").await;
        let (s, _) = get(&app, KIEL, "/redaktion", &newcomer.cookie).await;
        assert_eq!(s, 403, "no role yet");
        let (s, body, _) = post(
            &app,
            KIEL,
            "/redaktion/team/einladen",
            &admin,
            &[("rolle", "editor")],
        )
        .await;
        assert_eq!(s, 200);
        let link = body
            .split("/redaktion/einladung/")
            .nth(1)
            .unwrap()
            .split(['<', ' ', '"'])
            .next()
            .unwrap()
            .to_string();
        let path = format!("/redaktion/einladung/{link}");
        let (s, _) = get(&app, HUSUM, &path, &newcomer.cookie).await;
        assert_eq!(s, 403, "a Kiel invitation is nothing in Husum");
        let (s, _) = get(&app, KIEL, &path, &newcomer.cookie).await;
        assert_eq!(s, 303);
        assert_eq!(
            get(&app, KIEL, "/redaktion", &newcomer.cookie).await.0,
            200,
            "now an editor"
        );
        let late = editor(&app, None, "spaet").await;
        assert_eq!(
            get(&app, KIEL, &path, &late.cookie).await.0,
            403,
            "used once only"
        );
    }
);

backend_test!(
    editor_input_never_becomes_script_on_citizen_pages,
    |app: TestApp| async move {
        let admin = editor(&app, Some(("kiel", Role::Admin)), "admin").await;
        let evil = "<script>alert(1)</script><img src=x onerror=alert(2)>[x](javascript:alert(3)) \" onmouseover=\"alert(4)";
        let (s, _, _) = post(
            &app,
            KIEL,
            "/redaktion/leistungen/99102013002000",
            &admin,
            &[
                ("fees", evil),
                ("notes", evil),
                ("documents", evil),
                ("rev", "0"),
            ],
        )
        .await;
        assert_eq!(s, 303);
        let (s, _, _) = post(
            &app,
            KIEL,
            "/redaktion/inhalt/addition/99102013002000/veroeffentlichen",
            &admin,
            &[],
        )
        .await;
        assert_eq!(s, 303);
        let c = app.state.catalogue();
        let l = c
            .leistung(&buergerportal::keys::LeikaKey::parse("99102013002000").unwrap())
            .unwrap();
        let (s, page) = app
            .page(KIEL, &format!("/leistungen/{}-{}", l.leika, l.slug))
            .await;
        assert_eq!(s, 200);
        assert!(page.contains("Gut zu wissen bei"));
        assert!(!page.contains("<script>alert"), "no script element");
        for tag in tags(&page) {
            let t = tag.to_ascii_lowercase();
            assert!(
                !t.contains("javascript:")
                    && !t.contains(" onerror")
                    && !t.contains(" onmouseover")
                    && !t.contains("src=\"x\""),
                "{tag} reached the page"
            );
        }
    }
);

/// Every tag of a page (text between tags is harmless, escaped by the renderer).
fn tags(html: &str) -> Vec<String> {
    html.split('<')
        .skip(1)
        .filter_map(|rest| rest.split('>').next())
        .map(|t| format!("<{t}>"))
        .collect()
}

#[tokio::test]
async fn an_svg_logo_is_rebuilt_and_served_only_to_its_tenant() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let admin = editor(&app, Some(("kiel", Role::Admin)), "admin").await;
    let svg = r##"<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script><foreignObject><p>x</p></foreignObject><image href="https://evil.example/x.png"/><rect width="10" height="10" fill="#00508c"/></svg>"##;
    let part = reqwest::multipart::Part::bytes(svg.as_bytes().to_vec()).file_name("logo.svg");
    let form = reqwest::multipart::Form::new()
        .text("csrf", admin.csrf.clone())
        .part("logo", part);
    let res = app
        .client
        .post(format!("http://{}/redaktion/darstellung/logo", app.addr))
        .header("host", KIEL)
        .header("cookie", &admin.cookie)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let (_, _, _) = post(
        &app,
        KIEL,
        "/redaktion/inhalt/settings/main/veroeffentlichen",
        &admin,
        &[],
    )
    .await;
    let (_, start) = app.page(KIEL, "/").await;
    let src = start
        .split("src=\"/medien/")
        .nth(1)
        .expect("the uploaded logo is shown")
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let logo = app.get(KIEL, &format!("/medien/{src}")).await;
    assert_eq!(logo.status(), 200);
    assert!(logo.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("sandbox"));
    let body = logo.text().await.unwrap();
    for bad in ["onload", "script", "foreignObject", "evil.example"] {
        assert!(!body.contains(bad), "{bad} survived");
    }
    assert_eq!(
        app.get(HUSUM, &format!("/medien/{src}")).await.status(),
        404,
        "not on another tenant's host"
    );
}

backend_test!(
    local_services_and_local_words_are_found_only_on_their_own_portal,
    |app: TestApp| async move {
        let admin = editor(&app, Some(("husum", Role::Admin)), "husum-admin").await;
        let (_, service) = husum_content(&app, &admin).await;
        let leika = app
            .state
            .catalogue()
            .leistungen
            .iter()
            .find(|l| l.name.starts_with("Personalausweis"))
            .unwrap()
            .leika
            .as_str()
            .to_string();
        let (s, _, _) = post(
            &app,
            HUSUM,
            &format!("/redaktion/leistungen/{leika}"),
            &admin,
            &[("keywords", "Wattläuferkarte"), ("rev", "0")],
        )
        .await;
        assert_eq!(s, 303);
        let search = |host: &'static str, q: &'static str| {
            let app = &app;
            async move {
                let res = app.get(host, &format!("/api/v1/search?q={q}")).await;
                assert_eq!(res.status(), 200);
                serde_json::from_str::<serde_json::Value>(&res.text().await.unwrap()).unwrap()
            }
        };
        assert_eq!(
            search(HUSUM, "krabbenkutter").await["total"],
            0,
            "a draft is not searchable"
        );
        for (kind, key) in [("service", service.as_str()), ("addition", leika.as_str())] {
            let (s, _, _) = post(
                &app,
                HUSUM,
                &format!("/redaktion/inhalt/{kind}/{key}/veroeffentlichen"),
                &admin,
                &[],
            )
            .await;
            assert_eq!(s, 303, "publish {kind}");
        }
        let found = search(HUSUM, "krabbenkutter").await;
        assert_eq!(found["hits"][0]["local"], service.as_str(), "{found}");
        assert_eq!(
            found["hits"][0]["url"],
            format!("/leistungen/lokal/{service}")
        );
        let (_, page) = app.page(HUSUM, "/suche?q=Krabbenkutter").await;
        assert!(page.contains(&format!("/leistungen/lokal/{service}")));
        let words = search(HUSUM, "wattläuferkarte").await;
        assert_eq!(words["hits"][0]["leika"], leika.as_str(), "{words}");

        // Neither the service nor Husum's words exist on another portal.
        assert_eq!(search(KIEL, "krabbenkutter").await["total"], 0);
        let elsewhere = search(KIEL, "wattläuferkarte").await;
        assert!(
            elsewhere["hits"]
                .as_array()
                .unwrap()
                .iter()
                .all(|h| h["leika"] != leika.as_str()),
            "{elsewhere}"
        );
    }
);

/// The revision an edit form was read at (its hidden `rev` field).
async fn publish_service(app: &TestApp, host: &str, who: &Editor, key: &str) {
    let path = format!("/redaktion/inhalt/service/{key}/veroeffentlichen");
    assert_eq!(post(app, host, &path, who, &[]).await.0, 303);
}

fn rev_of(form: &str) -> String {
    form.split("name=\"rev\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap_or("0")
        .to_string()
}

backend_test!(
    an_adopted_service_follows_its_source_until_it_is_overridden,
    |app: TestApp| async move {
        let husum = editor(&app, Some(("husum", Role::Admin)), "husum-admin").await;
        let kiel = editor(&app, Some(("kiel", Role::Admin)), "kiel-admin").await;
        let (_, service) = husum_content(&app, &husum).await;
        let (husum, kiel) = (&husum, &kiel);
        publish_service(&app, HUSUM, husum, &service).await;
        let (s, _, loc) = post(
            &app,
            KIEL,
            "/redaktion/nachnutzung",
            kiel,
            &[("mandant", "husum"), ("leistung", &service)],
        )
        .await;
        assert_eq!(s, 303);
        let adopted = loc
            .unwrap()
            .split('/')
            .nth(3)
            .unwrap()
            .split('?')
            .next()
            .unwrap()
            .to_string();
        publish_service(&app, KIEL, kiel, &adopted).await;
        let page = format!("/leistungen/lokal/{adopted}");
        assert!(app
            .page(KIEL, &page)
            .await
            .1
            .contains("Krabbenkutter-Genehmigung"));
        app.page(KIEL, &page).await;
        assert_eq!(
            app.get(KIEL, &page)
                .await
                .headers()
                .get("x-cache")
                .map(|v| v.to_str().unwrap()),
            Some("hit")
        );

        // Husum publishes a new text: Kiel's page shows it at once.
        let edit = format!("/redaktion/eigene-leistungen/{service}");
        let rev = rev_of(&get(&app, HUSUM, &edit, &husum.cookie).await.1);
        let (s, body, _) = post(
            &app,
            HUSUM,
            &edit,
            husum,
            &[
                ("name", "Krabbenkutter-Genehmigung"),
                ("text", "Neue Fassung aus Husum"),
                ("shared", "ja"),
                ("rev", &rev),
            ],
        )
        .await;
        assert_eq!(s, 303, "{body}");
        publish_service(&app, HUSUM, husum, &service).await;
        assert!(app
            .page(KIEL, &page)
            .await
            .1
            .contains("Neue Fassung aus Husum"));

        // Kiel writes its own text: from then on it keeps it.
        let kiel_edit = format!("/redaktion/eigene-leistungen/{adopted}");
        let rev = rev_of(&get(&app, KIEL, &kiel_edit, &kiel.cookie).await.1);
        let (s, body, _) = post(
            &app,
            KIEL,
            &kiel_edit,
            kiel,
            &[
                ("name", "Krabbenkutter-Genehmigung"),
                ("text", "Kiels eigene Fassung"),
                ("rev", &rev),
            ],
        )
        .await;
        assert_eq!(s, 303, "{body}");
        publish_service(&app, KIEL, kiel, &adopted).await;
        let rev = rev_of(&get(&app, HUSUM, &edit, &husum.cookie).await.1);
        post(
            &app,
            HUSUM,
            &edit,
            husum,
            &[
                ("name", "Krabbenkutter-Genehmigung"),
                ("text", "Dritte Fassung aus Husum"),
                ("shared", "ja"),
                ("rev", &rev),
            ],
        )
        .await;
        publish_service(&app, HUSUM, husum, &service).await;
        let shown = app.page(KIEL, &page).await.1;
        assert!(shown.contains("Kiels eigene Fassung") && !shown.contains("Dritte Fassung"));
    }
);

backend_test!(
    text_in_a_textarea_stays_text_on_the_edit_page,
    |app: TestApp| async move {
        let e = editor(&app, Some(("kiel", Role::Editor)), "kiel-editor").await;
        let typed = "Erklärung</textarea><img src=x onerror=\"alert(1)\"> &amp; &lt;b&gt;";
        let (s, _, _) = post(
            &app,
            KIEL,
            "/redaktion/rechtliches/barrierefreiheit",
            &e,
            &[("markdown", typed), ("rev", "0")],
        )
        .await;
        assert_eq!(s, 303);
        let (s, form) = get(
            &app,
            KIEL,
            "/redaktion/rechtliches/barrierefreiheit",
            &e.cookie,
        )
        .await;
        assert_eq!(s, 200);
        assert!(
            form.contains(
                ">\nErklärung&lt;/textarea&gt;&lt;img src=x onerror=\"alert(1)\"&gt; &amp;amp; &amp;lt;b&amp;gt;</textarea>"
            ),
            "the value is escaped inside its textarea: {form}"
        );
        assert!(!form.contains("<img src=x"), "no markup from the text");
        assert_eq!(form.matches("<textarea").count(), 1);
    }
);

backend_test!(
    a_preview_search_shows_drafts_and_never_feeds_the_citizens_cache,
    |app: TestApp| async move {
        const DRAFT: &str = "Entwurfszeile im Kopf";
        let e = editor(&app, Some(("kiel", Role::Editor)), "kiel-editor").await;
        let fields = [
            ("tagline", DRAFT),
            ("primary", "#003064"),
            ("accent", "#005f66"),
            ("logo_alt", "Kiel"),
            ("contact_name", "Bürgerservice"),
            ("rev", "0"),
        ];
        let (s, body, _) = post(&app, KIEL, "/redaktion/darstellung", &e, &fields).await;
        assert_eq!(s, 303, "{body}");
        let preview = |q: &'static str| {
            let app = &app;
            let e = &e;
            async move {
                let path = format!("/redaktion/vorschau/suche?q={q}");
                let (s, page) = get(app, KIEL, &path, &e.cookie).await;
                assert_eq!(s, 200);
                page
            }
        };
        // The preview first: neither its results nor its page may reach citizens.
        let first = preview("personalausweis").await;
        assert!(first.contains(DRAFT) && first.contains("Personalausweis"));
        for _ in 0..2 {
            let (s, page) = app.page(KIEL, "/suche?q=personalausweis").await;
            assert_eq!(s, 200);
            assert!(page.contains("Personalausweis") && !page.contains(DRAFT));
        }
        // The citizens' page is kept now; the preview still shows the draft.
        assert!(preview("personalausweis").await.contains(DRAFT));
        // Legal texts, kept in the store only, preview with their drafts too.
        let (s, _, _) = post(
            &app,
            KIEL,
            "/redaktion/rechtliches/impressum",
            &e,
            &[("markdown", "Entwurf des Impressums"), ("rev", "0")],
        )
        .await;
        assert_eq!(s, 303);
        let (s, page) = get(&app, KIEL, "/redaktion/vorschau/impressum", &e.cookie).await;
        assert_eq!(s, 200);
        assert!(page.contains("Entwurf des Impressums"));
        let (_, public) = app.page(KIEL, "/impressum").await;
        assert!(!public.contains("Entwurf des Impressums"));
        assert!(public.contains("Impressum"));
    }
);
