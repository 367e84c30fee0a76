//! One password rule for login, change and reset (DECISIONS section 3), and
//! the rule that forces a password change.

use chrono::{DateTime, Datelike, Duration, Utc};

pub const MIN_CHARS: usize = 8;
pub const MAX_CHARS: usize = 128;
/// bcrypt reads no further; longer passwords are refused, never truncated.
pub const MAX_BYTES: usize = 72;

pub const MSG_TOO_LONG_BYTES: &str = "La contraseña no puede superar 72 bytes.";
pub const MSG_BLANK: &str = "La contraseña no puede estar vacía o ser solo espacios.";

/// Problems of a password that passed the length check, in the original's
/// order (ours first: bytes; then blank).
pub fn password_problems(password: &str) -> Vec<&'static str> {
    let mut problems = Vec::new();
    if password.len() > MAX_BYTES {
        problems.push(MSG_TOO_LONG_BYTES);
    }
    if password.trim().is_empty() {
        problems.push(MSG_BLANK);
    }
    problems
}

/// True when the 8 to 128 characters rule holds.
pub fn length_ok(password: &str) -> bool {
    (MIN_CHARS..=MAX_CHARS).contains(&password.chars().count())
}

/// The login form's clean-up: no `<`/`>`, no control characters but TAB,
/// at most 128 characters.
pub fn clean_login_password(raw: &str) -> String {
    raw.chars()
        .filter(|&c| c != '<' && c != '>' && (c as u32 >= 0x20 || c == '\t'))
        .take(MAX_CHARS)
        .collect()
}

/// `debe_cambiar_password`: never changed, changed in a year up to 2000, or
/// more than 30 days ago.
pub fn must_change_password(changed_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    match changed_at {
        None => true,
        Some(at) if at.year() <= 2000 => true,
        Some(at) => now - at > Duration::days(30),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn change_is_forced_when_never_changed_ancient_or_stale() {
        let now = Utc::now();
        assert!(must_change_password(None, now));
        let y2k = DateTime::parse_from_rfc3339("2000-12-31T23:00:00+00:00")
            .unwrap()
            .to_utc();
        assert!(must_change_password(Some(y2k), now));
        assert!(must_change_password(Some(now - Duration::days(31)), now));
        assert!(!must_change_password(Some(now - Duration::days(29)), now));
        assert!(!must_change_password(Some(now), now));
    }

    #[test]
    fn length_bytes_and_blank_rules() {
        assert!(length_ok("12345678"));
        assert!(!length_ok("1234567"));
        assert!(
            length_ok(&"ñ".repeat(40)),
            "characters, not bytes, for the length rule"
        );
        assert_eq!(password_problems(&"ñ".repeat(40)), vec![MSG_TOO_LONG_BYTES]);
        assert_eq!(password_problems(&"a".repeat(72)), Vec::<&str>::new());
        assert_eq!(password_problems("         "), vec![MSG_BLANK]);
    }

    #[test]
    fn login_cleanup_drops_angle_brackets_and_controls() {
        assert_eq!(clean_login_password("<admin123>"), "admin123");
        assert_eq!(clean_login_password("a\u{1}b\tc"), "ab\tc");
        assert_eq!(clean_login_password(&"x".repeat(200)).len(), 128);
    }
}
