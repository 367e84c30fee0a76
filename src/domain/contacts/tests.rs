use chrono::NaiveDate;

use super::csv::{neutralise, write};
use super::preferences::Preferences;
use super::sheet::typology_ids;
use super::*;

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

#[test]
fn phones_follow_the_originals_rule() {
    assert_eq!(
        parse_phone(" +34 600 000 000 ").as_deref(),
        Some("+34 600 000 000")
    );
    for refused in ["", "  ", "+", "0", "+0034600", "12345", "+3460"] {
        assert_eq!(parse_phone(refused), None, "{refused:?}");
    }
    assert_eq!(parse_phone("123456").as_deref(), Some("123456"));
    assert_eq!(number_text(6.66111444e8), "666111444");
}

#[test]
fn dates_follow_the_originals_rules() {
    let cases = [
        ("2026-06-03", Some(day(2026, 6, 3))),
        ("2026-06-03T10:00:00", Some(day(2026, 6, 3))),
        ("2026-02-30", None),
        ("2026/06/03", Some(day(2026, 6, 3))),
        ("2026/6/3", None),
        ("3.6.2026", Some(day(2026, 6, 3))),
        ("3-6-2026", Some(day(2026, 6, 3))),
        ("03/06/2026", Some(day(2026, 6, 3))),
        ("13/05/2026", Some(day(2026, 5, 13))),
        ("05/13/2026", Some(day(2026, 5, 13))),
        ("01/01/69", Some(day(1969, 1, 1))),
        ("01/01/68", Some(day(2068, 1, 1))),
        ("5-6-26", None),
        ("05.06.26", None),
        ("46150", None),
        ("basura", None),
    ];
    for (text, expected) in cases {
        assert_eq!(parse_date(text), expected, "{text}");
    }
}

fn row(name: &str, phone: &str, date: Option<NaiveDate>, apt: &str) -> GuestRow {
    GuestRow {
        name: name.into(),
        phone: phone.into(),
        check_in: date,
        apartments: vec![apt.into()],
    }
}

#[test]
fn stays_of_a_guest_are_grouped_in_first_seen_order() {
    let grouped = group([
        row("Ana", "600000001", Some(day(2026, 6, 5)), "A"),
        row("Luis", "600000002", None, "B"),
        row(" ana ", "600000001", Some(day(2026, 6, 3)), "C"),
        row("Ana", "600000001", None, "A"),
        row("Ana", "600000009", None, ""),
    ]);
    assert_eq!(grouped.len(), 3);
    assert_eq!(grouped[0].name, "Ana");
    assert_eq!(grouped[0].apartments, vec!["A", "C"]);
    assert_eq!(grouped[0].check_in, Some(day(2026, 6, 3)));
    assert_eq!(grouped[1].name, "Luis");
    assert!(grouped[2].apartments.is_empty());
}

#[test]
fn the_template_composes_and_trims_only_the_ends() {
    let template = Preferences::from_setting(None).name_template();
    let contact = |date, apartments: &[&str]| Contact {
        name: "Lucía Moreau".into(),
        phone: "666111446".into(),
        check_in: date,
        apartments: apartments.iter().map(|a| a.to_string()).collect(),
    };
    assert_eq!(
        template.compose(&contact(Some(day(2026, 6, 3)), &[])),
        "260603 -  - Lucía Moreau"
    );
    assert_eq!(template.compose(&contact(None, &[])), "-  - Lucía Moreau");
    assert_eq!(
        template.compose(&contact(Some(day(2026, 6, 3)), &["A", "B"])),
        "260603 - A, B - Lucía Moreau"
    );
    for (format, text) in [
        ("YYYYMMDD", "20260603"),
        ("DD/MM/YYYY", "03/06/2026"),
        ("DD/MM/YY", "03/06/26"),
        ("MM/DD/YYYY", "06/03/2026"),
        ("DD-MM-YYYY", "03-06-2026"),
        ("otro", "260603"),
    ] {
        assert_eq!(format_date(day(2026, 6, 3), format), text);
    }
}

#[test]
fn stored_preferences_are_read_over_the_defaults() {
    let stored = serde_json::json!({"plantilla": "{NOMBRE}", "xlsx_reservas": {"col_nombre": "3", "col_telefono": 4}});
    let prefs = Preferences::from_setting(Some(&stored));
    assert_eq!(prefs.template, "{NOMBRE}");
    assert_eq!(prefs.date_format, "YYMMDD");
    assert_eq!(prefs.apartment_separator, ", ");
    assert_eq!(
        (
            prefs.columns.name,
            prefs.columns.phone,
            prefs.columns.check_in
        ),
        (3, 4, 0)
    );
}

#[test]
fn csv_bytes_are_googles_import_format() {
    let contacts = vec![
        ComposedContact {
            name: "260603 - Apt 135 - Víctor Andersen".into(),
            phone: "666111444".into(),
        },
        ComposedContact {
            name: "García, Juan 260501".into(),
            phone: "+34 600 000 000".into(),
        },
        ComposedContact {
            name: "Dice \"hola\"".into(),
            phone: "666111446".into(),
        },
    ];
    let expected = "\u{feff}Name,Given Name,Family Name,Group Membership,E-mail 1 - Type,E-mail 1 - Value,Phone 1 - Type,Phone 1 - Value,Notes\r\n\
        260603 - Apt 135 - Víctor Andersen,,,* myContacts,,,,666111444,\r\n\
        \"García, Juan 260501\",,,* myContacts,,,,+34 600 000 000,\r\n\
        \"Dice \"\"hola\"\"\",,,* myContacts,,,,666111446,\r\n";
    assert_eq!(String::from_utf8(write(&contacts)).unwrap(), expected);
    assert_eq!(&write(&[])[..3], b"\xEF\xBB\xBF");
}

#[test]
fn formula_cells_are_neutralised_but_international_phones_kept() {
    for risky in [
        "=HYPERLINK(\"x\")",
        "+1+1",
        "-2+3",
        "@SUM(A1)",
        "\tx",
        "\rx",
        "+34 600",
    ] {
        assert_eq!(neutralise(risky), format!("'{risky}"), "{risky:?}");
    }
    for safe in ["+34 600 000 000", "+44 20 7946 0958", "600000000", "Ana"] {
        assert_eq!(neutralise(safe), safe);
    }
}

#[test]
fn typology_ids_are_the_braced_digit_groups() {
    assert_eq!(typology_ids("{101} y {7}, {x} {12"), vec!["101", "7"]);
    assert!(typology_ids("101").is_empty());
}

#[test]
fn dedupe_keys_ignore_case_blanks_and_phone_formatting() {
    assert_eq!(
        dedupe_key("260603 -  - Ana", "600 000 001"),
        dedupe_key("260603 - - ANA ", "+34600000001")
    );
    assert_ne!(
        dedupe_key("Ana", "600000001"),
        dedupe_key("Ana", "600000002")
    );
}
