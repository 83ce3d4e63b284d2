//! Applications handed off to form providers ("Vorgänge") and their status
//! history, as reported by the provider through the return channel.

use crate::auth::random_token;
use crate::store::{int, text, Store, StoreError};

/// Set by the portal at hand-off; the others come from the provider.
pub const HANDED_OFF: &str = "weitergeleitet";
pub const REPORTED: [&str; 4] = [
    "eingegangen",
    "in_bearbeitung",
    "bescheid_versandt",
    "abgeschlossen",
];

pub fn status_label(status: &str) -> &'static str {
    match status {
        HANDED_OFF => "An das Antragsformular übergeben",
        "eingegangen" => "Eingegangen",
        "in_bearbeitung" => "In Bearbeitung",
        "bescheid_versandt" => "Bescheid versandt",
        "abgeschlossen" => "Abgeschlossen",
        _ => "Unbekannt",
    }
}

pub struct NewApplication<'a> {
    pub citizen_id: &'a str,
    pub provider_id: &'a str,
    pub leika: &'a str,
    pub service_name: &'a str,
    pub tenant_slug: &'a str,
    pub ars: &'a str,
    pub place_name: &'a str,
    pub office: &'a str,
    pub consent: bool,
}

pub async fn create(store: &Store, a: NewApplication<'_>, now: i64) -> Result<String, StoreError> {
    let id = format!("BP-{}", &random_token()[..16]);
    let mut tx = store.pool().begin().await?;
    sqlx::query(
        "INSERT INTO applications (id, citizen_id, provider_id, leika, service_name, tenant_slug, ars, place_name, office, consent, status, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)",
    )
    .bind(&id)
    .bind(a.citizen_id)
    .bind(a.provider_id)
    .bind(a.leika)
    .bind(a.service_name)
    .bind(a.tenant_slug)
    .bind(a.ars)
    .bind(a.place_name)
    .bind(a.office)
    .bind(i64::from(a.consent))
    .bind(HANDED_OFF)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    add_event(&mut tx, &id, 0, HANDED_OFF, now).await?;
    tx.commit().await?;
    Ok(id)
}

async fn add_event(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    id: &str,
    position: i64,
    status: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO application_events (application_id, position, status, at) VALUES ($1, $2, $3, $4)")
        .bind(id)
        .bind(position)
        .bind(status)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The citizen of an application, if it exists and belongs to this provider.
pub async fn citizen_of(
    store: &Store,
    provider_id: &str,
    id: &str,
) -> Result<Option<String>, StoreError> {
    let row = sqlx::query("SELECT citizen_id FROM applications WHERE id = $1 AND provider_id = $2")
        .bind(id)
        .bind(provider_id)
        .fetch_optional(store.pool())
        .await?;
    Ok(row.map(|r| text(&r, "citizen_id")).transpose()?)
}

/// Records a status the provider reports. `None` when the application is not
/// this provider's (or does not exist); a repeated status adds nothing.
pub async fn report_status(
    store: &Store,
    provider_id: &str,
    id: &str,
    status: &str,
    now: i64,
) -> Result<Option<bool>, StoreError> {
    let mut tx = store.pool().begin().await?;
    let Some(row) = sqlx::query(
        "SELECT status, (SELECT COUNT(*) FROM application_events e WHERE e.application_id = a.id) AS events \
         FROM applications a WHERE id = $1 AND provider_id = $2",
    )
    .bind(id)
    .bind(provider_id)
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Ok(None);
    };
    if text(&row, "status")? == status {
        return Ok(Some(false));
    }
    let position = int(&row, "events")?.unwrap_or(0);
    sqlx::query("UPDATE applications SET status = $1, updated_at = $2 WHERE id = $3")
        .bind(status)
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    add_event(&mut tx, id, position, status, now).await?;
    tx.commit().await?;
    Ok(Some(true))
}

#[derive(Debug, Clone)]
pub struct Application {
    pub id: String,
    pub leika: String,
    pub service_name: String,
    pub tenant_slug: String,
    pub place_name: String,
    pub office: String,
    pub status: String,
    pub created_at: i64,
    pub events: Vec<(String, i64)>,
    /// (message id, subject) of Postfach messages about it.
    pub messages: Vec<(String, String)>,
}

pub async fn list(store: &Store, citizen: &str) -> Result<Vec<Application>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, leika, service_name, tenant_slug, place_name, office, status, created_at \
         FROM applications WHERE citizen_id = $1 ORDER BY created_at DESC, id",
    )
    .bind(citizen)
    .fetch_all(store.pool())
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let id = text(r, "id")?;
        let events = sqlx::query(
            "SELECT status, at FROM application_events WHERE application_id = $1 ORDER BY position",
        )
        .bind(&id)
        .fetch_all(store.pool())
        .await?
        .iter()
        .map(|e| Ok((text(e, "status")?, int(e, "at")?.unwrap_or(0))))
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
        let messages = sqlx::query(
            "SELECT id, subject FROM postfach_messages \
             WHERE application_id = $1 AND citizen_id = $2 AND deleted_at IS NULL ORDER BY sent_at",
        )
        .bind(&id)
        .bind(citizen)
        .fetch_all(store.pool())
        .await?
        .iter()
        .map(|m| Ok((text(m, "id")?, text(m, "subject")?)))
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
        out.push(Application {
            id,
            leika: text(r, "leika")?,
            service_name: text(r, "service_name")?,
            tenant_slug: text(r, "tenant_slug")?,
            place_name: text(r, "place_name")?,
            office: text(r, "office")?,
            status: text(r, "status")?,
            created_at: int(r, "created_at")?.unwrap_or(0),
            events,
            messages,
        });
    }
    Ok(out)
}
