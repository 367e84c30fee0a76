//! The original's text and email sanitizers (original-api.md 1.8).

use std::collections::HashSet;
use std::sync::LazyLock;

use unicode_general_category::{GeneralCategory, get_general_category};
use unicode_normalization::UnicodeNormalization;

pub const MAX_LEN_FREE_TEXT: usize = 2000;
pub const MAX_LEN_EMAIL: usize = 254;

static CLEANER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut builder = ammonia::Builder::default();
    // No tag survives; script/style lose their content too (ammonia's default).
    builder.tags(HashSet::new()).strip_comments(true);
    builder
});

/// NFC, drop control and format characters (but `\n`, `\t`), strip all HTML
/// (text is escaped: `&` becomes `&amp;`), collapse spaces, trim, cut to
/// `max_chars` characters.
pub fn sanitize_text(value: &str, max_chars: usize) -> String {
    let normalized: String = value
        .nfc()
        .filter(|&c| {
            c == '\n'
                || c == '\t'
                || !matches!(
                    get_general_category(c),
                    GeneralCategory::Control | GeneralCategory::Format
                )
        })
        .collect();
    let cleaned = CLEANER.clean(&normalized).to_string();
    let collapsed = collapse_whitespace(&cleaned);
    collapsed.chars().take(max_chars).collect()
}

/// The apartments module's lighter clean-up: every HTML tag removed (text
/// escaped, `&` becomes `&amp;`), then trimmed. No Unicode normalisation.
pub fn strip_html(value: &str) -> String {
    CLEANER.clean(value).to_string().trim().to_string()
}

/// Bidirectional embeddings, overrides and isolates (U+202A-U+202E,
/// U+2066-U+2069): they make stored text display in another order than it
/// reads (a file name or an amount shown backwards). The marks LRM/RLM stay.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// A one-line field (a name, an address, a city): C0 and C1 controls and
/// bidi controls dropped, and each run of line breaks or tabs becomes one
/// space; trimmed. Other text is kept as sent.
pub fn single_line(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut in_break = false;
    for c in value.chars() {
        if matches!(
            c,
            '\n' | '\r' | '\t' | '\u{0B}' | '\u{0C}' | '\u{85}' | '\u{2028}' | '\u{2029}'
        ) {
            if !in_break {
                out.push(' ');
            }
            in_break = true;
            continue;
        }
        in_break = false;
        if !c.is_control() && !is_bidi_control(c) {
            out.push(c);
        }
    }
    out.trim().to_string()
}

/// Multi-line text (a template's body): controls and bidi controls dropped
/// but newlines and tabs, with `\r\n` and a lone `\r` written as `\n`.
pub fn multi_line(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                chars.next_if_eq(&'\n');
                out.push('\n');
            }
            '\n' | '\t' => out.push(c),
            c if c.is_control() || is_bidi_control(c) => {}
            c => out.push(c),
        }
    }
    out
}

/// Runs of horizontal whitespace become one space, 3+ newlines become two, trimmed.
fn collapse_whitespace(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut pending_space = false;
    let mut newlines = 0usize;
    for c in value.chars() {
        if c == '\n' {
            pending_space = false;
            newlines += 1;
            continue;
        }
        if c.is_whitespace() {
            if newlines == 0 {
                pending_space = true;
            }
            continue;
        }
        if newlines > 0 {
            out.push_str(if newlines >= 2 { "\n\n" } else { "\n" });
            newlines = 0;
        } else if pending_space {
            out.push(' ');
        }
        pending_space = false;
        out.push(c);
    }
    out.trim().to_string()
}

/// Domains that never receive mail (RFC 6761 and friends), refused as
/// Python's `email-validator` refuses them.
const SPECIAL_USE_DOMAINS: &[&str] = &["arpa", "invalid", "local", "localhost", "onion", "test"];

/// Validates and normalises an address the way the original's
/// `email-validator` call does (no deliverability check): `None` if invalid.
pub fn sanitize_email(value: &str) -> Option<String> {
    let value = value.trim();
    if value.is_empty() || value.chars().count() > MAX_LEN_EMAIL {
        return None;
    }
    let (local, domain) = value.split_once('@')?;
    if domain.contains('@') {
        return None;
    }
    let local: String = local.nfc().collect();
    if !valid_local_part(&local) {
        return None;
    }
    let domain = domain.nfc().collect::<String>().to_lowercase();
    if !valid_domain(&domain) {
        return None;
    }
    let address = format!("{local}@{domain}");
    (address.chars().count() <= MAX_LEN_EMAIL).then_some(address)
}

fn valid_local_part(local: &str) -> bool {
    const ATEXT_SPECIALS: &str = "!#$%&'*+/=?^_`{|}~-";
    !local.is_empty()
        && local.chars().count() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local.chars().all(|c| {
            c.is_ascii_alphanumeric()
                || c == '.'
                || ATEXT_SPECIALS.contains(c)
                || (!c.is_ascii() && !c.is_whitespace() && !c.is_control())
        })
}

fn valid_domain(domain: &str) -> bool {
    if domain.is_empty() || domain.len() > 253 {
        return false;
    }
    let labels: Vec<&str> = domain.split('.').collect();
    if labels.len() < 2 {
        return false;
    }
    let labels_ok = labels.iter().all(|label| {
        !label.is_empty()
            && label.chars().count() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.chars().all(|c| c == '-' || c.is_alphanumeric())
    });
    let tld = labels.last().copied().unwrap_or_default();
    let special = SPECIAL_USE_DOMAINS
        .iter()
        .any(|s| domain == *s || domain.ends_with(&format!(".{s}")));
    labels_ok && !tld.chars().all(|c| c.is_ascii_digit()) && !special
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_examples_of_the_original() {
        assert_eq!(sanitize_text("a & b", 2000), "a &amp; b");
        assert_eq!(sanitize_text("<script>x</script>y", 2000), "y");
        assert_eq!(sanitize_text("1 < 2", 2000), "1 &lt; 2");
        assert_eq!(sanitize_text("<b>dev@x.es</b>", 254), "dev@x.es");
        assert_eq!(sanitize_text("  a \t  b  ", 2000), "a b");
        assert_eq!(sanitize_text("a\n\n\n\nb", 2000), "a\n\nb");
        assert_eq!(sanitize_text("a\u{200B}b\u{0007}", 2000), "ab");
        assert_eq!(sanitize_text("<!-- c -->mundo", 2000), "mundo");
        assert_eq!(sanitize_text("abcdef", 3), "abc");
        assert_eq!(sanitize_text("e\u{301}", 10), "\u{e9}", "NFC");
    }

    #[test]
    fn strip_html_removes_tags_and_escapes() {
        assert_eq!(strip_html("  <b>Ático</b> & vistas "), "Ático &amp; vistas");
        assert_eq!(strip_html("<b></b>"), "");
        assert_eq!(strip_html("a <script>x</script>b"), "a b");
    }

    #[test]
    fn emails_valid_and_normalised() {
        assert_eq!(
            sanitize_email("dev@staysidekick.es").as_deref(),
            Some("dev@staysidekick.es")
        );
        assert_eq!(
            sanitize_email(" Ana@Example.COM ").as_deref(),
            Some("Ana@example.com")
        );
        assert_eq!(sanitize_email("a@x.c").as_deref(), Some("a@x.c"));
        assert_eq!(
            sanitize_email("josé@dominio.es").as_deref(),
            Some("josé@dominio.es")
        );
    }

    #[test]
    fn emails_refused_like_email_validator() {
        for bad in [
            "",
            "plain",
            "a@b",
            "a..b@x.com",
            ".a@x.com",
            "a.@x.com",
            "a@localhost",
            "a@x.test",
            "a@mail.invalid",
            "a@b@c.com",
            "a b@x.com",
            "a@-x.com",
            "a@x.123",
            "a@x..com",
            "<a>@x.com",
        ] {
            assert_eq!(sanitize_email(bad), None, "{bad:?}");
        }
        let long = format!("{}@example.com", "a".repeat(65));
        assert_eq!(sanitize_email(&long), None);
    }

    #[test]
    fn one_line_fields_lose_controls_and_bidi_overrides() {
        assert_eq!(single_line("Apto\u{7}\u{1b}[31m 3"), "Apto[31m 3");
        assert_eq!(single_line("Calle\r\n\tFeria 3"), "Calle Feria 3");
        assert_eq!(single_line("fact\u{202E}fdp.exe"), "factfdp.exe");
        assert_eq!(single_line("\u{2066}a\u{2069}\u{85}b\u{9B}"), "a b");
        // Ordinary text, marks and emoji sequences are kept as sent.
        assert_eq!(
            single_line("  Ático  \u{200F}דירה 👨‍👩‍👧 "),
            "Ático  \u{200F}דירה 👨‍👩‍👧"
        );
    }

    #[test]
    fn multi_line_text_keeps_newlines_and_tabs_only() {
        assert_eq!(
            multi_line("Hola\r\n\tqué tal\rAdiós\u{0}\u{1b}\u{202D}!\n"),
            "Hola\n\tqué tal\nAdiós!\n"
        );
        assert_eq!(
            multi_line("{NOMBRE}\n\n{APARTAMENTO}"),
            "{NOMBRE}\n\n{APARTAMENTO}"
        );
    }
}
