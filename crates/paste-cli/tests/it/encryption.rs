//! End-to-end encryption: the server stores only ciphertext, never sees or logs the key, and a
//! tampered, truncated or wrongly keyed paste fails with exit code 5 and empty stdout.

use std::io::{Read, Write};
use std::net::TcpListener;

use crate::support::{Server, TestResult, binary, fragment_of, id_of, logs, run, write_file};

const LINE: &[u8] = b"The launch code is 0000. Do not tell anyone about the launch code.\n";

/// A few KiB of text: long enough that its ciphertext can show near 8 bits/byte of entropy.
fn secret() -> Vec<u8> {
    LINE.repeat(40)
}

/// A server that insists on high-entropy content, as FlaskPaste deployments do.
fn entropy_server() -> TestResult<Server> {
    Server::with(|c| {
        c.min_entropy = 7.0;
        c.min_entropy_size = 256;
    })
}

#[test]
fn server_stores_no_plaintext_and_never_sees_the_key() -> TestResult {
    let server = entropy_server()?;
    // No -e: encryption is the default because the server enforces entropy.
    let url = run(&mut server.fpaste(), Some(&secret()))?.ok()?.text();
    let key = fragment_of(&url).ok_or("no key in the URL")?;
    assert_eq!(key.len(), 43, "base64url of 32 bytes, unpadded");
    let stored = server.stored_contents()?;
    assert_eq!(stored.len(), 1);
    let blob = &stored[0];
    assert!(
        !blob.windows(11).any(|w| w == b"launch code"),
        "plaintext stored"
    );
    assert!(
        !blob.windows(key.len()).any(|w| w == key.as_bytes()),
        "key stored"
    );
    assert!(blob.starts_with(b"FPE\x01"), "not an fpaste envelope");
    let log = logs();
    assert!(log.contains("\"route\""), "request log not captured");
    assert!(!log.contains(&key), "key appears in the server log");
    assert!(
        !log.contains("launch code"),
        "plaintext appears in the server log"
    );
    let got = run(server.fpaste().args(["get", &url]), None)?.ok()?;
    assert_eq!(got.stdout, secret());
    Ok(())
}

#[test]
fn entropy_rule_refuses_plaintext_with_a_clear_message() -> TestResult {
    let server = entropy_server()?;
    let refused = run(server.fpaste().arg("--no-encrypt"), Some(&secret()))?;
    assert_eq!(refused.code, 4, "{}", refused.stderr);
    assert!(refused.stderr.contains("entropy"), "{}", refused.stderr);
    assert!(refused.stdout.is_empty());
    Ok(())
}

#[test]
fn tampered_truncated_and_wrongly_keyed_pastes_are_rejected() -> TestResult {
    // The test rewrites the database behind the server's back, which the read cache (rightly)
    // does not expect: a server sharing its database with another writer runs without it.
    let server = Server::with(|c| c.cache_bytes = 0)?;
    let data = binary(200 * 1024 + 3); // four 64 KiB chunks
    let url = run(server.fpaste().arg("-e"), Some(&data))?.ok()?.text();
    let id = id_of(&url);
    let original = server.stored_contents()?.remove(0);

    let expect_rejected = |what: &str, url: &str| -> TestResult {
        let out = run(server.fpaste().args(["get", url]), None)?;
        assert_eq!(out.code, 5, "{what}: {}", out.stderr);
        assert!(
            out.stdout.is_empty(),
            "{what}: output released before authentication"
        );
        assert!(
            out.stderr.contains("decryption failed"),
            "{what}: {}",
            out.stderr
        );
        Ok(())
    };
    // A flipped byte in the header, the first chunk, and the last tag.
    for pos in [5, 100, original.len() - 1] {
        let mut bad = original.clone();
        bad[pos] ^= 0x40;
        server.overwrite_content(&id, &bad)?;
        expect_rejected(&format!("flip at {pos}"), &url)?;
    }
    // Cut at a chunk boundary: every remaining chunk is intact, but the last is missing.
    server.overwrite_content(&id, &original[..12 + 2 * (65536 + 16)])?;
    expect_rejected("truncated", &url)?;
    // The genuine content with another key.
    server.overwrite_content(&id, &original)?;
    let wrong = format!(
        "{}#{}",
        url.split('#').next().unwrap_or_default(),
        "A".repeat(43)
    );
    expect_rejected("wrong key", &wrong)?;
    // And the genuine pair still works, to stdout and to a file.
    assert!(run(server.fpaste().args(["get", &url]), None)?.ok()?.stdout == data);
    let out = server.home.path().join("plain.bin");
    run(server.fpaste().args(["get", &url, "-o"]).arg(&out), None)?.ok()?;
    assert!(std::fs::read(&out)? == data);
    Ok(())
}

#[test]
fn large_encrypted_file_round_trips() -> TestResult {
    // Larger than the client's in-memory spool, so the download spills to a temp file.
    let data = binary(6 * 1024 * 1024 + 11);
    let small = Server::start()?;
    let file = write_file(small.home.path(), "big.bin", &data)?;
    let refused = run(small.fpaste().arg("-e").arg(&file), None)?;
    assert_eq!(refused.code, 4, "{}", refused.stderr);
    assert!(
        refused.stderr.contains("exceeds the server limit"),
        "{}",
        refused.stderr
    );
    let server = Server::with(|c| c.max_anon = 64 << 20)?;
    let url = run(server.fpaste().arg("-e").arg(&file), None)?
        .ok()?
        .text();
    let stored = server.stored_contents()?.remove(0);
    assert_eq!(
        stored.len(),
        12 + data.len() + 97 * 16,
        "envelope size formula"
    );
    assert!(run(server.fpaste().args(["get", &url]), None)?.ok()?.stdout == data);
    Ok(())
}

#[test]
fn the_key_never_goes_over_the_wire() -> TestResult {
    // A bare TCP listener records exactly what `fpaste get` sends for a URL with a key.
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let port = listener.local_addr()?.port();
    let key = "Qk9PTS1ib29tLWJvb20tYm9vbS1ib29tLWJvb20tYm8";
    let recorder = std::thread::spawn(move || -> std::io::Result<Vec<u8>> {
        let (mut conn, _) = listener.accept()?;
        let mut seen = vec![0u8; 4096];
        let n = conn.read(&mut seen)?;
        seen.truncate(n);
        conn.write_all(
            b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
        )?;
        Ok(seen)
    });
    let server = Server::start()?; // only for its clean client environment
    let url = format!("http://127.0.0.1:{port}/abc123#{key}");
    let out = run(server.fpaste().args(["get", &url]), None)?;
    assert_eq!(out.code, 4, "{}", out.stderr);
    let seen =
        String::from_utf8_lossy(&recorder.join().map_err(|_| "recorder panicked")??).into_owned();
    assert!(seen.starts_with("GET /abc123/raw HTTP/1.1"), "{seen}");
    assert!(!seen.contains(key), "key sent to the server: {seen}");
    Ok(())
}
