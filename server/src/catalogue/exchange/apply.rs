//! XZuFi operations as catalogue writes. Writes come first, in the order
//! Leistung, Organisationseinheit, Zuständigkeit, Onlinedienst, Spezialisierung
//! (so that references point backwards), then deletions in the reverse order.

use super::rows::{self, as_str, int, text, Change, Row, Table};
use super::{Counts, Finding};
use crate::catalogue::model::Fee;
use crate::catalogue::xzufi::{
    Klasse, Leistung, Message, Object, ObjectId, Onlinedienst, Operation, Organisationseinheit,
    Spezialisierung, TextModule, Zustaendigkeit,
};
use crate::keys::{slugify, Vertrauensniveau};
use crate::richtext::{plain_text, sanitize_pvog};
use serde_json::Value;
use sqlx::{Any, Transaction};

pub(super) struct Writer<'t, 'c> {
    pub tx: &'t mut Transaction<'c, Any>,
    pub changes: Vec<Change>,
    pub counts: Counts,
    pub findings: Vec<Finding>,
    file: String,
}

type Result<T> = std::result::Result<T, sqlx::Error>;

fn rank(op: &Operation) -> (bool, i8) {
    let order = |k: Klasse| match k {
        Klasse::Leistung => 0,
        Klasse::Organisationseinheit => 1,
        Klasse::Zustaendigkeit => 2,
        Klasse::Onlinedienst => 3,
        Klasse::Spezialisierung => 4,
    };
    match op {
        Operation::Schreibe(o) => (false, order(o.klasse())),
        Operation::Loesche { klasse, .. } => (true, -order(*klasse)),
    }
}

fn klasse_name(k: Klasse) -> &'static str {
    match k {
        Klasse::Leistung => "Leistung",
        Klasse::Organisationseinheit => "Organisationseinheit",
        Klasse::Zustaendigkeit => "Zustaendigkeit",
        Klasse::Spezialisierung => "Spezialisierung",
        Klasse::Onlinedienst => "Onlinedienst",
    }
}

fn object_key(k: Klasse, id: &ObjectId) -> Vec<Value> {
    vec![
        text(klasse_name(k)),
        text(id.agency.clone()),
        text(id.value.clone()),
    ]
}

fn shown(id: &ObjectId) -> String {
    format!("{}/{}", id.agency, id.value)
}

fn source_of(id: &ObjectId) -> String {
    format!("xzufi:{}", id.agency)
}

impl<'t, 'c> Writer<'t, 'c> {
    pub fn new(tx: &'t mut Transaction<'c, Any>) -> Self {
        Writer {
            tx,
            changes: Vec::new(),
            counts: Counts::default(),
            findings: Vec::new(),
            file: String::new(),
        }
    }

    pub async fn message(&mut self, file: &str, message: &Message) -> Result<()> {
        self.file = file.to_string();
        let mut operations: Vec<&Operation> = message.operations.iter().collect();
        operations.sort_by_key(|op| rank(op));
        for op in operations {
            match op {
                Operation::Schreibe(object) => self.schreibe(object).await?,
                Operation::Loesche { klasse, id } => self.loesche(*klasse, id).await?,
            }
        }
        Ok(())
    }

    fn not_taken(&mut self, klasse: Klasse, message: String) {
        self.counts.class(klasse).skipped += 1;
        self.findings.push(Finding {
            file: self.file.clone(),
            path: String::new(),
            line: 0,
            message,
        });
    }

    async fn put(&mut self, t: &Table, key: Vec<Value>, after: Option<Row>) -> Result<()> {
        if let Some(change) = rows::put(self.tx, t, &key, after).await? {
            self.changes.push(change);
        }
        Ok(())
    }

    async fn target(&mut self, klasse: Klasse, id: &ObjectId) -> Result<Option<String>> {
        let row = rows::fetch(self.tx, &rows::XZUFI_OBJECTS, &object_key(klasse, id)).await?;
        Ok(row.map(|r| as_str(&r[3]).to_string()))
    }

    async fn remember(
        &mut self,
        klasse: Klasse,
        id: &ObjectId,
        target: &str,
        data: Value,
    ) -> Result<()> {
        let mut row = object_key(klasse, id);
        row.push(text(target));
        row.push(text(data.to_string()));
        self.put(&rows::XZUFI_OBJECTS, object_key(klasse, id), Some(row))
            .await
    }

    async fn schreibe(&mut self, object: &Object) -> Result<()> {
        match object {
            Object::Leistung(l) => self.leistung(l).await,
            Object::Organisationseinheit(o) => self.organisationseinheit(o).await,
            Object::Zustaendigkeit(z) => self.zustaendigkeit(z).await,
            Object::Onlinedienst(o) => self.onlinedienst(o).await,
            Object::Spezialisierung(s) => self.spezialisierung(s).await,
        }
    }

    async fn leistung(&mut self, l: &Leistung) -> Result<()> {
        let Some(leika) = &l.leika else {
            self.not_taken(
                Klasse::Leistung,
                format!(
                    "Leistung {} hat keinen LeiKa-Schlüssel und wird nicht übernommen.",
                    shown(&l.id)
                ),
            );
            return Ok(());
        };
        let key = vec![text(leika.as_str())];
        let before = rows::fetch(self.tx, &rows::LEISTUNGEN, &key).await?;
        let row = leistung_row(l, leika.as_str(), before.as_ref());
        self.put(&rows::LEISTUNGEN, key, Some(row)).await?;
        self.remember(Klasse::Leistung, &l.id, leika.as_str(), Value::Null)
            .await
    }

    async fn leika_of(&mut self, id: &Option<ObjectId>) -> Result<Option<String>> {
        match id {
            Some(id) => self.target(Klasse::Leistung, id).await,
            None => Ok(None),
        }
    }

    async fn organisationseinheit(&mut self, o: &Organisationseinheit) -> Result<()> {
        let oe_id = format!("xzufi:{}:{}", o.id.agency, o.id.value);
        let row = vec![
            text(oe_id.clone()),
            text(o.name.clone().unwrap_or_default()),
            text(o.street.clone().unwrap_or_default()),
            text(o.postcode.clone().unwrap_or_default()),
            text(o.city.clone().unwrap_or_default()),
            text(o.phone.clone().unwrap_or_default()),
            text(o.email.clone().unwrap_or_default()),
            text(serde_json::to_string(&o.opening_hours).unwrap_or_default()),
            text(source_of(&o.id)),
        ];
        self.put(
            &rows::ORGANISATIONSEINHEITEN,
            vec![text(oe_id.clone())],
            Some(row),
        )
        .await?;
        self.remember(Klasse::Organisationseinheit, &o.id, &oe_id, Value::Null)
            .await?;
        for z in &o.zustaendigkeiten {
            let Some(leika) = self.leika_of(&Some(z.leistung.clone())).await? else {
                self.not_taken(
                    Klasse::Zustaendigkeit,
                    format!(
                        "Die Zuständigkeit der Organisationseinheit {} nennt die unbekannte Leistung {}.",
                        shown(&o.id),
                        shown(&z.leistung)
                    ),
                );
                continue;
            };
            self.responsibility(&leika, &z.gebiet, &oe_id, &source_of(&o.id))
                .await?;
        }
        Ok(())
    }

    async fn responsibility(
        &mut self,
        leika: &str,
        gebiet: &str,
        oe_id: &str,
        source: &str,
    ) -> Result<String> {
        let area = area_key(gebiet);
        let key = vec![text(leika), text(area.clone())];
        let row = vec![text(leika), text(area.clone()), text(oe_id), text(source)];
        self.put(&rows::ZUSTAENDIGKEITEN, key, Some(row)).await?;
        Ok(format!("{leika}|{area}"))
    }

    async fn zustaendigkeit(&mut self, z: &Zustaendigkeit) -> Result<()> {
        if let Some(code) = z.rolle_code.as_deref().filter(|c| *c != "01") {
            self.not_taken(
                Klasse::Zustaendigkeit,
                format!(
                    "Zuständigkeit {} hat die Rolle {code}; übernommen wird nur die zuständige Stelle (01).",
                    shown(&z.id)
                ),
            );
            return Ok(());
        }
        let leika = self.leika_of(&z.leistung).await?;
        let oe = match &z.organisationseinheit {
            Some(id) => self.target(Klasse::Organisationseinheit, id).await?,
            None => None,
        };
        let (Some(leika), Some(oe)) = (leika, oe) else {
            self.not_taken(
                Klasse::Zustaendigkeit,
                format!(
                    "Zuständigkeit {} nennt eine unbekannte Leistung oder Organisationseinheit.",
                    shown(&z.id)
                ),
            );
            return Ok(());
        };
        let gebiet = z.gebiet.clone().unwrap_or_default();
        let previous = self.target(Klasse::Zustaendigkeit, &z.id).await?;
        let target = self
            .responsibility(&leika, &gebiet, &oe, &source_of(&z.id))
            .await?;
        if let Some(previous) = previous.filter(|p| *p != target) {
            self.drop_responsibility(&previous).await?;
        }
        self.remember(Klasse::Zustaendigkeit, &z.id, &target, Value::Null)
            .await
    }

    async fn drop_responsibility(&mut self, target: &str) -> Result<()> {
        let (leika, area) = target.split_once('|').unwrap_or((target, ""));
        self.put(&rows::ZUSTAENDIGKEITEN, vec![text(leika), text(area)], None)
            .await
    }

    async fn onlinedienst(&mut self, o: &Onlinedienst) -> Result<()> {
        let regional = o.gebiete.iter().any(|g| !area_key(g).is_empty());
        let link = o
            .links
            .iter()
            .find(|l| l.typ.as_deref() == Some("01"))
            .or_else(|| o.links.first());
        let Some(link) = link.filter(|_| !regional) else {
            self.not_taken(
                Klasse::Onlinedienst,
                format!(
                    "Onlinedienst {} hat keinen http(s)-Link oder gilt nur für einzelne Gebiete; \
                     übernommen werden bundesweite Onlinedienste.",
                    shown(&o.id)
                ),
            );
            return Ok(());
        };
        let mut ids = Vec::new();
        for leistung in &o.leistungen {
            let Some(leika) = self.leika_of(&Some(leistung.clone())).await? else {
                self.not_taken(
                    Klasse::Onlinedienst,
                    format!(
                        "Onlinedienst {} nennt die unbekannte Leistung {}.",
                        shown(&o.id),
                        shown(leistung)
                    ),
                );
                continue;
            };
            let id = format!("xzufi:{}:{}:{leika}", o.id.agency, o.id.value);
            // A real online service replaces the generated ones of the same service.
            for key in rows::keys_where(self.tx, &rows::ONLINEDIENSTE, "leika", &leika).await? {
                let row = rows::fetch(self.tx, &rows::ONLINEDIENSTE, &key).await?;
                if row.is_some_and(|r| !as_str(&r[4]).starts_with("xzufi:")) {
                    self.put(&rows::ONLINEDIENSTE, key, None).await?;
                }
            }
            let row = vec![
                text(id.clone()),
                text(leika),
                text(link.url.clone()),
                text(vertrauensniveau(o.vertrauensniveau.as_deref()).as_str()),
                text(source_of(&o.id)),
            ];
            self.put(&rows::ONLINEDIENSTE, vec![text(id.clone())], Some(row))
                .await?;
            ids.push(id);
        }
        for old in self
            .target(Klasse::Onlinedienst, &o.id)
            .await?
            .unwrap_or_default()
            .split(',')
        {
            if !old.is_empty() && !ids.iter().any(|id| id == old) {
                self.put(&rows::ONLINEDIENSTE, vec![text(old)], None)
                    .await?;
            }
        }
        self.remember(Klasse::Onlinedienst, &o.id, &ids.join(","), Value::Null)
            .await
    }

    async fn spezialisierung(&mut self, s: &Spezialisierung) -> Result<()> {
        let leika = self.leika_of(&s.leistung).await?.unwrap_or_default();
        let texts: Vec<Value> = s
            .texts
            .iter()
            .map(|t| {
                serde_json::json!({
                    "code": t.code, "sprache": t.language, "html": sanitize_pvog(&t.html),
                    "links": t.links.iter().map(|l| serde_json::json!({"uri": l.uri, "titel": l.titel})).collect::<Vec<_>>(),
                })
            })
            .collect();
        let data = serde_json::json!({ "gebiete": s.gebiete, "texte": texts });
        self.remember(Klasse::Spezialisierung, &s.id, &leika, data)
            .await
    }

    async fn loesche(&mut self, klasse: Klasse, id: &ObjectId) -> Result<()> {
        let Some(target) = self.target(klasse, id).await? else {
            self.counts.class(klasse).orphaned += 1;
            return Ok(());
        };
        match klasse {
            Klasse::Leistung => {
                for (t, column) in [
                    (&rows::ZUSTAENDIGKEITEN, "leika"),
                    (&rows::ONLINEDIENSTE, "leika"),
                    (&rows::LEISTUNG_LEBENSLAGEN, "leika"),
                ] {
                    for key in rows::keys_where(self.tx, t, column, &target).await? {
                        self.put(t, key, None).await?;
                    }
                }
                self.put(&rows::LEISTUNGEN, vec![text(target)], None)
                    .await?;
            }
            Klasse::Organisationseinheit => {
                for key in
                    rows::keys_where(self.tx, &rows::ZUSTAENDIGKEITEN, "oe_id", &target).await?
                {
                    self.put(&rows::ZUSTAENDIGKEITEN, key, None).await?;
                }
                self.put(&rows::ORGANISATIONSEINHEITEN, vec![text(target)], None)
                    .await?;
            }
            Klasse::Zustaendigkeit => self.drop_responsibility(&target).await?,
            Klasse::Onlinedienst => {
                for old in target.split(',').filter(|o| !o.is_empty()) {
                    self.put(&rows::ONLINEDIENSTE, vec![text(old)], None)
                        .await?;
                }
            }
            Klasse::Spezialisierung => {}
        }
        self.put(&rows::XZUFI_OBJECTS, object_key(klasse, id), None)
            .await
    }
}

/// `000000000000` and the empty area are the federation.
fn area_key(gebiet: &str) -> String {
    if gebiet.bytes().all(|b| b == b'0') {
        String::new()
    } else {
        gebiet.to_string()
    }
}

/// XZuFi gives the trust level as a code whose list we do not have; the
/// portal's own names are taken, anything else asks the least.
fn vertrauensniveau(code: Option<&str>) -> Vertrauensniveau {
    code.and_then(|c| Vertrauensniveau::parse(c).ok())
        .unwrap_or(Vertrauensniveau::Basisregistrierung)
}

fn module<'a>(l: &'a Leistung, codes: &[&str]) -> Option<&'a TextModule> {
    codes.iter().find_map(|code| {
        l.texts
            .iter()
            .filter(|t| t.code == *code && (!t.html.is_empty() || !t.links.is_empty()))
            .min_by_key(|t| t.language != "de")
    })
}

fn german(texts: &[crate::catalogue::xzufi::Localized]) -> String {
    texts
        .iter()
        .min_by_key(|t| t.language != "de")
        .map(|t| plain_text(&t.text))
        .unwrap_or_default()
}

/// HTML as the text format of service pages: paragraphs apart by a blank line,
/// `- ` list items, `## ` headings.
fn html_to_blocks(html: &str) -> String {
    let clean = sanitize_pvog(html);
    let mut out = String::new();
    let mut rest = clean.as_str();
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        let Some(end) = rest[start..].find('>') else {
            break;
        };
        let tag = &rest[start + 1..start + end];
        let closing = tag.starts_with('/');
        let name = tag
            .trim_start_matches('/')
            .split(|c: char| c.is_whitespace() || c == '/')
            .next()
            .unwrap_or("");
        out.push_str(match (name, closing) {
            ("li", false) => "\n- ",
            ("br", _) => "\n",
            ("p" | "ul" | "ol", _) => "\n\n",
            ("h1" | "h2" | "h3" | "h4" | "h5" | "h6", false) => "\n\n## ",
            ("h1" | "h2" | "h3" | "h4" | "h5" | "h6", true) => "\n\n",
            _ => "",
        });
        rest = &rest[start + end + 1..];
    }
    out.push_str(rest);
    let mut text = String::new();
    let mut blank = true;
    for line in out.lines() {
        let (prefix, body) = match line.trim().strip_prefix("- ") {
            Some(item) => ("- ", item),
            None => match line.trim().strip_prefix("## ") {
                Some(h) => ("## ", h),
                None => ("", line),
            },
        };
        let body = plain_text(body);
        if body.is_empty() {
            if !blank && !text.is_empty() {
                text.push('\n');
                blank = true;
            }
            continue;
        }
        text.push_str(prefix);
        text.push_str(&body);
        text.push('\n');
        blank = false;
    }
    text.trim().to_string()
}

fn items(html: &str) -> Vec<String> {
    let blocks = html_to_blocks(html);
    let listed: Vec<String> = blocks
        .lines()
        .filter_map(|l| l.strip_prefix("- "))
        .map(str::to_string)
        .collect();
    if listed.is_empty() {
        blocks
            .split("\n\n")
            .map(|p| p.trim().to_string())
            .filter(|p| !p.is_empty())
            .collect()
    } else {
        listed
    }
}

fn with_links(t: &TextModule) -> String {
    let mut parts = vec![html_to_blocks(&t.html)];
    parts.extend(t.links.iter().map(|l| l.titel.trim().to_string()));
    parts.retain(|p| !p.is_empty());
    parts.join("\n\n")
}

/// The service as the XZuFi Leistung describes it; what it does not say
/// (OZG assignment, Lebenslagen, slug) stays as it was.
fn leistung_row(l: &Leistung, leika: &str, before: Option<&Row>) -> Row {
    let old = |i: usize| before.map(|r| r[i].clone());
    let name = l
        .name
        .as_deref()
        .map(plain_text)
        .filter(|n| !n.is_empty())
        .or_else(|| old(1).map(|v| as_str(&v).to_string()))
        .unwrap_or_else(|| leika.to_string());
    let catalogue_name = module(l, &["02"])
        .map(|t| plain_text(&t.html))
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| name.clone());
    let fees: Vec<Fee> = l
        .kosten
        .iter()
        .filter(|k| k.language == "de")
        .map(|k| Fee {
            label: plain_text(&k.text),
            amount: String::new(),
        })
        .filter(|f| !f.label.is_empty())
        .collect();
    let documents = module(l, &["08"])
        .map(|t| items(&t.html))
        .unwrap_or_default();
    let long_text = ["06", "09", "11", "16"]
        .iter()
        .filter_map(|code| module(l, &[code]))
        .map(|t| html_to_blocks(&t.html))
        .filter(|t| !t.is_empty())
        .collect::<Vec<_>>()
        .join("\n\n");
    vec![
        text(leika),
        text(name.clone()),
        text(catalogue_name),
        old(3).unwrap_or_else(|| text(slugify(&name))),
        old(4).unwrap_or_else(|| int(None)),
        old(5).unwrap_or_else(|| text("")),
        old(6).unwrap_or_else(|| text(l.typisierung.first().cloned().unwrap_or_default())),
        text(module(l, &["07"]).map(with_links).unwrap_or_default()),
        text(
            module(l, &["24", "05"])
                .map(|t| plain_text(&t.html))
                .unwrap_or_default(),
        ),
        text(long_text),
        text(serde_json::to_string(&fees).unwrap_or_default()),
        text(serde_json::to_string(&documents).unwrap_or_default()),
        text(german(&l.frist)),
        text(german(&l.bearbeitungsdauer)),
        text(serde_json::to_string(&l.begriffe_im_kontext).unwrap_or_default()),
        text(source_of(&l.id)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_becomes_the_text_format_of_service_pages() {
        let html = "<h2>Ablauf</h2><p>Erst &amp; dann</p><ul><li>eins</li><li><b>zwei</b></li></ul><script>x</script>";
        assert_eq!(
            html_to_blocks(html),
            "## Ablauf\n\nErst & dann\n\n- eins\n- zwei"
        );
        assert_eq!(
            items("<ul><li>Pass</li><li>Foto</li></ul>"),
            ["Pass", "Foto"]
        );
        assert_eq!(items("<p>Nur ein Satz.</p>"), ["Nur ein Satz."]);
    }

    #[test]
    fn the_federation_has_the_empty_area() {
        assert_eq!(area_key("000000000000"), "");
        assert_eq!(area_key(""), "");
        assert_eq!(area_key("010020000000"), "010020000000");
        assert_eq!(area_key("01054"), "01054");
    }
}
