//! Where the citizen lives, when a tenant covers several Gemeinden.
//! The choice travels in the URL (`?gemeinde=<ARS>`), never in a cookie.

use crate::catalogue::model::Region;
use crate::catalogue::Catalogue;
use crate::keys::{Ars, Plz};
use crate::tenancy::Tenant;
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
pub struct PlaceQuery {
    pub gemeinde: Option<String>,
    pub plz: Option<String>,
    /// Civil-status services: the Gemeinde where the birth, death or marriage took place.
    pub ereignisort: Option<String>,
    pub ereignis_plz: Option<String>,
}

/// Where a birth, death or marriage took place: any Gemeinde, not only the tenant's.
pub enum EventPlace<'a> {
    Known(&'a Region),
    Unknown {
        error: Option<String>,
        plz: String,
        candidates: Vec<&'a Region>,
    },
}

impl<'a> EventPlace<'a> {
    pub fn resolve(catalogue: &'a Catalogue, q: &PlaceQuery) -> EventPlace<'a> {
        let unknown = |error: Option<String>, plz: &str| EventPlace::Unknown {
            error,
            plz: plz.to_string(),
            candidates: vec![],
        };
        if let Some(g) = q
            .ereignisort
            .as_deref()
            .map(str::trim)
            .filter(|g| !g.is_empty())
        {
            return match Ars::parse(g)
                .ok()
                .filter(|a| a.as_str().len() == 12)
                .and_then(|a| catalogue.region(&a))
            {
                Some(gemeinde) => EventPlace::Known(gemeinde),
                None => unknown(
                    Some(
                        "Diesen Ort kennen wir nicht. Bitte geben Sie seine Postleitzahl ein."
                            .into(),
                    ),
                    "",
                ),
            };
        }
        let Some(plz_raw) = q
            .ereignis_plz
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty())
        else {
            return unknown(
                q.ereignis_plz.is_some().then(|| {
                    "Bitte geben Sie die Postleitzahl des Ortes ein oder wählen Sie einen Ort."
                        .into()
                }),
                "",
            );
        };
        let typed: String = plz_raw.chars().take(10).collect();
        let Ok(plz) = Plz::parse(plz_raw) else {
            return unknown(
                Some(
                    "Bitte geben Sie eine Postleitzahl mit fünf Ziffern ein, zum Beispiel 24103."
                        .into(),
                ),
                &typed,
            );
        };
        let mut matches = catalogue.gemeinden_with_postcode(plz.as_str());
        match matches.len() {
            0 => unknown(
                Some(format!(
                    "Zur Postleitzahl {} kennen wir keine Gemeinde.",
                    plz.as_str()
                )),
                &typed,
            ),
            1 => EventPlace::Known(matches.remove(0)),
            _ => EventPlace::Unknown {
                error: None,
                plz: typed,
                candidates: matches,
            },
        }
    }
}

pub enum Place<'a> {
    /// The tenant is one Gemeinde, or the citizen has chosen one of its Gemeinden.
    Known { gemeinde: &'a Region, chosen: bool },
    /// Not (validly) chosen yet.
    Unknown {
        error: Option<String>,
        plz: String,
        candidates: Vec<&'a Region>,
    },
}

impl<'a> Place<'a> {
    pub fn resolve(tenant: &Tenant, catalogue: &'a Catalogue, q: &PlaceQuery) -> Place<'a> {
        let gemeinden = catalogue.gemeinden_in(&tenant.ars);
        if let [only] = gemeinden.as_slice() {
            return Place::Known {
                gemeinde: only,
                chosen: false,
            };
        }
        let unknown = |error: Option<String>, plz: &str| Place::Unknown {
            error,
            plz: plz.to_string(),
            candidates: vec![],
        };
        if let Some(g) = q
            .gemeinde
            .as_deref()
            .map(str::trim)
            .filter(|g| !g.is_empty())
        {
            return match Ars::parse(g)
                .ok()
                .and_then(|a| gemeinden.iter().find(|r| r.ars == a))
            {
                Some(gemeinde) => Place::Known {
                    gemeinde,
                    chosen: true,
                },
                None => unknown(
                    Some(format!(
                        "Diese Gemeinde gehört nicht zu {}. Bitte wählen Sie aus der Liste.",
                        tenant.name
                    )),
                    "",
                ),
            };
        }
        let Some(plz_raw) = q.plz.as_deref().map(str::trim).filter(|p| !p.is_empty()) else {
            let submitted_empty = q.plz.is_some() || q.gemeinde.is_some();
            return unknown(
                submitted_empty.then(|| {
                    "Bitte geben Sie Ihre Postleitzahl ein oder wählen Sie Ihre Gemeinde.".into()
                }),
                "",
            );
        };
        let typed: String = plz_raw.chars().take(10).collect();
        let Ok(plz) = Plz::parse(plz_raw) else {
            return unknown(
                Some(
                    "Bitte geben Sie eine Postleitzahl mit fünf Ziffern ein, zum Beispiel 24361."
                        .into(),
                ),
                &typed,
            );
        };
        let mut matches: Vec<&Region> = catalogue
            .gemeinden_with_postcode(plz.as_str())
            .into_iter()
            .filter(|r| tenant.ars.contains(&r.ars))
            .collect();
        match matches.len() {
            0 => unknown(
                Some(format!(
                    "Die Postleitzahl {} gehört zu keiner Gemeinde von {}.",
                    plz.as_str(),
                    tenant.name
                )),
                &typed,
            ),
            1 => Place::Known {
                gemeinde: matches.remove(0),
                chosen: true,
            },
            _ => Place::Unknown {
                error: None,
                plz: typed,
                candidates: matches,
            },
        }
    }

    pub fn gemeinde(&self) -> Option<&'a Region> {
        match self {
            Place::Known { gemeinde, .. } => Some(gemeinde),
            Place::Unknown { .. } => None,
        }
    }

    /// The query suffix to keep the choice on internal links ("" when nothing to keep).
    pub fn query(&self) -> String {
        match self {
            Place::Known {
                gemeinde,
                chosen: true,
            } => format!("?gemeinde={}", gemeinde.ars),
            _ => String::new(),
        }
    }
}
