//! What a paste's bytes are: the MIME type from magic bytes, whether a browser would treat them
//! as active content, and how random they look (Shannon entropy).

use std::borrow::Cow;

/// Detects the MIME type from magic bytes; valid UTF-8 without a signature is `text/plain`.
pub fn detect_mime(content: &[u8]) -> String {
    detect_mime_of(content, std::str::from_utf8(content).is_ok())
}

/// [`detect_mime`] from the content's first bytes (`head`) and whether the whole is UTF-8, for
/// content that is never held whole (see [`crate::sniff`]). Every active type has its signature
/// at the very start, so a head can demote or name one exactly as the whole would.
pub fn detect_mime_of(head: &[u8], utf8: bool) -> String {
    if let Some(kind) = infer::get(head) {
        return kind.mime_type().to_owned();
    }
    if looks_like_markup(head) {
        return "text/html".to_owned();
    }
    if utf8 {
        "text/plain".to_owned()
    } else {
        "application/octet-stream".to_owned()
    }
}

/// Whether a browser rendering `mime` on our origin could run script in it.
pub fn is_active(mime: &str) -> bool {
    const ACTIVE: [&str; 11] = [
        "text/html",
        "application/xhtml+xml",
        "image/svg+xml",
        "text/xml",
        "application/xml",
        "text/javascript",
        "application/javascript",
        "application/ecmascript",
        "text/ecmascript",
        "application/x-shockwave-flash",
        "application/pdf",
    ];
    let essence = mime.split(';').next().unwrap_or(mime).trim();
    let xml_suffix = essence
        .len()
        .checked_sub(4)
        .and_then(|at| essence.get(at..))
        .is_some_and(|tail| tail.eq_ignore_ascii_case("+xml"));
    xml_suffix || ACTIVE.iter().any(|a| a.eq_ignore_ascii_case(essence))
}

/// The type to serve `mime` as: active types are demoted to plain text, text gets a charset.
/// Plain text, the commonest answer, costs no allocation.
pub fn serving_type(mime: &str) -> Cow<'_, str> {
    if is_active(mime) || mime == "text/plain" {
        Cow::Borrowed(PLAIN_TEXT)
    } else if mime.starts_with("text/") && !mime.contains("charset") {
        Cow::Owned(format!("{mime}; charset=utf-8"))
    } else {
        Cow::Borrowed(mime)
    }
}

/// What active content and charset-less plain text are served as.
pub const PLAIN_TEXT: &str = "text/plain; charset=utf-8";

/// Markup that browsers sniff as HTML/SVG/XML even when served otherwise.
fn looks_like_markup(content: &[u8]) -> bool {
    let head = &content[..content.len().min(512)];
    let text = String::from_utf8_lossy(head)
        .trim_start()
        .to_ascii_lowercase();
    [
        "<!doctype html",
        "<html",
        "<svg",
        "<?xml",
        "<script",
        "<head",
        "<body",
        "<iframe",
    ]
    .iter()
    .any(|tag| text.starts_with(tag))
}

/// Shannon entropy of `content` in bits per byte (0 to 8).
pub fn shannon_entropy(content: &[u8]) -> f64 {
    if content.is_empty() {
        return 0.0;
    }
    let mut counts = [0u64; 256];
    for &b in content {
        counts[usize::from(b)] += 1;
    }
    entropy_of_counts(&counts, content.len() as u64)
}

/// Shannon entropy in bits per byte of content of `len` bytes with byte histogram `counts`.
pub fn entropy_of_counts(counts: &[u64; 256], len: u64) -> f64 {
    if len == 0 {
        return 0.0;
    }
    #[expect(
        clippy::cast_precision_loss,
        reason = "byte counts far below 2^52 are exact in f64"
    )]
    let len = len as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            #[expect(clippy::cast_precision_loss, reason = "as above")]
            let p = c as f64 / len;
            -p * p.log2()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_binary_and_text() {
        let png = [
            0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d,
        ];
        assert_eq!(detect_mime(&png), "image/png");
        assert_eq!(detect_mime(b"hello world"), "text/plain");
        assert_eq!(
            detect_mime(&[0xff, 0xfe, 0x00, 0x81]),
            "application/octet-stream"
        );
    }

    #[test]
    fn markup_is_active_and_demoted() {
        for doc in [
            &b"<!DOCTYPE html><p>x"[..],
            b"  <svg onload=alert(1)>",
            b"<?xml version='1.0'?><a/>",
        ] {
            let mime = detect_mime(doc);
            assert!(is_active(&mime), "{mime}");
            assert_eq!(serving_type(&mime), "text/plain; charset=utf-8");
        }
        assert_eq!(serving_type("image/png"), "image/png");
        assert_eq!(serving_type("text/plain"), "text/plain; charset=utf-8");
    }

    #[test]
    fn entropy_bounds() {
        assert!(shannon_entropy(b"aaaaaaaa").abs() < f64::EPSILON);
        let all: Vec<u8> = (0..=255).collect();
        assert!((shannon_entropy(&all) - 8.0).abs() < 1e-9);
        // base64 text can never exceed log2(64) = 6 bits per byte.
        let b64 = b"QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0NTY3ODkrLw==";
        assert!(shannon_entropy(b64) <= 6.0 + 1e-9);
    }
}
