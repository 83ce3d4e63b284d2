//! View models of the editors' area (`/redaktion`). Plain data: the server
//! fills them, the components in `editor.rs` render them. Every change is a
//! POST form with the editor session's CSRF token.

use crate::model::LinkItem;

/// The navigation of a back-office area (editors, operators): its entries,
/// which one is current, who is signed in, and where to sign out.
#[derive(Debug, Clone, Default)]
pub struct EditorNav {
    pub label: String,
    pub items: Vec<(String, String)>,
    pub current: String,
    pub editor_name: String,
    pub csrf: String,
    pub logout: String,
}

#[derive(Debug, Clone)]
pub enum FieldKind {
    Text,
    Textarea { rows: u32 },
    Color,
    Date,
    Checkbox { checked: bool },
    Select { options: Vec<(String, String)> },
    File { accept: String },
}

/// One labelled form field, with its value (what was typed, when refused) and error.
#[derive(Debug, Clone)]
pub struct Field {
    pub name: String,
    pub label: String,
    pub hint: String,
    pub kind: FieldKind,
    pub value: String,
    pub error: Option<String>,
}

impl Field {
    pub fn new(name: &str, label: &str, kind: FieldKind, value: impl Into<String>) -> Field {
        Field {
            name: name.into(),
            label: label.into(),
            hint: String::new(),
            kind,
            value: value.into(),
            error: None,
        }
    }

    pub fn hint(mut self, hint: &str) -> Field {
        self.hint = hint.into();
        self
    }
}

#[derive(Debug, Clone, Default)]
pub struct FormView {
    pub action: String,
    pub csrf: String,
    /// The draft revision the form was read at; a save names it (conflicts).
    pub rev: Option<i64>,
    pub fields: Vec<Field>,
    pub submit: String,
    pub multipart: bool,
    /// Hidden values besides csrf and rev.
    pub hidden: Vec<(String, String)>,
}

/// A button that posts (publish, discard, restore, …).
#[derive(Debug, Clone)]
pub struct ActionButton {
    pub action: String,
    pub label: String,
    pub csrf: String,
    pub hidden: Vec<(String, String)>,
    pub primary: bool,
}

/// Someone else saved the same item since the form was opened: their version
/// is shown, and the form keeps what this editor typed.
#[derive(Debug, Clone)]
pub struct Conflict {
    pub by: String,
    pub theirs: Vec<(String, String)>,
}

#[derive(Debug, Clone)]
pub struct EditPage {
    pub nav: EditorNav,
    pub title: String,
    pub intro: String,
    /// "Veröffentlicht: Fassung 3" / "Entwurf von … (noch nicht veröffentlicht)".
    pub status: Vec<String>,
    /// Errors of the last save, each linking to its field.
    pub errors: Vec<(String, String)>,
    pub notice: Option<String>,
    pub conflict: Option<Conflict>,
    pub form: FormView,
    pub extra_forms: Vec<(String, FormView)>,
    pub actions: Vec<ActionButton>,
    pub links: Vec<LinkItem>,
}

#[derive(Debug, Clone)]
pub struct ListRow {
    pub href: String,
    pub label: String,
    pub status: String,
    pub actions: Vec<ActionButton>,
}

#[derive(Debug, Clone)]
pub struct ListSection {
    pub title: String,
    pub empty: String,
    pub rows: Vec<ListRow>,
}

#[derive(Debug, Clone)]
pub struct ListPage {
    pub nav: EditorNav,
    pub title: String,
    pub intro: String,
    pub notice: Option<String>,
    pub errors: Vec<(String, String)>,
    pub links: Vec<LinkItem>,
    pub forms: Vec<(String, FormView)>,
    pub sections: Vec<ListSection>,
}

#[derive(Debug, Clone)]
pub struct VersionView {
    pub version: i64,
    pub author: String,
    pub at: String,
    /// (field, old value, new value) against the version before.
    pub changes: Vec<(String, String, String)>,
    pub restore: Option<ActionButton>,
}

#[derive(Debug, Clone)]
pub struct HistoryPage {
    pub nav: EditorNav,
    pub title: String,
    pub back: LinkItem,
    pub versions: Vec<VersionView>,
}

#[derive(Debug, Clone)]
pub struct AuditRow {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub what: String,
    pub old: String,
    pub new: String,
}

#[derive(Debug, Clone)]
pub struct AuditPage {
    pub nav: EditorNav,
    pub rows: Vec<AuditRow>,
}

#[derive(Debug, Clone)]
pub struct DashboardPage {
    pub nav: EditorNav,
    pub role: String,
    pub drafts: Vec<ListRow>,
    pub review: Vec<ListRow>,
    pub misses: Vec<(String, i64)>,
    pub views: Vec<(String, i64)>,
    pub insight: CountsTable,
}

/// Counts per day (rows) and kind (columns), as an accessible table.
#[derive(Debug, Clone)]
pub struct CountsTable {
    pub caption: String,
    pub columns: Vec<String>,
    pub rows: Vec<(String, Vec<u64>)>,
    pub empty: String,
}

#[derive(Debug, Clone)]
pub struct InsightPage {
    pub nav: EditorNav,
    pub title: String,
    pub intro: String,
    pub table: CountsTable,
    pub links: Vec<crate::model::LinkItem>,
}
