//! The reservations sheet's rules, on rows built here.

use super::*;
use serde_json::json;

fn text(s: &str) -> Option<Cell> {
    Some(Cell::Text(s.to_string()))
}

fn at(s: &str) -> Option<Cell> {
    Some(Cell::DateTime(
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap(),
    ))
}

#[test]
fn letters_are_columns() {
    assert_eq!(column_index("A"), Some(0));
    assert_eq!(column_index("z"), Some(25));
    assert_eq!(column_index("AA"), Some(26));
    assert_eq!(column_index("AV"), Some(47));
    assert_eq!(column_index("BJ"), Some(61));
    assert_eq!(column_index(""), None);
    assert_eq!(column_index("A1"), None);
    let settings = json!({"col_nombre": "S", "col_checkin": "", "col_hora_llegada": "AV", "col_telefono": "s"});
    assert_eq!(
        overrides(&settings),
        vec![(18, Field::Phone), (47, Field::ArrivalTime)],
        "the later key on the same letter wins, in the first one's place"
    );
}

#[test]
fn headers_first_match_then_overrides() {
    let header = vec![
        text(" Check In "),
        text("ID"),
        text("Huésped"),
        text("Referencia"),
        text("Hora llegada"),
        text("Name"),
    ];
    assert_eq!(
        mapping(&header, &[(5, Field::Phone), (9, Field::Name)]),
        vec![
            (0, Field::CheckIn),
            (1, Field::Reference),
            (2, Field::Name),
            (4, Field::ArrivalTime),
            (5, Field::Phone),
            (9, Field::Name),
        ]
    );
}

#[test]
fn cells_are_converted_per_field() {
    let rows = vec![
        vec![
            text("nombre"),
            text("hora"),
            text("checkin"),
            text("telefono"),
            text("ref"),
        ],
        vec![
            text(" Ana "),
            at("1899-12-31 22:15:00"),
            at("2026-06-03 00:00:00"),
            Some(Cell::Number(666111444.0)),
            None,
        ],
        vec![
            text("Luis"),
            text("01:30:00"),
            text("03/06/26"),
            text("  "),
            text("R-9"),
        ],
        vec![
            text("Eva"),
            text("9:00"),
            at("1899-12-31 15:00:00"),
            None,
            None,
        ],
        vec![text("Noé"), text("25:00"), None, None, None],
        vec![text("Rui"), at("2026-06-03 00:00:00"), None, None, None],
        vec![None, text("99:99")],
        vec![],
        vec![text("Sol"), Some(Cell::Number(0.625)), None, None, None],
    ];
    let parsed = parse(&rows, &[]);
    let r = &parsed.reservations;
    assert_eq!(r[0].name, "Ana");
    assert_eq!(r[0].arrival_time.as_deref(), Some("22:15"));
    assert_eq!(r[0].check_in.as_deref(), Some("2026-06-03"));
    assert_eq!(r[0].phone.as_deref(), Some("666111444"));
    assert_eq!(r[0].reference, "xlsx-2");
    assert_eq!(r[1].arrival_time.as_deref(), Some("01:30"));
    assert_eq!(
        r[1].check_in.as_deref(),
        Some("03/06/26"),
        "text dates verbatim"
    );
    assert_eq!(
        (r[1].phone.as_deref(), r[1].reference.as_str()),
        (None, "R-9")
    );
    assert_eq!(r[2].check_in.as_deref(), Some("15:00:00"));
    assert_eq!(r.len(), 6);
    assert_eq!(
        parsed.warnings,
        vec![
            "Fila 4: valor de hora_llegada no reconocido '9:00' — ignorado.",
            "Fila 5: valor de hora_llegada no reconocido '25:00' — ignorado.",
            "Fila 6: valor de hora_llegada no reconocido '2026-06-03' — ignorado.",
            "Fila 7: valor de hora_llegada no reconocido '99:99' — ignorado.",
            "Fila 7: falta el nombre del huésped — fila omitida.",
            "Fila 8: falta el nombre del huésped — fila omitida.",
            "Fila 9: valor de hora_llegada no reconocido '0.625' — ignorado.",
        ]
    );
}

#[test]
fn fatal_errors_are_the_only_warning() {
    assert_eq!(parse(&vec![], &[]), Parsed::fatal(MSG_TOO_FEW_ROWS));
    assert_eq!(
        parse(&vec![vec![text("nombre")]], &[]),
        Parsed::fatal(MSG_TOO_FEW_ROWS)
    );
    assert_eq!(
        parse(&vec![vec![text("x")], vec![text("y")]], &[]),
        Parsed::fatal(MSG_NO_NAME)
    );
}

#[test]
fn a_later_non_empty_cell_wins() {
    let rows = vec![
        vec![text("nombre"), text("x"), text("apartamento")],
        vec![text("Ana"), text("Otra"), None],
    ];
    let parsed = parse(&rows, &[(1, Field::Name), (2, Field::Name)]);
    assert_eq!(parsed.reservations[0].name, "Otra");
}
