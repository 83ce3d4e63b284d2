//! Builds the catalogue from the bundled sources.
//!
//! Real data: the register (GV100AD), postcodes (OSM), services, Lebenslagen and
//! legal bases (OZG/LeiKa), administration addresses (GV-ISys 2011). No source has
//! responsibilities; they come from the project's rule table
//! (`catalogue/zustaendigkeit-sh.toml`, see `rules`), each with its public source,
//! and carry `source = "regel:<id>"`, so that a real XZuFi import can replace
//! exactly those records.
//!
//! 1. Gemeinde level: the administration of each Amt (area: its 9-digit ARS) or of
//!    each amtsfreie Gemeinde and kreisfreie Stadt (area: its 12-digit ARS).
//! 2. Kreis level: each Kreisverwaltung (area: 5-digit ARS); a kreisfreie Stadt's
//!    own administration for its area.
//! 3. Named Land and federal bodies come from the rule table with their areas.
//! 4. No office gets opening hours, phone or e-mail that no source gives.
//! 5. Online services exist for demo services that name a Vertrauensniveau, and
//!    for federal services the real ones the PVOG lists (pvog-bund-2025).
//! 6. Citizens' words for services come from Munich's service database and the
//!    PVOG (keywords, synonyms, citizen-facing names) by LeiKa key.

use super::demo::DemoLeistung;
use super::model::{source, *};
use super::rules::{self, LevelOffices, RuleTable};
use super::sources::{
    AnschriftRecord, DldbService, GebietLevel, GebietRecord, OzgCatalogue, PostcodeRecord,
    PvogBund, PvogDetail, SourceError,
};
use crate::keys::{slugify, Ars, LeikaKey, Vertrauensniveau};
use std::collections::{BTreeMap, HashMap, HashSet};

/// The Land whose responsibilities the rule table describes.
pub const LAND: &str = "01";
pub const FORMS_BASE_URL: &str = "http://formulare.localhost:3001/antrag";

pub struct Sources {
    pub gebiete: Vec<GebietRecord>,
    pub postcodes: Vec<PostcodeRecord>,
    pub ozg: OzgCatalogue,
    /// Federal services of the Portalverbund with their real online services.
    pub pvog: PvogBund,
    /// PVOG detail records: their synonyms are citizens' words for a LeiKa key.
    pub pvog_details: Vec<PvogDetail>,
    /// Munich's service database: its keywords are citizens' words for a LeiKa key.
    pub dldb: Vec<DldbService>,
    pub anschriften: Vec<AnschriftRecord>,
    pub demo: Vec<DemoLeistung>,
    pub demo_file: String,
    pub rules: RuleTable,
    pub rules_file: String,
    /// Länder (2-digit ARS) whose administrations get the rule table's level
    /// rules; anything but Schleswig-Holstein only for the Germany-scale benchmark.
    pub lands: Vec<String>,
}

pub fn generate(src: &Sources) -> Result<CatalogueData, SourceError> {
    let regions = regions(&src.gebiete);
    let known_ags: HashSet<&str> = regions.iter().filter_map(|r| r.ags.as_deref()).collect();
    let postcodes = src
        .postcodes
        .iter()
        .filter(|p| known_ags.contains(p.ags.as_str()))
        .map(|p| Postcode {
            plz: p.plz.clone(),
            ags: p.ags.clone(),
            ort: p.ort.clone(),
        })
        .collect();
    let lebenslagen = lebenslagen(&src.ozg);
    let mut leistungen = leistungen(src, &lebenslagen)?;
    leistungen.sort_by(|a, b| a.leika.cmp(&b.leika));
    add_citizen_words(&mut leistungen, src);
    let offices = Offices::build(&regions, &src.anschriften, &src.lands);
    let applied = rules::apply(
        &src.rules,
        &src.rules_file,
        &leistungen,
        &regions,
        &LevelOffices {
            gemeinde: &offices.gemeinde_level,
            kreis: &offices.kreis_level,
        },
    )?;
    let mut organisationseinheiten = offices.list;
    organisationseinheiten.extend(applied.offices);
    organisationseinheiten.sort_by(|a, b| a.id.cmp(&b.id));
    let mut onlinedienste = onlinedienste(src)?;
    onlinedienste.extend(federal_onlinedienste(
        &src.pvog,
        &leistungen,
        &onlinedienste,
    ));
    Ok(CatalogueData {
        regions,
        postcodes,
        lebenslagen,
        leistungen,
        organisationseinheiten,
        zustaendigkeiten: applied.zustaendigkeiten,
        regeln: applied.regeln,
        onlinedienste,
    })
}

fn regions(gebiete: &[GebietRecord]) -> Vec<Region> {
    gebiete
        .iter()
        .filter_map(|g| {
            let level = match g.level {
                GebietLevel::Land => RegionLevel::Land,
                GebietLevel::Regierungsbezirk => RegionLevel::Regierungsbezirk,
                GebietLevel::Kreis => RegionLevel::Kreis,
                GebietLevel::Gemeindeverband => RegionLevel::Gemeindeverband,
                GebietLevel::Gemeinde => RegionLevel::Gemeinde,
                GebietLevel::Region => return None,
            };
            Some(Region {
                ars: Ars::parse(&g.ars).ok()?,
                ags: g.ags.clone(),
                level,
                name: g.name.clone(),
                type_code: g.type_code.map(i64::from),
                seat: g.seat.clone(),
                plz: g.plz.clone(),
                population: g.population.map(|p| p as i64),
            })
        })
        .collect()
}

fn lebenslagen(ozg: &OzgCatalogue) -> Vec<Lebenslage> {
    let themen: HashMap<u64, &str> = ozg
        .themenfelder
        .iter()
        .map(|t| (t.id, t.name.as_str()))
        .collect();
    ozg.lebenslagen
        .iter()
        .map(|l| Lebenslage {
            slug: slugify(&l.name),
            name: l.name.clone(),
            themenfeld: themen.get(&l.themenfeld_id).unwrap_or(&"").to_string(),
            position: l.id as i64,
        })
        .collect()
}

fn leistungen(src: &Sources, lebenslagen: &[Lebenslage]) -> Result<Vec<Leistung>, SourceError> {
    let slug_by_id: HashMap<u64, &str> = src
        .ozg
        .lebenslagen
        .iter()
        .zip(lebenslagen)
        .map(|(o, l)| (o.id, l.slug.as_str()))
        .collect();
    let bundles: HashMap<u64, _> = src.ozg.leistungen.iter().map(|l| (l.id, l)).collect();
    let mut out: BTreeMap<LeikaKey, Leistung> = BTreeMap::new();
    for s in src.ozg.services.iter().filter(|s| !s.hidden) {
        let Ok(leika) = LeikaKey::parse(&s.leika) else {
            continue;
        };
        // The catalogue repeats a few keys; the first row is the original.
        if out.contains_key(&leika) {
            continue;
        }
        let bundle = s.leistung_id.and_then(|id| bundles.get(&id));
        let lebenslage = bundle
            .and_then(|b| b.lebenslage_id)
            .and_then(|id| slug_by_id.get(&id))
            .map(|s| s.to_string());
        out.insert(
            leika.clone(),
            Leistung {
                slug: slugify(&s.name),
                name: s.name.clone(),
                catalogue_name: s.name.clone(),
                leika,
                ozg_id: bundle.and_then(|b| b.ozg_id).map(i64::from),
                ozg_name: bundle.map(|b| b.name.clone()).unwrap_or_default(),
                leika_type: s.leika_type.clone().unwrap_or_default(),
                legal_basis: clean_legal_basis(s.legal_basis.as_deref().unwrap_or("")),
                short_text: String::new(),
                long_text: String::new(),
                fees: vec![],
                documents: vec![],
                deadlines: String::new(),
                processing_time: String::new(),
                keywords: vec![],
                lebenslagen: lebenslage.into_iter().collect(),
                source: source::OZG.into(),
            },
        );
    }
    for (i, d) in src.demo.iter().enumerate() {
        let err = |reason: String| SourceError {
            file: src.demo_file.clone(),
            record: format!("leistung[{i}] ({})", d.name),
            reason,
        };
        let leika = LeikaKey::parse(&d.leika).map_err(|e| err(e.to_string()))?;
        let l = out
            .get_mut(&leika)
            .ok_or_else(|| err(format!("LeiKa-Schlüssel {leika} fehlt im OZG-Katalog")))?;
        apply_demo(l, d);
        for name in &d.lebenslagen {
            let slug = lebenslagen
                .iter()
                .find(|ll| &ll.name == name)
                .map(|ll| ll.slug.clone())
                .ok_or_else(|| err(format!("unbekannte Lebenslage „{name}“")))?;
            if !l.lebenslagen.contains(&slug) {
                l.lebenslagen.push(slug);
            }
        }
    }
    Ok(out.into_values().collect())
}

fn apply_demo(l: &mut Leistung, d: &DemoLeistung) {
    l.name = d.name.clone();
    l.slug = slugify(&d.name);
    l.short_text = d.short_text.clone();
    l.long_text = d.long_text.clone();
    l.fees = d.fees.clone();
    l.documents = d.documents.clone();
    l.deadlines = d.deadlines.clone();
    l.processing_time = d.processing_time.clone();
    if !d.legal_basis.is_empty() {
        l.legal_basis = d.legal_basis.clone();
    }
    l.keywords = d.keywords.clone();
    l.source = source::DEMO.into();
}

/// Words citizens search with, from real sources, as keywords of the service
/// with that LeiKa key, for every tenant: Munich's keywords (`meta.keywords`),
/// the PVOG's synonyms and its citizen-facing names ("… beantragen").
fn add_citizen_words(leistungen: &mut [Leistung], src: &Sources) {
    let mut words: HashMap<&LeikaKey, Vec<&str>> = HashMap::new();
    for s in &src.dldb {
        for k in &s.leika {
            words
                .entry(k)
                .or_default()
                .extend(s.keywords.iter().map(String::as_str));
        }
    }
    for d in &src.pvog_details {
        for k in &d.leika {
            words
                .entry(k)
                .or_default()
                .extend(d.synonyms.iter().map(String::as_str));
        }
    }
    for s in &src.pvog.services {
        if let Some(name) = &s.citizen_name {
            words.entry(&s.leika).or_default().push(name);
        }
    }
    for l in leistungen {
        let Some(extra) = words.get(&l.leika) else {
            continue;
        };
        for w in extra {
            let w = w.trim();
            let known = l.keywords.iter().any(|k| k.eq_ignore_ascii_case(w))
                || l.name.eq_ignore_ascii_case(w);
            if !w.is_empty() && !known {
                l.keywords.push(w.to_string());
            }
        }
    }
}

/// "§ 9 PAuswG [http://…]" → "§ 9 PAuswG"; the links point to a retired host layout.
fn clean_legal_basis(text: &str) -> String {
    let mut out = String::new();
    let mut depth = 0;
    for c in text.chars() {
        match c {
            '[' => depth += 1,
            ']' if depth > 0 => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The offices of the administrative levels and which area each serves.
struct Offices {
    list: Vec<Organisationseinheit>,
    gemeinde_level: Vec<(Ars, String)>,
    kreis_level: Vec<(Ars, String)>,
}

impl Offices {
    fn build(regions: &[Region], anschriften: &[AnschriftRecord], lands: &[String]) -> Self {
        let in_land = |r: &&Region| lands.iter().any(|l| r.ars.as_str().starts_with(l.as_str()));
        let address: HashMap<&str, &AnschriftRecord> =
            anschriften.iter().map(|a| (a.ags.as_str(), a)).collect();
        let gemeinden: Vec<&Region> = regions
            .iter()
            .filter(in_land)
            .filter(|r| r.level == RegionLevel::Gemeinde)
            .collect();
        let mut offices = Offices {
            list: vec![],
            gemeinde_level: vec![],
            kreis_level: vec![],
        };
        let mut by_verband: HashMap<Ars, Vec<&Region>> = HashMap::new();
        for g in &gemeinden {
            if let Some(v) = g.ars.verband() {
                by_verband.entry(v).or_default().push(g);
            }
        }
        for verband in regions
            .iter()
            .filter(in_land)
            .filter(|r| r.level == RegionLevel::Gemeindeverband)
        {
            let members = by_verband
                .get(&verband.ars)
                .map(Vec::as_slice)
                .unwrap_or(&[]);
            let Some(first) = members.first() else {
                continue;
            };
            let id = format!("verwaltung-{}", verband.ars);
            let amtsfrei = verband.type_code == Some(50) && members.len() == 1;
            let (name, area) = if amtsfrei {
                (
                    municipality_name(&first.name, first.type_code),
                    first.ars.clone(),
                )
            } else {
                (format!("Amt {}", verband.name), verband.ars.clone())
            };
            let addr = members
                .iter()
                .find_map(|g| g.ags.as_deref().and_then(|a| address.get(a)));
            offices.list.push(office(&id, name, addr.copied(), first));
            offices.gemeinde_level.push((area, id.clone()));
            if first.type_code == Some(61) {
                if let Some(kreis) = first.ars.kreis() {
                    offices.kreis_level.push((kreis, id));
                }
            }
        }
        for kreis in regions
            .iter()
            .filter(in_land)
            .filter(|r| r.level == RegionLevel::Kreis && r.type_code != Some(41))
        {
            let id = format!("kreisverwaltung-{}", kreis.ars);
            let seat = kreis.seat.clone().unwrap_or_default();
            let seat_plz = gemeinden
                .iter()
                .find(|g| {
                    kreis.ars.contains(&g.ars) && g.name.split(',').next() == Some(seat.as_str())
                })
                .and_then(|g| g.plz.clone())
                .unwrap_or_default();
            offices.list.push(register_office(
                &id,
                format!("Kreisverwaltung {}", kreis.name),
                seat_plz,
                seat,
            ));
            offices.kreis_level.push((kreis.ars.clone(), id));
        }
        offices.list.sort_by(|a, b| a.id.cmp(&b.id));
        offices
    }
}

fn office(
    id: &str,
    name: String,
    addr: Option<&AnschriftRecord>,
    seat: &Region,
) -> Organisationseinheit {
    let mut oe = register_office(
        id,
        name,
        seat.plz.clone().unwrap_or_default(),
        seat.name.split(',').next().unwrap_or("").to_string(),
    );
    if let Some(a) = addr {
        oe.street = a.street.clone();
        oe.plz = a.plz.clone();
        oe.city = a.city.clone();
        oe.source = source::GVISYS.into();
    }
    oe
}

/// An administration named after the register: no hours, phone or e-mail, as no source gives them.
fn register_office(id: &str, name: String, plz: String, city: String) -> Organisationseinheit {
    Organisationseinheit {
        id: id.to_string(),
        name,
        street: String::new(),
        plz,
        city,
        phone: String::new(),
        email: String::new(),
        opening_hours: vec![],
        source: source::GV100AD.into(),
    }
}

/// "Husum, Stadt" → "Stadt Husum"; "Altenholz" → "Gemeinde Altenholz".
pub fn municipality_name(register_name: &str, type_code: Option<i64>) -> String {
    match register_name.split_once(", ") {
        Some((name, kind)) => format!("{kind} {name}"),
        None if matches!(type_code, Some(61 | 63)) => format!("Stadt {register_name}"),
        None => format!("Gemeinde {register_name}"),
    }
}

fn onlinedienste(src: &Sources) -> Result<Vec<Onlinedienst>, SourceError> {
    let mut out = Vec::new();
    for (i, d) in src.demo.iter().enumerate() {
        let Some(level) = &d.online else { continue };
        let err = |reason: String| SourceError {
            file: src.demo_file.clone(),
            record: format!("leistung[{i}] ({})", d.name),
            reason,
        };
        let leika = LeikaKey::parse(&d.leika).map_err(|e| err(e.to_string()))?;
        let vertrauensniveau = Vertrauensniveau::parse(level).map_err(|e| err(e.to_string()))?;
        out.push(Onlinedienst {
            id: format!("od-{leika}"),
            url: format!("{FORMS_BASE_URL}/{leika}"),
            leika,
            vertrauensniveau,
            source: source::DEMO.into(),
        });
    }
    Ok(out)
}

/// The first online service the PVOG lists for each federal service the
/// catalogue holds; a demo online service of the same service stays. The list
/// gives no trust level, so the least is asked.
fn federal_onlinedienste(
    pvog: &PvogBund,
    leistungen: &[Leistung],
    demo: &[Onlinedienst],
) -> Vec<Onlinedienst> {
    let known: HashSet<&LeikaKey> = leistungen.iter().map(|l| &l.leika).collect();
    let mut taken: HashSet<LeikaKey> = demo.iter().map(|o| o.leika.clone()).collect();
    let mut out = Vec::new();
    for service in &pvog.services {
        let Some(online) = service.online.first() else {
            continue;
        };
        if !known.contains(&service.leika) || !taken.insert(service.leika.clone()) {
            continue;
        }
        out.push(Onlinedienst {
            id: format!("{}/{}", online.id, service.leika),
            leika: service.leika.clone(),
            url: online.url.clone(),
            vertrauensniveau: online
                .level_of_confidence
                .as_deref()
                .and_then(|l| Vertrauensniveau::parse(l).ok())
                .unwrap_or(Vertrauensniveau::Basisregistrierung),
            source: super::sources::PVOG_SOURCE.folder.into(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legal_basis_loses_links() {
        assert_eq!(
            clean_legal_basis("§ 882g Zivilprozessordnung (ZPO) [http://www.gesetze-im-internet.de/zpo/__882g.html]"),
            "§ 882g Zivilprozessordnung (ZPO)"
        );
    }

    #[test]
    fn register_names_read_naturally() {
        assert_eq!(municipality_name("Husum, Stadt", Some(63)), "Stadt Husum");
        assert_eq!(
            municipality_name("Kiel, Landeshauptstadt", Some(61)),
            "Landeshauptstadt Kiel"
        );
        assert_eq!(
            municipality_name("Altenholz", Some(64)),
            "Gemeinde Altenholz"
        );
    }
}
