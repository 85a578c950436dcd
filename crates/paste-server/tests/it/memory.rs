//! Bounded memory over HTTP: large pastes stream out of the database with their exact length,
//! and uploads are admitted against a global budget of body bytes (503 + Retry-After past it,
//! before the body is read). Peak-RSS figures are measured by `bench/fpasted-memory.sh`.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::{Server, TestResult, http, problem, s};

#[tokio::test]
async fn a_large_paste_streams_out_byte_for_byte_with_its_length() -> TestResult {
    let server = Server::start(|_| {}).await?;
    // Above the streaming threshold, not a multiple of the chunk, and no two chunks alike.
    let content: Vec<u8> = (0..2_500_000_u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let created: serde_json::Value = http()
        .post(server.url("/"))
        .body(content.clone())
        .send()
        .await?
        .json()
        .await?;
    let url = server.url(&format!("/{}/raw", s(&created, "id")));
    let res = http().get(&url).send().await?;
    assert_eq!(res.status(), 200);
    assert_eq!(res.content_length(), Some(content.len() as u64));
    assert_eq!(
        res.headers()["content-security-policy"],
        "sandbox; default-src 'none'"
    );
    let got = res.bytes().await?;
    assert!(got[..] == content[..], "streamed content differs");
    let head = http().head(&url).send().await?;
    assert_eq!(
        head.headers()["content-length"],
        content.len().to_string().as_str()
    );
    Ok(())
}

/// Sends the request head of a `len`-byte upload and `sent` bytes of its body.
async fn partial_upload(
    server: &Server,
    len: usize,
    sent: usize,
    expect: bool,
) -> std::io::Result<TcpStream> {
    let mut tcp = TcpStream::connect(server.addr).await?;
    let expect = if expect {
        "Expect: 100-continue\r\n"
    } else {
        ""
    };
    tcp.write_all(
        format!("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: {len}\r\n{expect}\r\n").as_bytes(),
    )
    .await?;
    tcp.write_all(&vec![b'a'; sent]).await?;
    Ok(tcp)
}

async fn status_line(tcp: &mut TcpStream) -> std::io::Result<String> {
    let mut buf = vec![0; 4096];
    let n = tcp.read(&mut buf).await?;
    Ok(String::from_utf8_lossy(&buf[..n]).into_owned())
}

#[tokio::test]
async fn uploads_past_the_body_budget_get_503_before_their_body_is_read() -> TestResult {
    let server = Server::start(|c| {
        c.max_anon = 64 * 1024;
        c.body_budget = 64 * 1024;
        c.body_wait = std::time::Duration::ZERO;
    })
    .await?;
    // One upload holds the whole budget while its body trickles in.
    let mut holder = partial_upload(&server, 64 * 1024, 1000, false).await?;
    tokio::task::yield_now().await;
    let mut busy = None;
    for _ in 0..50 {
        let res = http().post(server.url("/")).body("small").send().await?;
        if res.status() == 503 {
            busy = Some(res);
            break;
        }
        // The holder's request may not have reached the handler yet.
        assert_eq!(res.status(), 201);
        tokio::task::yield_now().await;
    }
    let busy = busy.ok_or("never refused while the budget was held")?;
    assert!(busy.headers().contains_key("retry-after"));
    problem(busy, 503, "server_busy").await?;

    // A client that waits for 100 Continue hears 503 and never sends its body.
    let mut polite = partial_upload(&server, 4096, 0, true).await?;
    let answer = status_line(&mut polite).await?;
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");

    // The holder finishes; its reservation is given back.
    holder.write_all(&vec![b'a'; 64 * 1024 - 1000]).await?;
    let answer = status_line(&mut holder).await?;
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
    let res = http().post(server.url("/")).body("after").send().await?;
    assert_eq!(res.status(), 201);
    Ok(())
}
