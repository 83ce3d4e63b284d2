//! View models: plain data the server fills and the components render.
//! Nothing here knows about databases or HTTP.

/// What every page shares: the tenant's identity and the page's place in the site.
#[derive(Debug, Clone, Default)]
pub struct Shell {
    pub tenant_name: String,
    pub tagline: String,
    pub logo_url: String,
    pub logo_alt: String,
    pub stylesheet_url: String,
    pub theme_url: String,
    pub favicon_url: String,
    /// Progressive enhancement only (search suggestions); every page works without it.
    pub script_url: String,
    pub contact: Contact,
    /// Query suffix that keeps the citizen's chosen Gemeinde on internal links, e.g. "?gemeinde=010585890008".
    pub place_query: String,
    /// The chosen Gemeinde's name, shown in the header so the citizen sees whose answers they get.
    pub place_name: Option<String>,
    pub search_query: String,
    pub account: AccountNav,
    /// The municipality's own links in the header and footer.
    pub header_links: Vec<LinkItem>,
    pub footer_links: Vec<LinkItem>,
    /// A preview of drafts for editors: marked on the page.
    pub preview: bool,
    /// The operator console: no citizen navigation and no legal pages (its host has neither).
    pub back_office: bool,
}

/// The header's login state. Anonymous pages are cached, so their link carries only the path.
#[derive(Debug, Clone, Default)]
pub enum AccountNav {
    /// No Servicekonto configured: no login link.
    #[default]
    Hidden,
    Anonymous {
        login_href: String,
    },
    Citizen {
        name: String,
        unread: u64,
        csrf: String,
    },
}

#[derive(Debug, Clone, Default)]
pub struct Contact {
    pub name: String,
    pub street: String,
    pub postcode_city: String,
    pub phone: String,
    pub email: String,
    pub opening_hours: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Crumb {
    pub label: String,
    pub href: String,
}

#[derive(Debug, Clone)]
pub struct LinkItem {
    pub href: String,
    pub label: String,
    pub hint: String,
}

#[derive(Debug, Clone)]
pub struct ServiceCard {
    pub href: String,
    pub name: String,
    pub summary: String,
    pub online: bool,
    /// "Zuständig: …", where known for this tenant.
    pub office: Option<String>,
}

#[derive(Debug, Clone)]
pub struct StartPage {
    pub lebenslagen: Vec<LinkItem>,
    pub featured: Vec<ServiceCard>,
    pub news: Vec<NewsItem>,
}

/// An announcement of the municipality; `html` passed the server's allow-list.
#[derive(Debug, Clone)]
pub struct NewsItem {
    pub title: String,
    pub date: String,
    pub html: String,
}

/// What the municipality adds to a catalogue service, shown beside the central
/// text; every `*_html` passed the server's allow-list.
#[derive(Debug, Clone, Default)]
pub struct LocalAddition {
    pub tenant_name: String,
    pub fees_html: String,
    pub documents_html: String,
    pub contact_html: String,
    pub office: Option<Office>,
    pub opening_hours_html: String,
    pub notes_html: String,
}

/// A service the municipality does not offer: who to ask instead.
#[derive(Debug, Clone)]
pub struct NotOfferedPage {
    pub name: String,
    pub tenant_name: String,
    pub ask_instead_html: String,
    pub contact: Contact,
}

/// A service of the municipality's own.
#[derive(Debug, Clone)]
pub struct LocalServicePage {
    pub name: String,
    pub tenant_name: String,
    pub short_text: String,
    pub text_html: String,
    pub fees_html: String,
    pub documents_html: String,
    pub office: Option<Office>,
    pub online_href: Option<String>,
    pub lebenslagen: Vec<LinkItem>,
}

#[derive(Debug, Clone)]
pub struct LebenslagenIndex {
    pub groups: Vec<(String, Vec<LinkItem>)>,
}

#[derive(Debug, Clone)]
pub struct LebenslagePage {
    pub name: String,
    pub themenfeld: String,
    /// Services with a full description, shown first as cards.
    pub featured: Vec<ServiceCard>,
    /// Every service, grouped by its OZG-Leistung so that near-identical siblings stay together.
    pub groups: Vec<(String, Vec<LinkItem>)>,
    pub total: usize,
}

#[derive(Debug, Clone)]
pub struct Fee {
    pub label: String,
    pub amount: String,
}

#[derive(Debug, Clone)]
pub struct Office {
    pub name: String,
    pub area: String,
    pub street: String,
    pub postcode_city: String,
    pub phone: String,
    pub email: String,
    pub opening_hours: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct PlaceChoice {
    /// GET target of the form (the page itself).
    pub action: String,
    pub gemeinden: Vec<(String, String)>,
    pub plz: String,
    pub error: Option<String>,
    /// When a postcode spans several Gemeinden of this tenant: links to each.
    pub candidates: Vec<LinkItem>,
}

/// The place of a birth, death or marriage, when the Standesamt of that place is responsible.
#[derive(Debug, Clone)]
pub struct EventPlaceChoice {
    /// GET target of the form (the page itself).
    pub action: String,
    /// The citizen's chosen Wohnort, kept as a hidden field ("" when none).
    pub gemeinde: String,
    /// The tenant's own Gemeinden, offered first: (ARS, name).
    pub gemeinden: Vec<(String, String)>,
    pub plz: String,
    pub error: Option<String>,
    /// When a postcode spans several Gemeinden: links to each.
    pub candidates: Vec<LinkItem>,
}

/// A responsible office and why we know it.
#[derive(Debug, Clone)]
pub struct Answer {
    pub office: Office,
    /// The public source of a rule-made answer: "§ 1 Landesmeldegesetz"; empty for imported ones.
    pub basis: String,
    pub hinweis: String,
    /// Where the application is made in person, when that is another office.
    pub antrag: Option<Office>,
    /// For civil-status services: the place of the event the office was chosen for.
    pub event_place: Option<String>,
    /// Link to choose another place of the event.
    pub change_event_href: Option<String>,
}

#[derive(Debug, Clone)]
pub enum Responsibility {
    Office(Box<Answer>),
    /// No sourced rule and no imported responsibility: no guess, the tenant's contact instead.
    Unknown {
        place: String,
        contact: Contact,
    },
    ChoosePlace(PlaceChoice),
    ChooseEventPlace(EventPlaceChoice),
}

#[derive(Debug, Clone)]
pub struct Online {
    pub href: String,
    pub level: String,
}

#[derive(Debug, Clone)]
pub struct ServicePage {
    pub name: String,
    pub catalogue_name: Option<String>,
    pub leika: String,
    pub short_text: String,
    pub long_text: Vec<Block>,
    pub fees: Vec<Fee>,
    pub documents: Vec<String>,
    pub deadlines: String,
    pub processing_time: String,
    pub legal_basis: String,
    pub ozg_leistung: String,
    pub lebenslagen: Vec<LinkItem>,
    pub responsibility: Responsibility,
    pub online: Option<Online>,
    pub change_place_href: Option<String>,
    pub favourite: Option<FavouriteForm>,
    pub local: Option<LocalAddition>,
}

/// "Merken" on a service page, only for logged-in citizens.
#[derive(Debug, Clone)]
pub struct FavouriteForm {
    pub leika: String,
    pub saved: bool,
    pub csrf: String,
    pub back: String,
}

#[derive(Debug, Clone)]
pub struct AzPage {
    pub letters: Vec<(String, String, bool)>,
    pub current: String,
    pub items: Vec<LinkItem>,
}

#[derive(Debug, Clone)]
pub struct SearchPage {
    pub query: String,
    pub results: Vec<ServiceCard>,
    pub total: usize,
    pub lebenslagen: Vec<LinkItem>,
    pub message: Option<String>,
    /// "Meinten Sie …?" when nothing was found.
    pub suggestion: Option<LinkItem>,
    pub facets: Vec<Facet>,
    pub online_facet: Option<Facet>,
    pub previous: Option<String>,
    pub next: Option<String>,
    pub page_label: String,
}

#[derive(Debug, Clone)]
pub struct Facet {
    pub label: String,
    pub count: usize,
    pub href: String,
    pub selected: bool,
}

#[derive(Debug, Clone)]
pub enum Block {
    Heading(String),
    Paragraph(String),
    /// HTML the server has already passed through its allow-list
    /// (`richtext::markdown`/`sanitize_pvog`); rendered as it is.
    Html(String),
    List(Vec<String>),
}

#[derive(Debug, Clone)]
pub struct TextPage {
    pub title: String,
    pub blocks: Vec<Block>,
}

#[derive(Debug, Clone)]
pub struct ErrorPage {
    pub status: u16,
    pub title: String,
    pub message: String,
}

/// Splits plain editor text into blocks: blank lines separate paragraphs,
/// "## " starts a heading and "- " a list item.
pub fn blocks(text: &str) -> Vec<Block> {
    let mut out = Vec::new();
    for chunk in text.split("\n\n") {
        let lines: Vec<&str> = chunk
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        let mut para = Vec::new();
        let mut list = Vec::new();
        for line in lines {
            if let Some(h) = line.strip_prefix("## ") {
                flush(&mut out, &mut para, &mut list);
                out.push(Block::Heading(h.to_string()));
            } else if let Some(item) = line.strip_prefix("- ") {
                if !para.is_empty() {
                    out.push(Block::Paragraph(para.join(" ")));
                    para.clear();
                }
                list.push(item.to_string());
            } else {
                if !list.is_empty() {
                    out.push(Block::List(std::mem::take(&mut list)));
                }
                para.push(line.to_string());
            }
        }
        flush(&mut out, &mut para, &mut list);
    }
    out
}

fn flush(out: &mut Vec<Block>, para: &mut Vec<String>, list: &mut Vec<String>) {
    if !para.is_empty() {
        out.push(Block::Paragraph(para.join(" ")));
        para.clear();
    }
    if !list.is_empty() {
        out.push(Block::List(std::mem::take(list)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_becomes_blocks() {
        let b = blocks("## Titel\nErster Satz\nzweiter.\n\n- eins\n- zwei\n\nEnde");
        assert!(matches!(&b[0], Block::Heading(h) if h == "Titel"));
        assert!(matches!(&b[1], Block::Paragraph(p) if p == "Erster Satz zweiter."));
        assert!(matches!(&b[2], Block::List(l) if l.len() == 2));
        assert!(matches!(&b[3], Block::Paragraph(p) if p == "Ende"));
    }
}
