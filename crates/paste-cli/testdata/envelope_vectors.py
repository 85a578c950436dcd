#!/usr/bin/env python3
"""Known-answer vectors for the fpaste envelope, built from ENVELOPE.md alone.

Uses pyca/cryptography's AES-256-GCM (OpenSSL underneath), not our Rust code, so a change to
the layout, the counter's byte order or the last-chunk flag in src/envelope.rs fails
src/envelope_tests.rs. Run from this directory to regenerate; the output is committed.
"""
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY = bytes(range(32))                      # 00 01 .. 1f
PREFIX = bytes(range(0xA0, 0xA7))           # 7-byte nonce prefix a0 .. a6


def envelope(plain: bytes, e: int) -> bytes:
    header = b"FPE" + bytes([1, e]) + PREFIX
    size = 1 << e
    chunks = [plain[i:i + size] for i in range(0, len(plain), size)] or [b""]
    out = header
    for i, chunk in enumerate(chunks):
        last = 1 if i == len(chunks) - 1 else 0
        nonce = PREFIX + i.to_bytes(4, "big") + bytes([last])
        out += AESGCM(KEY).encrypt(nonce, chunk, header)
    return out


def two_chunk_plaintext() -> bytes:
    # 1024 + 5 bytes: one full 1 KiB chunk and a last chunk of 5, so the counter 1 appears.
    return bytes((i * 31) % 251 for i in range(1029))


if __name__ == "__main__":
    print("empty      ", envelope(b"", 10).hex())
    print("one chunk  ", envelope(b"hello, envelope", 10).hex())
    with open("envelope_two_chunks.bin", "wb") as f:
        f.write(envelope(two_chunk_plaintext(), 10))
    legacy_nonce = bytes(range(0x30, 0x3C))  # 12 bytes
    print("legacy     ", (legacy_nonce + AESGCM(KEY).encrypt(legacy_nonce, b"legacy paste", None)).hex())
