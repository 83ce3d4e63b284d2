//! Catalogue rows as JSON values, written one key at a time so that every
//! write leaves its before-image: an import's undo list is exactly what it
//! changed, and a rollback replays that list backwards.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::any::AnyRow;
use sqlx::{Any, Row as _, Transaction};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    Int,
}

/// A catalogue table as the importer writes it; the first `key` columns are its primary key.
#[derive(Debug)]
pub struct Table {
    pub name: &'static str,
    pub columns: &'static [(&'static str, Kind)],
    pub key: usize,
}

use Kind::{Int, Text};

pub const LEISTUNGEN: Table = Table {
    name: "leistungen",
    columns: &[
        ("leika", Text),
        ("name", Text),
        ("catalogue_name", Text),
        ("slug", Text),
        ("ozg_id", Int),
        ("ozg_name", Text),
        ("leika_type", Text),
        ("legal_basis", Text),
        ("short_text", Text),
        ("long_text", Text),
        ("fees", Text),
        ("documents", Text),
        ("deadlines", Text),
        ("processing_time", Text),
        ("keywords", Text),
        ("source", Text),
    ],
    key: 1,
};

pub const LEISTUNG_LEBENSLAGEN: Table = Table {
    name: "leistung_lebenslagen",
    columns: &[("leika", Text), ("lebenslage", Text)],
    key: 2,
};

pub const ORGANISATIONSEINHEITEN: Table = Table {
    name: "organisationseinheiten",
    columns: &[
        ("id", Text),
        ("name", Text),
        ("street", Text),
        ("plz", Text),
        ("city", Text),
        ("phone", Text),
        ("email", Text),
        ("opening_hours", Text),
        ("source", Text),
    ],
    key: 1,
};

pub const ZUSTAENDIGKEITEN: Table = Table {
    name: "zustaendigkeiten",
    columns: &[
        ("leika", Text),
        ("area", Text),
        ("oe_id", Text),
        ("source", Text),
    ],
    key: 2,
};

pub const ONLINEDIENSTE: Table = Table {
    name: "onlinedienste",
    columns: &[
        ("id", Text),
        ("leika", Text),
        ("url", Text),
        ("vertrauensniveau", Text),
        ("source", Text),
    ],
    key: 1,
};

pub const XZUFI_OBJECTS: Table = Table {
    name: "xzufi_objects",
    columns: &[
        ("klasse", Text),
        ("agency", Text),
        ("id", Text),
        ("target", Text),
        ("data", Text),
    ],
    key: 3,
};

const TABLES: [&Table; 6] = [
    &LEISTUNGEN,
    &LEISTUNG_LEBENSLAGEN,
    &ORGANISATIONSEINHEITEN,
    &ZUSTAENDIGKEITEN,
    &ONLINEDIENSTE,
    &XZUFI_OBJECTS,
];

pub fn table(name: &str) -> Option<&'static Table> {
    TABLES.into_iter().find(|t| t.name == name)
}

/// A row: one JSON value per column (string, number or null), in column order.
pub type Row = Vec<Value>;

/// One write: the row under `key` was `before` and became `after` (`None`: absent).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub table: String,
    pub key: Vec<Value>,
    pub before: Option<Row>,
    pub after: Option<Row>,
}

pub fn text(value: impl Into<String>) -> Value {
    Value::String(value.into())
}

pub fn int(value: Option<i64>) -> Value {
    value.map_or(Value::Null, Value::from)
}

pub fn as_str(value: &Value) -> &str {
    value.as_str().unwrap_or("")
}

fn where_key(t: &Table) -> String {
    t.columns[..t.key]
        .iter()
        .enumerate()
        .map(|(i, (c, _))| format!("{c} = ${}", i + 1))
        .collect::<Vec<_>>()
        .join(" AND ")
}

fn columns(t: &Table) -> String {
    t.columns
        .iter()
        .map(|(c, _)| *c)
        .collect::<Vec<_>>()
        .join(", ")
}

fn bind<'q>(
    query: sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>>,
    kind: Kind,
    value: &Value,
) -> sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>> {
    match kind {
        Kind::Text => query.bind(value.as_str().map(str::to_string)),
        Kind::Int => query.bind(value.as_i64()),
    }
}

fn read(t: &Table, row: &AnyRow) -> Result<Row, sqlx::Error> {
    t.columns
        .iter()
        .map(|(c, kind)| match kind {
            Kind::Text => Ok(row
                .try_get::<Option<String>, _>(*c)?
                .map_or(Value::Null, Value::String)),
            Kind::Int => Ok(int(row.try_get::<Option<i64>, _>(*c)?)),
        })
        .collect()
}

pub async fn fetch(
    tx: &mut Transaction<'_, Any>,
    t: &Table,
    key: &[Value],
) -> Result<Option<Row>, sqlx::Error> {
    let sql = format!(
        "SELECT {} FROM {} WHERE {}",
        columns(t),
        t.name,
        where_key(t)
    );
    let mut query = sqlx::query(&sql);
    for ((_, kind), value) in t.columns.iter().zip(key) {
        query = bind(query, *kind, value);
    }
    let row = query.fetch_optional(&mut **tx).await?;
    row.map(|r| read(t, &r)).transpose()
}

/// The keys of the rows whose `column` has `value`.
pub async fn keys_where(
    tx: &mut Transaction<'_, Any>,
    t: &Table,
    column: &str,
    value: &str,
) -> Result<Vec<Vec<Value>>, sqlx::Error> {
    let sql = format!(
        "SELECT {} FROM {} WHERE {column} = $1 ORDER BY 1",
        columns(t),
        t.name
    );
    let rows = sqlx::query(&sql)
        .bind(value.to_string())
        .fetch_all(&mut **tx)
        .await?;
    rows.iter()
        .map(|r| read(t, r).map(|row| row[..t.key].to_vec()))
        .collect()
}

/// Makes the row under `key` be `after` and returns the change, `None` when nothing changed.
pub async fn put(
    tx: &mut Transaction<'_, Any>,
    t: &Table,
    key: &[Value],
    after: Option<Row>,
) -> Result<Option<Change>, sqlx::Error> {
    let before = fetch(tx, t, key).await?;
    if before == after {
        return Ok(None);
    }
    match (&before, &after) {
        (Some(_), None) => {
            let sql = format!("DELETE FROM {} WHERE {}", t.name, where_key(t));
            let mut query = sqlx::query(&sql);
            for ((_, kind), value) in t.columns.iter().zip(key) {
                query = bind(query, *kind, value);
            }
            query.execute(&mut **tx).await?;
        }
        (None, Some(row)) => {
            let placeholders = (1..=t.columns.len())
                .map(|i| format!("${i}"))
                .collect::<Vec<_>>()
                .join(", ");
            let sql = format!(
                "INSERT INTO {} ({}) VALUES ({placeholders})",
                t.name,
                columns(t)
            );
            let mut query = sqlx::query(&sql);
            for ((_, kind), value) in t.columns.iter().zip(row) {
                query = bind(query, *kind, value);
            }
            query.execute(&mut **tx).await?;
        }
        (Some(_), Some(row)) => {
            // An update, not delete and insert: rows of other tables refer to this key.
            let n = t.key;
            let set = t.columns[n..]
                .iter()
                .enumerate()
                .map(|(i, (c, _))| format!("{c} = ${}", n + i + 1))
                .collect::<Vec<_>>()
                .join(", ");
            let sql = format!("UPDATE {} SET {set} WHERE {}", t.name, where_key(t));
            let mut query = sqlx::query(&sql);
            for ((_, kind), value) in t.columns.iter().zip(key) {
                query = bind(query, *kind, value);
            }
            for ((_, kind), value) in t.columns[n..].iter().zip(&row[n..]) {
                query = bind(query, *kind, value);
            }
            query.execute(&mut **tx).await?;
        }
        (None, None) => {}
    }
    Ok(Some(Change {
        table: t.name.to_string(),
        key: key.to_vec(),
        before,
        after,
    }))
}
