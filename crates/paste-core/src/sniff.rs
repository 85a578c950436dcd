//! What a paste's bytes are, learned a chunk at a time while an upload arrives: its length, its
//! SHA-256 (the duplicate throttle's key), its Shannon entropy and its MIME type, without the
//! whole ever being in memory.
//!
//! The answers equal those of [`content`](crate::content) on the whole content, with one bound:
//! magic bytes are looked for in the first [`SNIFF_HEAD`] bytes only. Every type a browser could
//! run (HTML, SVG, XML, scripts, PDF) is recognised from its first bytes, so the bound never
//! changes whether content is demoted to plain text; a rare type whose signature lies deeper (an
//! OLE2 `.doc` past its head) is stored as `application/octet-stream`.

use sha2::{Digest, Sha256};

use crate::content::{detect_mime_of, entropy_of_counts};

/// Bytes from the start of the content that MIME sniffing looks at.
pub const SNIFF_HEAD: usize = 64 * 1024;

/// The facts of a whole content.
#[derive(Debug, Clone, PartialEq)]
pub struct Facts {
    /// Length in bytes.
    pub len: u64,
    /// SHA-256 of the content.
    pub sha256: [u8; 32],
    /// Shannon entropy, bits per byte.
    pub entropy: f64,
    /// Detected MIME type.
    pub mime: String,
}

/// The running state; feed it every chunk in order, then [`Sniffer::finish`] with the head.
#[derive(Debug, Clone)]
pub struct Sniffer {
    len: u64,
    sha: Sha256,
    counts: [u64; 256],
    utf8: Utf8,
}

impl Default for Sniffer {
    fn default() -> Self {
        Self {
            len: 0,
            sha: Sha256::new(),
            counts: [0; 256],
            utf8: Utf8::default(),
        }
    }
}

impl Sniffer {
    /// Takes in the next chunk.
    pub fn update(&mut self, chunk: &[u8]) {
        self.len += chunk.len() as u64;
        self.sha.update(chunk);
        for &b in chunk {
            self.counts[usize::from(b)] += 1;
        }
        self.utf8.update(chunk);
    }

    /// Bytes taken in so far.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether nothing was taken in.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The facts, given the content's first `min(len, SNIFF_HEAD)` bytes (or more).
    pub fn finish(self, head: &[u8]) -> Facts {
        let head = &head[..head.len().min(SNIFF_HEAD)];
        Facts {
            len: self.len,
            sha256: self.sha.finalize().into(),
            entropy: entropy_of_counts(&self.counts, self.len),
            mime: detect_mime_of(head, self.utf8.valid()),
        }
    }

    /// The facts of content held whole.
    pub fn of(content: &[u8]) -> Facts {
        let mut s = Self::default();
        s.update(content);
        s.finish(content)
    }
}

/// UTF-8 validation across chunk boundaries: a character cut by a boundary is carried (at most
/// three bytes) and completed by the next chunk.
#[derive(Debug, Clone, Default)]
struct Utf8 {
    invalid: bool,
    carry: Vec<u8>,
}

impl Utf8 {
    fn update(&mut self, mut chunk: &[u8]) {
        if self.invalid || chunk.is_empty() {
            return;
        }
        if !self.carry.is_empty() {
            // A character is at most 4 bytes: the carry plus 4 more settles it either way.
            let take = chunk.len().min(4);
            let mut joined = std::mem::take(&mut self.carry);
            let carried = joined.len();
            joined.extend_from_slice(&chunk[..take]);
            let valid_to = match std::str::from_utf8(&joined) {
                Ok(_) => joined.len(),
                Err(e) if e.error_len().is_some() => {
                    self.invalid = true;
                    return;
                }
                Err(e) => e.valid_up_to(),
            };
            if valid_to < carried {
                // Still incomplete: only possible when the chunk was shorter than the character.
                self.carry = joined;
                return;
            }
            chunk = &chunk[valid_to - carried..];
        }
        match std::str::from_utf8(chunk) {
            Ok(_) => {}
            Err(e) if e.error_len().is_some() => self.invalid = true,
            Err(e) => self.carry = chunk[e.valid_up_to()..].to_vec(),
        }
    }

    fn valid(&self) -> bool {
        !self.invalid && self.carry.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::content::{detect_mime, shannon_entropy};

    fn chunked(content: &[u8], cuts: &[usize]) -> Facts {
        let mut s = Sniffer::default();
        let mut at = 0;
        for &cut in cuts {
            let end = (at + cut).min(content.len());
            s.update(&content[at..end]);
            at = end;
        }
        s.update(&content[at..]);
        s.finish(&content[..content.len().min(SNIFF_HEAD)])
    }

    fn whole(content: &[u8]) -> Facts {
        Facts {
            len: content.len() as u64,
            sha256: Sha256::digest(content).into(),
            entropy: shannon_entropy(content),
            mime: detect_mime(content),
        }
    }

    /// Text with multi-byte characters, sometimes with one byte broken.
    fn text() -> impl Strategy<Value = Vec<u8>> {
        (
            proptest::collection::vec(prop::sample::select(vec!["a", "é", "€", "𝄞", "\n"]), 0..64),
            proptest::option::of((any::<prop::sample::Index>(), any::<u8>())),
        )
            .prop_map(|(parts, breakage)| {
                let mut bytes = parts.concat().into_bytes();
                if let (Some((at, byte)), false) = (breakage, bytes.is_empty()) {
                    let i = at.index(bytes.len());
                    bytes[i] = byte;
                }
                bytes
            })
    }

    proptest! {
        #[test]
        fn chunks_agree_with_the_whole(
            content in prop_oneof![text(), proptest::collection::vec(any::<u8>(), 0..256)],
            cuts in proptest::collection::vec(0usize..7, 0..40),
        ) {
            prop_assert_eq!(chunked(&content, &cuts), whole(&content));
        }
    }

    #[test]
    fn a_character_cut_at_every_place_is_still_text() {
        let content = "x€𝄞é".as_bytes();
        for cut in 0..content.len() {
            let facts = chunked(content, &[cut, 1]);
            assert_eq!(facts.mime, "text/plain", "cut at {cut}");
        }
        // A lone lead byte at the very end is not text.
        assert_eq!(
            chunked(b"abc\xe2\x82", &[3]).mime,
            "application/octet-stream"
        );
    }

    #[test]
    fn signatures_come_from_the_head() {
        let mut png = vec![
            0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d,
        ];
        png.resize(3 * SNIFF_HEAD, 0xab);
        assert_eq!(chunked(&png, &[5, 1000, 70_000]).mime, "image/png");
        let mut html = b"<!DOCTYPE html><p>".to_vec();
        html.resize(2 * SNIFF_HEAD, b'a');
        assert_eq!(chunked(&html, &[7]).mime, "text/html");
    }
}
