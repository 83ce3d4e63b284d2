//! Munich's service database export (DLDB): `services_de.json` and `locations_de.json`,
//! each `{"data": [...], "meta": {"datacount", ...}}`.
//!
//! Fields are read from `serde_json::Value` by name rather than through derived structs,
//! so that an error names the record and the field in German. Optional fields may be
//! absent or null; the export writes `false` for an empty link description.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};

use super::{
    bounded, check_size, distinct_terms, http_url, rich_text, SourceError, MAX_FILE_BYTES,
    MAX_TEXT_BYTES,
};
use crate::keys::{LeikaKey, Plz};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DldbService {
    pub id: String,
    pub name: String,
    /// Sanitised to the PVOG allow-list; empty if it has no visible text.
    pub description_html: String,
    /// Sanitised like `description_html`.
    pub fees_html: String,
    /// Usually none or one; the field may list several, comma-separated
    /// (one real service lists four).
    pub leika: Vec<LeikaKey>,
    /// Search synonyms, in file order, without case-insensitive repeats.
    pub keywords: Vec<String>,
    /// The service's page (`meta.url` with `{serviceId}` filled in), http(s) only.
    pub url: Option<String>,
    pub last_update: String,
    pub forms: Vec<DldbLink>,
    pub links: Vec<DldbLink>,
    /// Offices offering the service (`locations[].location`).
    pub location_ids: Vec<String>,
    /// False for services the city does not publish (internal and test services);
    /// true if the field is absent, as in exports that list public services only.
    pub public: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DldbLink {
    /// The URL if the export names none.
    pub name: String,
    /// http or https; links with any other target are dropped.
    pub url: String,
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DldbLocation {
    pub id: String,
    /// `displayName` if set, else `name` (which carries the internal unit code,
    /// e.g. "Gewerbeamt (KVR-III/21)").
    pub name: String,
    pub organization: Option<String>,
    pub organization_unit: Option<String>,
    /// Street and house number.
    pub street: Option<String>,
    pub postcode: Option<Plz>,
    pub city: Option<String>,
    pub phone: Option<String>,
    pub fax: Option<String>,
    pub email: Option<String>,
    /// http(s) only.
    pub web: Option<String>,
    /// Services offered here (`services[].service`).
    pub service_ids: Vec<String>,
    /// As [`DldbService::public`].
    pub public: bool,
}

pub fn parse_dldb_services(file: &str, text: &str) -> Result<Vec<DldbService>, SourceError> {
    let services = parse_records(file, text, service)?;
    unique_ids(file, services.iter().map(|s| s.id.as_str()))?;
    Ok(services)
}

pub fn parse_dldb_locations(file: &str, text: &str) -> Result<Vec<DldbLocation>, SourceError> {
    let locations = parse_records(file, text, location)?;
    unique_ids(file, locations.iter().map(|l| l.id.as_str()))?;
    Ok(locations)
}

/// Every office a service names exists, and every service an office names exists.
///
/// Only existence is checked, not that both sides list the same pairs: an importer
/// takes the Zuständigkeit from one side. In the real export both sides name the same
/// 526 pairs and nothing dangles (six services name no office at all, which is
/// allowed).
pub fn check_dldb_consistency(
    services: &[DldbService],
    locations: &[DldbLocation],
) -> Result<(), SourceError> {
    let service_ids: HashSet<&str> = services.iter().map(|s| s.id.as_str()).collect();
    let location_ids: HashSet<&str> = locations.iter().map(|l| l.id.as_str()).collect();
    let dangling = |ids: &[String], known: &HashSet<&str>| {
        ids.iter().find(|id| !known.contains(id.as_str())).cloned()
    };
    for s in services {
        if let Some(id) = dangling(&s.location_ids, &location_ids) {
            return Err(SourceError::new(
                "DLDB-Leistungen",
                format!("Leistung {}", s.id),
                format!("nennt den Standort {id}, den es nicht gibt"),
            ));
        }
    }
    for l in locations {
        if let Some(id) = dangling(&l.service_ids, &service_ids) {
            return Err(SourceError::new(
                "DLDB-Standorte",
                format!("Standort {}", l.id),
                format!("nennt die Leistung {id}, die es nicht gibt"),
            ));
        }
    }
    Ok(())
}

fn service(r: &Fields) -> Result<DldbService, String> {
    let id = r.required("id", MAX_TEXT_BYTES)?;
    let meta = r.object("meta")?;
    let meta_text = |key| match &meta {
        Some(m) => m.text(key, MAX_TEXT_BYTES),
        None => Ok(None),
    };
    let url = meta_text("url")?.and_then(|u| http_url(&u.replace("{serviceId}", &id)));
    Ok(DldbService {
        name: r.required("name", MAX_TEXT_BYTES)?,
        description_html: r.html("description")?,
        fees_html: r.html("fees")?,
        leika: leika_keys(r.text("leika", MAX_TEXT_BYTES)?.as_deref())?,
        keywords: distinct_terms(meta_text("keywords")?.as_deref().unwrap_or("").split(',')),
        url,
        last_update: meta_text("lastupdate")?.unwrap_or_default(),
        forms: links(r, "forms")?,
        links: links(r, "links")?,
        location_ids: references(r, "locations", "location")?,
        public: r.flag("public")?.unwrap_or(true),
        id,
    })
}

fn location(r: &Fields) -> Result<DldbLocation, String> {
    let id = r.required("id", MAX_TEXT_BYTES)?;
    let name = r.required("name", MAX_TEXT_BYTES)?;
    let address = r.object("address")?;
    let contact = r.object("contact")?;
    let part = |fields: &Option<Fields>, key| match fields {
        Some(f) => f.text(key, MAX_TEXT_BYTES),
        None => Ok(None),
    };
    let street = match (part(&address, "street")?, part(&address, "house_number")?) {
        (Some(street), Some(number)) => Some(format!("{street} {number}")),
        (street, _) => street,
    };
    let postcode = part(&address, "postal_code")?
        .map(|p| Plz::parse(&p).map_err(|e| format!("address.postal_code: {e}")))
        .transpose()?;
    Ok(DldbLocation {
        name: r.text("displayName", MAX_TEXT_BYTES)?.unwrap_or(name),
        id,
        organization: r.text("organization", MAX_TEXT_BYTES)?,
        organization_unit: r.text("organizationUnit", MAX_TEXT_BYTES)?,
        street,
        postcode,
        city: part(&address, "city")?,
        phone: part(&contact, "phone")?,
        fax: part(&contact, "fax")?,
        email: part(&contact, "email")?,
        web: part(&contact, "webinfo")?.and_then(|u| http_url(&u)),
        service_ids: references(r, "services", "service")?,
        public: r.flag("public")?.unwrap_or(true),
    })
}

/// Comma-separated LeiKa keys, repeats dropped.
fn leika_keys(field: Option<&str>) -> Result<Vec<LeikaKey>, String> {
    let mut keys: Vec<LeikaKey> = Vec::new();
    for part in field.unwrap_or("").split(',').map(str::trim) {
        if part.is_empty() {
            continue;
        }
        let key = LeikaKey::parse(part).map_err(|e| e.to_string())?;
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    Ok(keys)
}

fn links(r: &Fields, key: &str) -> Result<Vec<DldbLink>, String> {
    let mut links = Vec::new();
    for item in r.objects(key)? {
        let Some(url) = item
            .text("link", MAX_TEXT_BYTES)?
            .and_then(|u| http_url(&u))
        else {
            continue;
        };
        links.push(DldbLink {
            name: item
                .text("name", MAX_TEXT_BYTES)?
                .unwrap_or_else(|| url.clone()),
            description: item.text("description", MAX_TEXT_BYTES)?,
            url,
        });
    }
    Ok(links)
}

/// The ids in `key[].field`, each required.
fn references(r: &Fields, key: &str, field: &str) -> Result<Vec<String>, String> {
    r.objects(key)?
        .iter()
        .map(|item| item.required(field, MAX_TEXT_BYTES))
        .collect()
}

/// Checks size, JSON and the `{data, meta}` shape, then converts every record.
fn parse_records<T>(
    file: &str,
    text: &str,
    convert: fn(&Fields) -> Result<T, String>,
) -> Result<Vec<T>, SourceError> {
    check_size(file, text, MAX_FILE_BYTES)?;
    let whole = |reason: String| SourceError::new(file, "Datei", reason);
    let root: Value =
        serde_json::from_str(text).map_err(|e| whole(format!("kein gültiges JSON: {e}")))?;
    let (data, meta) = export_parts(&root).map_err(whole)?;
    check_datacount(meta, data.len()).map_err(whole)?;
    data.iter()
        .enumerate()
        .map(|(index, value)| {
            let record = record_name(index, value);
            Fields::of(value, "")
                .and_then(|fields| convert(&fields))
                .map_err(|reason| SourceError::new(file, record, reason))
        })
        .collect()
}

fn export_parts(root: &Value) -> Result<(&Vec<Value>, &Map<String, Value>), String> {
    let shape = "erwartet ein Objekt mit 'data' (Liste) und 'meta' (Objekt)";
    match (root.get("data"), root.get("meta")) {
        (Some(Value::Array(data)), Some(Value::Object(meta))) => Ok((data, meta)),
        _ => Err(shape.to_string()),
    }
}

/// A file with fewer records than `meta.datacount` has lost some: refused. More are
/// accepted, because Munich's real `locations_de.json` declares 108 and holds 109
/// well-formed, distinct offices (no duplicate, nothing dangling), so the count is
/// taken as stale rather than the data as broken.
fn check_datacount(meta: &Map<String, Value>, records: usize) -> Result<(), String> {
    let declared = match meta.get("datacount") {
        None | Some(Value::Null) => return Ok(()),
        Some(value) => value
            .as_u64()
            .ok_or_else(|| format!("meta.datacount '{value}' ist keine Zahl"))?,
    };
    if (records as u64) < declared {
        return Err(format!(
            "meta.datacount nennt {declared} Datensätze, die Datei enthält nur {records}"
        ));
    }
    Ok(())
}

/// "Datensatz 3 (id 1063423)", counted from 1; without the id if it has none.
fn record_name(index: usize, value: &Value) -> String {
    let id = match value.get("id") {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    match id {
        Some(id) => format!("Datensatz {} (id {id})", index + 1),
        None => format!("Datensatz {}", index + 1),
    }
}

fn unique_ids<'a>(file: &str, ids: impl Iterator<Item = &'a str>) -> Result<(), SourceError> {
    let mut first = HashMap::new();
    for (index, id) in ids.enumerate() {
        if let Some(earlier) = first.insert(id, index) {
            return Err(SourceError::new(
                file,
                format!("Datensatz {} (id {id})", index + 1),
                format!("id {id} kommt schon in Datensatz {} vor", earlier + 1),
            ));
        }
    }
    Ok(())
}

/// One JSON object of the export, with its path for error messages.
struct Fields<'a> {
    map: &'a Map<String, Value>,
    path: String,
}

impl<'a> Fields<'a> {
    fn of(value: &'a Value, path: &str) -> Result<Self, String> {
        match value {
            Value::Object(map) => Ok(Fields {
                map,
                path: path.to_string(),
            }),
            _ if path.is_empty() => Err("Datensatz ist kein Objekt".into()),
            _ => Err(format!("'{path}' ist kein Objekt")),
        }
    }

    fn name(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    /// None if absent or null.
    fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    /// Text (a number is read as text), trimmed; None if absent, null, `false` or blank.
    fn text(&self, key: &str, max: usize) -> Result<Option<String>, String> {
        let text = match self.get(key) {
            None | Some(Value::Bool(false)) => return Ok(None),
            Some(Value::String(s)) => s.as_str(),
            Some(Value::Number(n)) => return Ok(Some(n.to_string())),
            Some(_) => return Err(format!("'{}' ist kein Text", self.name(key))),
        };
        bounded(&self.name(key), text, max)?;
        let text = text.trim();
        Ok((!text.is_empty()).then(|| text.to_string()))
    }

    fn required(&self, key: &str, max: usize) -> Result<String, String> {
        self.text(key, max)?
            .ok_or_else(|| format!("'{}' fehlt oder ist leer", self.name(key)))
    }

    /// Sanitised HTML, empty if absent or without visible text.
    fn html(&self, key: &str) -> Result<String, String> {
        let html = match self.get(key) {
            None | Some(Value::Bool(false)) => None,
            Some(Value::String(s)) => Some(s.as_str()),
            Some(_) => return Err(format!("'{}' ist kein Text", self.name(key))),
        };
        rich_text(&self.name(key), html)
    }

    fn flag(&self, key: &str) -> Result<Option<bool>, String> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(format!("'{}' ist weder true noch false", self.name(key))),
        }
    }

    fn object(&self, key: &str) -> Result<Option<Fields<'a>>, String> {
        self.get(key)
            .map(|v| Fields::of(v, &self.name(key)))
            .transpose()
    }

    /// The objects of a list; an absent or null list is empty.
    fn objects(&self, key: &str) -> Result<Vec<Fields<'a>>, String> {
        match self.get(key) {
            None => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, item)| Fields::of(item, &format!("{}[{i}]", self.name(key))))
                .collect(),
            Some(_) => Err(format!("'{}' ist keine Liste", self.name(key))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{shared_source, MAX_HTML_BYTES};
    use super::*;
    use serde_json::json;

    fn sample() -> Value {
        json!({
            "data": [{
                "id": "1063423",
                "name": " Gewerbe-Anmeldung ",
                "description": "<p>\u{200b}Text <span style=\"color:red\">rot</span></p>",
                "fees": "<p>50 Euro</p>",
                "leika": "99050012104000",
                "meta": {
                    "url": "https://stadt.muenchen.de/#/services/{serviceId}",
                    "keywords": "Gewerbe, gewerbe , Anmeldung,,",
                    "lastupdate": "2026-06-08T07:41:01"
                },
                "forms": [{"name": "", "link": "https://x.de/f.pdf", "description": false}],
                "links": [
                    {"name": "Böse", "link": "javascript:alert(1)", "description": ""},
                    {"name": "Info", "link": "http://x.de/", "description": "Mehr"}
                ],
                "locations": [{"location": "10546"}],
                "public": true
            }],
            "meta": {"datacount": 1}
        })
    }

    fn location_sample() -> Value {
        json!({
            "data": [{
                "id": 10546,
                "name": "Gewerbeamt (KVR-III/21)",
                "displayName": "",
                "organization": "Landeshauptstadt München",
                "organizationUnit": null,
                "address": {"street": "Implerstraße", "house_number": "11",
                            "postal_code": "81371", "city": "München"},
                "contact": {"phone": "089 233-45141", "fax": "", "email": "a@muenchen.de",
                            "webinfo": "ftp://x"},
                "services": [{"service": "1063423"}]
            }],
            "meta": {"datacount": 1}
        })
    }

    fn services(v: &Value) -> Result<Vec<DldbService>, SourceError> {
        parse_dldb_services("services_de.json", &v.to_string())
    }

    fn error(v: &Value) -> SourceError {
        services(v).expect_err("must fail")
    }

    #[test]
    fn reads_a_service() {
        let s = &services(&sample()).expect("sample parses")[0];
        assert_eq!(
            (s.id.as_str(), s.name.as_str()),
            ("1063423", "Gewerbe-Anmeldung")
        );
        assert_eq!(s.description_html, "<p>Text rot</p>");
        assert_eq!(s.fees_html, "<p>50 Euro</p>");
        assert_eq!(s.leika, [LeikaKey::parse("99050012104000").unwrap()]);
        assert_eq!(s.keywords, ["Gewerbe", "Anmeldung"]);
        assert_eq!(
            s.url.as_deref(),
            Some("https://stadt.muenchen.de/#/services/1063423")
        );
        assert_eq!(s.last_update, "2026-06-08T07:41:01");
        let link = |url: &str, name: &str, description: Option<&str>| DldbLink {
            name: name.into(),
            url: url.into(),
            description: description.map(Into::into),
        };
        assert_eq!(
            s.forms,
            [link("https://x.de/f.pdf", "https://x.de/f.pdf", None)]
        );
        assert_eq!(s.links, [link("http://x.de/", "Info", Some("Mehr"))]);
        assert_eq!(s.location_ids, ["10546"]);
        assert!(s.public);
    }

    #[test]
    fn tolerates_absent_and_null_optional_fields() {
        let v = json!({"data": [{"id": 7, "name": "Kurz", "leika": null, "fees": null,
                                 "forms": null, "meta": {"url": "/relativ"}}],
                       "meta": {}});
        let s = &services(&v).expect("parses")[0];
        assert_eq!(s.id, "7");
        assert!(s.leika.is_empty() && s.forms.is_empty() && s.keywords.is_empty());
        assert_eq!(
            (s.description_html.as_str(), s.fees_html.as_str()),
            ("", "")
        );
        assert_eq!(s.url, None);
        assert!(s.public);
    }

    #[test]
    fn several_leika_keys_in_one_field() {
        let mut v = sample();
        v["data"][0]["leika"] = json!("99036008007003, 99036008007004,99036008007003");
        let s = &services(&v).expect("parses")[0];
        let keys: Vec<_> = s.leika.iter().map(LeikaKey::as_str).collect();
        assert_eq!(keys, ["99036008007003", "99036008007004"]);
    }

    #[test]
    fn an_html_field_without_visible_text_is_empty() {
        let mut v = sample();
        v["data"][0]["description"] = json!("<p>\u{200b}</p><p><br></p>");
        assert_eq!(services(&v).expect("parses")[0].description_html, "");
    }

    #[test]
    fn rejects_what_is_not_an_export() {
        let e = parse_dldb_services("services_de.json", "{\"data\": [").expect_err("fails");
        assert_eq!(
            (e.file.as_str(), e.record.as_str()),
            ("services_de.json", "Datei")
        );
        assert!(e.reason.starts_with("kein gültiges JSON: "), "{}", e.reason);
        for v in [
            json!([]),
            json!({"data": []}),
            json!({"data": {}, "meta": {}}),
        ] {
            let e = error(&v);
            assert_eq!(e.record, "Datei");
            assert_eq!(
                e.reason,
                "erwartet ein Objekt mit 'data' (Liste) und 'meta' (Objekt)"
            );
        }
    }

    #[test]
    fn rejects_a_file_over_the_limit() {
        let text = " ".repeat(MAX_FILE_BYTES + 1);
        let e = parse_dldb_services("services_de.json", &text).expect_err("fails");
        assert_eq!(e.record, "Datei");
        assert_eq!(e.reason, "größer als 32 MiB (33554433 Bytes)");
    }

    #[test]
    fn names_the_record_of_a_missing_id_or_name() {
        let mut v = sample();
        v["data"][0]["id"] = json!(" ");
        let e = error(&v);
        assert_eq!(
            (e.record.as_str(), e.reason.as_str()),
            ("Datensatz 1", "'id' fehlt oder ist leer")
        );
        let mut v = sample();
        v["data"][0].as_object_mut().unwrap().remove("name");
        let e = error(&v);
        assert_eq!(e.record, "Datensatz 1 (id 1063423)");
        assert_eq!(e.reason, "'name' fehlt oder ist leer");
        let e = error(&json!({"data": [3], "meta": {}}));
        assert_eq!(
            (e.record.as_str(), e.reason.as_str()),
            ("Datensatz 1", "Datensatz ist kein Objekt")
        );
    }

    #[test]
    fn rejects_duplicate_ids() {
        let mut v = sample();
        let record = v["data"][0].clone();
        v["data"] = json!([record.clone(), {"id": "2", "name": "B"}, record]);
        v["meta"]["datacount"] = json!(3);
        let e = error(&v);
        assert_eq!(e.record, "Datensatz 3 (id 1063423)");
        assert_eq!(e.reason, "id 1063423 kommt schon in Datensatz 1 vor");
    }

    #[test]
    fn rejects_a_malformed_leika_key() {
        let mut v = sample();
        v["data"][0]["leika"] = json!("99050012104000, 9905001210400X");
        let e = error(&v);
        assert_eq!(e.record, "Datensatz 1 (id 1063423)");
        assert_eq!(
            e.reason,
            "LeiKa-Schlüssel „9905001210400X“ ist ungültig: nur Ziffern sind erlaubt"
        );
        v["data"][0]["leika"] = json!("9905001210400");
        assert!(error(&v).reason.ends_with("falsche Länge"));
    }

    #[test]
    fn rejects_a_datacount_above_the_records() {
        let mut v = sample();
        v["meta"]["datacount"] = json!(2);
        let e = error(&v);
        assert_eq!(e.record, "Datei");
        assert_eq!(
            e.reason,
            "meta.datacount nennt 2 Datensätze, die Datei enthält nur 1"
        );
        v["meta"]["datacount"] = json!("zwei");
        assert_eq!(error(&v).reason, "meta.datacount '\"zwei\"' ist keine Zahl");
        v["meta"]["datacount"] = json!(0);
        assert!(
            services(&v).is_ok(),
            "more records than declared are accepted"
        );
    }

    #[test]
    fn rejects_wrong_types_and_oversized_fields() {
        let mut v = sample();
        v["data"][0]["forms"] = json!({"name": "x"});
        assert_eq!(error(&v).reason, "'forms' ist keine Liste");
        let mut v = sample();
        v["data"][0]["links"][1]["link"] = json!(["x"]);
        assert_eq!(error(&v).reason, "'links[1].link' ist kein Text");
        let mut v = sample();
        v["data"][0]["public"] = json!("ja");
        assert_eq!(error(&v).reason, "'public' ist weder true noch false");
        let mut v = sample();
        v["data"][0]["description"] = json!("x".repeat(MAX_HTML_BYTES + 1));
        assert_eq!(
            error(&v).reason,
            "'description' ist länger als 204800 Bytes (204801 Bytes)"
        );
        let mut v = sample();
        v["data"][0]["meta"]["keywords"] = json!("x".repeat(MAX_TEXT_BYTES + 1));
        assert_eq!(
            error(&v).reason,
            "'meta.keywords' ist länger als 16384 Bytes (16385 Bytes)"
        );
    }

    #[test]
    fn reads_a_location() {
        let text = location_sample().to_string();
        let l = &parse_dldb_locations("locations_de.json", &text).expect("parses")[0];
        assert_eq!(
            (l.id.as_str(), l.name.as_str()),
            ("10546", "Gewerbeamt (KVR-III/21)")
        );
        assert_eq!(l.organization.as_deref(), Some("Landeshauptstadt München"));
        assert_eq!(l.organization_unit, None);
        assert_eq!(l.street.as_deref(), Some("Implerstraße 11"));
        assert_eq!(l.postcode.as_ref().map(Plz::as_str), Some("81371"));
        assert_eq!(l.city.as_deref(), Some("München"));
        assert_eq!(
            (l.phone.as_deref(), l.fax.as_deref()),
            (Some("089 233-45141"), None)
        );
        assert_eq!(
            (l.email.as_deref(), l.web.as_deref()),
            (Some("a@muenchen.de"), None)
        );
        assert_eq!(l.service_ids, ["1063423"]);
    }

    #[test]
    fn rejects_bad_locations() {
        let parse = |v: &Value| parse_dldb_locations("locations_de.json", &v.to_string());
        let mut v = location_sample();
        v["data"][0]["address"]["postal_code"] = json!("8137");
        let e = parse(&v).expect_err("fails");
        assert_eq!(e.record, "Datensatz 1 (id 10546)");
        assert_eq!(
            e.reason,
            "address.postal_code: Postleitzahl „8137“ ist ungültig: falsche Länge"
        );
        let mut v = location_sample();
        v["data"][0]["services"][0] = json!({"service": ""});
        assert_eq!(
            parse(&v).expect_err("fails").reason,
            "'services[0].service' fehlt oder ist leer"
        );
        let mut v = location_sample();
        v["data"][0]["displayName"] = json!("Gewerbeamt");
        let named = parse(&v).expect("parses");
        assert_eq!(named[0].name, "Gewerbeamt", "displayName is preferred");
        v["data"][0]["name"] = json!(null);
        assert_eq!(
            parse(&v).expect_err("fails").reason,
            "'name' fehlt oder ist leer"
        );
        let mut v = location_sample();
        v["data"][0]["address"] = json!("Implerstraße 11");
        assert_eq!(
            parse(&v).expect_err("fails").reason,
            "'address' ist kein Objekt"
        );
    }

    #[test]
    fn consistency_names_dangling_references() {
        let s = services(&sample()).expect("parses");
        let text = location_sample().to_string();
        let mut l = parse_dldb_locations("locations_de.json", &text).expect("parses");
        assert_eq!(check_dldb_consistency(&s, &l), Ok(()));
        l[0].service_ids.push("999".into());
        let e = check_dldb_consistency(&s, &l).expect_err("dangling service");
        assert_eq!(
            e.to_string(),
            "DLDB-Standorte, Standort 10546: nennt die Leistung 999, die es nicht gibt"
        );
        l[0].id = "1".into();
        let e = check_dldb_consistency(&s, &l).expect_err("dangling location");
        assert_eq!(
            e.to_string(),
            "DLDB-Leistungen, Leistung 1063423: nennt den Standort 10546, den es nicht gibt"
        );
    }

    fn real() -> (Vec<DldbService>, Vec<DldbLocation>) {
        let services = parse_dldb_services(
            "services_de.json",
            &shared_source("dldb-muenchen-2026/services_de.json"),
        )
        .expect("real services parse");
        let locations = parse_dldb_locations(
            "locations_de.json",
            &shared_source("dldb-muenchen-2026/locations_de.json"),
        )
        .expect("real locations parse");
        (services, locations)
    }

    #[test]
    fn real_export_counts() {
        let (services, locations) = real();
        assert_eq!(services.len(), 287);
        assert_eq!(locations.len(), 109, "meta.datacount says 108");
        let with_leika: Vec<_> = services.iter().filter(|s| !s.leika.is_empty()).collect();
        assert_eq!(with_leika.len(), 132);
        // SOURCE.md's 108 counts distinct field values; one field lists four keys.
        let values: HashSet<Vec<&str>> = with_leika
            .iter()
            .map(|s| s.leika.iter().map(LeikaKey::as_str).collect())
            .collect();
        assert_eq!(values.len(), 108);
        let keys: HashSet<&str> = with_leika
            .iter()
            .flat_map(|s| s.leika.iter().map(LeikaKey::as_str))
            .collect();
        assert_eq!(keys.len(), 111);
        let count = |f: fn(&DldbService) -> bool| services.iter().filter(|s| f(s)).count();
        assert_eq!(count(|s| !s.description_html.is_empty()), 224);
        assert_eq!(count(|s| !s.fees_html.is_empty()), 193);
        assert_eq!(count(|s| !s.keywords.is_empty()), 158);
        assert_eq!(count(|s| !s.forms.is_empty()), 216);
        assert_eq!(count(|s| s.forms == s.links), 287);
        assert_eq!(count(|s| s.public), 162);
        assert_eq!(count(|s| s.url.is_some()), 287);
        assert_eq!(count(|s| s.location_ids.is_empty()), 6);
        assert_eq!(locations.iter().filter(|l| l.public).count(), 100);
    }

    #[test]
    fn real_export_is_consistent() {
        let (services, locations) = real();
        assert_eq!(check_dldb_consistency(&services, &locations), Ok(()));
        // SOURCE.md counts the pairs on the office side (`services[]` of each location);
        // the service side (`locations[]`) names the same 526.
        let by_office: HashSet<(&str, &str)> = locations
            .iter()
            .flat_map(|l| {
                l.service_ids
                    .iter()
                    .map(move |s| (l.id.as_str(), s.as_str()))
            })
            .collect();
        let by_service: HashSet<(&str, &str)> = services
            .iter()
            .flat_map(|s| {
                s.location_ids
                    .iter()
                    .map(move |l| (l.as_str(), s.id.as_str()))
            })
            .collect();
        let listed: usize = locations.iter().map(|l| l.service_ids.len()).sum();
        assert_eq!((listed, by_office.len()), (526, 526));
        assert_eq!(by_office, by_service);
    }

    #[test]
    fn real_texts_are_sanitised() {
        let (services, locations) = real();
        let gewerbe = services
            .iter()
            .find(|s| s.id == "1063423")
            .expect("1063423");
        assert_eq!(gewerbe.name, "Gewerbe-Anmeldung");
        assert_eq!(
            gewerbe.fees_html,
            "<p>50 bis 60 Euro (abhängig von der Rechtsform)<br><br></p>"
        );
        assert!(gewerbe
            .description_html
            .starts_with("<p>Sie haben eine gewerbliche"));
        assert!(gewerbe.keywords.iter().any(|k| k == "Gewerbeanmeldung"));
        let fee = services
            .iter()
            .find(|s| s.id == "10432431")
            .expect("10432431");
        assert!(
            fee.fees_html.starts_with("<p> 50 Euro"),
            "{}",
            fee.fees_html
        );
        let fields = services.iter().flat_map(|s| {
            let links = s.forms.iter().chain(&s.links);
            [s.description_html.as_str(), s.fees_html.as_str()]
                .into_iter()
                .chain(links.map(|l| l.url.as_str()))
        });
        for field in fields {
            for bad in [
                "<script", "onclick", "style=", "<span", "<div", "<table", "target=", "\u{200b}",
            ] {
                assert!(!field.contains(bad), "{bad} in {field}");
            }
        }
        let office = locations.iter().find(|l| l.id == "10546").expect("10546");
        assert_eq!(office.name, "Gewerbeamt");
        assert_eq!(office.street.as_deref(), Some("Implerstraße 11"));
        assert_eq!(
            office.email.as_deref(),
            Some("gewerbemeldung.kvr@muenchen.de")
        );
    }
}
