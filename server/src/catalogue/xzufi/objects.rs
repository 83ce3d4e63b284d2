//! The XZuFi objects, one recursive-descent function per element type.
//! Elements the note on XZuFi 2.2 names but the portal does not need are
//! skipped; all others are recorded as unknown.

use super::pull::{Element, Ns, Pull, Result};
use super::*;

pub(super) fn check_root<R: BufRead>(p: &Pull<R>, root: &Element) -> Result<String> {
    if root.ns != Ns::Xzufi {
        let found = match &root.ns {
            Ns::Foreign(uri) => uri.clone(),
            Ns::Xzufi | Ns::None => String::new(),
        };
        return Err(XzufiError::WrongNamespace {
            file: p.file().to_string(),
            line: root.line,
            element: root.name.clone(),
            found,
        });
    }
    let version = root.attr("xzufiVersion").unwrap_or_default().trim();
    if version != "2.2.0" && version != "2.2" {
        return Err(XzufiError::WrongVersion {
            file: p.file().to_string(),
            line: root.line,
            found: version.to_string(),
        });
    }
    Ok(version.to_string())
}

/// The operations under the root element.
pub(super) fn operations<R: BufRead>(p: &mut Pull<R>) -> Result<Vec<Operation>> {
    let mut operations = Vec::new();
    while let Some(element) = p.child()? {
        match element.name.as_str() {
            "schreibe" => schreibe(p, &mut operations)?,
            "loesche" => loesche(p, &element, &mut operations)?,
            "nachrichtenkopf" | "transaktionID" | "transaktionPosition" => p.skip()?,
            _ => p.unknown(&element)?,
        }
    }
    Ok(operations)
}

fn push<R: BufRead>(
    p: &Pull<R>,
    operations: &mut Vec<Operation>,
    operation: Operation,
    line: u64,
) -> Result<()> {
    let max_objects = p.limits().max_objects;
    if operations.len() >= max_objects {
        return Err(XzufiError::TooManyObjects {
            file: p.file().to_string(),
            line,
            max_objects,
        });
    }
    operations.push(operation);
    Ok(())
}

fn schreibe<R: BufRead>(p: &mut Pull<R>, operations: &mut Vec<Operation>) -> Result<()> {
    while let Some(element) = p.child()? {
        let objects = match element.name.as_str() {
            "leistung" => vec![Object::Leistung(leistung(p, &element)?)],
            "organisationseinheit" => {
                vec![Object::Organisationseinheit(organisationseinheit(
                    p, &element,
                )?)]
            }
            "zustaendigkeitTransferObjekt" => zustaendigkeiten(p, &element)?
                .into_iter()
                .map(Object::Zustaendigkeit)
                .collect(),
            "spezialisierung" => vec![Object::Spezialisierung(spezialisierung(p, &element)?)],
            "onlinedienst" => vec![Object::Onlinedienst(onlinedienst(p, &element)?)],
            _ => {
                p.unknown(&element)?;
                continue;
            }
        };
        for object in objects {
            push(
                p,
                operations,
                Operation::Schreibe(Box::new(object)),
                element.line,
            )?;
        }
    }
    Ok(())
}

/// One deletion per `id`: a `loesche` naming several objects deletes them all.
fn loesche<R: BufRead>(
    p: &mut Pull<R>,
    element: &Element,
    operations: &mut Vec<Operation>,
) -> Result<()> {
    let raw = element.attr("klasse").unwrap_or_default().trim();
    let klasse = Klasse::parse(raw).ok_or_else(|| XzufiError::UnknownKlasse {
        file: p.file().to_string(),
        line: element.line,
        klasse: raw.to_string(),
    })?;
    let mut deleted = false;
    while let Some(child) = p.child()? {
        match child.name.as_str() {
            "id" => {
                let id = object_id(p, &child)?;
                let id = required_id(p, Some(id), element)?;
                push(p, operations, Operation::Loesche { klasse, id }, child.line)?;
                deleted = true;
            }
            _ => p.unknown(&child)?,
        }
    }
    if !deleted {
        return Err(missing_id(p, element));
    }
    Ok(())
}

fn leistung<R: BufRead>(p: &mut Pull<R>, element: &Element) -> Result<Leistung> {
    let mut id = None;
    let mut leika = None;
    let mut texts = Vec::new();
    let mut kosten = Vec::new();
    let mut frist = Vec::new();
    let mut bearbeitungsdauer = Vec::new();
    let mut begriffe_im_kontext = Vec::new();
    let mut typisierung = Vec::new();
    let mut kategorien = Vec::new();
    let mut gueltigkeit_gebiete = Vec::new();
    let mut geaendert = None;
    while let Some(child) = p.child()? {
        match child.name.as_str() {
            "id" => id = Some(object_id(p, &child)?),
            "referenzLeiKa" => {
                let key = leika_key(p, &child)?;
                if leika.is_none() {
                    leika = key;
                } else if let Some(key) = key {
                    p.problem(
                        child.line,
                        format!("weiterer LeiKa-Schlüssel {key} nicht übernommen"),
                    );
                }
            }
            "modulText" => texts.extend(text_module(p)?),
            "modulKosten" => kosten.extend(beschreibungen(p)?),
            "modulFrist" => frist.extend(beschreibungen(p)?),
            "modulBearbeitungsdauer" => bearbeitungsdauer.extend(beschreibungen(p)?),
            "modulBegriffImKontext" => begriffe_im_kontext.extend(begriffe(p)?),
            "typisierung" => typisierung.extend(code(p)?.code),
            "kategorie" => kategorien.push(kategorie(p)?),
            "gueltigkeitGebietID" => gueltigkeit_gebiete.push(gebiet(p, &child)?),
            "versionsinformation" => geaendert = versionsinformation(p)?.or(geaendert),
            "struktur"
            | "modulFachlicheFreigabe"
            | "modulUrsprungsportal"
            | "informationsbereichSDG"
            | "kennzeichenSchriftformerfordernis"
            | "kennzeichenEA"
            | "sprachversion" => p.skip()?,
            _ => p.unknown(&child)?,
        }
    }
    Ok(Leistung {
        id: required_id(p, id, element)?,
        leika,
        name: leistung_name(&texts),
        texts,
        kosten,
        frist,
        bearbeitungsdauer,
        begriffe_im_kontext,
        typisierung,
        kategorien,
        gueltigkeit_gebiete,
        geaendert,
    })
}

fn leistung_name(texts: &[TextModule]) -> Option<String> {
    let find = |code: &str, german: bool| {
        texts
            .iter()
            .find(|t| t.code == code && !t.html.is_empty() && (!german || t.language == "de"))
            .map(|t| t.html.clone())
    };
    find("03", true)
        .or_else(|| find("03", false))
        .or_else(|| find("02", true))
        .or_else(|| find("02", false))
}

fn leika_key<R: BufRead>(p: &mut Pull<R>, element: &Element) -> Result<Option<LeikaKey>> {
    let code = code(p)?;
    let Some(value) = code.code else {
        return Ok(None);
    };
    LeikaKey::parse(&value)
        .map(Some)
        .map_err(|e| XzufiError::InvalidLeika {
            file: p.file().to_string(),
            line: code.line.unwrap_or(element.line),
            value,
            reason: e.reason.to_string(),
        })
}

/// One text module per `inhalt` (language); links go with the text in their
/// language, or with every text when they name none.
fn text_module<R: BufRead>(p: &mut Pull<R>) -> Result<Vec<TextModule>> {
    let mut code = String::new();
    let mut contents = Vec::new();
    let mut links: Vec<(Option<String>, Link)> = Vec::new();
    while let Some(child) = p.child()? {
        match child.name.as_str() {
            "leikaTextmodul" => code = self::code(p)?.code.unwrap_or_default(),
            "inhalt" => contents.push(localized(p, &child)?),
            "weiterfuehrenderLink" => links.push(link(p, &child)?),
            "positionDarstellung" => p.skip()?,
            _ => p.unknown(&child)?,
        }
    }
    if contents.is_empty() && !links.is_empty() {
        let language = links[0].0.clone().unwrap_or_else(|| "de".to_string());
        contents.push(Localized {
            language,
            text: String::new(),
        });
    }
    Ok(contents
        .into_iter()
        .map(|content| TextModule {
            code: code.clone(),
            links: links
                .iter()
                .filter(|(language, _)| language.as_ref().is_none_or(|l| *l == content.language))
                .map(|(_, link)| link.clone())
                .collect(),
            language: content.language,
            html: content.text,
        })
        .collect())
}

fn link<R: BufRead>(p: &mut Pull<R>, element: &Element) -> Result<(Option<String>, Link)> {
    let language = language_of(element);
    let mut link = Link {
        uri: String::new(),
        titel: String::new(),
    };
    while let Some(child) = p.child()? {
        match child.name.as_str() {
            "uri" => link.uri = p.text()?,
            "titel" => link.titel = p.text()?,
            "beschreibung" | "positionDarstellung" => p.skip()?,
            _ => p.unknown(&child)?,
        }
    }
    Ok((language, link))
}

fn beschreibungen<R: BufRead>(p: &mut Pull<R>) -> Result<Vec<Localized>> {
    let mut texts = Vec::new();
    while let Some(child) = p.child()? {
        match child.name.as_str() {
            "beschreibung" => texts.push(localized(p, &child)?),
            "positionDarstellung" => p.skip()?,
            _ => p.unknown(&child)?,
        }
    }
    Ok(texts)
}

fn begriffe<R: BufRead>(p: &mut Pull<R>) -> Result<Vec<String>> {
    let mut begriffe = Vec::new();
    while let Some(child) = p.child()? {
        match child.name.as_str() {
            "begriffImKontext" => {
                while let Some(part) = p.child()? {
                    match part.name.as_str() {
                        "begriff" => begriffe.push(p.text()?),
                        "typ" => p.skip()?,
                        _ => p.unknown(&part)?,
                    }
                }
            }
            "positionDarstellung" => p.skip()?,
            _ => p.unknown(&child)?,
        }
    }
    begriffe.retain(|b| !b.is_empty());
    Ok(begriffe)
}

fn kategorie<R: BufRead>(p: &mut Pull<R>) -> Result<Kategorie> {
    let mut klasse = String::new();
    let mut id = String::new();
    let mut bezeichnungen = Vec::new();
    while let Some(child) = p.child()? {
        match child.name.as_str() {
            "klasse" => {
                while let Some(part) = p.child()? {
                    match part.name.as_str() {
                        "id" => klasse = p.text()?,
                        "bezeichnung" | "beschreibung" => p.skip()?,
                        _ => p.unknown(&part)?,
                    }
                }
            }
            "id" => id = p.text()?,
            "bezeichnung" => bezeichnungen.push(localized(p, &child)?),
            "uebergeordneteKategorieID" | "beschreibung" => p.skip()?,
            _ => p.unknown(&child)?,
        }
    }
    Ok(Kategorie {
        klasse,
        id,
        bezeichnung: german(bezeichnungen).unwrap_or_default(),
    })
}

fn versionsinformation<R: BufRead>(p: &mut Pull<R>) -> Result<Option<String>> {
    let mut geaendert = None;
    while let Some(child) = p.child()? {
        match child.name.as_str() {
            "geaendertDatumZeit" => geaendert = non_empty(p.text()?),
            _ => p.unknown(&child)?,
        }
    }
    Ok(geaendert)
}

fn organisationseinheit<R: BufRead>(
    p: &mut Pull<R>,
    element: &Element,
) -> Result<Organisationseinheit> {
    let mut id = None;
    let mut names = Vec::new();
    let mut address: Option<Address> = None;
    let mut contact = Contact::default();
    let mut opening_hours = Vec::new();
    let mut zustaendigkeiten = Vec::new();
    while let Some(child) = p.child()? {
        match child.name.as_str() {
            "id" => id = Some(object_id(p, &child)?),
            "name" => {
                while let Some(part) = p.child()? {
                    match part.name.as_str() {
                        "name" => names.push(localized(p, &part)?),
                        _ => p.unknown(&part)?,
                    }
                }
            }
            "anschrift" if address.is_some() => {
                p.problem(child.line, "weitere Anschrift nicht übernommen");
                p.skip()?;
            }
            "anschrift" => address = Some(anschrift(p)?),
            "kommunikation" => kommunikation(p, &mut contact)?,
            "oeffnungszeiten" => opening_hours.extend(non_empty(p.text()?)),
            "zustaendigkeit" => zustaendigkeiten.extend(zuordnungen(p, &child)?),
            _ => p.unknown(&child)?,
        }
    }
    let address = address.unwrap_or_default();
    Ok(Organisationseinheit {
        id: required_id(p, id, element)?,
        name: german(names),
        street: address.street,
        postcode: address.postcode,
        city: address.city,
        ars: address.ars,
        phone: contact.phone,
        email: contact.email,
        web: contact.web,
        opening_hours,
        zustaendigkeiten,
    })
}

#[derive(Default)]
struct Address {
    street: Option<String>,
    postcode: Option<String>,
    city: Option<String>,
    ars: Option<String>,
}

fn anschrift<R: BufRead>(p: &mut Pull<R>) -> Result<Address> {
    let mut address = Address::default();
    let mut strasse = String::new();
    let mut hausnummer = String::new();
    while let Some(child) = p.child()? {
        match child.name.as_str() {
            "strasse" => strasse = p.text()?,
            "hausnummer" => hausnummer = p.text()?,
            "postleitzahl" => address.postcode = non_empty(p.text()?),
            "ort" => address.city = non_empty(p.text()?),
            "verwaltungspolitischeKodierung" => {
                while let Some(part) = p.child()? {
                    match part.name.as_str() {
                        "regionalschluessel" => {
                            let code = code(p)?;
                            if let Some(value) = code.code {
                                let line = code.line.unwrap_or(part.line);
                                address.ars = non_empty(ars(p, &value, line)?);
                            }
                        }
                        "bundesland" | "gemeindeschluessel" => p.skip()?,
                        _ => p.unknown(&part)?,
                    }
                }
            }
            _ => p.unknown(&child)?,
        }
    }
    address.street = non_empty(format!("{strasse} {hausnummer}").trim().to_string());
    Ok(address)
}

#[derive(Default)]
struct Contact {
    phone: Option<String>,
    email: Option<String>,
    web: Option<String>,
}

/// XÖV `Kommunikation`: `kanal` from `urn:de:xoev:codeliste:erreichbarkeit`
/// (01 E-Mail, 02 Telefon, 03 Mobiltelefon, 09 Web; the others are not
/// shown by the portal) and the address itself in `kennung`.
fn kommunikation<R: BufRead>(p: &mut Pull<R>, contact: &mut Contact) -> Result<()> {
    let mut kanal = None;
    let mut kennung = None;
    while let Some(child) = p.child()? {
        match child.name.as_str() {
            "kanal" => kanal = code(p)?.code,
            "kennung" => kennung = non_empty(p.text()?),
            "zusatz" => p.skip()?,
            _ => p.unknown(&child)?,
        }
    }
    let slot = match kanal.as_deref() {
        Some("01") => &mut contact.email,
        Some("02" | "03") => &mut contact.phone,
        Some("09") => &mut contact.web,
        _ => return Ok(()),
    };
    if slot.is_none() {
        *slot = kennung;
    }
    Ok(())
}

/// An inline `zustaendigkeit` of an Organisationseinheit: one Leistung, many areas.
fn zuordnungen<R: BufRead>(p: &mut Pull<R>, element: &Element) -> Result<Vec<Zuordnung>> {
    let mut leistung = None;
    let mut gebiete = Vec::new();
    while let Some(child) = p.child()? {
        match child.name.as_str() {
            "leistungID" => leistung = Some(object_id(p, &child)?),
            "gebietID" => gebiete.push(gebiet(p, &child)?),
            "id" | "rolle" => p.skip()?,
            _ => p.unknown(&child)?,
        }
    }
    let leistung = leistung.filter(|id| !id.value.is_empty());
    match leistung {
        Some(leistung) if !gebiete.is_empty() => Ok(gebiete
            .into_iter()
            .map(|gebiet| Zuordnung {
                leistung: leistung.clone(),
                gebiet,
            })
            .collect()),
        _ => {
            p.problem(
                element.line,
                "Zuständigkeit ohne Leistung oder Gebiet nicht übernommen",
            );
            Ok(Vec::new())
        }
    }
}

/// A `zustaendigkeitTransferObjekt`; each `zustaendigkeit` in it is one object.
fn zustaendigkeiten<R: BufRead>(p: &mut Pull<R>, element: &Element) -> Result<Vec<Zustaendigkeit>> {
    let mut parent = None;
    let mut parts = Vec::new();
    while let Some(child) = p.child()? {
        match child.name.as_str() {
            "uebergeordnetesObjektID" => parent = Some(object_id(p, &child)?),
            "zustaendigkeit" => parts.push(zustaendigkeit(p, &child)?),
            _ => p.unknown(&child)?,
        }
    }
    if parts.is_empty() {
        return Err(missing_id(p, element));
    }
    Ok(parts
        .into_iter()
        .map(|mut z| {
            z.organisationseinheit = parent.clone();
            z
        })
        .collect())
}

fn zustaendigkeit<R: BufRead>(p: &mut Pull<R>, element: &Element) -> Result<Zustaendigkeit> {
    let mut id = None;
    let mut leistung = None;
    let mut gebiet = None;
    let mut rolle = Code::default();
    while let Some(child) = p.child()? {
        match child.name.as_str() {
            "id" => id = Some(object_id(p, &child)?),
            "leistungID" => leistung = Some(object_id(p, &child)?),
            "gebietID" if gebiet.is_some() => {
                let extra = self::gebiet(p, &child)?;
                p.problem(
                    child.line,
                    format!("weiteres Gebiet „{extra}“ nicht übernommen"),
                );
            }
            "gebietID" => gebiet = Some(self::gebiet(p, &child)?),
            "rolle" => rolle = code(p)?,
            _ => p.unknown(&child)?,
        }
    }
    Ok(Zustaendigkeit {
        id: required_id(p, id, element)?,
        organisationseinheit: None,
        leistung,
        gebiet,
        rolle_code: rolle.code,
        rolle_name: rolle.name,
    })
}

fn spezialisierung<R: BufRead>(p: &mut Pull<R>, element: &Element) -> Result<Spezialisierung> {
    let mut id = None;
    let mut leistung = None;
    let mut gebiete = Vec::new();
    let mut texts = Vec::new();
    while let Some(child) = p.child()? {
        match child.name.as_str() {
            "id" => id = Some(object_id(p, &child)?),
            "leistungID" => leistung = Some(object_id(p, &child)?),
            "gebietID" => gebiete.push(gebiet(p, &child)?),
            "modulText" => texts.extend(text_module(p)?),
            _ => p.unknown(&child)?,
        }
    }
    Ok(Spezialisierung {
        id: required_id(p, id, element)?,
        leistung,
        gebiete,
        texts,
    })
}

fn onlinedienst<R: BufRead>(p: &mut Pull<R>, element: &Element) -> Result<Onlinedienst> {
    let mut id = None;
    let mut bezeichnungen = Vec::new();
    let mut links = Vec::new();
    let mut vertrauensniveau = None;
    let mut leistungen = Vec::new();
    let mut gebiete = Vec::new();
    while let Some(child) = p.child()? {
        match child.name.as_str() {
            "id" => id = Some(object_id(p, &child)?),
            "bezeichnung" => bezeichnungen.push(localized(p, &child)?),
            "link" => links.extend(onlinedienst_link(p, &child)?),
            "vertrauensniveau" => vertrauensniveau = code(p)?.code,
            "leistungID" => leistungen.push(object_id(p, &child)?),
            "gebietID" => gebiete.push(gebiet(p, &child)?),
            "zustaendigkeit" => {
                while let Some(part) = p.child()? {
                    match part.name.as_str() {
                        "leistungID" => leistungen.push(object_id(p, &part)?),
                        "gebietID" => gebiete.push(gebiet(p, &part)?),
                        "id" | "rolle" => p.skip()?,
                        _ => p.unknown(&part)?,
                    }
                }
            }
            "sprachversion" => p.skip()?,
            _ => p.unknown(&child)?,
        }
    }
    Ok(Onlinedienst {
        id: required_id(p, id, element)?,
        bezeichnung: german(bezeichnungen),
        links,
        vertrauensniveau,
        leistungen,
        gebiete,
    })
}

/// A link is taken over only with an http or https URL: anything else
/// (`javascript:`, `file:`, `data:`) would end up in an `href`.
fn onlinedienst_link<R: BufRead>(
    p: &mut Pull<R>,
    element: &Element,
) -> Result<Option<OnlinedienstLink>> {
    let mut typ = None;
    let mut url = String::new();
    let mut titel = None;
    while let Some(child) = p.child()? {
        match child.name.as_str() {
            "typ" => typ = code(p)?.code,
            "link" => url = p.text()?,
            "titel" => titel = non_empty(p.text()?),
            _ => p.unknown(&child)?,
        }
    }
    let lower = url.to_ascii_lowercase();
    if lower.starts_with("https://") || lower.starts_with("http://") {
        return Ok(Some(OnlinedienstLink { typ, url, titel }));
    }
    let shown: String = url.chars().take(80).collect();
    p.problem(
        element.line,
        format!("Link „{shown}“ ist keine http- oder https-Adresse und wird nicht übernommen"),
    );
    Ok(None)
}

fn object_id<R: BufRead>(p: &mut Pull<R>, element: &Element) -> Result<ObjectId> {
    Ok(ObjectId {
        agency: element
            .attr("schemeAgencyID")
            .unwrap_or_default()
            .trim()
            .to_string(),
        scheme: element
            .attr("schemeID")
            .unwrap_or_default()
            .trim()
            .to_string(),
        value: p.text()?,
    })
}

fn required_id<R: BufRead>(
    p: &Pull<R>,
    id: Option<ObjectId>,
    element: &Element,
) -> Result<ObjectId> {
    id.filter(|id| !id.value.is_empty())
        .ok_or_else(|| missing_id(p, element))
}

fn missing_id<R: BufRead>(p: &Pull<R>, element: &Element) -> XzufiError {
    XzufiError::MissingId {
        file: p.file().to_string(),
        line: element.line,
        element: element.name.clone(),
    }
}

/// An XÖV code value: `code` and `name`, both unqualified children.
#[derive(Default)]
struct Code {
    code: Option<String>,
    name: Option<String>,
    /// Line of the `code` element.
    line: Option<u64>,
}

fn code<R: BufRead>(p: &mut Pull<R>) -> Result<Code> {
    let mut code = Code::default();
    while let Some(child) = p.child()? {
        match child.name.as_str() {
            "code" => {
                code.line = Some(child.line);
                code.code = Some(p.text()?);
            }
            "name" => code.name = non_empty(p.text()?),
            _ => p.unknown(&child)?,
        }
    }
    Ok(code)
}

fn gebiet<R: BufRead>(p: &mut Pull<R>, element: &Element) -> Result<String> {
    let value = p.text()?;
    ars(p, &value, element.line)
}

/// An ARS of 2, 5, 9 or 12 digits, or empty for the federation.
fn ars<R: BufRead>(p: &Pull<R>, value: &str, line: u64) -> Result<String> {
    let digits = value.bytes().all(|b| b.is_ascii_digit());
    if digits && [0, 2, 5, 9, 12].contains(&value.len()) {
        return Ok(value.to_string());
    }
    Err(XzufiError::InvalidArs {
        file: p.file().to_string(),
        line,
        value: value.chars().take(40).collect(),
    })
}

fn localized<R: BufRead>(p: &mut Pull<R>, element: &Element) -> Result<Localized> {
    Ok(Localized {
        language: language_of(element).unwrap_or_else(|| "de".to_string()),
        text: p.text()?,
    })
}

fn language_of(element: &Element) -> Option<String> {
    element
        .attr("languageCode")
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
}

/// The German text if there is one, else the first.
fn german(texts: Vec<Localized>) -> Option<String> {
    let texts: Vec<_> = texts.into_iter().filter(|t| !t.text.is_empty()).collect();
    let index = texts.iter().position(|t| t.language == "de").unwrap_or(0);
    texts.into_iter().nth(index).map(|t| t.text)
}

fn non_empty(value: String) -> Option<String> {
    (!value.is_empty()).then_some(value)
}
