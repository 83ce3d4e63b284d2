//! Where messages come from: a file, a folder of `*.xml` files (in name order)
//! or an http(s) URL. Files are parsed as they stream in; a download is bounded
//! by the same size limit while it arrives.

use super::ExchangeError;
use crate::catalogue::xzufi::{parse, Limits, Message, XzufiError};
use sha2::{Digest, Sha256};
use std::io::{BufReader, Read};
use std::path::Path;
use std::time::Duration;

/// The messages and one hash over all input bytes.
pub(super) async fn read(
    location: &str,
    limits: &Limits,
) -> Result<(Vec<(String, Message)>, String), ExchangeError> {
    let mut hash = Sha256::new();
    let messages = if location.starts_with("https://") || location.starts_with("http://") {
        let bytes = download(location, limits.max_bytes).await?;
        hash.update(&bytes);
        vec![(
            location.to_string(),
            parse(location, bytes.as_slice(), limits)?,
        )]
    } else {
        let path = Path::new(location);
        if path.is_dir() {
            let files = xml_files(path)?;
            let mut messages = Vec::with_capacity(files.len());
            for file in files {
                messages.push(read_file(&file, limits, &mut hash)?);
            }
            messages
        } else if path.is_file() {
            vec![read_file(path, limits, &mut hash)?]
        } else {
            return Err(ExchangeError::NotFound(location.to_string()));
        }
    };
    let hash = hash.finalize().iter().map(|b| format!("{b:02x}")).collect();
    Ok((messages, hash))
}

fn xml_files(dir: &Path) -> Result<Vec<std::path::PathBuf>, ExchangeError> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        ExchangeError::Refused(XzufiError::Io {
            file: dir.display().to_string(),
            message: e.to_string(),
        })
    })?;
    let mut files: Vec<_> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x.eq_ignore_ascii_case("xml")))
        .collect();
    if files.is_empty() {
        return Err(ExchangeError::EmptyFolder(dir.display().to_string()));
    }
    files.sort();
    Ok(files)
}

fn read_file(
    path: &Path,
    limits: &Limits,
    hash: &mut Sha256,
) -> Result<(String, Message), ExchangeError> {
    let name = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|e| XzufiError::Io {
        file: name.clone(),
        message: e.to_string(),
    })?;
    let reader = BufReader::new(Hashing { inner: file, hash });
    let message = parse(&name, reader, limits)?;
    Ok((name, message))
}

/// Hashes the bytes as the parser reads them.
struct Hashing<'h, R> {
    inner: R,
    hash: &'h mut Sha256,
}

impl<R: Read> Read for Hashing<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hash.update(&buf[..n]);
        Ok(n)
    }
}

/// Redirects are not followed: a URL an operator checked must not lead elsewhere.
async fn download(url: &str, max_bytes: u64) -> Result<Vec<u8>, ExchangeError> {
    let failed = |e: openidconnect::reqwest::Error| ExchangeError::Fetch {
        url: url.to_string(),
        reason: e.to_string(),
    };
    let client = openidconnect::reqwest::Client::builder()
        .redirect(openidconnect::reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(300))
        .build()
        .map_err(failed)?;
    let mut response = client.get(url).send().await.map_err(failed)?;
    let status = response.status().as_u16();
    if status != 200 {
        return Err(ExchangeError::Status {
            url: url.to_string(),
            status,
        });
    }
    let too_large = || {
        ExchangeError::Refused(XzufiError::TooLarge {
            file: url.to_string(),
            max_bytes,
        })
    };
    if response.content_length().is_some_and(|n| n > max_bytes) {
        return Err(too_large());
    }
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(failed)? {
        if (bytes.len() + chunk.len()) as u64 > max_bytes {
            return Err(too_large());
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}
