//! Phone numbers through libphonenumber's rules (the `phonenumber` crate), as the
//! original's `phonenumbers` package reads them.

use std::str::FromStr;

use phonenumber::{Mode, country};

/// The number in E.164 (`+34612345678`) when it is a valid number, reading a
/// national number with `region` (ISO 3166 alpha-2, any case) as the hint.
/// `None` for an unknown region or an invalid number.
pub fn to_e164(number: &str, region: &str) -> Option<String> {
    let region = country::Id::from_str(&region.trim().to_ascii_uppercase()).ok()?;
    let parsed = phonenumber::parse(Some(region), number.trim()).ok()?;
    phonenumber::is_valid(&parsed).then(|| parsed.format().mode(Mode::E164).to_string())
}

/// Whether `value` is a valid number written in international form (leading
/// `+`, spaces and separators allowed). CSV export keeps the `+` of such a cell
/// instead of neutralising it as a formula.
pub fn is_international_number(value: &str) -> bool {
    let value = value.trim();
    value.starts_with('+')
        && phonenumber::parse(None, value)
            .map(|parsed| phonenumber::is_valid(&parsed))
            .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn national_numbers_take_the_region_hint() {
        assert_eq!(
            to_e164("612 345 678", "ES").as_deref(),
            Some("+34612345678")
        );
        assert_eq!(to_e164("612345678", "es").as_deref(), Some("+34612345678"));
        assert_eq!(
            to_e164("0034612345678", "ES").as_deref(),
            Some("+34612345678")
        );
        assert_eq!(
            to_e164("020 7946 0958", "GB").as_deref(),
            Some("+442079460958")
        );
    }

    #[test]
    fn invalid_numbers_and_unknown_regions_are_none() {
        assert_eq!(to_e164("12345", "ES"), None);
        assert_eq!(to_e164("", "ES"), None);
        assert_eq!(to_e164("abc", "ES"), None);
        assert_eq!(to_e164("612 345 678", "XX"), None);
    }

    #[test]
    fn international_form_needs_a_plus_and_a_valid_number() {
        assert!(is_international_number("+34 600 000 000"));
        assert!(is_international_number("+34612345678"));
        assert!(!is_international_number("612345678"));
        assert!(!is_international_number("+1+1"));
        assert!(!is_international_number("+SUM(A1:A9)"));
        assert!(!is_international_number("+34 12"));
    }
}
