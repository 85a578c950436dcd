//! Thumbnails of local image files for the duplicates page: decoded under strict limits,
//! scaled to fit [`MAX_EDGE`], re-encoded (JPEG for JPEG sources, PNG otherwise).
//!
//! Untrusted input, so every bound is checked before the expensive step it protects: the file
//! size before reading, the declared dimensions (read from the header alone) before decoding,
//! and `image::Limits` (dimensions and allocation) inside the decoder as a second line. A
//! "decompression bomb" (a small file declaring a huge canvas) is refused at the header.
//! Opening follows [`open_confined`]: the file must still resolve inside its source root and
//! the allow-listed roots, its last component is opened without following symlinks, and it must
//! still be the size and age the index recorded.

use std::io::{Cursor, Read as _};
use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};

use image::{DynamicImage, ImageFormat, ImageReader, Limits};

use crate::error::Internal;
use crate::local_roots::confine;

/// Longest edge of a thumbnail, in pixels.
pub const MAX_EDGE: u32 = 160;
/// Largest file read for a thumbnail.
pub const MAX_INPUT_BYTES: u64 = 40 * 1024 * 1024;
/// Largest width or height decoded.
pub const MAX_DIMENSION: u32 = 12_000;
/// Largest canvas decoded (50 megapixels: bigger than most phone cameras).
pub const MAX_PIXELS: u64 = 50_000_000;
/// Most memory the decoder may allocate at once.
pub const MAX_ALLOC_BYTES: u64 = 256 * 1024 * 1024;

/// Why there is no thumbnail.
#[derive(Debug, thiserror::Error)]
pub enum ThumbError {
    /// Gone, moved outside the roots, or not a regular file.
    #[error("the file is no longer there")]
    Missing,
    /// Its size or modification time differ from the index: rescan first.
    #[error("the file changed since it was scanned")]
    Changed,
    /// Not a JPEG, PNG, GIF or WebP (by name, type and content).
    #[error("only JPEG, PNG, GIF and WebP images have thumbnails")]
    NotAnImage,
    /// Over one of the limits; the message says which.
    #[error("{0}")]
    TooLarge(String),
    /// Claims to be an image but does not decode.
    #[error("the image could not be decoded")]
    Undecodable,
    /// I/O or encoding failure; logged with where it happened, never shown.
    #[error(transparent)]
    Internal(Internal),
}

/// A rendered thumbnail.
#[derive(Debug, Clone)]
pub struct Thumbnail {
    /// Encoded bytes.
    pub bytes: Vec<u8>,
    /// `image/png` or `image/jpeg`.
    pub content_type: &'static str,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

const EXTENSIONS: &[&str] = &["jpg", "jpeg", "jpe", "png", "gif", "webp"];
const MIME_TYPES: &[&str] = &["image/jpeg", "image/png", "image/gif", "image/webp"];

/// Whether a file looks like a supported image by its MIME type or, failing that, its name.
pub fn is_image(name: &str, mime: Option<&str>) -> bool {
    if let Some(m) = mime.map(|m| m.split(';').next().unwrap_or(m).trim())
        && MIME_TYPES.iter().any(|t| m.eq_ignore_ascii_case(t))
    {
        return true;
    }
    Path::new(name)
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| EXTENSIONS.iter().any(|x| e.eq_ignore_ascii_case(x)))
}

/// Opens `item` for reading when it still resolves inside `source_root`, and `source_root`
/// inside the allow-listed `roots` (both re-checked now, as before every scan); checks it is a
/// regular file of `size` bytes modified at `modified_ns`, and reads it.
pub fn read_confined(
    roots: &[PathBuf],
    source_root: &Path,
    item: &Path,
    size: u64,
    modified_ns: i64,
) -> Result<Vec<u8>, ThumbError> {
    let mut file = open_confined(roots, source_root, item)?;
    let meta = file
        .metadata()
        .map_err(|e| ThumbError::Internal(Internal::new(e)))?;
    if !meta.is_file() {
        return Err(ThumbError::Missing);
    }
    let mtime_ns = meta
        .mtime()
        .saturating_mul(1_000_000_000)
        .saturating_add(meta.mtime_nsec());
    if meta.len() != size || mtime_ns != modified_ns {
        return Err(ThumbError::Changed);
    }
    if meta.len() > MAX_INPUT_BYTES {
        return Err(ThumbError::TooLarge(format!(
            "the file is larger than {} MiB",
            MAX_INPUT_BYTES / (1024 * 1024)
        )));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    (&mut file)
        .take(MAX_INPUT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| ThumbError::Internal(Internal::new(e)))?;
    if bytes.len() as u64 != size {
        return Err(ThumbError::Changed);
    }
    Ok(bytes)
}

/// The regular file at `item`, opened read-only through the engine's confined handle on the
/// (allowed) `source_root`: no link anywhere below the root is followed, so a file swapped for a
/// link to another person's folder is refused, not read.
fn open_confined(
    roots: &[PathBuf],
    source_root: &Path,
    item: &Path,
) -> Result<std::fs::File, ThumbError> {
    let root = confine(roots, source_root).map_err(|_| ThumbError::Missing)?;
    declutter_core::local::confined::Root::open(&root)
        .and_then(|r| r.open_file(item))
        .map_err(|_| ThumbError::Missing)
}

/// Decodes `bytes` under the limits and renders a thumbnail at most [`MAX_EDGE`] on a side.
pub fn render(bytes: &[u8]) -> Result<Thumbnail, ThumbError> {
    let format = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| ThumbError::Internal(Internal::new(e)))?
        .format();
    let format = match format {
        Some(f @ (ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::Gif | ImageFormat::WebP)) => {
            f
        }
        _ => return Err(ThumbError::NotAnImage),
    };
    // The header alone: refuse a huge canvas before a single pixel is allocated.
    let (w, h) = reader(bytes, format)
        .into_dimensions()
        .map_err(|e| match e {
            image::ImageError::Limits(l) => {
                ThumbError::TooLarge(format!("the image is too large to preview ({l})"))
            }
            _ => ThumbError::Undecodable,
        })?;
    if w > MAX_DIMENSION || h > MAX_DIMENSION || u64::from(w) * u64::from(h) > MAX_PIXELS {
        return Err(ThumbError::TooLarge(format!(
            "the image is {w}×{h} pixels; thumbnails are made up to {MAX_DIMENSION} pixels a side \
             and {} megapixels",
            MAX_PIXELS / 1_000_000
        )));
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_DIMENSION);
    limits.max_image_height = Some(MAX_DIMENSION);
    limits.max_alloc = Some(MAX_ALLOC_BYTES);
    let mut decoder = reader(bytes, format);
    decoder.limits(limits);
    let image = decoder.decode().map_err(|e| match e {
        image::ImageError::Limits(l) => ThumbError::TooLarge(format!(
            "the image needs more memory to decode than allowed ({l})"
        )),
        _ => ThumbError::Undecodable,
    })?;
    let small = if image.width() > MAX_EDGE || image.height() > MAX_EDGE {
        image.thumbnail(MAX_EDGE, MAX_EDGE)
    } else {
        image
    };
    encode(&small, format == ImageFormat::Jpeg)
}

fn reader(bytes: &[u8], format: ImageFormat) -> ImageReader<Cursor<&[u8]>> {
    ImageReader::with_format(Cursor::new(bytes), format)
}

fn encode(image: &DynamicImage, jpeg: bool) -> Result<Thumbnail, ThumbError> {
    let mut out = Cursor::new(Vec::new());
    let content_type = if jpeg {
        let rgb = DynamicImage::ImageRgb8(image.to_rgb8());
        rgb.write_with_encoder(image::codecs::jpeg::JpegEncoder::new_with_quality(
            &mut out, 80,
        ))
        .map_err(|e| ThumbError::Internal(Internal::new(e)))?;
        "image/jpeg"
    } else {
        let rgba = DynamicImage::ImageRgba8(image.to_rgba8());
        rgba.write_to(&mut out, ImageFormat::Png)
            .map_err(|e| ThumbError::Internal(Internal::new(e)))?;
        "image/png"
    };
    Ok(Thumbnail {
        bytes: out.into_inner(),
        content_type,
        width: image.width(),
        height: image.height(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
        let img = image::RgbImage::from_fn(w, h, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, 128])
        });
        let mut out = Cursor::new(Vec::new());
        img.write_to(&mut out, ImageFormat::Png)?;
        Ok(out.into_inner())
    }

    #[test]
    fn images_are_recognised_by_type_or_name() {
        assert!(is_image("a.JPG", None));
        assert!(is_image("b.webp", None));
        assert!(is_image("noext", Some("image/png")));
        assert!(!is_image("c.txt", None));
        assert!(!is_image("d.svg", Some("image/svg+xml")));
        assert!(!is_image("e.bmp", None));
    }

    #[test]
    fn thumbnails_fit_and_keep_the_aspect() -> Result<(), Box<dyn std::error::Error>> {
        let t = render(&png(640, 320)?)?;
        assert_eq!((t.width, t.height), (160, 80));
        assert_eq!(t.content_type, "image/png");
        let back = image::load_from_memory(&t.bytes)?;
        assert_eq!((back.width(), back.height()), (160, 80));
        // Small images are not blown up.
        let t = render(&png(20, 10)?)?;
        assert_eq!((t.width, t.height), (20, 10));
        Ok(())
    }

    #[test]
    fn text_is_not_an_image() {
        assert!(matches!(
            render(b"hello, world"),
            Err(ThumbError::NotAnImage)
        ));
        assert!(matches!(
            render(b"\x89PNG\r\n\x1a\nbroken"),
            Err(ThumbError::Undecodable)
        ));
    }
}
