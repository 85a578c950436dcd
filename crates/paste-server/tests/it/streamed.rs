//! Streamed uploads over HTTP: bodies past the in-memory head are spooled to disk while their
//! hash, entropy and MIME type are computed chunk by chunk. The answers must equal those for the
//! same bytes held whole, the size limit must hold to the byte with and without a length, memory
//! must be charged per upload rather than per byte, and an upload cut off midway must leave
//! nothing behind.

use std::time::Duration;

use futures_util::stream;
use paste_core::content::{detect_mime, shannon_entropy};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use crate::support::{Server, TestResult, http, problem, s};

/// Bytes well past the in-memory head (64 KiB), so every upload below is spooled.
const LARGE: usize = 300_000;

/// `content` as a chunked body (no `Content-Length`) cut into pieces of awkward sizes, so
/// multi-byte characters and signatures straddle chunk boundaries.
fn chunked(content: &[u8]) -> reqwest::Body {
    let mut pieces = Vec::new();
    let mut at = 0;
    for size in [1, 2, 3, 5, 7, 65_531, 4093].into_iter().cycle() {
        if at >= content.len() {
            break;
        }
        let end = (at + size).min(content.len());
        pieces.push(Ok::<_, std::io::Error>(content[at..end].to_vec()));
        at = end;
    }
    reqwest::Body::wrap_stream(stream::iter(pieces))
}

/// Pseudo-random bytes (entropy close to 8 bits per byte).
fn noise(len: usize, seed: u32) -> Vec<u8> {
    (0..len as u32)
        .map(|i| (i.wrapping_add(seed).wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect()
}

#[tokio::test]
async fn spooled_uploads_are_throttled_as_duplicates_by_their_whole_hash() -> TestResult {
    let server = Server::start(|c| c.dedup_max = 1).await?;
    let content = noise(LARGE, 1);
    let first = http()
        .post(server.url("/"))
        .body(content.clone())
        .send()
        .await?;
    assert_eq!(first.status(), 201);
    // The same bytes, arriving in other chunks and without a length: the same hash.
    let again = http()
        .post(server.url("/"))
        .body(chunked(&content))
        .send()
        .await?;
    problem(again, 429, "duplicate_content").await?;
    // One byte different, past the head: a different hash.
    let mut other = content.clone();
    other[LARGE - 1] ^= 1;
    let res = http().post(server.url("/")).body(other).send().await?;
    assert_eq!(res.status(), 201);
    Ok(())
}

#[tokio::test]
async fn spooled_uploads_are_refused_for_low_entropy_as_whole_ones() -> TestResult {
    let server = Server::start(|c| {
        c.min_entropy = 6.0;
        c.min_entropy_size = 1;
    })
    .await?;
    // Text: about 4.7 bits per byte, and the same figure the whole would give.
    let text: Vec<u8> = b"the quick brown fox jumps over the lazy dog "
        .iter()
        .copied()
        .cycle()
        .take(LARGE)
        .collect();
    let res = http()
        .post(server.url("/"))
        .body(chunked(&text))
        .send()
        .await?;
    let body = problem(res, 400, "entropy_too_low").await?;
    let whole = (shannon_entropy(&text) * 100.0).round() / 100.0;
    assert_eq!(body["entropy"].as_f64(), Some(whole));
    // Ciphertext-like bytes pass.
    let res = http()
        .post(server.url("/"))
        .body(noise(LARGE, 2))
        .send()
        .await?;
    assert_eq!(res.status(), 201);
    Ok(())
}

#[tokio::test]
async fn spooled_uploads_get_the_mime_type_of_the_whole() -> TestResult {
    let server = Server::start(|_| {}).await?;
    let mut png = vec![
        0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d,
    ];
    png.extend(noise(LARGE, 3));
    let mut html = b"<!DOCTYPE html><script>alert(1)</script>".to_vec();
    html.resize(LARGE, b'a');
    // Multi-byte characters cut by the chunk boundaries, and the same with one broken byte.
    let text = "é€𝄞 ".repeat(LARGE / 10).into_bytes();
    let mut broken = text.clone();
    broken[LARGE / 2] = 0xff;
    for (content, want) in [
        (&png, "image/png"),
        (&html, "text/html"),
        (&text, "text/plain"),
        (&broken, "application/octet-stream"),
    ] {
        assert_eq!(detect_mime(content), want, "the fixture itself");
        let res = http()
            .post(server.url("/"))
            .body(chunked(content))
            .send()
            .await?;
        assert_eq!(res.status(), 201);
        let created: serde_json::Value = res.json().await?;
        assert_eq!(s(&created, "mime_type"), want);
        let raw = http()
            .get(server.url(&format!("/{}/raw", s(&created, "id"))))
            .send()
            .await?;
        if want == "text/html" {
            // Active content is still demoted when it was sniffed from a spooled head.
            assert_eq!(raw.headers()["content-type"], "text/plain; charset=utf-8");
        }
        assert!(
            raw.bytes().await?[..] == content[..],
            "{want} came back different"
        );
    }
    Ok(())
}

#[tokio::test]
async fn the_size_limit_holds_to_the_byte_for_spooled_uploads() -> TestResult {
    const MAX: usize = 200_000;
    let server = Server::start(|c| {
        c.max_anon = MAX as u64;
        c.spool_budget = MAX as u64;
    })
    .await?;
    for len in [MAX, MAX + 1] {
        let content = noise(len, len as u32);
        let announced = http()
            .post(server.url("/"))
            .body(content.clone())
            .send()
            .await?;
        let streamed = http()
            .post(server.url("/"))
            .body(chunked(&content))
            .send()
            .await?;
        for res in [announced, streamed] {
            if len == MAX {
                assert_eq!(res.status(), 201);
            } else {
                let body = problem(res, 413, "payload_too_large").await?;
                assert_eq!(body["max_size"], MAX);
            }
        }
    }
    Ok(())
}

#[tokio::test]
async fn memory_is_charged_per_upload_not_per_byte() -> TestResult {
    // A body budget of one maximal paste used to admit one large upload at a time; spooled, each
    // costs its head and buffers, so three arrive side by side.
    const MAX: usize = 1024 * 1024;
    let server = Server::start(|c| {
        c.max_anon = MAX as u64;
        c.body_budget = MAX as u64;
        c.body_wait = Duration::ZERO;
    })
    .await?;
    let contents: Vec<Vec<u8>> = (0..3).map(|i| noise(MAX, i)).collect();
    let mut open = Vec::new();
    for content in &contents {
        let mut tcp = upload_head(&server, MAX).await?;
        tcp.write_all(&content[..MAX / 2]).await?;
        open.push(tcp);
    }
    let mut answers = Vec::new();
    for (mut tcp, content) in open.into_iter().zip(&contents) {
        tcp.write_all(&content[MAX / 2..]).await?;
        answers.push(read_answer(&mut tcp).await?);
    }
    for answer in answers {
        assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
    }
    Ok(())
}

#[tokio::test]
async fn an_upload_cut_off_midway_leaves_nothing_behind() -> TestResult {
    const MAX: usize = 1024 * 1024;
    let server = Server::start(|c| {
        c.max_anon = MAX as u64;
        c.spool_budget = MAX as u64;
        c.body_wait = Duration::ZERO;
    })
    .await?;
    let mut tcp = upload_head(&server, MAX).await?;
    tcp.write_all(&noise(MAX / 3, 7)).await?;
    tcp.flush().await?;
    // The spool file exists (nameless) while the upload is under way...
    let dir = server.dir.path().to_owned();
    wait_for(|| spool_files_open(&dir) == 1).await?;
    drop(tcp);
    // ...and is gone once the client is: no handle, no name, no row, and the spool budget back.
    wait_for(|| spool_files_open(&dir) == 0).await?;
    let names: Vec<String> = std::fs::read_dir(&dir)?
        .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect::<Result<_, _>>()?;
    assert!(
        names.iter().all(|n| n.starts_with("fpaste.db")),
        "left behind: {names:?}"
    );
    let db = platform_db::rusqlite::Connection::open(server.db_path())?;
    let rows: i64 = db.query_row("SELECT count(*) FROM pastes", [], |r| r.get(0))?;
    assert_eq!(rows, 0);
    let res = http()
        .post(server.url("/"))
        .body(noise(MAX, 8))
        .send()
        .await?;
    assert_eq!(res.status(), 201, "the spool budget was not given back");
    Ok(())
}

/// Sends the head of a raw `len`-byte upload.
async fn upload_head(server: &Server, len: usize) -> std::io::Result<TcpStream> {
    let mut tcp = TcpStream::connect(server.addr).await?;
    tcp.write_all(
        format!("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: {len}\r\n\r\n").as_bytes(),
    )
    .await?;
    Ok(tcp)
}

async fn read_answer(tcp: &mut TcpStream) -> std::io::Result<String> {
    use tokio::io::AsyncReadExt;
    let mut buf = vec![0; 4096];
    let n = tcp.read(&mut buf).await?;
    Ok(String::from_utf8_lossy(&buf[..n]).into_owned())
}

/// Open descriptors of this process (the server runs in it) on nameless files in `dir`.
fn spool_files_open(dir: &std::path::Path) -> usize {
    let Ok(fds) = std::fs::read_dir("/proc/self/fd") else {
        return usize::MAX;
    };
    let dir = dir.to_string_lossy().into_owned();
    fds.filter_map(|fd| std::fs::read_link(fd.ok()?.path()).ok())
        .map(|target| target.to_string_lossy().into_owned())
        .filter(|t| t.starts_with(&dir) && t.ends_with("(deleted)"))
        .count()
}

/// Waits (polling, bounded so a bug fails rather than hangs) until `done` holds.
async fn wait_for(mut done: impl FnMut() -> bool) -> TestResult {
    for _ in 0..500 {
        if done() {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Err("condition never held".into())
}

#[tokio::test]
async fn updates_are_spooled_like_creates() -> TestResult {
    const MAX: usize = 1024 * 1024;
    const OWNER: &str = "a11ce00000000000000000000000000000000001";
    let server = Server::start(|c| {
        c.trust_proxy = true;
        c.max_auth = MAX as u64;
        c.body_wait = Duration::ZERO;
    })
    .await?;
    let c = http();
    let created = c
        .post(server.url("/"))
        .header("x-ssl-client-sha1", OWNER)
        .body("first version")
        .send()
        .await?;
    assert_eq!(created.status(), 201);
    let id = s(&created.json().await?, "id");

    // Half of a 1 MiB replacement sent: it is in a spool file, not in memory.
    let content = noise(MAX, 10);
    let mut tcp = TcpStream::connect(server.addr).await?;
    tcp.write_all(
        format!(
            "PUT /{id} HTTP/1.1\r\nHost: x\r\nX-SSL-Client-SHA1: {OWNER}\r\n\
             Content-Length: {MAX}\r\n\r\n"
        )
        .as_bytes(),
    )
    .await?;
    tcp.write_all(&content[..MAX / 2]).await?;
    tcp.flush().await?;
    let dir = server.dir.path().to_owned();
    wait_for(|| spool_files_open(&dir) == 1).await?;
    tcp.write_all(&content[MAX / 2..]).await?;
    let answer = read_answer(&mut tcp).await?;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let raw = c.get(server.url(&format!("/{id}/raw"))).send().await?;
    assert_eq!(raw.bytes().await?.as_ref(), content.as_slice());

    // A replacement over the limit is refused to the byte and leaves the paste as it was.
    let over = c
        .put(server.url(&format!("/{id}")))
        .header("x-ssl-client-sha1", OWNER)
        .body(chunked(&noise(MAX + 1, 3)))
        .send()
        .await?;
    problem(over, 413, "payload_too_large").await?;
    let raw = c.get(server.url(&format!("/{id}/raw"))).send().await?;
    assert_eq!(raw.bytes().await?.as_ref(), content.as_slice());
    Ok(())
}
