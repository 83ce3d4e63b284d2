//! The catalogue as the pages read it: whole in memory, indexed, immutable.
//! An import builds a new one and swaps it in.

use super::model::*;
use super::persist;
use crate::keys::{Ars, LeikaKey};
use crate::store::{Store, StoreError};
use std::collections::HashMap;

#[derive(Debug, Default)]
pub struct Catalogue {
    pub version: i64,
    pub lebenslagen: Vec<Lebenslage>,
    lebenslage_idx: HashMap<String, usize>,
    /// Sorted by name, the order of every list a citizen reads.
    pub leistungen: Vec<Leistung>,
    leistung_idx: HashMap<LeikaKey, usize>,
    by_lebenslage: HashMap<String, Vec<usize>>,
    offices: Vec<Organisationseinheit>,
    office_idx: HashMap<String, u32>,
    /// Responsibilities, compact: at Germany scale there are millions.
    areas: Vec<Area>,
    area_idx: HashMap<String, u32>,
    /// Per service (by position in `leistungen`): (area, office, provenance) sorted by area.
    responsibilities: Vec<Vec<(u32, u32, u32)>>,
    /// Where answers come from; few distinct values, indexed from `responsibilities`.
    provenances: Vec<Provenance>,
    provenance_idx: HashMap<String, u32>,
    regeln: Vec<ZustaendigkeitsRegel>,
    regel_idx: HashMap<String, u32>,
    /// Per service: the rule its rule-made answers follow.
    rule_of: Vec<Option<u32>>,
    /// Per area: the services with an office there; the inverse of `responsibilities`.
    services_by_area: Vec<Vec<u32>>,
    online: HashMap<LeikaKey, Onlinedienst>,
    regions: HashMap<Ars, Region>,
    /// Gemeinden sorted by ARS, so that an area's Gemeinden are one range.
    gemeinden: Vec<Ars>,
    gemeinde_by_ags: HashMap<String, Ars>,
    postcodes: HashMap<String, Vec<String>>,
}

/// The office responsible for a service in a Gemeinde, the area it serves, and
/// where that answer comes from.
#[derive(Debug, Clone, Copy)]
pub struct Responsible<'a> {
    pub office: &'a Organisationseinheit,
    pub area: &'a Area,
    pub provenance: &'a Provenance,
}

impl Catalogue {
    /// Loads the catalogue, streaming the responsibilities into their compact form.
    pub async fn load(store: &Store) -> Result<Option<Catalogue>, StoreError> {
        let Some((version, data)) = persist::load(store).await? else {
            return Ok(None);
        };
        let mut catalogue = Catalogue::build(version, data);
        persist::each_zustaendigkeit(store, |leika, area, office, source| {
            catalogue.add_responsibility(leika, area, office, source)
        })
        .await?;
        catalogue.sort_responsibilities();
        Ok(Some(catalogue))
    }

    /// Records that `office` serves service `leika` in `area`, as `source` says;
    /// unknown references are skipped.
    fn add_responsibility(&mut self, leika: &str, area: &str, office: &str, source: &str) {
        let (Some(&service), Some(&office)) =
            (self.leistung_idx.get(leika), self.office_idx.get(office))
        else {
            return;
        };
        let area = match self.area_idx.get(area) {
            Some(&i) => i,
            None => {
                let Ok(parsed) = Area::parse(area) else {
                    return;
                };
                self.areas.push(parsed);
                self.area_idx
                    .insert(area.to_string(), self.areas.len() as u32 - 1);
                self.areas.len() as u32 - 1
            }
        };
        let provenance = match self.provenance_idx.get(source) {
            Some(&p) => p,
            None => {
                let regeln = &self.regeln;
                let regel_idx = &self.regel_idx;
                let parsed = Provenance::from_source(source, |id| {
                    regel_idx
                        .get(id)
                        .map(|&i| regeln[i as usize].basis.clone())
                        .unwrap_or_default()
                });
                self.provenances.push(parsed);
                let p = self.provenances.len() as u32 - 1;
                self.provenance_idx.insert(source.to_string(), p);
                p
            }
        };
        if let Provenance::Rule { id, .. } = &self.provenances[provenance as usize] {
            self.rule_of[service] = self.regel_idx.get(id).copied();
        }
        self.responsibilities[service].push((area, office, provenance));
    }

    fn sort_responsibilities(&mut self) {
        let mut by_area = vec![Vec::new(); self.areas.len()];
        for (service, list) in self.responsibilities.iter_mut().enumerate() {
            list.sort_unstable();
            list.shrink_to_fit();
            for &(area, _, _) in list.iter() {
                by_area[area as usize].push(service as u32);
            }
        }
        for list in &mut by_area {
            list.dedup();
            list.shrink_to_fit();
        }
        self.services_by_area = by_area;
    }

    /// Which services have a known office for a Gemeinde (given by its area
    /// chain), by position in `leistungen`: one pass over the chain's areas
    /// instead of a lookup per search candidate.
    pub fn services_with_office(&self, chain: &[u32]) -> Vec<bool> {
        let mut covered = vec![false; self.leistungen.len()];
        for &area in chain {
            for &service in self
                .services_by_area
                .get(area as usize)
                .into_iter()
                .flatten()
            {
                covered[service as usize] = true;
            }
        }
        covered
    }

    pub fn build(version: i64, d: CatalogueData) -> Catalogue {
        let mut leistungen = d.leistungen;
        leistungen.sort_by(|a, b| {
            sort_key(&a.name)
                .cmp(&sort_key(&b.name))
                .then(a.leika.cmp(&b.leika))
        });
        let mut by_lebenslage: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, l) in leistungen.iter().enumerate() {
            for s in &l.lebenslagen {
                by_lebenslage.entry(s.clone()).or_default().push(i);
            }
        }
        let mut gemeinden: Vec<Ars> = d
            .regions
            .iter()
            .filter(|r| r.level == RegionLevel::Gemeinde)
            .map(|r| r.ars.clone())
            .collect();
        gemeinden.sort();
        let mut postcodes: HashMap<String, Vec<String>> = HashMap::new();
        for p in d.postcodes {
            postcodes.entry(p.plz).or_default().push(p.ags);
        }
        let zustaendigkeiten = d.zustaendigkeiten;
        let regel_idx = d
            .regeln
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id.clone(), i as u32))
            .collect();
        let mut catalogue = Catalogue {
            provenances: Vec::new(),
            provenance_idx: HashMap::new(),
            regeln: d.regeln,
            regel_idx,
            rule_of: Vec::new(),
            version,
            lebenslage_idx: d
                .lebenslagen
                .iter()
                .enumerate()
                .map(|(i, l)| (l.slug.clone(), i))
                .collect(),
            lebenslagen: d.lebenslagen,
            leistung_idx: leistungen
                .iter()
                .enumerate()
                .map(|(i, l)| (l.leika.clone(), i))
                .collect(),
            leistungen,
            by_lebenslage,
            office_idx: d
                .organisationseinheiten
                .iter()
                .enumerate()
                .map(|(i, o)| (o.id.clone(), i as u32))
                .collect(),
            offices: d.organisationseinheiten,
            areas: Vec::new(),
            area_idx: HashMap::new(),
            responsibilities: Vec::new(),
            services_by_area: Vec::new(),
            online: d
                .onlinedienste
                .into_iter()
                .map(|o| (o.leika.clone(), o))
                .collect(),
            gemeinde_by_ags: d
                .regions
                .iter()
                .filter_map(|r| r.ags.clone().map(|a| (a, r.ars.clone())))
                .collect(),
            regions: d.regions.into_iter().map(|r| (r.ars.clone(), r)).collect(),
            gemeinden,
            postcodes,
        };
        catalogue.responsibilities = vec![Vec::new(); catalogue.leistungen.len()];
        catalogue.rule_of = vec![None; catalogue.leistungen.len()];
        for z in zustaendigkeiten {
            catalogue.add_responsibility(
                z.leika.as_str(),
                z.area.key(),
                &z.oe_id,
                &z.provenance.source(),
            );
        }
        catalogue.sort_responsibilities();
        catalogue
    }

    /// The service's position in `leistungen`.
    pub fn position(&self, key: &LeikaKey) -> Option<usize> {
        self.leistung_idx.get(key).copied()
    }

    pub fn leistung(&self, key: &LeikaKey) -> Option<&Leistung> {
        self.leistung_idx.get(key).map(|&i| &self.leistungen[i])
    }

    pub fn lebenslage(&self, slug: &str) -> Option<&Lebenslage> {
        self.lebenslage_idx.get(slug).map(|&i| &self.lebenslagen[i])
    }

    /// The position of a Lebenslage in `lebenslagen`.
    pub fn lebenslage_position(&self, slug: &str) -> Option<usize> {
        self.lebenslage_idx.get(slug).copied()
    }

    pub fn lebenslage_by_name(&self, name: &str) -> Option<&Lebenslage> {
        self.lebenslagen.iter().find(|l| l.name == name)
    }

    pub fn leistungen_in(&self, lebenslage: &str) -> impl Iterator<Item = &Leistung> {
        self.by_lebenslage
            .get(lebenslage)
            .into_iter()
            .flatten()
            .map(|&i| &self.leistungen[i])
    }

    pub fn online(&self, key: &LeikaKey) -> Option<&Onlinedienst> {
        self.online.get(key)
    }

    pub fn region(&self, ars: &Ars) -> Option<&Region> {
        self.regions.get(ars)
    }

    /// The most specific responsibility whose area contains the Gemeinde:
    /// Gemeinde beats Gemeindeverband beats Kreis beats Land beats Bund.
    /// Tries the Gemeinde's own areas from the smallest up: at most six lookups.
    pub fn responsible(&self, key: &LeikaKey, gemeinde: &Ars) -> Option<Responsible<'_>> {
        let service = *self.leistung_idx.get(key)?;
        let (area, office, provenance) =
            self.responsible_in(service, &self.area_chain(gemeinde))?;
        Some(Responsible {
            office: &self.offices[office as usize],
            area: &self.areas[area as usize],
            provenance: &self.provenances[provenance as usize],
        })
    }

    /// The rule of the rule table that a service's generated answers follow.
    pub fn rule(&self, key: &LeikaKey) -> Option<&ZustaendigkeitsRegel> {
        let service = *self.leistung_idx.get(key)?;
        self.rule_of[service].map(|r| &self.regeln[r as usize])
    }

    /// Where the answers for a service come from, by position in `leistungen`, each once.
    pub fn provenances_of(&self, service: usize) -> Vec<&Provenance> {
        let mut seen: Vec<u32> = self
            .responsibilities
            .get(service)
            .into_iter()
            .flatten()
            .map(|&(_, _, p)| p)
            .collect();
        seen.sort_unstable();
        seen.dedup();
        seen.into_iter()
            .map(|p| &self.provenances[p as usize])
            .collect()
    }

    /// Every unit of the official register (Länder, Kreise, Gemeindeverbände, Gemeinden).
    pub fn regions(&self) -> impl Iterator<Item = &Region> {
        self.regions.values()
    }

    /// The areas that contain a Gemeinde and have responsibilities, most specific first.
    pub fn area_chain(&self, gemeinde: &Ars) -> Vec<u32> {
        let g = gemeinde.as_str();
        [12, 9, 5, 3, 2, 0]
            .into_iter()
            .filter(|&n| n <= g.len())
            .filter_map(|n| self.area_idx.get(&g[..n]).copied())
            .collect()
    }

    fn responsible_in(&self, service: usize, chain: &[u32]) -> Option<(u32, u32, u32)> {
        let list = self.responsibilities.get(service)?;
        chain.iter().find_map(|&area| {
            let pos = list.binary_search_by_key(&area, |&(a, _, _)| a).ok()?;
            Some(list[pos])
        })
    }

    /// All Gemeinden inside an area, by name.
    pub fn gemeinden_in(&self, area: &Ars) -> Vec<&Region> {
        let start = self
            .gemeinden
            .partition_point(|g| g.as_str() < area.as_str());
        let mut out: Vec<&Region> = self.gemeinden[start..]
            .iter()
            .take_while(|g| area.contains(g))
            .filter_map(|g| self.regions.get(g))
            .collect();
        out.sort_by_key(|r| sort_key(&r.name));
        out
    }

    /// The Gemeinden a postcode belongs to (a postcode may span several).
    pub fn gemeinden_with_postcode(&self, plz: &str) -> Vec<&Region> {
        let mut out: Vec<&Region> = self
            .postcodes
            .get(plz)
            .into_iter()
            .flatten()
            .filter_map(|ags| self.gemeinde_by_ags.get(ags))
            .filter_map(|ars| self.regions.get(ars))
            .collect();
        out.sort_by_key(|r| sort_key(&r.name));
        out.dedup_by_key(|r| r.ars.clone());
        out
    }

    /// The smallest area that surely holds an address: the Gemeinde of its
    /// postcode (chosen by the locality where a postcode spans several), else
    /// the area all candidate Gemeinden share (Gemeindeverband, Kreis, Land).
    pub fn home_area(&self, plz: &str, locality: &str) -> Option<String> {
        let all = self.gemeinden_with_postcode(plz);
        let wanted = fold(locality);
        let named: Vec<&&Region> = all.iter().filter(|r| fold(&r.name) == wanted).collect();
        let candidates: Vec<&str> = match named.as_slice() {
            [one] => vec![one.ars.as_str()],
            _ => all.iter().map(|r| r.ars.as_str()).collect(),
        };
        let first = candidates.first()?;
        let common = candidates.iter().fold(first.len(), |n, c| {
            first
                .bytes()
                .zip(c.bytes())
                .take(n)
                .take_while(|(a, b)| a == b)
                .count()
        });
        [12, 9, 5, 3, 2]
            .into_iter()
            .find(|&len| len <= common)
            .map(|len| first[..len].to_string())
    }

    /// How a citizen reads an area: "Amt Hüttener Berge", "Kreis Nordfriesland", "Schleswig-Holstein".
    pub fn area_label(&self, area: &Area) -> String {
        let Area::Region(ars) = area else {
            return "ganz Deutschland".into();
        };
        let Some(r) = self.region(ars) else {
            return format!("Gebiet {ars}");
        };
        match (r.level, r.type_code) {
            (RegionLevel::Gemeinde, t) => super::generate::municipality_name(&r.name, t),
            (RegionLevel::Gemeindeverband, Some(51)) => format!("Amt {}", r.name),
            (RegionLevel::Kreis, Some(41)) => super::generate::municipality_name(&r.name, Some(61)),
            (RegionLevel::Kreis, _) => format!("Kreis {}", r.name),
            _ => r.name.clone(),
        }
    }
}

/// Case- and umlaut-insensitive form: "Führerschein" → "fuehrerschein".
pub fn fold(s: &str) -> String {
    crate::keys::slugify(s).replace('-', " ")
}

fn sort_key(name: &str) -> String {
    fold(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ars(s: &str) -> Ars {
        Ars::parse(s).unwrap()
    }

    fn office(id: &str) -> Organisationseinheit {
        Organisationseinheit {
            id: id.into(),
            name: id.into(),
            street: String::new(),
            plz: String::new(),
            city: String::new(),
            phone: String::new(),
            email: String::new(),
            opening_hours: vec![],
            source: "test".into(),
        }
    }

    fn catalogue(areas: &[(&str, &str)]) -> Catalogue {
        let leika = LeikaKey::parse("99050012104000").unwrap();
        let data = CatalogueData {
            leistungen: vec![Leistung {
                leika: leika.clone(),
                name: "Gewerbe anmelden".into(),
                catalogue_name: "Gewerbe Anmeldung".into(),
                slug: "gewerbe-anmelden".into(),
                ozg_id: None,
                ozg_name: String::new(),
                leika_type: "2/3".into(),
                legal_basis: String::new(),
                short_text: String::new(),
                long_text: String::new(),
                fees: vec![],
                documents: vec![],
                deadlines: String::new(),
                processing_time: String::new(),
                keywords: vec![],
                lebenslagen: vec![],
                source: "test".into(),
            }],
            organisationseinheiten: areas.iter().map(|(_, oe)| office(oe)).collect(),
            zustaendigkeiten: areas
                .iter()
                .map(|(area, oe)| Zustaendigkeit {
                    leika: leika.clone(),
                    area: Area::parse(area).unwrap(),
                    oe_id: oe.to_string(),
                    provenance: Provenance::Imported,
                })
                .collect(),
            ..Default::default()
        };
        Catalogue::build(1, data)
    }

    fn winner(c: &Catalogue, gemeinde: &str) -> Option<String> {
        let key = LeikaKey::parse("99050012104000").unwrap();
        c.responsible(&key, &ars(gemeinde))
            .map(|r| r.office.id.clone())
    }

    #[test]
    fn each_level_beats_those_above_it() {
        let levels = [
            ("", "bund"),
            ("01", "land"),
            ("01058", "kreis"),
            ("010585890", "amt"),
            ("010585890008", "gemeinde"),
        ];
        for n in 1..=levels.len() {
            let c = catalogue(&levels[..n]);
            assert_eq!(
                winner(&c, "010585890008").as_deref(),
                Some(levels[n - 1].1),
                "with {n} levels"
            );
        }
        // The same order holds whatever order the records come in.
        let mut reversed = levels.to_vec();
        reversed.reverse();
        assert_eq!(
            winner(&catalogue(&reversed), "010585890008").as_deref(),
            Some("gemeinde")
        );
    }

    #[test]
    fn areas_that_do_not_contain_the_gemeinde_are_ignored() {
        let c = catalogue(&[
            ("010585890008", "other-gemeinde"),
            ("02", "hamburg"),
            ("01058", "kreis"),
        ]);
        assert_eq!(winner(&c, "010585890009").as_deref(), Some("kreis"));
    }

    #[test]
    fn nothing_found_when_no_area_matches() {
        let c = catalogue(&[("02", "hamburg"), ("010540056056", "husum")]);
        assert_eq!(winner(&c, "010585890008"), None);
        assert_eq!(winner(&catalogue(&[]), "010585890008"), None);
    }
}
