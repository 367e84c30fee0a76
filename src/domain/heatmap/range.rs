//! `desde`/`hasta`: read as Python's `date.fromisoformat` reads them (the
//! original's parser), with the original's three messages in its order, and
//! a maximum span so a request cannot ask for an unbounded grid or PMS crawl.

use chrono::{Datelike, NaiveDate, Weekday};

/// An inclusive range of days, `from <= to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateRange {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl DateRange {
    /// Days in the range, both ends counted.
    pub fn days(&self) -> i64 {
        (self.to - self.from).num_days() + 1
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RangeError {
    #[error("El parámetro '{0}' es obligatorio.")]
    Missing(&'static str),
    #[error("'{0}' no es una fecha válida (formato esperado: YYYY-MM-DD).")]
    Invalid(&'static str),
    #[error("'desde' debe ser anterior o igual a 'hasta'.")]
    Reversed,
    #[error("El rango no puede superar {0} días.")]
    TooLong(u32),
}

/// CPython 3.12's C `date.fromisoformat`: 7, 8 or 10 bytes; `YYYY-MM-DD`,
/// `YYYYMMDD`, `YYYY-Www[-D]`, `YYYYWww[D]`. Like CPython it does not look
/// past the last component it reads, so `20260605xx` is 2026-06-05.
pub fn iso_date(text: &str) -> Option<NaiveDate> {
    let b = text.as_bytes();
    if !matches!(b.len(), 7 | 8 | 10) {
        return None;
    }
    // Reads past the end see a NUL, as the C code does.
    let at = |i: usize| b.get(i).copied().unwrap_or(0);
    let digits = |from: usize, n: usize| -> Option<u32> {
        (from..from + n).try_fold(0u32, |acc, i| {
            let c = at(i);
            c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
        })
    };
    let year = i32::try_from(digits(0, 4)?).ok()?;
    let dashed = at(4) == b'-';
    let mut pos = 4 + usize::from(dashed);
    if at(pos) == b'W' {
        pos += 1;
        let week = digits(pos, 2)?;
        pos += 2;
        let day = if pos < b.len() {
            if dashed {
                if at(pos) != b'-' {
                    return None;
                }
                pos += 1;
            }
            digits(pos, 1)?
        } else {
            1
        };
        if year < 1 || !(1..=7).contains(&day) {
            return None;
        }
        const WEEKDAYS: [Weekday; 7] = [
            Weekday::Mon,
            Weekday::Tue,
            Weekday::Wed,
            Weekday::Thu,
            Weekday::Fri,
            Weekday::Sat,
            Weekday::Sun,
        ];
        let weekday = WEEKDAYS[(day - 1) as usize];
        return NaiveDate::from_isoywd_opt(year, week, weekday)
            .filter(|d| (1..=9999).contains(&d.year()));
    }
    let month = digits(pos, 2)?;
    pos += 2;
    if dashed {
        if at(pos) != b'-' {
            return None;
        }
        pos += 1;
    }
    let day = digits(pos, 2)?;
    (year >= 1)
        .then(|| NaiveDate::from_ymd_opt(year, month, day))
        .flatten()
}

/// The original's checks in its order (`desde` first, then `hasta`, then
/// their order), then ours: at most `max_days` days, both ends counted.
pub fn parse_range(
    from: Option<&str>,
    to: Option<&str>,
    max_days: u32,
) -> Result<DateRange, RangeError> {
    let read = |value: Option<&str>, name: &'static str| match value {
        None | Some("") => Err(RangeError::Missing(name)),
        Some(text) => iso_date(text).ok_or(RangeError::Invalid(name)),
    };
    let from = read(from, "desde")?;
    let to = read(to, "hasta")?;
    if from > to {
        return Err(RangeError::Reversed);
    }
    let range = DateRange { from, to };
    if range.days() > i64::from(max_days) {
        return Err(RangeError::TooLong(max_days));
    }
    Ok(range)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn python_fromisoformat_forms() {
        // (input, what CPython 3.11/3.12 answers), checked with python3.
        let cases: &[(&str, Option<&str>)] = &[
            ("2026-06-05", Some("2026-06-05")),
            ("20260605", Some("2026-06-05")),
            ("20260605xx", Some("2026-06-05")),
            ("2026-W19-1", Some("2026-05-04")),
            ("2026W191", Some("2026-05-04")),
            ("2026-W19", Some("2026-05-04")),
            ("2026W19", Some("2026-05-04")),
            ("2026W191xx", Some("2026-05-04")),
            ("2026-W53-1", Some("2026-12-28")),
            ("2025-W53-1", None),
            ("2026-W19-8", None),
            ("2026-W19-0", None),
            ("2026W19-1", None),
            ("2026-W191", None),
            ("0000-01-01", None),
            ("2026-02-30", None),
            ("2026-13-01", None),
            ("2026-6-5", None),
            ("2026/06/05", None),
            ("2026-06-05 ", None),
            ("2026-06-05T10:00", None),
            ("2026-06-0\u{ff15}", None),
            ("\u{ff12}026-06-05", None),
            ("2026-0605", None),
            ("202606-05", None),
            ("", None),
            ("abcdefghij", None),
        ];
        for (input, expected) in cases {
            assert_eq!(iso_date(input), expected.map(d), "{input:?}");
        }
    }

    #[test]
    fn range_messages_in_the_original_order() {
        let msg =
            |f: Option<&str>, t: Option<&str>| parse_range(f, t, 400).map_err(|e| e.to_string());
        assert_eq!(
            msg(None, Some("x")).unwrap_err(),
            "El parámetro 'desde' es obligatorio."
        );
        assert_eq!(
            msg(Some(""), None).unwrap_err(),
            "El parámetro 'desde' es obligatorio."
        );
        assert_eq!(
            msg(Some("x"), None).unwrap_err(),
            "'desde' no es una fecha válida (formato esperado: YYYY-MM-DD)."
        );
        assert_eq!(
            msg(Some("2026-06-01"), None).unwrap_err(),
            "El parámetro 'hasta' es obligatorio."
        );
        assert_eq!(
            msg(Some("2026-06-01"), Some("1/6/2026")).unwrap_err(),
            "'hasta' no es una fecha válida (formato esperado: YYYY-MM-DD)."
        );
        assert_eq!(
            msg(Some("2026-06-02"), Some("2026-06-01")).unwrap_err(),
            "'desde' debe ser anterior o igual a 'hasta'."
        );
        assert_eq!(
            msg(Some("2026-06-01"), Some("2026-06-01")),
            Ok(DateRange {
                from: d("2026-06-01"),
                to: d("2026-06-01")
            })
        );
    }

    #[test]
    fn the_span_is_counted_inclusive() {
        // 2026-01-01 + 399 days = 2027-02-04: 400 days.
        assert!(parse_range(Some("2026-01-01"), Some("2027-02-04"), 400).is_ok());
        assert_eq!(
            parse_range(Some("2026-01-01"), Some("2027-02-05"), 400)
                .unwrap_err()
                .to_string(),
            "El rango no puede superar 400 días."
        );
        assert!(parse_range(Some("2026-01-01"), Some("2026-01-01"), 1).is_ok());
    }
}
