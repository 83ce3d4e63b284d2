//! Files editors upload (logos): PNG and WebP must decode, SVG is rebuilt from
//! an allow-list; each belongs to one tenant and is served only on its hosts.

use crate::store::{text, Store, StoreError};
use crate::tenancy::TenantScope;
use sha2::{Digest, Sha256};
use sqlx::Row;

pub const MAX_BYTES: usize = 512 * 1024;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum UploadError {
    #[error("Die Datei ist größer als 512 KB.")]
    TooLarge,
    #[error("Erlaubt sind PNG, WebP und SVG; diese Datei ist keins davon.")]
    UnsupportedType,
    #[error("Die Bilddatei ist beschädigt oder unvollständig.")]
    Broken,
    #[error(transparent)]
    Svg(#[from] super::svg::SvgError),
}

/// The checked file: its type and the bytes to store (an SVG rebuilt).
pub fn check(data: &[u8]) -> Result<(&'static str, Vec<u8>), UploadError> {
    if data.len() > MAX_BYTES {
        return Err(UploadError::TooLarge);
    }
    let format = if data.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(("image/png", image::ImageFormat::Png))
    } else if data.len() > 12 && &data[..4] == b"RIFF" && &data[8..12] == b"WEBP" {
        Some(("image/webp", image::ImageFormat::WebP))
    } else {
        None
    };
    match format {
        Some((content_type, format)) => {
            let mut reader = image::ImageReader::with_format(std::io::Cursor::new(data), format);
            let mut limits = image::Limits::default();
            limits.max_image_width = Some(4000);
            limits.max_image_height = Some(4000);
            limits.max_alloc = Some(64 * 1024 * 1024);
            reader.limits(limits);
            reader.decode().map_err(|_| UploadError::Broken)?;
            Ok((content_type, data.to_vec()))
        }
        None => {
            let head = String::from_utf8_lossy(&data[..data.len().min(1024)]).to_ascii_lowercase();
            if !head.contains("<svg") {
                return Err(UploadError::UnsupportedType);
            }
            Ok(("image/svg+xml", super::svg::sanitize(data)?))
        }
    }
}

/// Stores a checked file for the tenant; its id is derived from tenant and
/// content, so the same file of two tenants is two uploads.
pub async fn store(
    store: &Store,
    scope: TenantScope,
    content_type: &str,
    data: &[u8],
    actor: &str,
    now: i64,
) -> Result<String, StoreError> {
    let mut h = Sha256::new();
    h.update(scope.id().to_le_bytes());
    h.update(data);
    let digest = h.finalize();
    let id: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
    sqlx::query(
        "INSERT INTO uploads (id, tenant_id, content_type, data, size, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING",
    )
    .bind(&id)
    .bind(scope.id())
    .bind(content_type)
    .bind(data.to_vec())
    .bind(data.len() as i64)
    .bind(actor)
    .bind(now)
    .execute(store.pool())
    .await?;
    Ok(id)
}

/// Whether the upload belongs to the tenant (content may reference only its own).
pub async fn belongs_to(store: &Store, scope: TenantScope, id: &str) -> Result<bool, StoreError> {
    let row = sqlx::query("SELECT 1 AS one FROM uploads WHERE id = $1 AND tenant_id = $2")
        .bind(id)
        .bind(scope.id())
        .fetch_optional(store.pool())
        .await?;
    Ok(row.is_some())
}

/// (content type, bytes) of a tenant's upload.
pub async fn get(
    store: &Store,
    scope: TenantScope,
    id: &str,
) -> Result<Option<(String, Vec<u8>)>, StoreError> {
    let row =
        sqlx::query("SELECT content_type, data FROM uploads WHERE id = $1 AND tenant_id = $2")
            .bind(id)
            .bind(scope.id())
            .fetch_optional(store.pool())
            .await?;
    row.map(|r| -> Result<(String, Vec<u8>), sqlx::Error> {
        Ok((text(&r, "content_type")?, r.try_get::<Vec<u8>, _>("data")?))
    })
    .transpose()
    .map_err(StoreError::from)
}
