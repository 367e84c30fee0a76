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
}
