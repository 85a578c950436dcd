//! Hostile and broken clients over raw sockets: oversize bodies, stalls, garbage headers, and a
//! thousand clients that vanish mid-upload.

use std::sync::Arc;
use std::time::Duration;

use platform_db_check::integrity_ok;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Semaphore;

use crate::support::{Server, TestResult, create, http, s};

mod platform_db_check {
    /// `PRAGMA integrity_check` on a database file.
    pub fn integrity_ok(
        path: &std::path::Path,
    ) -> Result<bool, Box<dyn std::error::Error + Send + Sync>> {
        let conn = platform_db::open(path)?;
        let verdict: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
        Ok(verdict == "ok")
    }
}

/// Reads whatever the server sends within `limit`.
async fn read_reply(stream: &mut TcpStream, limit: Duration) -> String {
    let mut buf = Vec::new();
    let _ = tokio::time::timeout(limit, async {
        let mut chunk = [0u8; 4096];
        loop {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    buf.extend_from_slice(&chunk[..n]);
                    if buf.windows(4).any(|w| w == b"\r\n\r\n") {
                        break;
                    }
                }
            }
        }
    })
    .await;
    String::from_utf8_lossy(&buf).into_owned()
}

#[tokio::test]
async fn oversize_announcement_is_refused_without_reading_the_body() -> TestResult {
    let server = Server::start(|_| {}).await?;
    let mut stream = TcpStream::connect(server.addr).await?;
    stream
        .write_all(b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 1073741824\r\n\r\n")
        .await?;
    // Not one byte of the announced gigabyte is sent: the answer must come anyway.
    let reply = read_reply(&mut stream, Duration::from_secs(5)).await;
    assert!(reply.starts_with("HTTP/1.1 413"), "{reply}");
    assert!(reply.contains("application/problem+json"));
    Ok(())
}

/// On tokio's paused clock: the server's timers and the test's bounds are the same virtual
/// time, so "cut off after 1 s, well before 8 s" holds on a loaded machine too.
#[tokio::test(start_paused = true)]
async fn clients_stalling_in_headers_or_body_are_cut_off() -> TestResult {
    let server = Server::start(|c| {
        c.header_timeout = Duration::from_secs(1);
        c.body_timeout = Duration::from_secs(1);
    })
    .await?;
    let mut headers_only = TcpStream::connect(server.addr).await?;
    headers_only
        .write_all(b"POST / HTTP/1.1\r\nHost: t\r\nX-Slow:")
        .await?;
    let started = tokio::time::Instant::now();
    let reply = read_reply(&mut headers_only, Duration::from_secs(8)).await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "header stall not cut off after its 1 s"
    );
    assert!(
        reply.is_empty() || reply.starts_with("HTTP/1.1 408"),
        "{reply}"
    );

    let mut body_stall = TcpStream::connect(server.addr).await?;
    body_stall
        .write_all(b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\nonly ten b")
        .await?;
    let started = tokio::time::Instant::now();
    let reply = read_reply(&mut body_stall, Duration::from_secs(8)).await;
    assert!(reply.starts_with("HTTP/1.1 408"), "{reply}");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "body stall not cut off after its 1 s"
    );

    assert_eq!(
        http().get(server.url("/health")).send().await?.status(),
        200
    );
    Ok(())
}

#[tokio::test]
async fn malformed_headers_are_400_not_ignored() -> TestResult {
    let server = Server::start(|_| {}).await?;
    for header in [
        &b"X-Burn-After-Read: \xff\xfe"[..],
        b"X-Expiry: \xc3\x28",
        b"X-Paste-Password: \x80",
    ] {
        let mut stream = TcpStream::connect(server.addr).await?;
        let mut req = b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n".to_vec();
        req.extend_from_slice(header);
        req.extend_from_slice(b"\r\n\r\nhello");
        stream.write_all(&req).await?;
        let reply = read_reply(&mut stream, Duration::from_secs(5)).await;
        assert!(reply.starts_with("HTTP/1.1 400"), "{reply}");
    }
    let mut garbage = TcpStream::connect(server.addr).await?;
    garbage.write_all(b"\x00\x01GARBAGE\r\n\r\n").await?;
    let reply = read_reply(&mut garbage, Duration::from_secs(5)).await;
    assert!(
        reply.is_empty() || reply.starts_with("HTTP/1.1 400"),
        "{reply}"
    );
    assert_eq!(
        http().get(server.url("/health")).send().await?.status(),
        200
    );
    Ok(())
}

#[tokio::test]
async fn a_thousand_clients_dropping_mid_create_leave_the_server_consistent() -> TestResult {
    let server = Server::start(|_| {}).await?;
    let addr = server.addr;
    let slots = Arc::new(Semaphore::new(200));
    let mut tasks = Vec::new();
    for i in 0..1000u32 {
        let slots = Arc::clone(&slots);
        tasks.push(tokio::spawn(async move {
            let _slot = slots.acquire_owned().await?;
            let mut stream = TcpStream::connect(addr).await?;
            let body = format!("dropped upload number {i} ").repeat(40);
            let head = format!(
                "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: {}\r\n\r\n",
                body.len()
            );
            stream.write_all(head.as_bytes()).await?;
            if i % 2 == 0 {
                // Half the body, then gone.
                stream.write_all(&body.as_bytes()[..body.len() / 2]).await?;
            } else {
                // All of it, then gone before the answer.
                stream.write_all(body.as_bytes()).await?;
            }
            drop(stream);
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    let c = http();
    let created = create(&c, &server, b"still serving").await?;
    let raw = c
        .get(server.url(&format!("/{}/raw", s(&created, "id"))))
        .send()
        .await?;
    assert_eq!(raw.text().await?, "still serving");
    assert_eq!(c.get(server.url("/health")).send().await?.status(), 200);
    let dir = server.stop().await?;
    let db = dir.path().join("fpaste.db");
    assert!(integrity_ok(&db)?);
    let conn = platform_db::open(&db)?;
    // Every stored paste is the final one or a complete upload (odd numbers sent their whole
    // body); none is a prefix of an upload that was cut off.
    let contents: Vec<Vec<u8>> = conn
        .prepare("SELECT content FROM pastes")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let mut complete = 0;
    for content in contents {
        if content == b"still serving" {
            continue;
        }
        let text = String::from_utf8(content)?;
        let unit: String = text.split_inclusive(' ').take(4).collect();
        assert_eq!(text, unit.repeat(40), "a truncated upload was stored");
        let number: u32 = unit.trim_end().rsplit(' ').next().unwrap_or("").parse()?;
        assert_eq!(
            number % 2,
            1,
            "upload {number} sent half its body, yet was stored"
        );
        complete += 1;
    }
    assert!(complete <= 500, "no more pastes than complete uploads");
    Ok(())
}
