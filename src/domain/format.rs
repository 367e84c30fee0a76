//! Wire formats of values, as the original's Python writes them.

use chrono::{DateTime, Utc};

/// `datetime.isoformat()` of an aware UTC value: microseconds only when
/// non-zero, offset as `+00:00`.
pub fn iso(at: DateTime<Utc>) -> String {
    if at.timestamp_subsec_micros() == 0 {
        at.format("%Y-%m-%dT%H:%M:%S+00:00").to_string()
    } else {
        at.format("%Y-%m-%dT%H:%M:%S%.6f+00:00").to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_python_isoformat() {
        let at = DateTime::parse_from_rfc3339("2026-11-26T05:44:39.344931Z")
            .unwrap()
            .to_utc();
        assert_eq!(iso(at), "2026-11-26T05:44:39.344931+00:00");
        let whole = DateTime::parse_from_rfc3339("2026-11-26T05:44:39Z")
            .unwrap()
            .to_utc();
        assert_eq!(iso(whole), "2026-11-26T05:44:39+00:00");
        let millis = DateTime::parse_from_rfc3339("2026-11-26T05:44:39.5Z")
            .unwrap()
            .to_utc();
        assert_eq!(iso(millis), "2026-11-26T05:44:39.500000+00:00");
    }
}
