//! "Wer ist zuständig?" for Schleswig-Holstein: the audit of 60 services in three
//! tenants (`shared/notes/responsibility-audit-sh.md`) as a table, words inside
//! words, siblings of a family, the place of the event, and the honest page.
mod common;
use buergerportal::catalogue::rules::RuleTable;
use buergerportal::keys::{Ars, LeikaKey};
use common::TestApp;

const KIEL: &str = "010020000000";
const HUSUM: &str = "010540056056";
const HOLTSEE: &str = "010585890080";

/// (host, the Gemeinde the audit checked, query that chooses it)
const TENANTS: [(&str, &str, &str); 3] = [
    ("kiel.localhost", KIEL, ""),
    ("husum.localhost", HUSUM, ""),
    (
        "huettener-berge.localhost",
        HOLTSEE,
        "gemeinde=010585890080",
    ),
];

const LH_KIEL: &str = "Landeshauptstadt Kiel";
const HUSUM_STADT: &str = "Stadt Husum";
const AMT_HB: &str = "Amt Hüttener Berge";
const KV_NF: &str = "Kreisverwaltung Nordfriesland";
const KV_RD: &str = "Kreisverwaltung Rendsburg-Eckernförde";
const LASD_NMS: &str = "Landesamt für soziale Dienste, Außenstelle Neumünster";
const LASD_HEIDE: &str = "Landesamt für soziale Dienste, Außenstelle Heide";
const LASD_SL: &str = "Landesamt für soziale Dienste, Außenstelle Schleswig";
const FAMILIENKASSE: &str = "Familienkasse Nord der Bundesagentur für Arbeit";
const BFJ: &str = "Bundesamt für Justiz (Bundeszentralregister)";
const SCHULE: &str = "Die Schule, an der Sie Ihr Kind anmelden (Schulleitung)";
const RUNDFUNK: &str = "ARD ZDF Deutschlandradio Beitragsservice";

/// What the audit's verdict requires of one answer.
#[derive(Clone, Copy)]
enum Expect {
    /// This office, for the citizen's Wohnort.
    Office(&'static str),
    /// This office, with the application in person at the second one.
    OfficeWithAntrag(&'static str, &'static str),
    /// The Standesamt of the place of the event; this one when the event was in the tenant's Gemeinde.
    AtEventPlace(&'static str),
    /// The audit found no source: left out.
    Unverified,
}
use Expect::*;

const GEMEINDE: [Expect; 3] = [Office(LH_KIEL), Office(HUSUM_STADT), Office(AMT_HB)];
const KREIS: [Expect; 3] = [Office(LH_KIEL), Office(KV_NF), Office(KV_RD)];
const STANDESAMT: [Expect; 3] = [
    AtEventPlace(LH_KIEL),
    AtEventPlace(HUSUM_STADT),
    AtEventPlace(AMT_HB),
];
const LASD: [Expect; 3] = [Office(LASD_NMS), Office(LASD_HEIDE), Office(LASD_SL)];
const FAMILIE: [Expect; 3] = [
    Office(FAMILIENKASSE),
    Office(FAMILIENKASSE),
    Office(FAMILIENKASSE),
];

/// The audit's 60 services: LeiKa key and the real responsibility in Kiel, Husum and Holtsee.
const AUDIT: [(&str, [Expect; 3]); 60] = [
    ("99008001012000", GEMEINDE),
    ("99085001012000", GEMEINDE),
    ("99115005104000", GEMEINDE),
    ("99115003012000", GEMEINDE),
    ("99036008007000", KREIS),
    ("99036008070000", KREIS),
    ("99023002000000", KREIS),
    ("99023001051001", KREIS),
    (
        "99049001001000",
        [
            OfficeWithAntrag(BFJ, LH_KIEL),
            OfficeWithAntrag(BFJ, HUSUM_STADT),
            OfficeWithAntrag(BFJ, AMT_HB),
        ],
    ),
    ("99027002012000", STANDESAMT),
    ("99059001104000", GEMEINDE),
    ("99101004012000", STANDESAMT),
    ("99102013002000", GEMEINDE),
    ("99050012104000", GEMEINDE),
    (
        "99012008001000",
        [Office(LH_KIEL), Office(HUSUM_STADT), Office(KV_RD)],
    ),
    ("99107023017000", GEMEINDE),
    ("99041006017000", LASD),
    ("99041008000000", FAMILIE),
    (
        "99107002017000",
        [
            Office("Jobcenter Kiel"),
            Office("Jobcenter Nordfriesland im Sozialzentrum Husum und Umland"),
            Office("Jobcenter im Kreis Rendsburg-Eckernförde"),
        ],
    ),
    ("99015007012000", LASD),
    ("99085003012000", GEMEINDE),
    ("99115005070000", GEMEINDE),
    ("99036008071000", KREIS),
    ("99036009072003", KREIS),
    ("99023001012004", KREIS),
    ("99027006000000", STANDESAMT),
    ("99101011000000", STANDESAMT),
    ("99059004012000", STANDESAMT),
    ("99022001017000", KREIS),
    ("99015004037000", LASD),
    ("99108009012000", [Office(LH_KIEL), Unverified, Unverified]),
    (
        "99107009017000",
        [Office(LH_KIEL), Office(HUSUM_STADT), Office(KV_RD)],
    ),
    ("99107012017000", KREIS),
    ("99010001001000", KREIS),
    ("99010003001000", KREIS),
    ("99099002006000", KREIS),
    ("99108001001000", GEMEINDE),
    ("99108012005000", GEMEINDE),
    ("99042001012000", GEMEINDE),
    ("99067004001000", KREIS),
    ("99089086000000", KREIS),
    ("99041004034000", GEMEINDE),
    (
        "99088003034001",
        [Office(SCHULE), Office(SCHULE), Office(SCHULE)],
    ),
    (
        "99088011039000",
        [Unverified, Office(HUSUM_STADT), Office(AMT_HB)],
    ),
    (
        "99001009004000",
        [
            Office(LH_KIEL),
            Office("Abfallwirtschaftsgesellschaft Nordfriesland (AWNF)"),
            Office("Abfallwirtschaft Rendsburg-Eckernförde (AWR)"),
        ],
    ),
    ("99102012002000", GEMEINDE),
    ("99093003001000", KREIS),
    ("99107021017000", KREIS),
    ("99107022012000", GEMEINDE),
    ("99107016131000", FAMILIE),
    ("99073001022000", GEMEINDE),
    ("99133001026000", KREIS),
    ("99014003035000", GEMEINDE),
    ("99128001120000", GEMEINDE),
    ("99089017000000", GEMEINDE),
    ("99025002005000", GEMEINDE),
    (
        "99107008010000",
        [Office(RUNDFUNK), Office(RUNDFUNK), Office(RUNDFUNK)],
    ),
    ("99102017002000", GEMEINDE),
    ("99107030080000", KREIS),
    ("99083001011000", GEMEINDE),
];

fn key(k: &str) -> LeikaKey {
    LeikaKey::parse(k).unwrap()
}

fn ars(a: &str) -> Ars {
    Ars::parse(a).unwrap()
}

/// The `section#zustaendig` of a page.
fn zustaendig(body: &str) -> &str {
    let start = body
        .find("id=\"zustaendig\"")
        .expect("the page has section#zustaendig");
    let end = body[start..].find("</section>").unwrap() + start;
    &body[start..end]
}

/// The office names in a section, in page order.
fn office_names(section: &str) -> Vec<String> {
    section
        .split("class=\"office-name\"><strong>")
        .skip(1)
        .map(|s| s.split("</strong>").next().unwrap().to_string())
        .collect()
}

async fn service_page(app: &TestApp, host: &str, leika: &str, query: &str) -> String {
    let c = app.state.catalogue();
    let l = c.leistung(&key(leika)).expect(leika);
    let path = format!("/leistungen/{}-{}", l.leika, l.slug);
    let url = if query.is_empty() {
        path
    } else {
        format!("{path}?{query}")
    };
    let (status, body) = app.page(host, &url).await;
    assert_eq!(status, 200, "{host}{url}");
    body
}

fn join(a: &str, b: &str) -> String {
    [a, b]
        .iter()
        .filter(|s| !s.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join("&")
}

backend_test!(
    every_verdict_of_the_audit_holds,
    |app: TestApp| async move {
        let mut checked = 0;
        for (leika, expected) in AUDIT {
            for ((host, gemeinde, query), expect) in TENANTS.iter().zip(expected) {
                let at = format!("{leika} in {host}");
                match expect {
                    Unverified => continue,
                    Office(name) | OfficeWithAntrag(name, _) => {
                        let body = service_page(&app, host, leika, query).await;
                        let section = zustaendig(&body);
                        let names = office_names(section);
                        assert_eq!(names.first().map(String::as_str), Some(name), "{at}");
                        if let OfficeWithAntrag(_, antrag) = expect {
                            assert!(section.contains("Antrag persönlich bei"), "{at}");
                            assert_eq!(names.get(1).map(String::as_str), Some(antrag), "{at}");
                        }
                        assert!(
                            section.contains("Zuständigkeit nach "),
                            "{at}: names its source"
                        );
                    }
                    AtEventPlace(name) => {
                        let body = service_page(&app, host, leika, query).await;
                        let section = zustaendig(&body);
                        assert!(
                            office_names(section).is_empty()
                                && section.contains("id=\"ereignisort\""),
                            "{at}: asks where the event took place instead of using the Wohnort"
                        );
                        let chosen = join(query, &format!("ereignisort={gemeinde}"));
                        let body = service_page(&app, host, leika, &chosen).await;
                        let section = zustaendig(&body);
                        assert_eq!(
                            office_names(section).first().map(String::as_str),
                            Some(name),
                            "{at} with the event there"
                        );
                        assert!(section.contains("Standesamt des Ortes"), "{at}");
                    }
                }
                checked += 1;
            }
        }
        assert_eq!(checked, 177, "every verifiable answer of the audit");
    }
);

backend_test!(
    no_office_shows_invented_opening_hours,
    |app: TestApp| async move {
        let body = service_page(&app, "husum.localhost", "99041008000000", "").await;
        assert!(!body.contains("08:00–12:00 Uhr"), "no generated hours");
        let c = app.state.catalogue();
        for (leika, _) in AUDIT {
            for (_, gemeinde, _) in TENANTS {
                if let Some(r) = c.responsible(&key(leika), &ars(gemeinde)) {
                    let published = ["lasd-schleswig"];
                    assert!(
                        r.office.opening_hours.is_empty()
                            || published.contains(&r.office.id.as_str()),
                        "{} has hours no source gives",
                        r.office.name
                    );
                    assert!(!r.office.name.starts_with("Zuständige "), "no placeholder");
                }
            }
        }
    }
);

// The audit's cases of a keyword inside another word, over the whole catalogue.
backend_test!(
    no_answer_comes_from_a_word_inside_a_word,
    |app: TestApp| async move {
        let c = app.state.catalogue();
        let husum = ars(HUSUM);
        let patterns = [
            "Lohnsteuer",
            "Kernbrennstoff",
            "Luftfahrzeug",
            "Insolvenzverwalter",
            "Blindenführhund",
            "Schwangerschaftsabbruch",
            "Staatsexamen",
            "Lehramtsprüfung",
            "Gewerbemüll",
            "Sterbegeld für Kriegsopfer",
            "Bodensee",
            "Namensänderung bei der Hochschule",
        ];
        let mut found = 0;
        for l in &c.leistungen {
            if !patterns.iter().any(|p| l.catalogue_name.contains(p)) {
                continue;
            }
            found += 1;
            if let Some(r) = c.responsible(&l.leika, &husum) {
                assert!(
                    r.office.name != HUSUM_STADT && r.office.name != KV_NF,
                    "{} {} lands at {}",
                    l.leika,
                    l.catalogue_name,
                    r.office.name
                );
            }
        }
        assert!(
            found >= 30,
            "the audit's cases are in the catalogue ({found})"
        );
        // Where a word used to beat the right rule, the family's rule now decides.
        let namensaenderung = c.responsible(&key("99023001012006"), &husum).unwrap();
        assert_eq!(namensaenderung.office.name, KV_NF);
        let ohne_wohnsitz = c.responsible(&key("99107002017001"), &husum).unwrap();
        assert!(ohne_wohnsitz
            .office
            .name
            .starts_with("Jobcenter Nordfriesland"));
    }
);

backend_test!(
    siblings_of_a_family_answer_alike,
    |app: TestApp| async move {
        let path = common::repo("catalogue/zustaendigkeit-sh.toml");
        let table = RuleTable::parse(
            "zustaendigkeit-sh.toml",
            &std::fs::read_to_string(path).unwrap(),
        )
        .unwrap();
        let c = app.state.catalogue();
        let mut families = 0;
        for rule in &table.regel {
            for family in rule.leistungen.iter().filter(|s| s.len() == 8) {
                let siblings: Vec<&LeikaKey> = c
                    .leistungen
                    .iter()
                    .map(|l| &l.leika)
                    .filter(|k| k.as_str().starts_with(family.as_str()))
                    .filter(|k| table.rule_for(k).map(|r| r.id.as_str()) == Some(rule.id.as_str()))
                    .collect();
                assert!(!siblings.is_empty(), "{family}");
                families += 1;
                for (_, gemeinde, _) in TENANTS {
                    let answers: Vec<Option<&str>> = siblings
                        .iter()
                        .map(|k| {
                            c.responsible(k, &ars(gemeinde))
                                .map(|r| r.office.id.as_str())
                        })
                        .collect();
                    assert!(
                        answers.windows(2).all(|w| w[0] == w[1]),
                        "family {family} in {gemeinde}: {siblings:?} → {answers:?}"
                    );
                }
            }
        }
        assert!(families >= 50, "{families} families");
    }
);

backend_test!(
    a_service_without_a_rule_shows_the_honest_page,
    |app: TestApp| async move {
        let c = app.state.catalogue();
        let lohnsteuer = c
            .leistungen
            .iter()
            .find(|l| l.catalogue_name.contains("Lohnsteuer"))
            .unwrap()
            .leika
            .to_string();
        assert!(c.rule(&key(&lohnsteuer)).is_none());
        for _ in 0..2 {
            let body = service_page(&app, "husum.localhost", &lohnsteuer, "").await;
            let section = zustaendig(&body);
            assert!(office_names(section).is_empty(), "no guessed office");
            assert!(section.contains("noch nicht erfasst"), "says so");
            assert!(
                section.contains("Bürgerbüro der Stadt Husum"),
                "offers the tenant's contact"
            );
        }
        // Counted for editors, off the request path; cached views count too.
        app.state.refresh().await.unwrap();
        let husum: i64 = {
            let row = sqlx::query("SELECT id FROM tenants WHERE slug = 'husum'")
                .fetch_one(app.state.store().pool())
                .await
                .unwrap();
            buergerportal::store::int(&row, "id").unwrap().unwrap()
        };
        let gaps = buergerportal::catalogue::gaps::of_tenant(app.state.store(), husum)
            .await
            .unwrap();
        assert_eq!(gaps, vec![(lohnsteuer.clone(), 2)]);
        // A page with an office is no gap.
        service_page(&app, "husum.localhost", "99115005104000", "").await;
        app.state.refresh().await.unwrap();
        let gaps = buergerportal::catalogue::gaps::of_tenant(app.state.store(), husum)
            .await
            .unwrap();
        assert_eq!(gaps.len(), 1);
    }
);

backend_test!(
    the_place_of_the_event_is_chosen_by_postcode,
    |app: TestApp| async move {
        let host = "huettener-berge.localhost";
        let c = app.state.catalogue();
        let l = c.leistung(&key("99027002012000")).unwrap();
        let path = format!("/leistungen/{}-{}", l.leika, l.slug);
        // Without a Wohnort the page still asks only for the place of the birth.
        let (_, body) = app.page(host, &path).await;
        assert!(zustaendig(&body).contains("id=\"ereignisort\""));
        assert!(!zustaendig(&body).contains("id=\"wohnort\""));
        // Born in a Kiel clinic, living in Holtsee: the Standesamt of Kiel.
        let res = app
            .get(
                host,
                &format!("{path}?gemeinde={HOLTSEE}&ereignis_plz=24103"),
            )
            .await;
        assert_eq!(res.status(), 303);
        let location = res.headers()["location"].to_str().unwrap().to_string();
        assert_eq!(
            location,
            format!("{path}?gemeinde={HOLTSEE}&ereignisort={KIEL}")
        );
        let (_, body) = app.page(host, &location).await;
        let section = zustaendig(&body);
        assert_eq!(office_names(section), vec![LH_KIEL.to_string()]);
        assert!(section.contains("Zuständigkeit nach "));
        // A postcode of several Gemeinden offers each; a wrong one says why.
        let (_, body) = app.page(host, &format!("{path}?ereignis_plz=24358")).await;
        assert!(zustaendig(&body).contains("ereignisort="));
        let (_, body) = app.page(host, &format!("{path}?ereignis_plz=12")).await;
        assert!(zustaendig(&body).contains("fünf Ziffern"));
    }
);

backend_test!(
    coverage_counts_rules_imports_and_gaps,
    |app: TestApp| async move {
        let c = app.state.catalogue();
        let coverage = buergerportal::catalogue::coverage::coverage(&c);
        let t = &coverage.total;
        assert_eq!(t.services, c.leistungen.len());
        assert_eq!(t.rule + t.imported + t.editor + t.none, t.services);
        assert!(t.rule >= 400, "{t}");
        assert_eq!(t.imported, 0);
        let report = coverage.report(true);
        assert!(
            report.contains("mit Regel mit Quelle") && report.contains(&c.lebenslagen[0].name),
            "{report}"
        );
    }
);
