//! The encrypted envelope: AES-256-GCM in the STREAM construction, sealed and opened chunk by
//! chunk so files of any size go through a bounded buffer. The byte layout is in `ENVELOPE.md`;
//! the cipher is ring's ([`crate::stream_aead`]), which runs at the CPU's AES speed.

use std::io::{self, BufRead, Read, Write};

use crate::stream_aead::{self, Stream};

/// First three bytes of every envelope.
pub const MAGIC: &[u8; 3] = b"FPE";
/// The format version written by this client.
pub const VERSION: u8 = 1;
/// log2 of the plaintext chunk size this client writes (64 KiB).
pub const CHUNK_LOG2: u8 = 16;
/// Smallest and largest chunk size accepted when opening, bounding the reader's memory.
const CHUNK_LOG2_RANGE: std::ops::RangeInclusive<u8> = 10..=24;
/// Bytes of the random per-paste nonce prefix (12-byte GCM nonce minus 4 counter + 1 flag bytes).
pub const NONCE_PREFIX_LEN: usize = 7;
/// Header length: magic, version, chunk exponent, nonce prefix.
pub const HEADER_LEN: usize = 3 + 1 + 1 + NONCE_PREFIX_LEN;
/// GCM tag length added to every chunk.
pub const TAG_LEN: usize = 16;
/// Key length in bytes (AES-256).
pub const KEY_LEN: usize = 32;
/// Largest legacy single-shot envelope (`nonce ‖ ciphertext ‖ tag`) this client will open.
const LEGACY_MAX: u64 = 64 << 20;

/// A 256-bit paste key; it lives only in the URL fragment.
#[derive(Clone, PartialEq, Eq)]
pub struct Key([u8; KEY_LEN]);

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Key(****)")
    }
}

impl Key {
    /// A fresh key from the operating system's RNG.
    pub fn generate() -> Self {
        let mut key = [0u8; KEY_LEN];
        rand::fill(&mut key);
        Self(key)
    }

    /// Wraps raw key bytes.
    pub fn from_bytes(bytes: [u8; KEY_LEN]) -> Self {
        Self(bytes)
    }

    fn cipher(&self) -> ring::aead::LessSafeKey {
        stream_aead::cipher(&self.0)
    }

    /// The raw bytes, for encoding into a URL fragment.
    pub fn as_bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }
}

/// Why an envelope did not open.
#[derive(Debug, thiserror::Error)]
pub enum EnvelopeError {
    /// The header is not one this client understands.
    #[error("not an fpaste envelope ({0})")]
    Format(&'static str),
    /// A chunk failed authentication: wrong key, tampered, reordered or truncated data.
    #[error("authentication failed: wrong key, or the paste was tampered with or truncated")]
    Auth,
    /// Reading or writing failed.
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// Envelope size for a plaintext of `len` bytes with chunks of `2^chunk_log2` bytes.
pub fn sealed_len(len: u64, chunk_log2: u8) -> u64 {
    let chunk = 1u64 << chunk_log2;
    let chunks = len.div_ceil(chunk).max(1);
    HEADER_LEN as u64 + len + chunks * TAG_LEN as u64
}

/// Reads until `buf` is full or the input ends; returns the bytes read.
fn read_full(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// A reader that yields the envelope of the plaintext read from `inner`, one chunk at a time.
///
/// The plaintext of the next chunk is read ahead, so whether the current chunk is the last is
/// known without a read of its own (a one-byte look-ahead cost a system call per chunk), and
/// each chunk is sealed in place where it was read. [`BufRead`] hands the sealed chunks out
/// without copying them; [`Read`] copies them into the caller's buffer.
pub struct SealingReader<R> {
    inner: R,
    encryptor: Option<Stream>,
    header: [u8; HEADER_LEN],
    chunk: usize,
    /// One sealed chunk (or the header): `out[..len]`, handed out from `pos`.
    out: Vec<u8>,
    len: usize,
    pos: usize,
    /// The next chunk's plaintext, `ahead[..n]` once read.
    ahead: Vec<u8>,
    ahead_len: Option<usize>,
}

impl<R: Read> SealingReader<R> {
    /// Seals `inner` under `key` with a fresh random nonce prefix.
    pub fn new(inner: R, key: &Key) -> Self {
        let mut prefix = [0u8; NONCE_PREFIX_LEN];
        rand::fill(&mut prefix);
        Self::with_nonce(inner, key, prefix, CHUNK_LOG2)
    }

    fn with_nonce(inner: R, key: &Key, prefix: [u8; NONCE_PREFIX_LEN], chunk_log2: u8) -> Self {
        let mut header = [0u8; HEADER_LEN];
        header[..3].copy_from_slice(MAGIC);
        header[3] = VERSION;
        header[4] = chunk_log2;
        header[5..].copy_from_slice(&prefix);
        let encryptor = Stream::new(key.cipher(), prefix);
        let chunk = 1usize << chunk_log2;
        let mut out = vec![0u8; chunk.max(HEADER_LEN) + TAG_LEN];
        out[..HEADER_LEN].copy_from_slice(&header);
        Self {
            inner,
            encryptor: Some(encryptor),
            header,
            chunk,
            ahead: vec![0u8; out.len()],
            out,
            len: HEADER_LEN,
            pos: 0,
            ahead_len: None,
        }
    }

    /// Seals the next chunk into `out`; false once the last chunk has been produced.
    fn refill(&mut self) -> io::Result<bool> {
        let Some(encryptor) = self.encryptor.as_mut() else {
            return Ok(false);
        };
        let n = match self.ahead_len.take() {
            Some(n) => n,
            None => read_full(&mut self.inner, &mut self.ahead[..self.chunk])?,
        };
        std::mem::swap(&mut self.out, &mut self.ahead);
        // A short chunk is the last; a full one is the last when nothing follows it.
        let last = n < self.chunk || {
            let next = read_full(&mut self.inner, &mut self.ahead[..self.chunk])?;
            self.ahead_len = Some(next);
            next == 0
        };
        let plain = &mut self.out[..n];
        let sealed = if last {
            self.encryptor
                .take()
                .map(|mut e| e.seal(&self.header, plain, true))
        } else {
            Some(encryptor.seal(&self.header, plain, false))
        };
        match sealed {
            Some(Ok(tag)) => self.out[n..n + TAG_LEN].copy_from_slice(&tag),
            _ => return Err(io::Error::other("encryption failed (stream too long)")),
        }
        self.len = n + TAG_LEN;
        self.pos = 0;
        Ok(true)
    }
}

impl<R: Read> BufRead for SealingReader<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        while self.pos == self.len {
            if !self.refill()? {
                return Ok(&[]);
            }
        }
        Ok(&self.out[self.pos..self.len])
    }

    fn consume(&mut self, amount: usize) {
        self.pos = (self.pos + amount).min(self.len);
    }
}

impl<R: Read> Read for SealingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let sealed = self.fill_buf()?;
        let n = buf.len().min(sealed.len());
        buf[..n].copy_from_slice(&sealed[..n]);
        self.consume(n);
        Ok(n)
    }
}

/// Opens the envelope read from `input`, writing plaintext chunk by chunk to `output`; returns
/// the plaintext length. Output of a failed open must be discarded: callers verify first (with
/// [`io::sink`]) and only then open again into the real destination.
pub fn open(
    key: &Key,
    input: &mut impl Read,
    output: &mut impl Write,
) -> Result<u64, EnvelopeError> {
    let mut header = [0u8; HEADER_LEN];
    let got = read_full(input, &mut header)?;
    if got < HEADER_LEN || &header[..3] != MAGIC {
        return open_legacy(key, &header[..got], input, output);
    }
    if header[3] != VERSION {
        return Err(EnvelopeError::Format("unsupported version"));
    }
    if !CHUNK_LOG2_RANGE.contains(&header[4]) {
        return Err(EnvelopeError::Format("chunk size out of range"));
    }
    let sealed_chunk = (1usize << header[4]) + TAG_LEN;
    let mut prefix = [0u8; NONCE_PREFIX_LEN];
    prefix.copy_from_slice(&header[5..]);
    let mut decryptor = Stream::new(key.cipher(), prefix);
    // Two buffers: the next sealed chunk is read ahead, which tells whether this one is the last.
    let mut buf = vec![0u8; sealed_chunk];
    let mut ahead = vec![0u8; sealed_chunk];
    let mut n = read_full(input, &mut buf)?;
    let mut total = 0u64;
    loop {
        let next = if n < sealed_chunk {
            0
        } else {
            read_full(input, &mut ahead)?
        };
        let last = next == 0;
        if n < TAG_LEN {
            return Err(EnvelopeError::Auth);
        }
        let plain = decryptor
            .open(&header, &mut buf[..n], last)
            .map_err(|_| EnvelopeError::Auth)?;
        output.write_all(&buf[..plain])?;
        total += plain as u64;
        if last {
            return Ok(total);
        }
        std::mem::swap(&mut buf, &mut ahead);
        n = next;
    }
}

/// FlaskPaste's single-shot format, `nonce(12) ‖ ciphertext ‖ tag(16)`, held in memory whole.
fn open_legacy(
    key: &Key,
    head: &[u8],
    input: &mut impl Read,
    output: &mut impl Write,
) -> Result<u64, EnvelopeError> {
    let mut all = head.to_vec();
    input.take(LEGACY_MAX).read_to_end(&mut all)?;
    if all.len() as u64 >= LEGACY_MAX {
        return Err(EnvelopeError::Format("legacy envelope too large"));
    }
    if all.len() < 12 + TAG_LEN {
        return Err(EnvelopeError::Format("too short"));
    }
    let (nonce, rest) = all.split_at(12);
    let mut body = rest.to_vec();
    let mut n = [0u8; 12];
    n.copy_from_slice(nonce);
    stream_aead::open_single(&key.cipher(), n, &mut body).map_err(|_| EnvelopeError::Auth)?;
    output.write_all(&body)?;
    Ok(body.len() as u64)
}

#[cfg(test)]
#[path = "envelope_tests.rs"]
mod tests;
