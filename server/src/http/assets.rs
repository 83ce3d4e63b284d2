//! Self-hosted static files under content-hashed names, cached for a year.

use super::AppError;
use axum::extract::{Path as UrlPath, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::Path;

const STYLESHEET: &str = include_str!(concat!(env!("OUT_DIR"), "/style.css"));
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

pub struct Assets {
    /// Hashed URL path (without `/assets/`) → file.
    files: HashMap<String, (Bytes, &'static str)>,
    /// Logical path ("tenants/kiel.svg") → public URL.
    urls: HashMap<String, String>,
}

impl Assets {
    pub fn load(dir: &Path) -> Result<Assets, String> {
        let mut assets = Assets {
            files: HashMap::new(),
            urls: HashMap::new(),
        };
        let mut found = Vec::new();
        collect(dir, dir, &mut found).map_err(|e| format!("{}: {e}", dir.display()))?;
        for (logical, bytes) in found {
            assets.add(&logical, Bytes::from(bytes));
        }
        let mut css = STYLESHEET.to_string();
        for (logical, url) in &assets.urls {
            css = css.replace(&format!("/assets/{logical}"), url);
        }
        assets.add("style.css", Bytes::from(css));
        Ok(assets)
    }

    fn add(&mut self, logical: &str, bytes: Bytes) {
        let hash: String = Sha256::digest(&bytes)
            .iter()
            .take(5)
            .map(|b| format!("{b:02x}"))
            .collect();
        let hashed = match logical.rsplit_once('.') {
            Some((stem, ext)) => format!("{stem}.{hash}.{ext}"),
            None => format!("{logical}.{hash}"),
        };
        self.urls
            .insert(logical.to_string(), format!("/assets/{hashed}"));
        self.files.insert(hashed, (bytes, content_type(logical)));
    }

    /// The public URL of an asset; unknown assets yield a URL that 404s, never a panic.
    pub fn url(&self, logical: &str) -> String {
        self.urls
            .get(logical)
            .cloned()
            .unwrap_or_else(|| format!("/assets/missing/{logical}"))
    }
}

fn collect(root: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect(root, &path, out)?;
        } else if let Ok(rel) = path.strip_prefix(root) {
            let logical = rel.to_string_lossy().replace('\\', "/");
            if !logical.ends_with(".md") && !logical.ends_with(".txt") {
                out.push((logical, std::fs::read(&path)?));
            }
        }
    }
    Ok(())
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit('.').next().unwrap_or("") {
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        "woff2" => "font/woff2",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "js" => "text/javascript; charset=utf-8",
        _ => "application/octet-stream",
    }
}

pub async fn serve(
    State(state): State<super::AppState>,
    UrlPath(path): UrlPath<String>,
) -> Response {
    match state.assets().files.get(&path) {
        Some((bytes, ct)) => (
            [
                (header::CONTENT_TYPE, HeaderValue::from_static(ct)),
                (header::CACHE_CONTROL, HeaderValue::from_static(IMMUTABLE)),
            ],
            bytes.clone(),
        )
            .into_response(),
        None => AppError::NotFound.into_response(),
    }
}
