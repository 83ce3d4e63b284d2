//! A tenant's published local content, read into memory with the tenant and
//! rendered once (Markdown through the allow-list): what citizen pages show
//! beside the central catalogue.

use super::model::{Addition, Kind, LocalService, News, Office};
use crate::keys::LeikaKey;
use crate::richtext::markdown;
use crate::store::{Store, StoreError};
use serde_json::Value;
use std::collections::HashMap;

/// Nachnutzung: an adopted service its adopter has not overridden shows its
/// source's published text (the adopter keeps its own office); the adopter's
/// `upstream` follows the source's version, so its cached pages and its part
/// of the search index change when the source publishes.
pub fn follow_sources(tenants: &mut [crate::tenancy::Tenant]) {
    let sources: HashMap<String, (i64, std::sync::Arc<LocalContent>)> = tenants
        .iter()
        .map(|t| (t.slug.as_str().to_string(), (t.version, t.local.clone())))
        .collect();
    for t in tenants.iter_mut() {
        if !t
            .local
            .services
            .iter()
            .any(|s| s.data.adopted_from.is_some())
        {
            continue;
        }
        let mut local = (*t.local).clone();
        let mut followed = std::collections::BTreeMap::new();
        for s in local.services.iter_mut().filter(|s| !s.data.overridden) {
            let Some(from) = s.data.adopted_from.clone() else {
                continue;
            };
            let Some((version, source)) = sources.get(&from.tenant) else {
                continue;
            };
            let Some(original) = source.service(&from.key).filter(|o| o.data.shared) else {
                continue;
            };
            followed.insert(from.tenant.clone(), *version);
            s.data = LocalService {
                office: s.data.office.clone(),
                shared: false,
                adopted_from: Some(from),
                overridden: false,
                ..original.data.clone()
            };
            s.text_html = original.text_html.clone();
            s.fees_html = original.fees_html.clone();
            s.documents_html = original.documents_html.clone();
        }
        local.services.sort_by(|a, b| a.data.name.cmp(&b.data.name));
        t.upstream = followed.values().sum();
        t.local = std::sync::Arc::new(local);
    }
}

/// A local addition, ready to show: Markdown rendered and sanitised.
#[derive(Debug, Clone, Default)]
pub struct AdditionView {
    pub data: Addition,
    pub fees_html: String,
    pub documents_html: String,
    pub contact_html: String,
    pub opening_hours_html: String,
    pub notes_html: String,
    pub ask_instead_html: String,
}

#[derive(Debug, Clone, Default)]
pub struct ServiceView {
    pub key: String,
    pub data: LocalService,
    pub text_html: String,
    pub fees_html: String,
    pub documents_html: String,
}

impl ServiceView {
    pub fn slug(&self) -> String {
        crate::keys::slugify(&self.data.name)
    }

    pub fn href(&self) -> String {
        format!("/leistungen/lokal/{}", self.key)
    }
}

#[derive(Debug, Clone, Default)]
pub struct NewsView {
    pub key: String,
    pub data: News,
    pub html: String,
}

/// Everything a tenant published besides its settings.
#[derive(Debug, Clone, Default)]
pub struct LocalContent {
    pub additions: HashMap<LeikaKey, AdditionView>,
    pub services: Vec<ServiceView>,
    pub offices: HashMap<String, Office>,
    pub news: Vec<NewsView>,
}

/// The kinds that live in `LocalContent` (the others go into the tenant's settings).
pub const LOCAL_KINDS: [Kind; 4] = [Kind::Addition, Kind::Service, Kind::Office, Kind::News];

impl LocalContent {
    /// Builds the read model from (kind, key, data); values that no longer
    /// parse are skipped rather than failing the whole tenant.
    pub fn build(items: impl IntoIterator<Item = (Kind, String, Value)>) -> LocalContent {
        let mut out = LocalContent::default();
        for (kind, key, data) in items {
            out.add(kind, key, data);
        }
        out.services.sort_by(|a, b| a.data.name.cmp(&b.data.name));
        out.news.sort_by(|a, b| b.data.starts.cmp(&a.data.starts));
        out
    }

    /// Adds or replaces one item (used for previews with drafts, too).
    pub fn add(&mut self, kind: Kind, key: String, data: Value) {
        match kind {
            Kind::Addition => {
                let (Ok(leika), Ok(a)) = (
                    LeikaKey::parse(&key),
                    serde_json::from_value::<Addition>(data),
                ) else {
                    return;
                };
                self.additions.insert(leika, addition_view(a));
            }
            Kind::Service => {
                let Ok(s) = serde_json::from_value::<LocalService>(data) else {
                    return;
                };
                self.services.retain(|v| v.key != key);
                self.services.push(ServiceView {
                    text_html: markdown(&s.text),
                    fees_html: markdown(&s.fees),
                    documents_html: markdown(&s.documents),
                    key,
                    data: s,
                });
            }
            Kind::Office => {
                if let Ok(o) = serde_json::from_value::<Office>(data) {
                    self.offices.insert(key, o);
                }
            }
            Kind::News => {
                let Ok(n) = serde_json::from_value::<News>(data) else {
                    return;
                };
                self.news.retain(|v| v.key != key);
                self.news.push(NewsView {
                    html: markdown(&n.markdown),
                    key,
                    data: n,
                });
            }
            Kind::Settings | Kind::Start | Kind::Legal => {}
        }
    }

    pub fn service(&self, key: &str) -> Option<&ServiceView> {
        self.services.iter().find(|s| s.key == key)
    }

    /// Announcements shown on `today` (YYYY-MM-DD), newest first.
    pub fn current_news(&self, today: &str) -> Vec<&NewsView> {
        self.news
            .iter()
            .filter(|n| n.data.starts.as_str() <= today && today <= n.data.ends.as_str())
            .collect()
    }
}

fn addition_view(a: Addition) -> AdditionView {
    AdditionView {
        fees_html: markdown(&a.fees),
        documents_html: markdown(&a.documents),
        contact_html: markdown(&a.contact),
        opening_hours_html: markdown(&a.opening_hours),
        notes_html: markdown(&a.notes),
        ask_instead_html: markdown(&a.ask_instead),
        data: a,
    }
}

/// Every tenant's published local content, by tenant id.
pub async fn load_all(store: &Store) -> Result<HashMap<i64, LocalContent>, StoreError> {
    let mut by_tenant: HashMap<i64, Vec<(Kind, String, Value)>> = HashMap::new();
    for (tenant, kind, key, data) in super::content::all_published(store, &LOCAL_KINDS).await? {
        by_tenant.entry(tenant).or_default().push((kind, key, data));
    }
    Ok(by_tenant
        .into_iter()
        .map(|(t, items)| (t, LocalContent::build(items)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_is_rendered_safely_once() {
        let local = LocalContent::build([(
            Kind::Addition,
            "99102013002000".to_string(),
            serde_json::json!({ "fees": "**120 €** <script>alert(1)</script>" }),
        )]);
        let a = &local.additions[&LeikaKey::parse("99102013002000").unwrap()];
        assert!(a.fees_html.contains("<strong>120 €</strong>"));
        assert!(!a.fees_html.contains("<script"));
    }

    #[test]
    fn news_are_shown_between_their_days() {
        let n = |k: &str, s: &str, e: &str| {
            (
                Kind::News,
                k.to_string(),
                serde_json::json!({ "title": k, "markdown": "", "starts": s, "ends": e }),
            )
        };
        let local = LocalContent::build([
            n("alt", "2026-01-01", "2026-01-31"),
            n("jetzt", "2026-11-01", "2026-12-31"),
        ]);
        let shown: Vec<&str> = local
            .current_news("2026-11-28")
            .iter()
            .map(|n| n.key.as_str())
            .collect();
        assert_eq!(shown, ["jetzt"]);
    }
}
