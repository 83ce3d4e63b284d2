//! The citizen pages of the Bürgerportal as Leptos components, rendered to
//! complete HTML on the server. No hydration and no script: every interaction
//! is a link or a form, so pages work without JavaScript and can be cached.
#![recursion_limit = "256"]

mod account;
pub mod account_model;
mod editor;
pub mod editor_model;
mod layout;
pub mod model;
mod pages;

pub use account_model::*;
pub use editor_model::*;
use leptos::prelude::*;
pub use model::*;

/// One renderable page of the portal.
pub enum Page {
    Start(StartPage),
    LebenslagenIndex(LebenslagenIndex),
    Lebenslage(LebenslagePage),
    Service(Box<ServicePage>),
    Az(AzPage),
    Search(Box<SearchPage>),
    Text(TextPage),
    Error(ErrorPage),
    Account(AccountPage),
    Postfach(PostfachPage),
    Message(MessagePage),
    Notice(NoticePage),
    Consent(ConsentPage),
    Handoff(HandoffPage),
    Applications(ApplicationsPage),
    NotOffered(NotOfferedPage),
    LocalService(Box<LocalServicePage>),
    EditorDashboard(DashboardPage),
    EditorEdit(Box<EditPage>),
    EditorList(ListPage),
    EditorHistory(HistoryPage),
    EditorAudit(AuditPage),
    EditorInsight(InsightPage),
}

/// The header's account area alone, byte for byte as `render` writes it into
/// a page: the server swaps it into a cached anonymous page.
pub fn account_nav_html(account: &AccountNav) -> String {
    fragment(|| layout::account_nav(account))
}

/// A service page's Merken form alone, byte for byte as `render` writes it.
pub fn favourite_form_html(f: FavouriteForm) -> String {
    fragment(|| pages::favourite_form(f))
}

/// The service page's Merken form stands right before this text.
pub const FAVOURITE_FORM_BEFORE: &str = pages::RESPONSIBILITY_START;

fn fragment<V: IntoView>(view: impl FnOnce() -> V) -> String {
    Owner::new().with(|| without_markers("", &view().to_html()))
}

/// `prefix` and the HTML without the comments Leptos marks dynamic boundaries
/// with (a static page needs none), in one allocation. This runs over every
/// page rendered: memchr's vectorised search and one copy instead of
/// `str::replace` and a `format!` (2 % of the search page's CPU under load).
fn without_markers(prefix: &str, html: &str) -> String {
    const MARKER: &[u8] = b"<!>";
    let mut out = String::with_capacity(prefix.len() + html.len());
    out.push_str(prefix);
    let mut kept = 0;
    for at in memchr::memmem::find_iter(html.as_bytes(), MARKER) {
        out.push_str(&html[kept..at]);
        kept = at + MARKER.len();
    }
    out.push_str(&html[kept..]);
    out
}

/// Renders a complete HTML document.
pub fn render(shell: &Shell, title: &str, crumbs: Vec<Crumb>, page: Page) -> String {
    let owner = Owner::new();
    owner.with(|| {
        let body = match page {
            Page::Start(p) => pages::start(shell, p).into_any(),
            Page::LebenslagenIndex(p) => pages::lebenslagen_index(p).into_any(),
            Page::Lebenslage(p) => pages::lebenslage(p).into_any(),
            Page::Service(p) => pages::service(*p).into_any(),
            Page::Az(p) => pages::az(p).into_any(),
            Page::Search(p) => pages::search(shell, *p).into_any(),
            Page::Text(p) => pages::text(p).into_any(),
            Page::Error(p) => pages::error(p).into_any(),
            Page::Account(p) => account::account(p).into_any(),
            Page::Postfach(p) => account::postfach(p).into_any(),
            Page::Message(p) => account::message(p).into_any(),
            Page::Notice(p) => account::notice(p).into_any(),
            Page::Consent(p) => account::consent(p).into_any(),
            Page::Handoff(p) => account::handoff(p).into_any(),
            Page::Applications(p) => account::applications(p).into_any(),
            Page::NotOffered(p) => pages::not_offered(p).into_any(),
            Page::LocalService(p) => pages::local_service(*p).into_any(),
            Page::EditorDashboard(p) => editor::dashboard(p).into_any(),
            Page::EditorEdit(p) => editor::edit(*p).into_any(),
            Page::EditorList(p) => editor::list(p).into_any(),
            Page::EditorHistory(p) => editor::history(p).into_any(),
            Page::EditorAudit(p) => editor::audit(p).into_any(),
            Page::EditorInsight(p) => editor::insight(p).into_any(),
        };
        let html = layout::document(shell, title, crumbs, body).to_html();
        without_markers("<!DOCTYPE html>", &html)
    })
}

#[cfg(test)]
mod tests {
    use super::without_markers;

    #[test]
    fn markers_go_and_everything_else_stays() {
        for html in [
            "",
            "<!>",
            "<p>a<!>b</p><!>",
            "<!><!><!>",
            "a<!<!>>b",
            "<!-- kein Marker --><!DOCTYPE>",
            "ä<!>ö<!>ü",
        ] {
            assert_eq!(
                without_markers("<!DOCTYPE html>", html),
                format!("<!DOCTYPE html>{}", html.replace("<!>", "")),
                "{html}"
            );
        }
    }
}
