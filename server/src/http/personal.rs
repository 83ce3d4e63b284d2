//! What a logged-in citizen's pages show of the citizen: the unread count in
//! the header, the Merkliste (on service pages whether the service is on it),
//! and the Postfach's lists. Kept briefly per citizen in this instance's
//! memory (never in the shared page cache) and dropped at once when the
//! citizen or a sender changes it here; a change on another instance shows
//! within `TTL`.
//! Pages that are the same for everyone are taken from the page cache and
//! only these parts put in.

use super::account::current_nav;
use super::middleware::{cache_versions, is_canonical};
use super::AppState;
use crate::auth::SignedIn;
use crate::store::StoreError;
use crate::tenancy::Tenant;
use app::AccountNav;
use axum::extract::Request;
use axum::http::{HeaderValue, Uri};
use axum::middleware::Next;
use axum::response::Response;
use moka::sync::Cache;
use std::sync::Arc;
use std::time::Duration;

const TTL: Duration = Duration::from_secs(2);

pub struct PersonalCache {
    unread: Cache<String, u64>,
    /// (LeiKa key, slug of the portal it was saved on), in the saved order.
    favourites: Cache<String, Arc<Vec<(String, String)>>>,
    /// Per citizen and folder (archive or not).
    messages: Cache<(String, bool), Arc<Vec<crate::postfach::MessageSummary>>>,
}

impl PersonalCache {
    pub fn new(capacity: u64) -> PersonalCache {
        PersonalCache {
            unread: Cache::builder()
                .max_capacity(capacity)
                .time_to_live(TTL)
                .build(),
            favourites: Cache::builder()
                .max_capacity(capacity)
                .time_to_live(TTL)
                .build(),
            messages: Cache::builder()
                .max_capacity(capacity)
                .time_to_live(TTL)
                .build(),
        }
    }

    /// The citizen's Postfach or Merkliste changed.
    pub fn forget(&self, citizen: &str) {
        self.unread.invalidate(citizen);
        self.favourites.invalidate(citizen);
        for archive in [false, true] {
            self.messages.invalidate(&(citizen.to_string(), archive));
        }
    }
}

/// The citizen's Merkliste: (LeiKa key, slug of the portal it was saved on).
pub async fn favourites(
    state: &AppState,
    citizen: &str,
) -> Result<Arc<Vec<(String, String)>>, StoreError> {
    let cache = &state.personal().favourites;
    if let Some(saved) = cache.get(citizen) {
        return Ok(saved);
    }
    let saved = Arc::new(crate::auth::account::favourites(state.store(), citizen).await?);
    cache.insert(citizen.to_string(), saved.clone());
    Ok(saved)
}

/// The messages of the citizen's Postfach or archive, newest first.
pub async fn messages(
    state: &AppState,
    citizen: &str,
    archive: bool,
) -> Result<Arc<Vec<crate::postfach::MessageSummary>>, StoreError> {
    let cache = &state.personal().messages;
    let key = (citizen.to_string(), archive);
    if let Some(list) = cache.get(&key) {
        return Ok(list);
    }
    let list = Arc::new(crate::postfach::list(state.store(), citizen, archive).await?);
    cache.insert(key, list.clone());
    Ok(list)
}

/// Unread messages in the citizen's Postfach.
pub async fn unread(state: &AppState, citizen: &str) -> Result<u64, StoreError> {
    let cache = &state.personal().unread;
    if let Some(n) = cache.get(citizen) {
        return Ok(n);
    }
    let n = crate::postfach::unread_count(state.store(), citizen).await?;
    cache.insert(citizen.to_string(), n);
    Ok(n)
}

/// Whether the service is on the citizen's Merkliste.
pub async fn is_favourite(
    state: &AppState,
    citizen: &str,
    leika: &str,
) -> Result<bool, StoreError> {
    Ok(favourites(state, citizen)
        .await?
        .iter()
        .any(|(saved, _)| saved == leika))
}

/// A logged-in citizen's GET: the cached anonymous page of the URL with the
/// header's account area (and a service page's Merken form) of this citizen,
/// or, without a cached page or where it does not fit, the handler's page.
pub async fn page(state: &AppState, citizen: &SignedIn, req: Request, next: Next) -> Response {
    let Some(tenant) = req.extensions().get::<Arc<Tenant>>().cloned() else {
        return next.run(req).await;
    };
    match from_cache(state, citizen, &tenant, req.uri().clone()).await {
        Some(body) => {
            let mut res = super::pages::html_private(body);
            // For operators and the tests: the page came from the cache, made personal here.
            res.headers_mut()
                .insert("x-cache", HeaderValue::from_static("personal"));
            res
        }
        None => next.run(req).await,
    }
}

async fn from_cache(
    state: &AppState,
    citizen: &SignedIn,
    tenant: &Tenant,
    uri: Uri,
) -> Option<String> {
    let catalogue = state.catalogue();
    if !is_canonical(tenant, &catalogue, uri.query()) {
        return None;
    }
    let versions = cache_versions(tenant, &catalogue);
    let path = uri.path_and_query().map_or("", |p| p.as_str());
    let entry = state.cache().get(tenant.id, versions, path)?;
    let favourite = match entry.favourite() {
        Some(slot) => Some(app::FavouriteForm {
            saved: is_favourite(state, &citizen.citizen_id, &slot.leika)
                .await
                .ok()?,
            leika: slot.leika.clone(),
            csrf: citizen.csrf.clone(),
            back: slot.back.clone(),
        }),
        None => None,
    };
    let anonymous = AccountNav::Anonymous {
        login_href: super::account::login_href(&uri),
    };
    personalise(entry.body(), &anonymous, &current_nav(), favourite)
}

/// Swaps the anonymous account area for the citizen's and puts the Merken
/// form in its place; None when the page does not have them where expected.
fn personalise(
    page: &[u8],
    anonymous: &AccountNav,
    nav: &AccountNav,
    favourite: Option<app::FavouriteForm>,
) -> Option<String> {
    let page = std::str::from_utf8(page).ok()?;
    let anonymous = app::account_nav_html(anonymous);
    let (before, rest) = page.split_once(&anonymous)?;
    let mut out = String::with_capacity(page.len() + 1024);
    out.push_str(before);
    out.push_str(&app::account_nav_html(nav));
    match favourite {
        Some(f) => {
            let at = rest.find(app::FAVOURITE_FORM_BEFORE)?;
            out.push_str(&rest[..at]);
            out.push_str(&app::favourite_form_html(f));
            out.push_str(&rest[at..]);
        }
        None => out.push_str(rest),
    }
    Some(out)
}
