//! Catalogue tables: written whole in one transaction, read whole into memory.

use super::model::*;
use crate::keys::{Ars, LeikaKey, Vertrauensniveau};
use crate::store::{insert_rows, int, text, Store, StoreError, Value};
use sqlx::any::AnyRow;

/// Child tables first, so that deleting never trips a foreign key. A full
/// import replaces what XZuFi imports wrote as well.
const TABLES: [&str; 10] = [
    "xzufi_objects",
    "onlinedienste",
    "zustaendigkeiten",
    "zustaendigkeitsregeln",
    "leistung_lebenslagen",
    "organisationseinheiten",
    "leistungen",
    "lebenslagen",
    "postcodes",
    "regions",
];

/// The newest import of any kind, XZuFi and rollbacks included (0: none).
pub async fn version(store: &Store) -> Result<i64, StoreError> {
    let row =
        sqlx::query("SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) AS n FROM catalogue_imports")
            .fetch_one(store.pool())
            .await?;
    Ok(int(&row, "n")?.unwrap_or(0))
}

/// The catalogue version (the newest import of any kind, XZuFi and rollbacks
/// included) and the content hash of the newest import of the public sources.
pub async fn latest_import(store: &Store) -> Result<Option<(i64, String)>, StoreError> {
    let version = version(store).await?;
    if version == 0 {
        return Ok(None);
    }
    let hash = sqlx::query(
        "SELECT content_hash FROM catalogue_imports WHERE kind = 'quellen' ORDER BY id DESC LIMIT 1",
    )
    .fetch_optional(store.pool())
    .await?;
    let hash = match hash {
        Some(r) => text(&r, "content_hash")?,
        None => String::new(),
    };
    Ok(Some((version, hash)))
}

pub async fn replace_all(
    store: &Store,
    d: &CatalogueData,
    hash: &str,
    summary: &str,
) -> Result<i64, StoreError> {
    let mut tx = store.pool().begin().await?;
    for table in TABLES {
        sqlx::query(&format!("DELETE FROM {table}"))
            .execute(&mut *tx)
            .await?;
    }
    insert_rows(
        &mut tx,
        "regions",
        &[
            "ars",
            "ags",
            "level",
            "name",
            "type_code",
            "seat",
            "plz",
            "population",
            "source",
        ],
        d.regions
            .iter()
            .map(|r| {
                vec![
                    r.ars.as_str().into(),
                    r.ags.clone().unwrap_or_default().into(),
                    r.level.as_str().into(),
                    r.name.clone().into(),
                    r.type_code.into(),
                    r.seat.clone().unwrap_or_default().into(),
                    r.plz.clone().unwrap_or_default().into(),
                    r.population.into(),
                    source::GV100AD.into(),
                ]
            })
            .collect(),
    )
    .await?;
    insert_rows(
        &mut tx,
        "postcodes",
        &["plz", "ags", "ort", "source"],
        d.postcodes
            .iter()
            .map(|p| {
                vec![
                    p.plz.clone().into(),
                    p.ags.clone().into(),
                    p.ort.clone().into(),
                    source::PLZ.into(),
                ]
            })
            .collect(),
    )
    .await?;
    insert_rows(
        &mut tx,
        "lebenslagen",
        &["slug", "name", "themenfeld", "position", "source"],
        d.lebenslagen
            .iter()
            .map(|l| {
                vec![
                    l.slug.clone().into(),
                    l.name.clone().into(),
                    l.themenfeld.clone().into(),
                    l.position.into(),
                    source::OZG.into(),
                ]
            })
            .collect(),
    )
    .await?;
    insert_rows(
        &mut tx,
        "leistungen",
        &[
            "leika",
            "name",
            "catalogue_name",
            "slug",
            "ozg_id",
            "ozg_name",
            "leika_type",
            "legal_basis",
            "short_text",
            "long_text",
            "fees",
            "documents",
            "deadlines",
            "processing_time",
            "keywords",
            "source",
        ],
        d.leistungen.iter().map(leistung_row).collect(),
    )
    .await?;
    insert_rows(
        &mut tx,
        "leistung_lebenslagen",
        &["leika", "lebenslage"],
        d.leistungen
            .iter()
            .flat_map(|l| {
                l.lebenslagen
                    .iter()
                    .map(|s| vec![l.leika.as_str().into(), s.clone().into()])
            })
            .collect(),
    )
    .await?;
    insert_rows(
        &mut tx,
        "organisationseinheiten",
        &[
            "id",
            "name",
            "street",
            "plz",
            "city",
            "phone",
            "email",
            "opening_hours",
            "source",
        ],
        d.organisationseinheiten
            .iter()
            .map(|o| {
                vec![
                    o.id.clone().into(),
                    o.name.clone().into(),
                    o.street.clone().into(),
                    o.plz.clone().into(),
                    o.city.clone().into(),
                    o.phone.clone().into(),
                    o.email.clone().into(),
                    json(&o.opening_hours),
                    o.source.clone().into(),
                ]
            })
            .collect(),
    )
    .await?;
    insert_rows(
        &mut tx,
        "zustaendigkeiten",
        &["leika", "area", "oe_id", "source"],
        d.zustaendigkeiten
            .iter()
            .map(|z| {
                vec![
                    z.leika.as_str().into(),
                    z.area.key().into(),
                    z.oe_id.clone().into(),
                    z.provenance.source().into(),
                ]
            })
            .collect(),
    )
    .await?;
    insert_rows(
        &mut tx,
        "zustaendigkeitsregeln",
        &["id", "basis", "url", "ort", "antrag_bei", "hinweis"],
        d.regeln
            .iter()
            .map(|r| {
                vec![
                    r.id.clone().into(),
                    r.basis.clone().into(),
                    r.url.clone().into(),
                    r.ort.as_str().into(),
                    r.antrag_bei
                        .as_ref()
                        .map(|k| k.as_str())
                        .unwrap_or("")
                        .into(),
                    r.hinweis.clone().into(),
                ]
            })
            .collect(),
    )
    .await?;
    insert_rows(
        &mut tx,
        "onlinedienste",
        &["id", "leika", "url", "vertrauensniveau", "source"],
        d.onlinedienste
            .iter()
            .map(|o| {
                vec![
                    o.id.clone().into(),
                    o.leika.as_str().into(),
                    o.url.clone().into(),
                    o.vertrauensniveau.as_str().into(),
                    o.source.clone().into(),
                ]
            })
            .collect(),
    )
    .await?;
    let row = sqlx::query("INSERT INTO catalogue_imports (content_hash, imported_at, summary) VALUES ($1, $2, $3) RETURNING id")
        .bind(hash)
        .bind(crate::clock::now_rfc3339())
        .bind(summary)
        .fetch_one(&mut *tx)
        .await?;
    let version = int(&row, "id")?.unwrap_or(0);
    tx.commit().await?;
    Ok(version)
}

fn json<T: serde::Serialize>(value: &T) -> Value {
    Value::Text(serde_json::to_string(value).unwrap_or_else(|_| "[]".into()))
}

fn leistung_row(l: &Leistung) -> Vec<Value> {
    vec![
        l.leika.as_str().into(),
        l.name.clone().into(),
        l.catalogue_name.clone().into(),
        l.slug.clone().into(),
        l.ozg_id.into(),
        l.ozg_name.clone().into(),
        l.leika_type.clone().into(),
        l.legal_basis.clone().into(),
        l.short_text.clone().into(),
        l.long_text.clone().into(),
        json(&l.fees),
        json(&l.documents),
        l.deadlines.clone().into(),
        l.processing_time.clone().into(),
        json(&l.keywords),
        l.source.clone().into(),
    ]
}

fn from_json<T: serde::de::DeserializeOwned + Default>(
    row: &AnyRow,
    column: &str,
) -> Result<T, sqlx::Error> {
    let raw = text(row, column)?;
    serde_json::from_str(&raw).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

fn bad_key(e: crate::keys::KeyError) -> sqlx::Error {
    sqlx::Error::Decode(Box::new(e))
}

/// Streams the responsibilities (millions at Germany scale) without holding the
/// rows: leika, area, office and source of each.
pub async fn each_zustaendigkeit(
    store: &Store,
    mut f: impl FnMut(&str, &str, &str, &str),
) -> Result<(), StoreError> {
    use futures_util::TryStreamExt;
    let mut rows =
        sqlx::query("SELECT leika, area, oe_id, source FROM zustaendigkeiten").fetch(store.pool());
    while let Some(r) = rows.try_next().await? {
        f(
            &text(&r, "leika")?,
            &text(&r, "area")?,
            &text(&r, "oe_id")?,
            &text(&r, "source")?,
        );
    }
    Ok(())
}

/// Reads the catalogue but its responsibilities (see `each_zustaendigkeit`); `None` when nothing was imported yet.
pub async fn load(store: &Store) -> Result<Option<(i64, CatalogueData)>, StoreError> {
    let Some((version, _)) = latest_import(store).await? else {
        return Ok(None);
    };
    let pool = store.pool();
    let mut d = CatalogueData::default();
    for r in sqlx::query("SELECT * FROM regions").fetch_all(pool).await? {
        let ags = text(&r, "ags")?;
        d.regions.push(Region {
            ars: Ars::parse(&text(&r, "ars")?).map_err(bad_key)?,
            ags: (!ags.is_empty()).then_some(ags),
            level: RegionLevel::parse(&text(&r, "level")?).unwrap_or(RegionLevel::Gemeinde),
            name: text(&r, "name")?,
            type_code: int(&r, "type_code")?,
            seat: Some(text(&r, "seat")?).filter(|s| !s.is_empty()),
            plz: Some(text(&r, "plz")?).filter(|s| !s.is_empty()),
            population: int(&r, "population")?,
        });
    }
    for r in sqlx::query("SELECT plz, ags, ort FROM postcodes")
        .fetch_all(pool)
        .await?
    {
        d.postcodes.push(Postcode {
            plz: text(&r, "plz")?,
            ags: text(&r, "ags")?,
            ort: text(&r, "ort")?,
        });
    }
    for r in sqlx::query("SELECT * FROM lebenslagen ORDER BY position")
        .fetch_all(pool)
        .await?
    {
        d.lebenslagen.push(Lebenslage {
            slug: text(&r, "slug")?,
            name: text(&r, "name")?,
            themenfeld: text(&r, "themenfeld")?,
            position: int(&r, "position")?.unwrap_or(0),
        });
    }
    let mut links: std::collections::HashMap<String, Vec<String>> = Default::default();
    for r in sqlx::query("SELECT leika, lebenslage FROM leistung_lebenslagen ORDER BY lebenslage")
        .fetch_all(pool)
        .await?
    {
        links
            .entry(text(&r, "leika")?)
            .or_default()
            .push(text(&r, "lebenslage")?);
    }
    for r in sqlx::query("SELECT * FROM leistungen ORDER BY leika")
        .fetch_all(pool)
        .await?
    {
        let key = text(&r, "leika")?;
        d.leistungen.push(Leistung {
            leika: LeikaKey::parse(&key).map_err(bad_key)?,
            lebenslagen: links.remove(&key).unwrap_or_default(),
            name: text(&r, "name")?,
            catalogue_name: text(&r, "catalogue_name")?,
            slug: text(&r, "slug")?,
            ozg_id: int(&r, "ozg_id")?,
            ozg_name: text(&r, "ozg_name")?,
            leika_type: text(&r, "leika_type")?,
            legal_basis: text(&r, "legal_basis")?,
            short_text: text(&r, "short_text")?,
            long_text: text(&r, "long_text")?,
            fees: from_json(&r, "fees")?,
            documents: from_json(&r, "documents")?,
            deadlines: text(&r, "deadlines")?,
            processing_time: text(&r, "processing_time")?,
            keywords: from_json(&r, "keywords")?,
            source: text(&r, "source")?,
        });
    }
    for r in sqlx::query("SELECT * FROM organisationseinheiten ORDER BY id")
        .fetch_all(pool)
        .await?
    {
        d.organisationseinheiten.push(Organisationseinheit {
            id: text(&r, "id")?,
            name: text(&r, "name")?,
            street: text(&r, "street")?,
            plz: text(&r, "plz")?,
            city: text(&r, "city")?,
            phone: text(&r, "phone")?,
            email: text(&r, "email")?,
            opening_hours: from_json(&r, "opening_hours")?,
            source: text(&r, "source")?,
        });
    }
    for r in sqlx::query("SELECT * FROM zustaendigkeitsregeln ORDER BY id")
        .fetch_all(pool)
        .await?
    {
        let antrag_bei = text(&r, "antrag_bei")?;
        d.regeln.push(ZustaendigkeitsRegel {
            id: text(&r, "id")?,
            basis: text(&r, "basis")?,
            url: text(&r, "url")?,
            ort: Ort::parse(&text(&r, "ort")?).unwrap_or(Ort::Wohnort),
            antrag_bei: if antrag_bei.is_empty() {
                None
            } else {
                Some(LeikaKey::parse(&antrag_bei).map_err(bad_key)?)
            },
            hinweis: text(&r, "hinweis")?,
        });
    }
    for r in sqlx::query("SELECT * FROM onlinedienste")
        .fetch_all(pool)
        .await?
    {
        d.onlinedienste.push(Onlinedienst {
            id: text(&r, "id")?,
            leika: LeikaKey::parse(&text(&r, "leika")?).map_err(bad_key)?,
            url: text(&r, "url")?,
            vertrauensniveau: Vertrauensniveau::parse(&text(&r, "vertrauensniveau")?)
                .map_err(bad_key)?,
            source: text(&r, "source")?,
        });
    }
    Ok(Some((version, d)))
}
