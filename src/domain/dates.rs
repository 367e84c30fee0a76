//! Dates and times as PMS APIs send them, read into ISO text.

/// A PMS date into `YYYY-MM-DD`: ISO kept as is; `D.M.YYYY`, `D.M.YY`,
/// `D-M-YYYY`, `D/M/YYYY`, `D/M/YY` day-first (month-first only when the first
/// number cannot be a month's... i.e. when it is ≤ 12 and the second is > 12);
/// `NN-NN-NN` as `YY-MM-DD` when the first is over 31, else `DD-MM-YY`.
pub fn pms_date(text: &str) -> Option<String> {
    let text = text.trim();
    let parts: Vec<&str> = text.split(['.', '/', '-']).collect();
    if parts.len() != 3
        || parts
            .iter()
            .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) || p.len() > 4)
    {
        return None;
    }
    let n: Vec<u32> = parts.iter().map(|p| p.parse().unwrap_or(0)).collect();
    let separator = text.chars().find(|c| matches!(c, '.' | '/' | '-'))?;
    let (year, month, day) = if parts[0].len() == 4 && separator == '-' {
        (n[0], n[1], n[2])
    } else if separator == '-' && parts.iter().all(|p| p.len() == 2) {
        if n[0] > 31 {
            (2000 + n[0], n[1], n[2])
        } else {
            (2000 + n[2], n[1], n[0])
        }
    } else {
        let year = match parts[2].len() {
            4 => n[2],
            2 => 2000 + n[2],
            _ => return None,
        };
        if separator == '/' && n[0] <= 12 && n[1] > 12 {
            (year, n[0], n[1])
        } else {
            (year, n[1], n[0])
        }
    };
    chrono::NaiveDate::from_ymd_opt(year as i32, month, day)
        .map(|d| d.format("%Y-%m-%d").to_string())
}

/// `H:MM` or `HH:MM` (anything after is ignored) into `HH:MM`.
pub fn clock_time(text: &str) -> Option<String> {
    let (hours, rest) = text.trim().split_once(':')?;
    let minutes = rest.get(..2)?;
    let valid = (1..=2).contains(&hours.len())
        && hours.bytes().all(|b| b.is_ascii_digit())
        && minutes.bytes().all(|b| b.is_ascii_digit());
    let (h, m): (u32, u32) = (hours.parse().ok()?, minutes.parse().ok()?);
    (valid && h < 24 && m < 60).then(|| format!("{h:02}:{m:02}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pms_dates_in_every_form_they_come() {
        assert_eq!(pms_date("2026-11-26").as_deref(), Some("2026-11-26"));
        assert_eq!(pms_date("26.11.2026").as_deref(), Some("2026-11-26"));
        assert_eq!(pms_date("6.1.26").as_deref(), Some("2026-01-06"));
        assert_eq!(
            pms_date("05/03/2026").as_deref(),
            Some("2026-03-05"),
            "day first"
        );
        assert_eq!(
            pms_date("03/25/2026").as_deref(),
            Some("2026-03-25"),
            "month first only when it must be"
        );
        assert_eq!(pms_date("26-11-2026").as_deref(), Some("2026-11-26"));
        assert_eq!(pms_date("26-11-26").as_deref(), Some("2026-11-26"));
        assert_eq!(pms_date("40-01-02").as_deref(), Some("2040-01-02"));
        for bad in [
            "",
            "tomorrow",
            "2026-13-01",
            "31/31/2026",
            "1.2",
            "2026/11/26/1",
        ] {
            assert_eq!(pms_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn clock_times_are_padded() {
        assert_eq!(clock_time("9:05").as_deref(), Some("09:05"));
        assert_eq!(clock_time("21:30").as_deref(), Some("21:30"));
        assert_eq!(clock_time("21:30:00").as_deref(), Some("21:30"));
        for bad in ["", "25:00", "9", "ab:cd", "9:6"] {
            assert_eq!(clock_time(bad), None, "{bad}");
        }
    }
}
