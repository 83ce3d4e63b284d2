use super::*;
use std::io::{BufReader, Read};

macro_rules! fixture {
    ($name:literal) => {
        include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/xzufi/",
            $name
        ))
        .as_slice()
    };
}

fn parse_bytes(name: &str, bytes: &[u8]) -> Result<Message, XzufiError> {
    parse(name, bytes, &Limits::default())
}

fn id(agency: &str, scheme: &str, value: &str) -> ObjectId {
    ObjectId {
        agency: agency.to_string(),
        scheme: scheme.to_string(),
        value: value.to_string(),
    }
}

fn localized(language: &str, text: &str) -> Localized {
    Localized {
        language: language.to_string(),
        text: text.to_string(),
    }
}

fn strings(values: &[&str]) -> Vec<String> {
    values.iter().map(|v| v.to_string()).collect()
}

/// A message around `body`, the root element on line 2.
fn message(body: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <xzufi:xzufi.nachricht xmlns:xzufi=\"{XZUFI_NS}\" xzufiVersion=\"2.2.0\">\n\
         {body}\n\
         </xzufi:xzufi.nachricht>\n"
    )
}

fn valid_full() -> Message {
    parse_bytes("valid-full.xml", fixture!("valid-full.xml")).expect("valid-full.xml parses")
}

fn schreibe(message: &Message) -> Vec<&Object> {
    message
        .operations
        .iter()
        .filter_map(|op| match op {
            Operation::Schreibe(object) => Some(object.as_ref()),
            Operation::Loesche { .. } => None,
        })
        .collect()
}

#[test]
fn valid_full_has_every_class_in_order() {
    let message = valid_full();
    assert_eq!(message.version, "2.2.0");
    assert_eq!(message.operations.len(), 12);
    let written: Vec<_> = schreibe(&message)
        .iter()
        .map(|o| (o.klasse(), o.id().value.as_str()))
        .collect();
    assert_eq!(
        written,
        vec![
            (Klasse::Leistung, "1382373"),
            (Klasse::Leistung, "574711"),
            (Klasse::Organisationseinheit, "8830571"),
            (Klasse::Zustaendigkeit, "8830571_1382373_010020000000"),
            (Klasse::Zustaendigkeit, "102789950_574711_01054"),
            (Klasse::Spezialisierung, "1382373_01002"),
            (Klasse::Onlinedienst, "105136908"),
        ]
    );
    assert_eq!(message.unknown, vec![]);
    assert_eq!(message.problems, vec![]);
}

#[test]
fn valid_full_deletes_one_object_of_each_class() {
    let message = valid_full();
    let deleted: Vec<_> = message
        .operations
        .iter()
        .filter_map(|op| match op {
            Operation::Loesche { klasse, id } => Some((*klasse, id.clone())),
            Operation::Schreibe(_) => None,
        })
        .collect();
    assert_eq!(
        deleted,
        vec![
            (Klasse::Leistung, id("L100012", "LB", "1077540")),
            (Klasse::Organisationseinheit, id("L100012", "OE", "8830112")),
            // never delivered: the importer counts such orphaned deletions
            (
                Klasse::Zustaendigkeit,
                id("S10005", "ZS", "999999_99102013002000_010540001001")
            ),
            (
                Klasse::Spezialisierung,
                id("L100012", "SP", "1077540_01002")
            ),
            (Klasse::Onlinedienst, id("L100012", "OD", "4411870")),
        ]
    );
}

#[test]
fn valid_full_reads_the_hundesteuer_leistung() {
    let message = valid_full();
    let Object::Leistung(l) = schreibe(&message)[0] else {
        panic!("first object is a Leistung");
    };
    assert_eq!(l.id, id("L100012", "LB", "1382373"));
    assert_eq!(l.leika.as_ref().map(|k| k.as_str()), Some("99102013002000"));
    assert_eq!(l.name.as_deref(), Some("Hund zur Hundesteuer anmelden"));
    let codes: Vec<_> = l
        .texts
        .iter()
        .map(|t| (t.code.as_str(), t.language.as_str()))
        .collect();
    assert_eq!(
        codes,
        vec![
            ("02", "de"),
            ("03", "de"),
            ("03", "en"),
            ("06", "de"),
            ("08", "de"),
            ("07", "de")
        ]
    );
    // Escaped HTML arrives raw; references are resolved, nothing is sanitised.
    assert_eq!(
        l.texts[3].html,
        "<p>Wenn Sie in Kiel einen Hund halten, müssen Sie ihn innerhalb von zwei Wochen \
         zur Hundesteuer anmelden.\u{a0}Das gilt auch für zugezogene Hunde & Hunde aus dem \
         Tierheim.</p>"
    );
    assert_eq!(
        l.texts[4].html,
        "<ul><li>Personalausweis oder Reisepass</li><li>bei gefährlichen Hunden: Nachweis der \
         Haftpflichtversicherung</li></ul>"
    );
    assert_eq!(l.texts[5].html, "");
    assert_eq!(
        l.texts[5].links,
        vec![Link {
            uri: "https://www.gesetze-rechtsprechung.sh.juris.de/bssh/document/jlr-KAGSH2005V15P3"
                .to_string(),
            titel: "§ 3 Kommunalabgabengesetz des Landes Schleswig-Holstein (KAG)".to_string(),
        }]
    );
    assert_eq!(
        l.kosten,
        vec![localized(
            "de",
            "<p>Die Anmeldung ist gebührenfrei. Die Höhe der Steuer regelt die \
             Hundesteuersatzung.</p>"
        )]
    );
    assert_eq!(
        l.frist,
        vec![localized(
            "de",
            "<p>Innerhalb von 2 Wochen nach Beginn der Hundehaltung</p>"
        )]
    );
    assert_eq!(
        l.bearbeitungsdauer,
        vec![localized("de", "<p>etwa 4 Wochen</p>")]
    );
    assert_eq!(
        l.begriffe_im_kontext,
        strings(&["Hundeanmeldung", "Hundesteuermarke"])
    );
    assert_eq!(l.typisierung, strings(&["5"]));
    assert_eq!(
        l.kategorien,
        vec![Kategorie {
            klasse: "Lebenslagen".to_string(),
            id: "1000000".to_string(),
            bezeichnung: "Lebenslagen für Bürgerinnen und Bürger".to_string(),
        }]
    );
    assert_eq!(l.gueltigkeit_gebiete, strings(&["010020000000"]));
    assert_eq!(l.geaendert.as_deref(), Some("2024-11-04T09:12:00Z"));
}

#[test]
fn valid_full_reads_the_federal_leistung_from_the_pvog_sample() {
    let message = valid_full();
    let Object::Leistung(l) = schreibe(&message)[1] else {
        panic!("second object is a Leistung");
    };
    assert_eq!(l.id, id("B100019", "LB", "574711"));
    assert_eq!(l.leika.as_ref().map(|k| k.as_str()), Some("99007002017000"));
    assert_eq!(l.name.as_deref(), Some("Ausbildungsgeld beantragen"));
    let codes: Vec<_> = l.texts.iter().map(|t| t.code.as_str()).collect();
    assert_eq!(codes, vec!["02", "03", "24", "09", "15"]);
    let links: Vec<_> = l.texts[4].links.iter().map(|l| l.uri.as_str()).collect();
    assert_eq!(
        links,
        vec![
            "https://www.arbeitsagentur.de/menschen-mit-behinderungen/unterstuetzung-finanzielle-hilfen",
            "https://www.arbeitsagentur.de/datei/merkblatt-12-teilhabe_ba015371.pdf",
        ]
    );
    assert_eq!(
        l.kosten,
        vec![
            localized("de", "<p>Keine</p>"),
            localized("en", "<p>None</p>")
        ]
    );
    // An escaped character reference stays in the HTML for the sanitiser.
    assert!(l.frist[0].text.contains("die &#xa0;Maßnahme"));
    assert_eq!(l.bearbeitungsdauer, vec![localized("de", "1 Monat")]);
    assert_eq!(
        l.begriffe_im_kontext,
        strings(&["Ausbildungsförderung", "Berufliche Rehabilitation", "Reha"])
    );
    assert_eq!(l.typisierung, strings(&["1"]));
    let kategorien: Vec<_> = l
        .kategorien
        .iter()
        .map(|k| (k.id.as_str(), k.bezeichnung.as_str()))
        .collect();
    assert_eq!(
        kategorien,
        vec![
            ("1030200", "Berufsausbildung"),
            ("1140100", "Existenzsicherung und staatliche Unterstützung")
        ]
    );
    assert_eq!(l.gueltigkeit_gebiete, strings(&["000000000000"]));
}

#[test]
fn valid_full_reads_organisationseinheit_with_inline_zustaendigkeit() {
    let message = valid_full();
    let Object::Organisationseinheit(oe) = schreibe(&message)[2] else {
        panic!("third object is an Organisationseinheit");
    };
    assert_eq!(
        oe,
        &Organisationseinheit {
            id: id("L100012", "OE", "8830571"),
            name: Some(
                "Landeshauptstadt Kiel – Amt für Finanzwirtschaft, Abteilung Steuern".to_string()
            ),
            street: Some("Fleethörn 9".to_string()),
            postcode: Some("24103".to_string()),
            city: Some("Kiel".to_string()),
            ars: Some("010020000000".to_string()),
            phone: Some("+49 431 901-0".to_string()),
            email: Some("steuern@kiel.de".to_string()),
            web: Some("https://www.kiel.de/de/politik_verwaltung/steuern/".to_string()),
            opening_hours: strings(&[
                "Mo, Di und Fr 8:00–12:00 Uhr",
                "Do 8:00–12:00 und 14:00–17:00 Uhr"
            ]),
            zustaendigkeiten: vec![Zuordnung {
                leistung: id("L100012", "LB", "1382373"),
                gebiet: "010020000000".to_string(),
            }],
        }
    );
}

#[test]
fn valid_full_reads_zustaendigkeiten_spezialisierung_and_onlinedienst() {
    let message = valid_full();
    let objects = schreibe(&message);
    assert_eq!(
        objects[3],
        &Object::Zustaendigkeit(Zustaendigkeit {
            id: id("L100012", "ZS", "8830571_1382373_010020000000"),
            organisationseinheit: Some(id("L100012", "OE", "8830571")),
            leistung: Some(id("L100012", "LB", "1382373")),
            gebiet: Some("010020000000".to_string()),
            rolle_code: Some("01".to_string()),
            rolle_name: Some("Zuständige Stelle".to_string()),
        })
    );
    let Object::Zustaendigkeit(kreis) = objects[4] else {
        panic!("fifth object is a Zustaendigkeit");
    };
    assert_eq!(kreis.gebiet.as_deref(), Some("01054"));
    assert_eq!(
        kreis.organisationseinheit,
        Some(id("B100019", "OE", "102789950"))
    );

    assert_eq!(
        objects[5],
        &Object::Spezialisierung(Spezialisierung {
            id: id("L100012", "SP", "1382373_01002"),
            leistung: Some(id("L100012", "LB", "1382373")),
            gebiete: strings(&["010020000000"]),
            texts: vec![TextModule {
                code: "16".to_string(),
                language: "de".to_string(),
                html: "<p>Die Steuersätze legt die Hundesteuersatzung der Landeshauptstadt Kiel \
                       fest.</p>"
                    .to_string(),
                links: vec![Link {
                    uri: "https://www.kiel.de/de/politik_verwaltung/ortsrecht/".to_string(),
                    titel: "Ortsrecht der Landeshauptstadt Kiel".to_string(),
                }],
            }],
        })
    );

    assert_eq!(
        objects[6],
        &Object::Onlinedienst(Onlinedienst {
            id: id("B100019", "OD", "105136908"),
            bezeichnung: Some(
                "Berufliche Rehabilitation durch die Bundesagentur für Arbeit".to_string()
            ),
            links: vec![OnlinedienstLink {
                typ: Some("01".to_string()),
                url: "https://www.arbeitsagentur.de/menschen-mit-behinderungen/berufliche-rehabilitation"
                    .to_string(),
                titel: Some("Berufliche Rehabilitation".to_string()),
            }],
            vertrauensniveau: Some("15".to_string()),
            leistungen: vec![id("B100019", "LB", "574711")],
            gebiete: strings(&["000000000000"]),
        })
    );
}

#[test]
fn unknown_elements_are_recorded_with_path_and_line_and_skipped() {
    let message = parse_bytes(
        "valid-unknown-elements.xml",
        fixture!("valid-unknown-elements.xml"),
    )
    .expect("valid-unknown-elements.xml parses");
    assert_eq!(message.version, "2.2");
    let unknown: Vec<_> = message
        .unknown
        .iter()
        .map(|u| (u.path.as_str(), u.line))
        .collect();
    assert_eq!(
        unknown,
        vec![
            ("/xzufi.nachricht/schreibe/leistung/modulFoo", 13),
            ("/xzufi.nachricht/schreibe/leistung/modulText/inhalt/p", 17),
            (
                "/xzufi.nachricht/schreibe/organisationseinheit/ext:barrierefreiheit",
                24
            ),
            ("/xzufi.nachricht/schreibe/formular", 29),
            ("/xzufi.nachricht/aktualisiere", 41),
            ("/xzufi.nachricht/loesche/grund", 47),
        ]
    );

    let objects = schreibe(&message);
    assert_eq!(objects.len(), 3);
    let Object::Leistung(l) = objects[0] else {
        panic!("first object is a Leistung");
    };
    assert_eq!(l.leika.as_ref().map(|k| k.as_str()), Some("99050012104000"));
    assert_eq!(l.name.as_deref(), Some("Personalausweis beantragen"));
    assert_eq!(l.texts[1].html, "");
    let Object::Organisationseinheit(oe) = objects[1] else {
        panic!("second object is an Organisationseinheit");
    };
    assert_eq!(oe.city.as_deref(), Some("Wyk auf Föhr"));
    assert_eq!(oe.ars, None);

    let Object::Onlinedienst(od) = objects[2] else {
        panic!("third object is an Onlinedienst");
    };
    let urls: Vec<_> = od.links.iter().map(|l| l.url.as_str()).collect();
    assert_eq!(
        urls,
        vec!["HTTPS://www.schleswig-holstein.de/personalausweis"]
    );
    assert_eq!(od.leistungen, vec![id("L100012", "LB", "1400210")]);
    assert_eq!(od.gebiete, strings(&["01054"]));
    assert_eq!(
        message.problems,
        vec![Problem {
            path: "/xzufi.nachricht/schreibe/onlinedienst".to_string(),
            line: 35,
            message: "Link „javascript:alert(document.cookie)“ ist keine http- oder \
                      https-Adresse und wird nicht übernommen"
                .to_string(),
        }]
    );

    let deleted: Vec<_> = message
        .operations
        .iter()
        .filter_map(|op| match op {
            Operation::Loesche { klasse, id } => Some((*klasse, id.value.as_str())),
            Operation::Schreibe(_) => None,
        })
        .collect();
    assert_eq!(
        deleted,
        vec![
            (Klasse::Zustaendigkeit, "4711"),
            (Klasse::Zustaendigkeit, "4712")
        ]
    );
}

#[test]
fn doctype_with_external_entity_is_refused_at_its_line() {
    let error = parse_bytes("doctype-xxe.xml", fixture!("doctype-xxe.xml")).unwrap_err();
    assert_eq!(
        error,
        XzufiError::Doctype {
            file: "doctype-xxe.xml".to_string(),
            line: 2,
        }
    );
}

#[test]
fn billion_laughs_is_refused_before_any_expansion() {
    let error = parse_bytes("billion-laughs.xml", fixture!("billion-laughs.xml")).unwrap_err();
    assert_eq!(
        error,
        XzufiError::Doctype {
            file: "billion-laughs.xml".to_string(),
            line: 3,
        }
    );
    assert_eq!(
        error.to_string(),
        "billion-laughs.xml, Zeile 3: Die Datei enthält eine DOCTYPE-Deklaration, die aus \
         Sicherheitsgründen nicht verarbeitet wird."
    );
}

#[test]
fn root_in_another_namespace_is_refused() {
    let error =
        parse_bytes("unknown-namespace.xml", fixture!("unknown-namespace.xml")).unwrap_err();
    assert_eq!(
        error,
        XzufiError::WrongNamespace {
            file: "unknown-namespace.xml".to_string(),
            line: 3,
            element: "xzufi:xzufi.nachricht".to_string(),
            found: "http://xoev.de/schemata/xzufi/2_1_0".to_string(),
        }
    );
}

#[test]
fn root_without_namespace_is_refused() {
    let xml = "<xzufi.nachricht xzufiVersion=\"2.2.0\"/>";
    let error = parse_bytes("ohne.xml", xml.as_bytes()).unwrap_err();
    assert_eq!(
        error.to_string(),
        "ohne.xml, Zeile 1: Das Wurzelelement „xzufi.nachricht“ liegt in keinem Namensraum, \
         nicht im XZuFi-Namensraum „http://xoev.de/schemata/xzufi/2_2_0“."
    );
}

#[test]
fn other_version_is_refused() {
    let error = parse_bytes("wrong-version.xml", fixture!("wrong-version.xml")).unwrap_err();
    assert_eq!(
        error,
        XzufiError::WrongVersion {
            file: "wrong-version.xml".to_string(),
            line: 2,
            found: "2.1.0".to_string(),
        }
    );
}

#[test]
fn mismatched_end_tag_is_refused_at_its_line() {
    let error = parse_bytes("not-well-formed.xml", fixture!("not-well-formed.xml")).unwrap_err();
    assert_eq!(
        error,
        XzufiError::NotWellFormed {
            file: "not-well-formed.xml".to_string(),
            line: 10,
            detail: "Endtag </xzufi:modulTxt> schließt <xzufi:modulText>".to_string(),
        }
    );
    assert_eq!(
        error.to_string(),
        "not-well-formed.xml, Zeile 10: Die Datei ist kein wohlgeformtes XML (Endtag \
         </xzufi:modulTxt> schließt <xzufi:modulText>)."
    );
}

#[test]
fn other_ill_formed_inputs_are_refused_with_their_line() {
    let cases = [
        ("", 1),
        ("<xzufi:schreibe>\n", 5),
        ("<xzufi:schreibe a=\"1\" a=\"2\"/>", 3),
        (
            "<xzufi:schreibe>\n<code>Hunde & Katzen</code></xzufi:schreibe>",
            4,
        ),
        ("<xzufi:schreibe><!-- a -- b --></xzufi:schreibe>", 3),
        ("<xzufi:schreibe>\n\n<code>&#x1;</code></xzufi:schreibe>", 5),
        ("<foo:schreibe/>", 3),
    ];
    for (body, line) in cases {
        let xml = if body.is_empty() {
            String::new()
        } else {
            message(body)
        };
        let error = parse_bytes("kaputt.xml", xml.as_bytes()).unwrap_err();
        assert!(
            matches!(error, XzufiError::NotWellFormed { .. }),
            "{body}: {error}"
        );
        assert_eq!(error.line(), Some(line), "{body}: {error}");
    }
}

#[test]
fn content_after_the_root_is_refused() {
    let mut xml = message("");
    xml.push_str("<xzufi:xzufi.nachricht/>\n");
    let error = parse_bytes("zwei.xml", xml.as_bytes()).unwrap_err();
    assert_eq!(error.line(), Some(5));
    assert!(matches!(error, XzufiError::NotWellFormed { .. }));
}

#[test]
fn only_predefined_entities_and_character_references_are_accepted() {
    let xml = message("<xzufi:schreibe>\n<xzufi:leistung><xzufi:id>1&nbsp;2</xzufi:id></xzufi:leistung></xzufi:schreibe>");
    let error = parse_bytes("nbsp.xml", xml.as_bytes()).unwrap_err();
    assert_eq!(
        error,
        XzufiError::ForbiddenEntity {
            file: "nbsp.xml".to_string(),
            line: 4,
            name: "nbsp".to_string(),
        }
    );

    let xml = message("<xzufi:loesche klasse=\"Leis&xxe;tung\"/>");
    let error = parse_bytes("attr.xml", xml.as_bytes()).unwrap_err();
    assert!(
        matches!(error, XzufiError::ForbiddenEntity { line: 3, ref name, .. } if name == "xxe")
    );

    let xml = message("<xzufi:loesche klasse=\"Leis&#x74;ung\"><xzufi:id>&lt;&#49;&gt;&quot;&apos;&amp;</xzufi:id></xzufi:loesche>");
    let message = parse_bytes("ok.xml", xml.as_bytes()).unwrap();
    assert_eq!(
        message.operations,
        vec![Operation::Loesche {
            klasse: Klasse::Leistung,
            id: id("", "", "<1>\"'&"),
        }]
    );
}

#[test]
fn declared_encoding_other_than_utf8_is_refused() {
    let xml = "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<x/>";
    let error = parse_bytes("latin1.xml", xml.as_bytes()).unwrap_err();
    assert!(
        matches!(error, XzufiError::UnsupportedEncoding { line: 1, ref encoding, .. } if encoding == "ISO-8859-1")
    );
}

#[test]
fn nesting_deeper_than_the_limit_is_refused() {
    let depth = 10_000;
    let xml = message(&format!(
        "<xzufi:schreibe>\n{}{}</xzufi:schreibe>",
        "<x>".repeat(depth),
        "</x>".repeat(depth)
    ));
    let limits = Limits {
        max_depth: 64,
        ..Limits::default()
    };
    let error = parse("too-deep.xml", xml.as_bytes(), &limits).unwrap_err();
    assert_eq!(
        error,
        XzufiError::TooDeep {
            file: "too-deep.xml".to_string(),
            line: 4,
            max_depth: 64,
        }
    );
}

#[test]
fn input_longer_than_max_bytes_is_refused_while_reading() {
    let loesche = "<xzufi:loesche klasse=\"Zustaendigkeit\"><xzufi:id schemeAgencyID=\"S10005\">4711</xzufi:id></xzufi:loesche>\n";
    let xml = message(&loesche.repeat(20_000));
    assert!(xml.len() > 2_000_000);
    let limits = Limits {
        max_bytes: 1_000_000,
        ..Limits::default()
    };
    let error = parse("gross.xml", xml.as_bytes(), &limits).unwrap_err();
    assert_eq!(
        error,
        XzufiError::TooLarge {
            file: "gross.xml".to_string(),
            max_bytes: 1_000_000,
        }
    );
    assert_eq!(
        error.to_string(),
        "gross.xml: Die Datei ist größer als die erlaubten 1000000 Bytes."
    );

    let fits = Limits {
        max_bytes: xml.len() as u64,
        ..Limits::default()
    };
    let message = parse("gross.xml", xml.as_bytes(), &fits).unwrap();
    assert_eq!(message.operations.len(), 20_000);
}

#[test]
fn endless_input_stops_at_the_byte_limit() {
    let head = message("").into_bytes();
    let head = &head[..head.len() - "</xzufi:xzufi.nachricht>\n".len()];
    let endless = head.chain(std::io::repeat(b' '));
    let limits = Limits {
        max_bytes: 100_000,
        ..Limits::default()
    };
    let error = parse("endlos.xml", BufReader::new(endless), &limits).unwrap_err();
    assert!(matches!(error, XzufiError::TooLarge { .. }));
}

#[test]
fn text_longer_than_the_limit_is_refused() {
    let long = "&lt;p&gt;".repeat(400);
    let xml = message(&format!(
        "<xzufi:loesche klasse=\"Leistung\">\n<xzufi:id>{long}</xzufi:id></xzufi:loesche>"
    ));
    let limits = Limits {
        max_text_bytes: 1000,
        ..Limits::default()
    };
    let error = parse("lang.xml", xml.as_bytes(), &limits).unwrap_err();
    assert_eq!(
        error,
        XzufiError::TextTooLong {
            file: "lang.xml".to_string(),
            line: 4,
            max_text_bytes: 1000,
        }
    );
}

#[test]
fn more_operations_than_the_limit_are_refused() {
    let xml = message(
        &(1..=4)
            .map(|n| format!("<xzufi:loesche klasse=\"Onlinedienst\"><xzufi:id>{n}</xzufi:id></xzufi:loesche>"))
            .collect::<Vec<_>>()
            .join("\n"),
    );
    let limits = Limits {
        max_objects: 3,
        ..Limits::default()
    };
    let error = parse("viele.xml", xml.as_bytes(), &limits).unwrap_err();
    assert_eq!(
        error,
        XzufiError::TooManyObjects {
            file: "viele.xml".to_string(),
            line: 6,
            max_objects: 3,
        }
    );
}

#[test]
fn loesche_with_unknown_klasse_is_refused() {
    let xml =
        message("<xzufi:loesche klasse=\"Formular\">\n<xzufi:id>1</xzufi:id></xzufi:loesche>");
    let error = parse_bytes("klasse.xml", xml.as_bytes()).unwrap_err();
    assert_eq!(
        error,
        XzufiError::UnknownKlasse {
            file: "klasse.xml".to_string(),
            line: 3,
            klasse: "Formular".to_string(),
        }
    );
}

#[test]
fn objects_without_id_are_refused() {
    let cases = [
        ("<xzufi:loesche klasse=\"Leistung\"/>", "loesche"),
        (
            "<xzufi:schreibe>\n<xzufi:leistung><xzufi:referenzLeiKa><code>99102013002000</code></xzufi:referenzLeiKa></xzufi:leistung></xzufi:schreibe>",
            "leistung",
        ),
        (
            "<xzufi:schreibe>\n<xzufi:onlinedienst><xzufi:id schemeAgencyID=\"L100012\"> </xzufi:id></xzufi:onlinedienst></xzufi:schreibe>",
            "onlinedienst",
        ),
        (
            "<xzufi:schreibe>\n<xzufi:zustaendigkeitTransferObjekt><xzufi:uebergeordnetesObjektID>1</xzufi:uebergeordnetesObjektID></xzufi:zustaendigkeitTransferObjekt></xzufi:schreibe>",
            "zustaendigkeitTransferObjekt",
        ),
    ];
    for (body, element) in cases {
        let error = parse_bytes("ohne-id.xml", message(body).as_bytes()).unwrap_err();
        let line = if body.contains('\n') { 4 } else { 3 };
        assert_eq!(
            error,
            XzufiError::MissingId {
                file: "ohne-id.xml".to_string(),
                line,
                element: element.to_string(),
            },
            "{body}"
        );
    }
}

#[test]
fn malformed_leika_key_is_refused_at_its_line() {
    let xml = message(
        "<xzufi:schreibe><xzufi:leistung>\n<xzufi:id>1</xzufi:id>\n<xzufi:referenzLeiKa>\n<code>9910201300200</code></xzufi:referenzLeiKa></xzufi:leistung></xzufi:schreibe>",
    );
    let error = parse_bytes("leika.xml", xml.as_bytes()).unwrap_err();
    assert_eq!(
        error,
        XzufiError::InvalidLeika {
            file: "leika.xml".to_string(),
            line: 6,
            value: "9910201300200".to_string(),
            reason: "falsche Länge".to_string(),
        }
    );
}

#[test]
fn gebiet_must_be_an_ars_or_empty() {
    let zustaendigkeit = |gebiet: &str| {
        message(&format!(
            "<xzufi:schreibe><xzufi:zustaendigkeitTransferObjekt><xzufi:zustaendigkeit>\n\
             <xzufi:id>z</xzufi:id>\n<xzufi:gebietID>{gebiet}</xzufi:gebietID>\n\
             </xzufi:zustaendigkeit></xzufi:zustaendigkeitTransferObjekt></xzufi:schreibe>"
        ))
    };
    for good in [
        "",
        "000000000000",
        "01",
        "01054",
        "010545470",
        "010020000000",
    ] {
        let message = parse_bytes("gut.xml", zustaendigkeit(good).as_bytes()).unwrap();
        let Some(Object::Zustaendigkeit(z)) = schreibe(&message).first().copied() else {
            panic!("one Zustaendigkeit");
        };
        assert_eq!(z.gebiet.as_deref(), Some(good));
    }
    for bad in ["010", "0100200000001", "01O54", "DE-SH"] {
        let error = parse_bytes("schlecht.xml", zustaendigkeit(bad).as_bytes()).unwrap_err();
        assert_eq!(
            error,
            XzufiError::InvalidArs {
                file: "schlecht.xml".to_string(),
                line: 5,
                value: bad.to_string(),
            }
        );
    }
}

#[test]
fn lines_count_crlf_and_multiline_tags() {
    let xml = "<?xml version=\"1.0\"?>\r\n<xzufi.nachricht\r\n  xmlns=\"http://xoev.de/schemata/xzufi/2_2_0\"\r\n  xzufiVersion=\"2.2.0\">\r\n<!-- eins\r\nzwei -->\r\n<neu>\r\n</neu></xzufi.nachricht>";
    let message = parse_bytes("crlf.xml", xml.as_bytes()).unwrap();
    assert_eq!(
        message.unknown,
        vec![Unknown {
            path: "/xzufi.nachricht/neu".to_string(),
            line: 7,
        }]
    );
}

#[test]
fn reads_through_a_small_buffer() {
    let reader = BufReader::with_capacity(7, fixture!("valid-full.xml"));
    let message = parse("valid-full.xml", reader, &Limits::default()).unwrap();
    assert_eq!(message, valid_full());
}

#[test]
fn unknown_elements_beyond_the_list_limit_are_only_counted() {
    let many = pull::MAX_LISTED + 5;
    let xml = message(&"<neu/>\n".repeat(many));
    let message = parse_bytes("viele-neu.xml", xml.as_bytes()).unwrap();
    assert_eq!(message.unknown.len(), pull::MAX_LISTED);
    assert_eq!(message.unknown_not_listed, 5);
    assert_eq!(
        message.unknown[1],
        Unknown {
            path: "/xzufi.nachricht/neu".to_string(),
            line: 4,
        }
    );
}

#[test]
fn long_paths_are_cut_short() {
    let root = "n".repeat(5000);
    let xml = format!(
        "<xzufi:{root} xmlns:xzufi=\"{XZUFI_NS}\" xzufiVersion=\"2.2.0\"><neu/></xzufi:{root}>"
    );
    let message = parse_bytes("lang.xml", xml.as_bytes()).unwrap();
    let path = &message.unknown[0].path;
    assert!(path.len() <= 1024 + '…'.len_utf8(), "{}", path.len());
    assert!(path.ends_with('…'));
}
