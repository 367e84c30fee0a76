//! Late check-ins (original-domain.md 3): the company's settings, the late
//! rule measured on the operational day (not the text comparison of the
//! original, where 01:30 counted as early), arrival instants in the
//! property's time zone, and the apartment cross-match.

use std::collections::HashMap;

use chrono::{DateTime, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde_json::Value;

pub const DEFAULT_CUT_OFF: &str = "20:00";
pub const DEFAULT_DAY_START: &str = "06:00";
pub const DEFAULT_ZONE: Tz = chrono_tz::Europe::Madrid;
pub const MSG_ZONE: &str = "Zona horaria desconocida: usa un nombre IANA, p. ej. Europe/Madrid.";

/// `HH:MM`, 00:00 to 23:59, exactly five characters.
pub fn clock(text: &str) -> Option<NaiveTime> {
    let b = text.as_bytes();
    let digits = b.len() == 5
        && b[2] == b':'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 2 || c.is_ascii_digit());
    if !digits {
        return None;
    }
    let hours = u32::from(b[0] - b'0') * 10 + u32::from(b[1] - b'0');
    let minutes = u32::from(b[3] - b'0') * 10 + u32::from(b[4] - b'0');
    NaiveTime::from_hms_opt(hours, minutes, 0).filter(|_| hours < 24 && minutes < 60)
}

/// An IANA zone name, as the tz database spells it.
pub fn zone(name: &str) -> Option<Tz> {
    name.parse::<Tz>().ok()
}

/// `configuracion.notificaciones_tardias`, read leniently: a stored value
/// that is missing or unreadable counts as its default.
#[derive(Debug, Clone, PartialEq)]
pub struct LateSettings {
    pub cut_off: NaiveTime,
    /// Where the operational day starts; earlier arrivals belong to the day before.
    pub day_start: NaiveTime,
    /// The company's zone, for apartments without one of their own.
    pub zone: Tz,
    /// The five column letters (`col_nombre`...), as stored.
    pub letters: Value,
}

impl LateSettings {
    /// Whether an `HH:MM` arrival time is late; unknown or unreadable times are not.
    pub fn is_late_at(&self, time: Option<&str>) -> bool {
        time.and_then(clock)
            .is_some_and(|t| is_late(t, self.cut_off, self.day_start))
    }

    pub fn from_settings(value: Option<&Value>) -> LateSettings {
        let text = |key: &str| value.and_then(|v| v.get(key)).and_then(Value::as_str);
        let time = |key: &str, default: &str| {
            text(key)
                .and_then(clock)
                .or_else(|| clock(default))
                .unwrap_or(NaiveTime::MIN)
        };
        LateSettings {
            cut_off: time("hora_corte", DEFAULT_CUT_OFF),
            day_start: time("inicio_dia_operativo", DEFAULT_DAY_START),
            zone: text("zona_horaria").and_then(zone).unwrap_or(DEFAULT_ZONE),
            letters: value.cloned().unwrap_or(Value::Null),
        }
    }

    /// `hora_corte` as the wire shows it.
    pub fn cut_off_text(&self) -> String {
        self.cut_off.format("%H:%M").to_string()
    }
}

/// Minutes from the day start to `time`, wrapping at midnight.
fn since_day_start(time: NaiveTime, day_start: NaiveTime) -> i64 {
    (time - day_start).num_minutes().rem_euclid(24 * 60)
}

/// Late: at or after the cut-off, both measured from the day start, so
/// with 20:00 and 06:00 both 20:00-23:59 and 00:00-05:59 are late.
pub fn is_late(time: NaiveTime, cut_off: NaiveTime, day_start: NaiveTime) -> bool {
    since_day_start(time, day_start) >= since_day_start(cut_off, day_start)
}

/// The operational day that `now` falls in, in `zone`.
pub fn operational_day(now: DateTime<Utc>, zone: Tz, day_start: NaiveTime) -> NaiveDate {
    let local = now.with_timezone(&zone).naive_local();
    if local.time() < day_start {
        local.date() - Duration::days(1)
    } else {
        local.date()
    }
}

/// The instant of an arrival at `time` on operational day `day`: times
/// before the day start are the next calendar day. A local time that does
/// not exist (the clocks jump forward) is the first instant after the gap;
/// one that happens twice (they go back) is the earlier.
pub fn arrival_instant(
    day: NaiveDate,
    time: NaiveTime,
    zone: Tz,
    day_start: NaiveTime,
) -> DateTime<Tz> {
    let date = if time < day_start {
        day + Duration::days(1)
    } else {
        day
    };
    local_instant(date.and_time(time), zone)
}

fn local_instant(local: NaiveDateTime, zone: Tz) -> DateTime<Tz> {
    match zone.from_local_datetime(&local) {
        LocalResult::Single(at) | LocalResult::Ambiguous(at, _) => at,
        LocalResult::None => {
            // Gaps are whole minutes and at most a day long (Samoa, 2011).
            (1..=24 * 60)
                .find_map(
                    |m| match zone.from_local_datetime(&(local + Duration::minutes(m))) {
                        LocalResult::Single(at) | LocalResult::Ambiguous(at, _) => Some(at),
                        LocalResult::None => None,
                    },
                )
                .unwrap_or_else(|| zone.from_utc_datetime(&local))
        }
    }
}

/// RFC 3339 with the zone's offset (`2026-03-29T03:00:00+02:00`).
pub fn rfc3339(at: &DateTime<Tz>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
}

/// The original's `_norm_id`: trimmed, `{`/`}` stripped from both ends, and
/// an integer (Python's `int()`: sign, `_` between digits) in canonical form.
pub fn norm_id(text: &str) -> String {
    let inner = text.trim().trim_matches(['{', '}']).trim();
    python_int(inner).unwrap_or_else(|| inner.to_string())
}

fn python_int(text: &str) -> Option<String> {
    let (negative, digits) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let bytes = digits.as_bytes();
    let valid = !bytes.is_empty()
        && bytes.first().is_some_and(u8::is_ascii_digit)
        && bytes.last().is_some_and(u8::is_ascii_digit)
        && bytes.iter().all(|b| b.is_ascii_digit() || *b == b'_')
        && !digits.contains("__");
    if !valid {
        return None;
    }
    let plain: String = digits.chars().filter(|c| *c != '_').collect();
    let canonical = plain.trim_start_matches('0');
    Some(match (canonical.is_empty(), negative) {
        (true, _) => "0".to_string(),
        (false, true) => format!("-{canonical}"),
        (false, false) => canonical.to_string(),
    })
}

/// The active apartments keyed by normalised `id_externo`; fed in `nombre`
/// order, so with a repeated code the last one wins.
pub struct Matcher<T> {
    by_code: HashMap<String, T>,
}

impl<T> Matcher<T> {
    pub fn new(apartments: impl IntoIterator<Item = (Option<String>, T)>) -> Self {
        let by_code = apartments
            .into_iter()
            .filter_map(|(code, item)| Some((norm_id(&code?), item)))
            .collect();
        Matcher { by_code }
    }

    /// The apartment of a reservation: by its PMS apartment id, then by its
    /// apartment name or cell.
    pub fn find(&self, apartment_id: Option<&str>, apartment_name: Option<&str>) -> Option<&T> {
        [apartment_id, apartment_name]
            .into_iter()
            .flatten()
            .find_map(|key| self.by_code.get(&norm_id(key)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn t(text: &str) -> NaiveTime {
        clock(text).unwrap()
    }

    fn d(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn clock_times_are_real() {
        assert_eq!(clock("00:00"), Some(NaiveTime::MIN));
        assert!(clock("23:59").is_some());
        for bad in ["24:00", "12:60", "99:99", "9:00", "12:3x", "12:300", ""] {
            assert_eq!(clock(bad), None, "{bad}");
        }
    }

    #[test]
    fn late_is_measured_from_the_day_start() {
        let (cut, start) = (t("20:00"), t("06:00"));
        for late in ["20:00", "23:59", "00:00", "01:30", "05:59"] {
            assert!(is_late(t(late), cut, start), "{late}");
        }
        for early in ["06:00", "12:00", "19:59"] {
            assert!(!is_late(t(early), cut, start), "{early}");
        }
        // A cut-off after midnight: only the small hours are late.
        assert!(is_late(t("02:00"), t("02:00"), start));
        assert!(!is_late(t("23:00"), t("02:00"), start));
    }

    #[test]
    fn settings_fill_defaults() {
        let s = LateSettings::from_settings(None);
        assert_eq!(
            (s.cut_off_text(), s.day_start, s.zone),
            ("20:00".to_string(), t("06:00"), DEFAULT_ZONE)
        );
        let s = LateSettings::from_settings(Some(&json!({
            "hora_corte": "21:30", "inicio_dia_operativo": "bad", "zona_horaria": "America/New_York"
        })));
        assert_eq!(
            (s.cut_off_text(), s.day_start, s.zone),
            (
                "21:30".to_string(),
                t("06:00"),
                chrono_tz::America::New_York
            )
        );
    }

    #[test]
    fn the_operational_day_starts_at_the_day_start_in_the_zone() {
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        let start = t("06:00");
        // 03:30 in Madrid (CEST) is still the day before.
        assert_eq!(
            operational_day(at("2026-06-03T01:30:00Z"), DEFAULT_ZONE, start),
            d("2026-06-02")
        );
        assert_eq!(
            operational_day(at("2026-06-03T04:00:00Z"), DEFAULT_ZONE, start),
            d("2026-06-03")
        );
        // The server's UTC date is not the property's: 23:30 UTC is the next day in Madrid...
        assert_eq!(
            operational_day(at("2026-06-03T23:30:00Z"), DEFAULT_ZONE, t("00:00")),
            d("2026-06-04")
        );
        // ...and still the day before in New York.
        assert_eq!(
            operational_day(
                at("2026-06-04T03:00:00Z"),
                chrono_tz::America::New_York,
                t("00:00")
            ),
            d("2026-06-03")
        );
    }

    #[test]
    fn arrivals_across_the_spring_change_in_madrid() {
        let start = t("06:00");
        let instant =
            |day: &str, time: &str| rfc3339(&arrival_instant(d(day), t(time), DEFAULT_ZONE, start));
        assert_eq!(instant("2026-03-28", "22:00"), "2026-03-28T22:00:00+01:00");
        assert_eq!(instant("2026-03-28", "01:30"), "2026-03-29T01:30:00+01:00");
        // 02:30 does not exist on 2026-03-29: the first instant after the gap.
        assert_eq!(instant("2026-03-28", "02:30"), "2026-03-29T03:00:00+02:00");
        assert_eq!(instant("2026-03-28", "03:00"), "2026-03-29T03:00:00+02:00");
        assert_eq!(instant("2026-03-29", "21:00"), "2026-03-29T21:00:00+02:00");
    }

    #[test]
    fn arrivals_across_the_autumn_change_in_madrid() {
        let start = t("06:00");
        let instant = |day: &str, time: &str| arrival_instant(d(day), t(time), DEFAULT_ZONE, start);
        // 02:30 happens twice on 2026-10-25: the earlier one (summer time).
        let twice = instant("2026-10-24", "02:30");
        assert_eq!(rfc3339(&twice), "2026-10-25T02:30:00+02:00");
        assert_eq!(
            twice.with_timezone(&Utc).to_rfc3339(),
            "2026-10-25T00:30:00+00:00"
        );
        assert_eq!(
            rfc3339(&instant("2026-10-24", "03:30")),
            "2026-10-25T03:30:00+01:00"
        );
        assert_eq!(
            rfc3339(&instant("2026-10-24", "23:00")),
            "2026-10-24T23:00:00+02:00"
        );
    }

    #[test]
    fn ids_are_normalised_like_the_original() {
        for (raw, want) in [
            ("{04}", "4"),
            (" {111} ", "111"),
            ("+4", "4"),
            ("1_000", "1000"),
            ("-007", "-7"),
            ("-0", "0"),
            ("{12}{34}", "12}{34"),
            ("A-12", "A-12"),
            ("1__0", "1__0"),
            ("_1", "_1"),
        ] {
            assert_eq!(norm_id(raw), want, "{raw}");
        }
    }

    #[test]
    fn matching_by_pms_id_then_name_last_wins() {
        let matcher = Matcher::new([
            (Some("{04}".to_string()), "Ático"),
            (None, "Sin código"),
            (Some("4".to_string()), "Bajo"),
            (Some("T-9".to_string()), "Torre"),
        ]);
        assert_eq!(matcher.find(Some("04"), None), Some(&"Bajo"));
        assert_eq!(matcher.find(Some("77"), Some("{T-9}")), Some(&"Torre"));
        assert_eq!(matcher.find(None, Some("nada")), None);
    }
}
