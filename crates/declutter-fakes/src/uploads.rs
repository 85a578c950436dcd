//! Creating folders and uploading small files, as the live cloud check does through the real
//! APIs (Graph `POST /children` and `PUT /items/{parent}:/{name}:/content`; Drive `POST /files`
//! and `POST /upload/drive/v3/files?uploadType=multipart`), so that the check itself can run
//! against the fakes. The content hash the fakes report for uploads is a stand-in: equal bytes
//! give equal hashes, which is all the engine compares.

/// A stand-in content hash of `bytes`: 32 hex digits, equal for equal bytes.
pub fn digest(bytes: &[u8]) -> String {
    let mut a = 0xcbf2_9ce4_8422_2325_u64;
    let mut b = 0x8422_2325_cbf2_9ce4_u64;
    for &x in bytes {
        a = (a ^ u64::from(x)).wrapping_mul(0x0100_0000_01b3);
        b = (b ^ u64::from(x))
            .wrapping_mul(0x0000_0100_0000_01b3 | 1)
            .rotate_left(5);
    }
    format!("{a:016x}{b:016x}")
}

/// The parts of a `multipart/form-data` or `multipart/related` body: `(headers, content)`.
pub fn multipart_parts<'b>(content_type: &str, body: &'b [u8]) -> Vec<(String, &'b [u8])> {
    let Some(boundary) = content_type
        .split(';')
        .find_map(|p| p.trim().strip_prefix("boundary="))
        .map(|b| format!("--{}", b.trim_matches('"')))
    else {
        return Vec::new();
    };
    let mut parts = Vec::new();
    let mut rest = body;
    while let Some(start) = find(rest, boundary.as_bytes()) {
        rest = &rest[start + boundary.len()..];
        if rest.starts_with(b"--") {
            break;
        }
        let Some(head_end) = find(rest, b"\r\n\r\n") else {
            break;
        };
        let headers = String::from_utf8_lossy(&rest[..head_end]).into_owned();
        let content = &rest[head_end + 4..];
        let end = find(content, boundary.as_bytes()).unwrap_or(content.len());
        let part = content[..end]
            .strip_suffix(b"\r\n")
            .unwrap_or(&content[..end]);
        parts.push((headers, part));
        rest = &content[end..];
    }
    parts
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}
