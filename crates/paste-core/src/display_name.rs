//! Display names: the label an owner gives a paste (`X-Display-Name`).
//!
//! At most [`MAX_CHARS`] characters, no control characters; surrounding whitespace is trimmed,
//! and an empty value means "remove the name".

/// Longest display name, in characters (FlaskPaste's limit).
pub const MAX_CHARS: usize = 128;

/// Why a display name was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DisplayNameError {
    /// Over [`MAX_CHARS`].
    #[error("Display name too long (max {MAX_CHARS} characters)")]
    TooLong,
    /// A control character (newline, tab, escape...).
    #[error("Display name contains invalid characters (control characters are not allowed)")]
    Control,
}

/// The name to store: `None` for an empty (removing) value.
pub fn parse(raw: &str) -> Result<Option<String>, DisplayNameError> {
    let name = raw.trim();
    if name.chars().any(char::is_control) {
        return Err(DisplayNameError::Control);
    }
    if name.chars().count() > MAX_CHARS {
        return Err(DisplayNameError::TooLong);
    }
    Ok((!name.is_empty()).then(|| name.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_bounded_and_printable() {
        assert_eq!(parse(" notes "), Ok(Some("notes".into())));
        assert_eq!(parse(""), Ok(None));
        assert_eq!(parse(&"é".repeat(128)), Ok(Some("é".repeat(128))));
        assert_eq!(parse(&"a".repeat(129)), Err(DisplayNameError::TooLong));
        assert_eq!(parse("a\u{1b}[31m"), Err(DisplayNameError::Control));
    }
}
