//! View models of the citizen's own area: Mein Bereich, Merkliste, Postfach.

use crate::model::{Block, LinkItem};

#[derive(Debug, Clone)]
pub struct AccountPage {
    pub name: String,
    pub level: String,
    pub email: String,
    pub address: Vec<String>,
    /// Where the citizen changes these data: at the Servicekonto, not here.
    pub provider_account_url: Option<String>,
    pub favourites: Vec<Favourite>,
    pub unread: u64,
    pub csrf: String,
}

#[derive(Debug, Clone)]
pub struct Favourite {
    pub href: String,
    pub name: String,
    pub leika: String,
    /// The portal the service was saved on, when it is another one.
    pub saved_on: Option<String>,
}

#[derive(Debug, Clone)]
pub struct PostfachPage {
    pub archive: bool,
    pub messages: Vec<MessageRow>,
    pub inbox_href: String,
    pub archive_href: String,
}

#[derive(Debug, Clone)]
pub struct MessageRow {
    pub href: String,
    pub subject: String,
    pub sender: String,
    pub date: String,
    pub unread: bool,
    pub attachments: usize,
}

#[derive(Debug, Clone)]
pub struct MessagePage {
    pub subject: String,
    pub sender: String,
    pub date: String,
    pub body: Vec<Block>,
    pub attachments: Vec<AttachmentLink>,
    pub archived: bool,
    pub action: String,
    pub csrf: String,
    pub back: String,
}

#[derive(Debug, Clone)]
pub struct AttachmentLink {
    pub href: String,
    pub filename: String,
    pub kind: String,
    pub size: String,
}

/// A short page that explains and offers ways on (e.g. "Vertrauensniveau nicht erreicht").
#[derive(Debug, Clone)]
pub struct NoticePage {
    pub title: String,
    pub message: String,
    pub links: Vec<LinkItem>,
}

/// "Online beantragen": what would be passed to the form provider, and the consent.
#[derive(Debug, Clone)]
pub struct ConsentPage {
    pub service_name: String,
    pub provider_name: String,
    pub action: String,
    pub csrf: String,
    pub gemeinde: String,
    /// Passed in every case: (label, value).
    pub always: Vec<(String, String)>,
    /// Passed only with consent: (label, value).
    pub personal: Vec<(String, String)>,
    pub back_href: String,
}

/// After consent, for providers that take the token in a form POST: the
/// citizen's browser posts it, so it never appears in a URL.
#[derive(Debug, Clone)]
pub struct HandoffPage {
    pub service_name: String,
    pub provider_name: String,
    /// The provider's form URL: the form's action.
    pub action: String,
    pub token: String,
    /// Submits the form right away where JavaScript runs; the button does it without.
    pub script_url: String,
}

#[derive(Debug, Clone)]
pub struct ApplicationsPage {
    pub applications: Vec<ApplicationItem>,
}

#[derive(Debug, Clone)]
pub struct ApplicationItem {
    pub id: String,
    pub service_name: String,
    pub service_href: String,
    pub place: String,
    pub office: String,
    pub started: String,
    pub status: String,
    /// (status label, date), oldest first.
    pub history: Vec<(String, String)>,
    pub messages: Vec<LinkItem>,
}
