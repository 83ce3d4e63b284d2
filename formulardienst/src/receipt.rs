//! The Eingangsbestätigung: the message (with PDF) sent to the citizen's
//! Postfach through the portal once an application arrived.

use crate::form::Eingaben;
use crate::portal::{Attachment, Message};
use crate::token::Claims;
use base64::Engine;
use time::{Date, Month, OffsetDateTime, Weekday};

/// The date in Germany (CET/CEST) as `TT.MM.JJJJ`; citizens read local dates.
pub fn german_date(unix: i64) -> String {
    let utc = OffsetDateTime::from_unix_timestamp(unix).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let local = utc + time::Duration::hours(berlin_offset_hours(utc));
    format!(
        "{:02}.{:02}.{}",
        local.day(),
        u8::from(local.month()),
        local.year()
    )
}

/// Summer time runs from the last Sunday of March to the last Sunday of October, 01:00 UTC.
fn berlin_offset_hours(utc: OffsetDateTime) -> i64 {
    let switch = |month| {
        last_sunday(utc.year(), month)
            .midnight()
            .assume_utc()
            .replace_hour(1)
    };
    match (switch(Month::March), switch(Month::October)) {
        (Ok(start), Ok(end)) if utc >= start && utc < end => 2,
        _ => 1,
    }
}

fn last_sunday(year: i32, month: Month) -> Date {
    // March and October both have 31 days.
    let mut day = Date::from_calendar_date(year, month, 31).unwrap_or(Date::MIN);
    while day.weekday() != Weekday::Sunday {
        day = day.previous_day().unwrap_or(Date::MIN);
    }
    day
}

pub fn message(claims: &Claims, eingaben: &Eingaben, now: i64) -> Message {
    let date = german_date(now);
    let greeting = match eingaben.full_name() {
        name if name.is_empty() => "Guten Tag,".to_string(),
        name => format!("Guten Tag {name},"),
    };
    let body = format!(
        "{greeting}\n\nIhr Antrag „{leistung}“ ist am {date} bei uns eingegangen. \
         Ihre Vorgangsnummer lautet {vorgang}.\n\n\
         Zuständig ist: {office}. Wir melden uns, sobald Ihr Antrag bearbeitet wird. \
         Die Eingangsbestätigung finden Sie auch als PDF im Anhang.\n\n\
         Mit freundlichen Grüßen\nIhr Formulardienst",
        leistung = claims.leistung,
        vorgang = claims.vorgang,
        office = match &claims.behoerde {
            Some(office) => format!("{office}, {}", claims.gemeinde),
            None => claims.gemeinde.clone(),
        },
    );
    Message {
        sender_message_id: format!("{}-eingang", claims.vorgang),
        subject: format!("Eingangsbestätigung: {}", claims.leistung),
        body,
        attachments: vec![Attachment {
            filename: "Eingangsbestaetigung.pdf".into(),
            content_type: "application/pdf".into(),
            content_base64: base64::engine::general_purpose::STANDARD.encode(pdf(claims, &date)),
        }],
    }
}

fn pdf(claims: &Claims, date: &str) -> Vec<u8> {
    crate::pdf::one_page(
        "Eingangsbestätigung",
        &[
            format!("Leistung: {}", claims.leistung),
            format!("Vorgangsnummer: {}", claims.vorgang),
            format!("Gemeinde: {}", claims.gemeinde),
            format!("Eingegangen am: {date}"),
            "Ihr Antrag ist beim Formulardienst eingegangen.".into(),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_german_local_dates() {
        // 2025-01-15 23:30 UTC is already the 16th in Kiel (CET).
        assert_eq!(german_date(1_736_983_800), "16.01.2025");
        // 2025-07-01 22:30 UTC is 00:30 on 2 July (CEST).
        assert_eq!(german_date(1_751_409_000), "02.07.2025");
        // 2025-03-30 00:30 UTC is before the switch: 01:30 CET.
        assert_eq!(german_date(1_743_294_600), "30.03.2025");
        // 2025-10-25 22:30 UTC is still CEST (the switch is on the 26th): the 26th.
        assert_eq!(german_date(1_761_431_400), "26.10.2025");
    }

    #[test]
    fn the_message_names_the_service_and_the_vorgang() {
        let claims: Claims = serde_json::from_value(serde_json::json!({
            "iss": "i", "aud": "a", "iat": 1, "nbf": 1, "exp": 301, "jti": "j",
            "vorgang": "BP-7", "leika": "99123456789012", "leistung": "Hund anmelden",
            "ars": "010020000000", "gemeinde": "Kiel", "mandant": "kiel",
            "rueckkehr_url": "http://p/", "einwilligung": false
        }))
        .unwrap();
        let eingaben = Eingaben {
            vorname: "Erika".into(),
            nachname: "Mustermann".into(),
            ..Eingaben::default()
        };
        let m = message(&claims, &eingaben, 1_736_983_800);
        assert_eq!(m.sender_message_id, "BP-7-eingang");
        assert_eq!(m.subject, "Eingangsbestätigung: Hund anmelden");
        assert!(m.body.starts_with("Guten Tag Erika Mustermann,\n\n"));
        assert!(m.body.contains("Vorgangsnummer lautet BP-7"));
        let pdf = base64::engine::general_purpose::STANDARD
            .decode(&m.attachments[0].content_base64)
            .unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
    }
}
