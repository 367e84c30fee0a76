//! JSON written as Python's `json.dumps` writes it by default: compact and
//! ASCII-only (non-ASCII as `\uXXXX`), for response bodies and JWT payloads.

use std::io;

use serde::Serialize;
use serde_json::ser::{CharEscape, Formatter};

/// serde_json formatter that escapes every non-ASCII character.
struct AsciiFormatter;

impl Formatter for AsciiFormatter {
    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            if c.is_ascii() {
                continue;
            }
            writer.write_all(&fragment.as_bytes()[start..i])?;
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                write!(writer, "\\u{unit:04x}")?;
            }
            start = i + c.len_utf8();
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }

    fn write_char_escape<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        escape: CharEscape,
    ) -> io::Result<()> {
        serde_json::ser::CompactFormatter.write_char_escape(writer, escape)
    }
}

/// Serialises `value` as ASCII-only compact JSON.
pub fn to_ascii_json<T: Serialize + ?Sized>(value: &T) -> String {
    let mut out = Vec::with_capacity(128);
    write_ascii_json(&mut out, value);
    // The formatter writes ASCII only.
    String::from_utf8(out).unwrap_or_default()
}

pub fn write_ascii_json<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) {
    let mut serializer = serde_json::Serializer::with_formatter(&mut *out, AsciiFormatter);
    if value.serialize(&mut serializer).is_err() {
        // Only maps with non-string keys fail; none of our types have them.
        out.clear();
        out.extend_from_slice(b"null");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn non_ascii_is_escaped_like_python() {
        assert_eq!(
            to_ascii_json(&json!({"errors": ["Token CSRF inválido."], "ok": false})),
            r#"{"errors":["Token CSRF inv\u00e1lido."],"ok":false}"#
        );
        assert_eq!(to_ascii_json("😀"), r#""\ud83d\ude00""#);
        assert_eq!(to_ascii_json("a\"b\n"), r#""a\"b\n""#);
    }
}
