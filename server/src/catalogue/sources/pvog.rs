//! Federal services of the Portalverbund (PVOG Suchdienst): the service list
//! `ars_000000000000.csv` and single detail records `detail_*.json`.

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::Value;

use super::{
    bounded, check_size, distinct_terms, http_url, rich_text, SourceError, MAX_FILE_BYTES,
    MAX_HTML_BYTES,
};
use crate::keys::LeikaKey;

/// The services of the list, one per LeiKa key, in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PvogBund {
    pub services: Vec<PvogService>,
    /// Rows whose online service was dropped because its URL is not http(s).
    pub skipped_links: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PvogService {
    /// `ID-LB`, e.g. `B100019.LB.100372563`.
    pub pvog_id: String,
    pub leika: LeikaKey,
    /// Catalogue name ("… Bewilligung").
    pub name: String,
    /// Citizen-facing name ("… beantragen"); missing in 3 rows of the real list.
    pub citizen_name: Option<String>,
    /// As in the file: `DD.MM.YYYY HH:MM`.
    pub updated: String,
    pub online: Vec<PvogOnline>,
}

/// An online service (Onlinedienst) of the responsible authority.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PvogOnline {
    /// `ID-OD`, e.g. `B100019.OD.103739565`.
    pub id: String,
    pub title: String,
    /// http or https.
    pub url: String,
    /// Vertrauensniveau code (`levelOfConfidence`); only detail records carry it.
    pub level_of_confidence: Option<String>,
}

/// One Suchdienst detail record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PvogDetail {
    /// With dots, as in the service list: `B100019.LB.574711`.
    pub id: String,
    pub name: String,
    pub leika: Vec<LeikaKey>,
    pub synonyms: Vec<String>,
    pub description_html: String,
    /// The XZuFi text modules that say something (text, links or parts), in file order.
    pub details: Vec<PvogTextModule>,
    pub online: Vec<PvogOnline>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PvogTextModule {
    /// "06" Beschreibung, "09" Voraussetzungen, "98" Kosten, …
    pub code: String,
    pub title: String,
    /// Sanitised; empty if it has no visible text.
    pub text_html: String,
    /// `xZufiCategory`: TEXT_MODUL, KOSTEN, FRIST, BEARBEITUNGSDAUER, …
    pub category: String,
    pub links: Vec<PvogLink>,
    /// Structured entries of KOSTEN, FRIST and BEARBEITUNGSDAUER modules
    /// (e.g. "Widerspruchsfrist"), which may hold the module's only content.
    pub parts: Vec<PvogPart>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PvogLink {
    pub title: String,
    /// http or https; other links are dropped.
    pub url: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PvogPart {
    pub title: String,
    pub text_html: String,
}

const HEADER: [&str; 8] = [
    "ID-LB",
    "Leikaschlüssel",
    "Name",
    "Name2",
    "Updatedatum",
    "ID-OD",
    "Bezeichnung OD",
    "Links",
];

/// Reads the `|`-separated list: one row per (service, online service).
///
/// The file is written without quoting but with doubled quotes inside fields
/// (`Förderprogramm ""Energieeffizient Sanieren""`, even at a field's start), so it
/// is read with quoting off and `""` becomes `"`.
pub fn parse_pvog_bund(file: &str, text: &str) -> Result<PvogBund, SourceError> {
    check_size(file, text, MAX_FILE_BYTES)?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b'|')
        .quoting(false)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut list = ServiceList::default();
    let mut header_seen = false;
    for row in reader.records() {
        let row = row.map_err(|e| SourceError::new(file, "Datei", e.to_string()))?;
        let line = row.position().map_or(0, |p| p.line() as usize);
        let fields: Vec<String> = row.iter().map(|f| f.trim().replace("\"\"", "\"")).collect();
        let result = if header_seen {
            list.add(&fields, line)
        } else {
            header_seen = true;
            check_header(&fields)
        };
        result.map_err(|reason| SourceError::at_line(file, line, reason))?;
    }
    if !header_seen {
        return Err(SourceError::at_line(file, 1, "Kopfzeile fehlt"));
    }
    Ok(PvogBund {
        services: list.services,
        skipped_links: list.skipped_links,
    })
}

fn check_header(fields: &[String]) -> Result<(), String> {
    if fields.iter().map(String::as_str).eq(HEADER) {
        Ok(())
    } else {
        Err(format!(
            "Kopfzeile ist '{}' statt '{}'",
            fields.join("|"),
            HEADER.join("|")
        ))
    }
}

#[derive(Default)]
struct ServiceList {
    services: Vec<PvogService>,
    /// LeiKa key → (index in `services`, line of its first row).
    seen: HashMap<String, (usize, usize)>,
    skipped_links: usize,
}

impl ServiceList {
    fn add(&mut self, fields: &[String], line: usize) -> Result<(), String> {
        if fields.len() != HEADER.len() {
            return Err(format!("{} Felder statt {}", fields.len(), HEADER.len()));
        }
        let service = service_fields(fields)?;
        let online = self.online(&fields[5..])?;
        let index = match self.seen.get(service.leika.as_str()) {
            Some(&(index, first_line)) => {
                same_service(&self.services[index], &service, first_line)?;
                index
            }
            None => {
                let index = self.services.len();
                self.seen
                    .insert(service.leika.as_str().to_string(), (index, line));
                self.services.push(service);
                index
            }
        };
        let known = &mut self.services[index].online;
        if let Some(online) = online.filter(|o| known.iter().all(|k| k.id != o.id)) {
            known.push(online);
        }
        Ok(())
    }

    /// The row's online service; None if the row has none or its URL is unusable.
    fn online(&mut self, fields: &[String]) -> Result<Option<PvogOnline>, String> {
        let [id, title, url] = fields else {
            return Ok(None);
        };
        if id.is_empty() && title.is_empty() && url.is_empty() {
            return Ok(None);
        }
        let Some(url) = http_url(url) else {
            self.skipped_links += 1;
            return Ok(None);
        };
        Ok(Some(PvogOnline {
            id: required(id, "ID-OD")?,
            title: required(title, "Bezeichnung OD")?,
            url,
            level_of_confidence: None,
        }))
    }
}

fn service_fields(fields: &[String]) -> Result<PvogService, String> {
    Ok(PvogService {
        pvog_id: required(&fields[0], "ID-LB")?,
        leika: LeikaKey::parse(&fields[1]).map_err(|e| e.to_string())?,
        name: required(&fields[2], "Name")?,
        citizen_name: Some(fields[3].clone()).filter(|n| !n.is_empty()),
        updated: timestamp(&fields[4])?,
        online: Vec::new(),
    })
}

/// Rows of one LeiKa key repeat the service; they must agree.
fn same_service(first: &PvogService, row: &PvogService, first_line: usize) -> Result<(), String> {
    let differs = |what: &str| {
        Err(format!(
            "{what} weicht von Zeile {first_line} mit demselben LeiKa-Schlüssel {} ab",
            row.leika
        ))
    };
    if first.pvog_id != row.pvog_id {
        return differs("ID-LB");
    }
    if first.name != row.name || first.citizen_name != row.citizen_name {
        return differs("Name");
    }
    if first.updated != row.updated {
        return differs("Updatedatum");
    }
    Ok(())
}

fn required(value: &str, column: &str) -> Result<String, String> {
    if value.is_empty() {
        Err(format!("{column} ist leer"))
    } else {
        Ok(value.to_string())
    }
}

/// `DD.MM.YYYY HH:MM`, checked for shape only.
fn timestamp(value: &str) -> Result<String, String> {
    let shape_ok = value.len() == 16
        && value.bytes().enumerate().all(|(i, b)| match i {
            2 | 5 => b == b'.',
            10 => b == b' ',
            13 => b == b':',
            _ => b.is_ascii_digit(),
        });
    if shape_ok {
        Ok(value.to_string())
    } else {
        Err(format!(
            "Updatedatum '{value}' hat nicht die Form TT.MM.JJJJ hh:mm"
        ))
    }
}

/// Reads a detail record in either of the two shapes of the real samples: the
/// Suchdienst answer (`id`, `leikakeys`, `details[]`, `onlineServiceLinks[]`), or the
/// reduced form text-to-SHACL kept of it (`idlb`, plain-text `description`,
/// `requirements`, `legal_basis`), whose texts become modules 09 and 07.
pub fn parse_pvog_detail(file: &str, text: &str) -> Result<PvogDetail, SourceError> {
    check_size(file, text, MAX_FILE_BYTES)?;
    let error = |reason: String| SourceError::new(file, "Datei", reason);
    let root: Value =
        serde_json::from_str(text).map_err(|e| error(format!("kein gültiges JSON: {e}")))?;
    let full = root.get("details").is_some() || root.get("leikakeys").is_some();
    let detail = if full {
        serde_json::from_value(root)
            .map_err(|e| format!("ungültige Suchdienst-Antwort: {e}"))
            .and_then(full_detail)
    } else if root.get("idlb").is_some() {
        serde_json::from_value(root)
            .map_err(|e| format!("ungültige Kurzform: {e}"))
            .and_then(reduced_detail)
    } else {
        Err("weder Suchdienst-Antwort ('details', 'leikakeys') noch Kurzform ('idlb')".into())
    };
    detail.map_err(error)
}

fn full_detail(raw: RawDetail) -> Result<PvogDetail, String> {
    let leika = raw
        .leikakeys
        .iter()
        .flatten()
        .map(|k| LeikaKey::parse(k).map_err(|e| format!("leikakeys: {e}")))
        .collect::<Result<Vec<_>, _>>()?;
    let mut details = Vec::new();
    for module in raw.details.into_iter().flatten() {
        let module = text_module(module)?;
        if !(module.text_html.is_empty() && module.links.is_empty() && module.parts.is_empty()) {
            details.push(module);
        }
    }
    Ok(PvogDetail {
        id: required(raw.id.trim(), "id")?,
        name: required(raw.name.trim(), "name")?,
        leika,
        synonyms: distinct_terms(raw.synonyms.iter().flatten().map(String::as_str)),
        description_html: rich_text("description", raw.description.as_deref())?,
        details,
        online: raw
            .online_service_links
            .into_iter()
            .flatten()
            .filter_map(online_link)
            .collect(),
    })
}

fn text_module(raw: RawModule) -> Result<PvogTextModule, String> {
    let code = required(raw.code.trim(), "details[].code")?;
    let field = format!("details[{code}].text");
    let mut parts = Vec::new();
    for part in raw.details.into_iter().flatten() {
        let part = PvogPart {
            title: part.title.unwrap_or_default().trim().to_string(),
            text_html: rich_text(&field, part.text.as_deref())?,
        };
        if !(part.title.is_empty() && part.text_html.is_empty()) {
            parts.push(part);
        }
    }
    Ok(PvogTextModule {
        text_html: rich_text(&field, raw.text.as_deref())?,
        title: raw.title.unwrap_or_default().trim().to_string(),
        category: raw.x_zufi_category.unwrap_or_default(),
        links: raw.links.into_iter().flatten().filter_map(link).collect(),
        parts,
        code,
    })
}

fn link(raw: RawLink) -> Option<PvogLink> {
    let url = http_url(raw.uri.as_deref()?)?;
    let title = raw.title.map(|t| t.trim().to_string()).unwrap_or_default();
    Some(PvogLink {
        title: if title.is_empty() { url.clone() } else { title },
        url,
    })
}

fn online_link(raw: RawOnline) -> Option<PvogOnline> {
    let PvogLink { title, url } = link(RawLink {
        uri: raw.uri,
        title: raw.title,
    })?;
    Some(PvogOnline {
        id: raw.id.trim().to_string(),
        title,
        url,
        level_of_confidence: raw.level_of_confidence,
    })
}

fn reduced_detail(raw: RawReduced) -> Result<PvogDetail, String> {
    let module = |code: &str, title: &str, text: Option<&str>| -> Result<_, String> {
        Ok(PvogTextModule {
            code: code.into(),
            title: title.into(),
            text_html: plain_field(title, text)?,
            category: "TEXT_MODUL".into(),
            links: Vec::new(),
            parts: Vec::new(),
        })
    };
    let details = [
        module("09", "Voraussetzungen", raw.requirements.as_deref())?,
        module("07", "Rechtsgrundlage(n)", raw.legal_basis.as_deref())?,
    ];
    Ok(PvogDetail {
        // The file names and the service list write the id with dots.
        id: required(raw.idlb.trim(), "idlb")?.replace('_', "."),
        name: required(raw.name.trim(), "name")?,
        leika: Vec::new(),
        synonyms: Vec::new(),
        description_html: plain_field("description", raw.description.as_deref())?,
        details: details
            .into_iter()
            .filter(|m| !m.text_html.is_empty())
            .collect(),
        online: Vec::new(),
    })
}

fn plain_field(field: &str, text: Option<&str>) -> Result<String, String> {
    let text = text.unwrap_or("");
    bounded(field, text, MAX_HTML_BYTES)?;
    rich_text(field, Some(&plain_to_html(text)))
}

/// Plain text as HTML: blank lines separate paragraphs, lines starting with `*` or `-`
/// are list items (nesting flattened), other line breaks are hard wraps and joined.
fn plain_to_html(text: &str) -> String {
    let mut html = String::new();
    let text = text.replace("\r\n", "\n");
    for block in text.split("\n\n") {
        let mut paragraph: Vec<&str> = Vec::new();
        let mut items: Vec<String> = Vec::new();
        for line in block.lines().map(str::trim).filter(|l| !l.is_empty()) {
            if let Some(item) = line.strip_prefix("* ").or_else(|| line.strip_prefix("- ")) {
                push_paragraph(&mut html, &mut paragraph);
                items.push(item.trim().to_string());
            } else if let Some(item) = items.last_mut() {
                item.push(' ');
                item.push_str(line);
            } else {
                paragraph.push(line);
            }
        }
        push_paragraph(&mut html, &mut paragraph);
        if !items.is_empty() {
            html.push_str("<ul>");
            for item in items {
                html.push_str(&format!("<li>{}</li>", escape(&item)));
            }
            html.push_str("</ul>");
        }
    }
    html
}

fn push_paragraph(html: &mut String, lines: &mut Vec<&str>) {
    if !lines.is_empty() {
        html.push_str(&format!("<p>{}</p>", escape(&lines.join(" "))));
        lines.clear();
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawDetail {
    id: String,
    name: String,
    description: Option<String>,
    leikakeys: Option<Vec<String>>,
    synonyms: Option<Vec<String>>,
    details: Option<Vec<RawModule>>,
    online_service_links: Option<Vec<RawOnline>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawModule {
    code: String,
    title: Option<String>,
    text: Option<String>,
    x_zufi_category: Option<String>,
    links: Option<Vec<RawLink>>,
    details: Option<Vec<RawPart>>,
}

#[derive(Deserialize)]
struct RawLink {
    uri: Option<String>,
    title: Option<String>,
}

#[derive(Deserialize)]
struct RawPart {
    title: Option<String>,
    text: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawOnline {
    id: String,
    uri: Option<String>,
    title: Option<String>,
    level_of_confidence: Option<String>,
}

#[derive(Deserialize)]
struct RawReduced {
    idlb: String,
    name: String,
    description: Option<String>,
    requirements: Option<String>,
    legal_basis: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::super::shared_source;
    use super::*;
    use std::collections::HashSet;

    const HEADER_LINE: &str =
        "ID-LB|Leikaschlüssel|Name|Name2|Updatedatum|ID-OD|Bezeichnung OD|Links\n";

    fn parse(body: &str) -> Result<PvogBund, SourceError> {
        parse_pvog_bund("ars.csv", &format!("{HEADER_LINE}{body}"))
    }

    fn error(body: &str) -> SourceError {
        parse(body).expect_err("must fail")
    }

    const ROWS: &str = concat!(
        "B1.LB.1|99038003017001|Kug Bewilligung|Kug beantragen|20.01.2025 00:48|B1.OD.1|eServices|https://a.de/e\n",
        "B1.LB.1|99038003017001|Kug Bewilligung|Kug beantragen|20.01.2025 00:48|B1.OD.2|KEA|https://a.de/kea\n",
        "B1.LB.2|99148030080000|Förderprogramm \"\"Sanieren\"\" Gewährung||20.01.2025 00:48|||\n",
        "B1.LB.3|99102089058000|M1SS|M1SS beantragen|20.01.2025 00:48|B1.OD.3|\"\"BZStOnline-Portal\"\" des BZSt|javascript:alert(1)\n",
    );

    #[test]
    fn groups_rows_by_leika_key() {
        let bund = parse(ROWS).expect("parses");
        assert_eq!(bund.services.len(), 3);
        assert_eq!(bund.skipped_links, 1);
        let kug = &bund.services[0];
        assert_eq!(kug.pvog_id, "B1.LB.1");
        assert_eq!(kug.leika.as_str(), "99038003017001");
        assert_eq!(kug.name, "Kug Bewilligung");
        assert_eq!(kug.citizen_name.as_deref(), Some("Kug beantragen"));
        assert_eq!(kug.updated, "20.01.2025 00:48");
        let online: Vec<_> = kug
            .online
            .iter()
            .map(|o| (o.id.as_str(), o.title.as_str(), o.url.as_str()))
            .collect();
        assert_eq!(
            online,
            [
                ("B1.OD.1", "eServices", "https://a.de/e"),
                ("B1.OD.2", "KEA", "https://a.de/kea")
            ]
        );
        let foerder = &bund.services[1];
        assert_eq!(foerder.name, "Förderprogramm \"Sanieren\" Gewährung");
        assert_eq!(foerder.citizen_name, None);
        assert!(foerder.online.is_empty());
        assert!(
            bund.services[2].online.is_empty(),
            "javascript: link dropped"
        );
    }

    #[test]
    fn rejects_a_wrong_header() {
        let e = parse_pvog_bund("ars.csv", "ID-LB|Leika|Name\n").expect_err("fails");
        assert_eq!((e.file.as_str(), e.record.as_str()), ("ars.csv", "Zeile 1"));
        assert!(
            e.reason
                .starts_with("Kopfzeile ist 'ID-LB|Leika|Name' statt 'ID-LB|Leikaschlüssel|"),
            "{}",
            e.reason
        );
        let e = parse_pvog_bund("ars.csv", "").expect_err("fails");
        assert_eq!(e.reason, "Kopfzeile fehlt");
    }

    #[test]
    fn rejects_bad_rows_by_line() {
        let e = error("B1.LB.1|99038003017001|Kug|Kug|20.01.2025 00:48|||\nB1.LB.2|9903800301700|X|X|20.01.2025 00:48|||\n");
        assert_eq!(e.record, "Zeile 3");
        assert_eq!(
            e.reason,
            "LeiKa-Schlüssel „9903800301700“ ist ungültig: falsche Länge"
        );
        let e = error("B1.LB.1|99038003017001|Kug|Kug|20.01.2025 00:48||\n");
        assert_eq!(
            (e.record.as_str(), e.reason.as_str()),
            ("Zeile 2", "7 Felder statt 8")
        );
        let e = error("B1.LB.1|99038003017001| |Kug|20.01.2025 00:48|||\n");
        assert_eq!(e.reason, "Name ist leer");
        let e = error("B1.LB.1|99038003017001|Kug|Kug|2025-01-20|||\n");
        assert_eq!(
            e.reason,
            "Updatedatum '2025-01-20' hat nicht die Form TT.MM.JJJJ hh:mm"
        );
        let e = error("B1.LB.1|99038003017001|Kug|Kug|20.01.2025 00:48||eServices|https://a.de/\n");
        assert_eq!(e.reason, "ID-OD ist leer");
        let e = error(concat!(
            "B1.LB.1|99038003017001|Kug|Kug|20.01.2025 00:48|||\n",
            "B1.LB.9|99038003017001|Kug|Kug|20.01.2025 00:48|||\n",
        ));
        assert_eq!(e.record, "Zeile 3");
        assert_eq!(
            e.reason,
            "ID-LB weicht von Zeile 2 mit demselben LeiKa-Schlüssel 99038003017001 ab"
        );
    }

    #[test]
    fn real_service_list() {
        let text = shared_source("pvog-bund-2025/ars_000000000000.csv");
        let bund = parse_pvog_bund("ars_000000000000.csv", &text).expect("real list parses");
        assert_eq!(bund.services.len(), 911);
        assert_eq!(bund.skipped_links, 0);
        let online: Vec<&PvogOnline> = bund.services.iter().flat_map(|s| &s.online).collect();
        assert_eq!(online.len(), 374, "one per row with an online service");
        let distinct =
            |f: fn(&PvogOnline) -> &str| online.iter().map(|o| f(o)).collect::<HashSet<_>>().len();
        assert_eq!(distinct(|o| &o.url), 207);
        assert_eq!(distinct(|o| &o.id), 223);
        let count = |f: fn(&PvogService) -> bool| bund.services.iter().filter(|s| f(s)).count();
        assert_eq!(count(|s| !s.online.is_empty()), 352);
        assert_eq!(count(|s| s.online.len() > 1), 18);
        assert_eq!(count(|s| s.citizen_name.is_none()), 3);
        let find = |key: &str| {
            bund.services
                .iter()
                .find(|s| s.leika.as_str() == key)
                .expect(key)
        };
        let kug = find("99038003017001");
        assert_eq!(kug.pvog_id, "B100019.LB.100372563");
        assert_eq!(
            kug.citizen_name.as_deref(),
            Some("Saison-Kurzarbeitergeld beantragen")
        );
        assert_eq!(kug.online[0].url, "https://www.arbeitsagentur.de/eservices");
        assert_eq!(kug.online.len(), 2);
        assert_eq!(
            find("99148030080000").name,
            "Förderprogramm \"Energieeffizient Sanieren - Investitionszuschuss\" Nr. 430 Gewährung"
        );
        assert_eq!(
            find("99102089058000").online[0].title,
            "\"BZStOnline-Portal\" des Bundeszentralamts für Steuern"
        );
        assert!(bund.services.iter().all(|s| !s.name.contains("\"\"")));
    }

    #[test]
    fn real_detail_from_the_suchdienst() {
        let file = "detail_B100019_LB_574711.json";
        let d = parse_pvog_detail(file, &shared_source(&format!("pvog-bund-2025/{file}")))
            .expect("parses");
        assert_eq!(d.id, "B100019.LB.574711");
        assert_eq!(d.name, "Ausbildungsgeld beantragen");
        assert_eq!(d.leika, [LeikaKey::parse("99007002017000").unwrap()]);
        assert_eq!(d.synonyms.len(), 10);
        assert_eq!(d.synonyms[0], "Ausbildung");
        assert!(d
            .description_html
            .starts_with("<p>Als Mensch mit Behinderungen"));
        let codes: Vec<&str> = d.details.iter().map(|m| m.code.as_str()).collect();
        assert_eq!(
            codes,
            [
                "24",
                "23",
                "06",
                "09",
                "08",
                "14",
                "98",
                "97",
                "15",
                "07",
                "18",
                "22",
                "02",
                "03",
                "11",
                "25",
                "STATUS",
                "STATUSKATALOG",
                "95"
            ]
        );
        let module = |code: &str| d.details.iter().find(|m| m.code == code).expect(code);
        assert_eq!(module("98").text_html, "<p>Keine</p>");
        assert_eq!(module("98").category, "KOSTEN");
        let dauer = module("95");
        assert_eq!(
            (dauer.title.as_str(), dauer.text_html.as_str()),
            ("Bearbeitungsdauer", "")
        );
        assert_eq!(dauer.parts.len(), 1);
        assert_eq!(dauer.parts[0].text_html, "1 Monat");
        let recht = module("07");
        assert_eq!(recht.links.len(), 1);
        assert_eq!(
            recht.links[0].url,
            "https://www.gesetze-im-internet.de/sgb_3/index.html"
        );
        assert_eq!(module("15").links.len(), 3);
        assert_eq!(d.online.len(), 1);
        assert_eq!(d.online[0].id, "B100019.OD.105136908");
        assert_eq!(d.online[0].level_of_confidence.as_deref(), Some("15"));
        assert!(d.online[0]
            .url
            .starts_with("https://www.arbeitsagentur.de/"));
    }

    #[test]
    fn real_detail_in_the_reduced_form() {
        let file = "detail_B100019_LB_581863.json";
        let d = parse_pvog_detail(file, &shared_source(&format!("pvog-bund-2025/{file}")))
            .expect("parses");
        assert_eq!(d.id, "B100019.LB.581863");
        assert_eq!(d.name, "Kinderzuschlag beantragen");
        assert!(d.leika.is_empty() && d.synonyms.is_empty() && d.online.is_empty());
        assert_eq!(
            d.description_html,
            "<p>Wenn Sie als Eltern genug Einkommen für sich selbst verdienen, aber das \
             Einkommen nicht oder nur knapp für die gesamte Familie reicht, können Sie den \
             Kinderzuschlag beantragen.</p>"
        );
        let codes: Vec<&str> = d.details.iter().map(|m| m.code.as_str()).collect();
        assert_eq!(codes, ["09", "07"]);
        let requirements = &d.details[0].text_html;
        assert!(requirements.starts_with("<p>Um einen Kinderzuschlag zu bekommen, müssen folgende Voraussetzungen erfüllt sein:</p><ul><li>Ihr Kind/Ihre Kinder"), "{requirements}");
        assert_eq!(requirements.matches("<li>").count(), 9);
        assert_eq!(
            d.details[1].text_html,
            "<p>§ 6a Bundeskindergeldgesetz (BKGG)</p>"
        );
    }

    #[test]
    fn detail_errors() {
        let parse = |text: &str| parse_pvog_detail("detail.json", text).expect_err("fails");
        let e = parse("{");
        assert_eq!(e.record, "Datei");
        assert!(e.reason.starts_with("kein gültiges JSON"), "{}", e.reason);
        assert_eq!(
            parse("{\"name\": \"x\"}").reason,
            "weder Suchdienst-Antwort ('details', 'leikakeys') noch Kurzform ('idlb')"
        );
        let e = parse(r#"{"id": "B.LB.1", "name": "x", "leikakeys": ["123"]}"#);
        assert_eq!(
            e.reason,
            "leikakeys: LeiKa-Schlüssel „123“ ist ungültig: falsche Länge"
        );
        let e = parse(r#"{"id": "B.LB.1", "leikakeys": []}"#);
        assert_eq!(
            e.reason,
            "ungültige Suchdienst-Antwort: missing field `name`"
        );
        let e = parse(r#"{"id": "B.LB.1", "name": " ", "details": []}"#);
        assert_eq!(e.reason, "name ist leer");
    }

    #[test]
    fn detail_texts_are_sanitised() {
        let text = r#"{"id": "B.LB.1", "name": "x", "details": [
            {"code": "06", "title": "Beschreibung", "xZufiCategory": "TEXT_MODUL",
             "text": "<p onclick=\"x\">a<script>b</script></p>",
             "links": [{"uri": "javascript:x", "title": "böse"}, {"uri": "https://x.de/"}]},
            {"code": "95", "title": "leer", "text": "<p></p>"}],
            "onlineServiceLinks": [{"id": "B.OD.1", "uri": "data:x", "title": "t"}]}"#;
        let d = parse_pvog_detail("detail.json", text).expect("parses");
        assert_eq!(d.details.len(), 1, "a module without content is dropped");
        assert_eq!(d.details[0].text_html, "<p>a</p>");
        assert_eq!(
            d.details[0].links,
            [PvogLink {
                title: "https://x.de/".into(),
                url: "https://x.de/".into()
            }]
        );
        assert!(d.online.is_empty());
    }

    #[test]
    fn plain_text_becomes_paragraphs_and_lists() {
        let html = plain_to_html(
            "Zeile eins\nweiter <b>\n\nListe:\n  * a\n    * b &\n    fortgesetzt\n\nEnde",
        );
        assert_eq!(
            html,
            "<p>Zeile eins weiter &lt;b&gt;</p><p>Liste:</p><ul><li>a</li><li>b &amp; fortgesetzt</li></ul><p>Ende</p>"
        );
    }
}
