//! Thumbnails of local images over real HTTP: the owner gets a small PNG, anyone else a 404;
//! a decompression bomb, a non-image and a changed file are refused with problem details; the
//! duplicates page shows lazy `<img>`s that the strict CSP allows. Images in connected drives
//! get the provider's thumbnail (fake Graph and Drive), decoded and re-encoded the same way.

use std::io::Cursor;
use std::path::Path;

use serde_json::Value;

use declutter_fakes::Gated as _;

use crate::cleanup::{queue_scan, wait_scan};
use crate::connections::connect;
use crate::drives::{clouds, connection_id, scan_form};
use crate::support::{Browser, TestApp, TestResult};

fn gradient_png(w: u32, h: u32) -> TestResult<Vec<u8>> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, ((x + y) % 256) as u8])
    });
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)?;
    Ok(out.into_inner())
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xffff_ffff_u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) -> TestResult {
    out.extend_from_slice(&u32::try_from(data.len())?.to_be_bytes());
    let mut body = kind.to_vec();
    body.extend_from_slice(data);
    out.extend_from_slice(&body);
    out.extend_from_slice(&crc32(&body).to_be_bytes());
    Ok(())
}

/// A 60-byte PNG that declares a `w`×`h` RGB canvas (100 000² is 30 GB decoded).
fn bomb_png(w: u32, h: u32) -> TestResult<Vec<u8>> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr)?;
    // An empty zlib stream.
    chunk(
        &mut out,
        b"IDAT",
        &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
    )?;
    chunk(&mut out, b"IEND", &[])?;
    Ok(out)
}

fn make_images(dir: &Path) -> TestResult {
    std::fs::create_dir_all(dir)?;
    let photo = gradient_png(640, 480)?;
    std::fs::write(dir.join("photo.png"), &photo)?;
    std::fs::write(dir.join("photo (1).png"), &photo)?;
    let bomb = bomb_png(100_000, 100_000)?;
    std::fs::write(dir.join("bomb.png"), &bomb)?;
    std::fs::write(dir.join("bomb (1).png"), &bomb)?;
    std::fs::write(dir.join("notes.txt"), b"same notes")?;
    std::fs::write(dir.join("notes (1).txt"), b"same notes")?;
    std::fs::write(dir.join("fake.jpg"), b"not really a jpeg")?;
    std::fs::write(dir.join("fake (1).jpg"), b"not really a jpeg")?;
    Ok(())
}

/// `admin` assigns `dir` to `owner`, who scans it; returns the owner's duplicate groups.
async fn scanned(admin: &Browser, owner: &Browser, dir: &Path) -> TestResult<Vec<Value>> {
    let (_, job) = queue_scan(admin, owner, dir).await?;
    let s = wait_scan(owner, job).await?;
    assert_eq!(s["state"], "done", "{s}");
    let dupes: Value = owner.get("/api/dupes").await?.json().await?;
    Ok(dupes["groups"].as_array().ok_or("groups")?.clone())
}

/// The group whose first copy's path ends with `name`.
fn group<'a>(groups: &'a [Value], name: &str) -> TestResult<&'a Value> {
    groups
        .iter()
        .find(|g| {
            g["files"][0]["path"]
                .as_str()
                .is_some_and(|p| p.ends_with(name))
        })
        .ok_or_else(|| format!("no group for {name}").into())
}

async fn problem(res: reqwest::Response) -> TestResult<(u16, Value)> {
    let status = res.status().as_u16();
    assert_eq!(
        res.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/problem+json")
    );
    Ok((status, res.json().await?))
}

#[tokio::test]
async fn owners_get_bounded_thumbnails_and_bad_images_are_refused() -> TestResult {
    let app = TestApp::start().await?;
    let a = app.user("a@example.com", "A").await?;
    let b = app.user("b@example.com", "B").await?;
    let dir = app.roots.join("a-images");
    make_images(&dir)?;
    let groups = scanned(&a, &a, &dir).await?;

    // The photo: a PNG within 160 px, aspect kept, cacheable privately, not sniffable.
    let photo = group(&groups, "photo (1).png")?;
    let url = photo["thumbnail"].as_str().ok_or("photo group thumbnail")?;
    assert!(url.starts_with("/api/files/"), "{url}");
    let res = a.get(url).await?;
    assert_eq!(res.status(), 200);
    let header = |n: &str| {
        res.headers()
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    assert_eq!(header("content-type"), "image/png");
    assert!(
        header("cache-control").starts_with("private, max-age="),
        "{}",
        header("cache-control")
    );
    assert_eq!(header("x-content-type-options"), "nosniff");
    let bytes = res.bytes().await?;
    let thumb = image::load_from_memory_with_format(&bytes, image::ImageFormat::Png)?;
    assert_eq!((thumb.width(), thumb.height()), (160, 120));

    // Anyone else: the same 404 as a missing id; anonymous: 401.
    let (status, p) = problem(b.get(url).await?).await?;
    assert_eq!((status, p["code"].as_str()), (404, Some("not_found")));
    let (status, _) = problem(app.plain()?.get(app.url(url)).send().await?).await?;
    assert_eq!(status, 401);
    let (status, _) = problem(a.get("/api/files/999999/thumbnail").await?).await?;
    assert_eq!(status, 404);

    // A decompression bomb is refused from its header, with a clear message.
    let bomb = group(&groups, "bomb (1).png")?;
    let url = bomb["thumbnail"].as_str().ok_or("bomb group thumbnail")?;
    let (status, p) = problem(a.get(url).await?).await?;
    assert_eq!((status, p["code"].as_str()), (422, Some("image_too_large")));
    let msg = p["error"].as_str().unwrap_or_default();
    assert!(msg.contains("100000×100000"), "{msg}");

    // Not images: no thumbnail offered; asked anyway, 415.
    let notes = group(&groups, "notes (1).txt")?;
    assert!(notes.get("thumbnail").is_none(), "{notes}");
    let id = notes["files"][0]["id"].as_i64().ok_or("file id")?;
    let (status, p) = problem(a.get(&format!("/api/files/{id}/thumbnail")).await?).await?;
    assert_eq!((status, p["code"].as_str()), (415, Some("not_an_image")));
    // Named like an image, but the content is not one.
    let fake = group(&groups, "fake (1).jpg")?;
    let url = fake["thumbnail"].as_str().ok_or("fake group thumbnail")?;
    let (status, p) = problem(a.get(url).await?).await?;
    assert_eq!((status, p["code"].as_str()), (415, Some("not_an_image")));

    // The page shows lazy thumbnails from this origin, under a CSP that allows exactly that.
    let res = a.get("/dupes").await?;
    let csp = res
        .headers()
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        csp.contains("img-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    let html = res.text().await?;
    let photo_url = photo["thumbnail"].as_str().ok_or("url")?;
    assert!(
        html.contains(&format!(
            "<img class=\"thumb\" src=\"{}\"",
            photo_url.replace('&', "&amp;")
        )),
        "{html}"
    );
    assert!(html.contains("loading=\"lazy\""));

    // A file changed since the scan: 404 until it is scanned again.
    std::fs::write(dir.join("photo (1).png"), gradient_png(10, 10)?)?;
    std::fs::write(dir.join("photo.png"), gradient_png(10, 10)?)?;
    let (status, p) = problem(a.get(photo_url).await?).await?;
    assert_eq!((status, p["code"].as_str()), (404, Some("file_changed")));
    Ok(())
}

#[tokio::test]
async fn thumbnails_never_leave_the_allowed_roots() -> TestResult {
    let app = TestApp::start().await?;
    let a = app.user("a@example.com", "A").await?;
    let dir = app.roots.join("a-images");
    make_images(&dir)?;
    let groups = scanned(&a, &a, &dir).await?;
    let photo = group(&groups, "photo (1).png")?;
    let url = photo["thumbnail"].as_str().ok_or("thumbnail")?.to_owned();
    // Swap the scanned file for a symlink to an image outside the roots, same size and age.
    let outside = app.dir.path().join("outside.png");
    let scanned_copy = dir.join("photo (1).png");
    std::fs::copy(&scanned_copy, &outside)?;
    let meta = std::fs::metadata(&scanned_copy)?;
    std::fs::File::options()
        .write(true)
        .open(&outside)?
        .set_modified(meta.modified()?)?;
    std::fs::remove_file(&scanned_copy)?;
    std::os::unix::fs::symlink(&outside, &scanned_copy)?;
    let photo_first = photo["files"][0]["path"].as_str().unwrap_or_default();
    assert!(photo_first.ends_with("photo (1).png"), "{photo_first}");
    let (status, p) = problem(a.get(&url).await?).await?;
    assert_eq!(
        (status, p["code"].as_str()),
        (404, Some("not_found")),
        "{p}"
    );
    Ok(())
}

/// The group holding a copy whose path ends with `name`.
fn group_with<'a>(groups: &'a [Value], name: &str) -> TestResult<&'a Value> {
    groups
        .iter()
        .find(|g| {
            g["files"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|f| f["path"].as_str().is_some_and(|p| p.ends_with(name)))
        })
        .ok_or_else(|| format!("no group for {name}").into())
}

fn thumb_url(group: &Value) -> TestResult<String> {
    Ok(group["thumbnail"]
        .as_str()
        .ok_or_else(|| format!("no thumbnail in {group}"))?
        .to_owned())
}

async fn png_of(res: reqwest::Response) -> TestResult<(u32, u32)> {
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("image/png")
    );
    let bytes = res.bytes().await?;
    let thumb = image::load_from_memory_with_format(&bytes, image::ImageFormat::Png)?;
    Ok((thumb.width(), thumb.height()))
}

#[tokio::test]
async fn cloud_images_get_bounded_thumbnails_from_their_drive() -> TestResult {
    let c = clouds().await?;
    let photo = gradient_png(320, 240)?;
    for name in ["beach.png", "beach (1).png"] {
        let id = c.graph.add_file(None, name, 300, "QXH-beach");
        c.graph.set_thumbnail(&id, &photo);
    }
    // Graph made no thumbnail for these.
    c.graph.add_file(None, "plain.jpg", 200, "QXH-plain");
    c.graph.add_file(None, "plain (1).jpg", 200, "QXH-plain");
    // A provider answer far over the bound (3 MiB).
    let huge = vec![0u8; 3 * 1024 * 1024];
    for name in ["huge.png", "huge (1).png"] {
        let id = c.graph.add_file(None, name, 400, "QXH-huge");
        c.graph.set_thumbnail(&id, &huge);
    }
    for name in ["cat.webp", "cat copy.webp"] {
        let id = c.drive.add_file(None, name, 500, "md5-cat");
        c.drive.set_thumbnail(&id, &gradient_png(100, 200)?);
    }
    let a = c.app.user("a@example.com", "A").await?;
    let b = c.app.user("b@example.com", "B").await?;
    connect(&c.app, &a, "onedrive", &[]).await?;
    connect(&c.app, &a, "gdrive", &[]).await?;
    for provider in ["onedrive", "gdrive"] {
        let job = scan_form(&a, connection_id(&a, provider).await?).await?;
        assert_eq!(job["state"], "done", "{job}");
    }
    let dupes: Value = a.get("/api/dupes").await?.json().await?;
    let groups = dupes["groups"].as_array().ok_or("groups")?.clone();

    // OneDrive: Graph's small thumbnail, re-encoded within 160 px, aspect kept.
    let beach = thumb_url(group_with(&groups, "beach (1).png")?)?;
    let res = a.get(&beach).await?;
    assert!(
        res.headers()
            .get("cache-control")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("private, max-age=")),
        "{:?}",
        res.headers()
    );
    assert_eq!(png_of(res).await?, (160, 120));

    // Google Drive: the thumbnailLink, fetched with the owner's token.
    let cat = thumb_url(group_with(&groups, "cat copy.webp")?)?;
    assert_eq!(png_of(a.get(&cat).await?).await?, (80, 160));

    // An expired token is refreshed once (and resealed) on the way.
    c.graph.expire_tokens();
    assert_eq!(png_of(a.get(&beach).await?).await?, (160, 120));
    assert_eq!(c.graph.refreshes(), 1);

    // Anyone else: the same 404 as a missing id, and the provider is not asked.
    let before = (c.graph.calls(), c.drive.calls());
    for url in [&beach, &cat] {
        let (status, p) = problem(b.get(url).await?).await?;
        assert_eq!((status, p["code"].as_str()), (404, Some("not_found")));
    }
    assert_eq!((c.graph.calls(), c.drive.calls()), before);

    // No thumbnail at the provider: 404.
    let plain = thumb_url(group_with(&groups, "plain (1).jpg")?)?;
    let (status, p) = problem(a.get(&plain).await?).await?;
    assert_eq!(
        (status, p["code"].as_str()),
        (404, Some("no_thumbnail")),
        "{p}"
    );

    // An oversized provider answer is refused, never passed on.
    let huge = thumb_url(group_with(&groups, "huge (1).png")?)?;
    let (status, p) = problem(a.get(&huge).await?).await?;
    assert_eq!(
        (status, p["code"].as_str()),
        (422, Some("image_too_large")),
        "{p}"
    );

    // The drive is unreachable: 502, with nothing of the cause in the body.
    c.drive.throttle(declutter_fakes::Throttle {
        count: 10,
        kind: declutter_fakes::ThrottleKind::Unavailable,
        retry_after: Some(0),
    });
    let (status, p) = problem(a.get(&cat).await?).await?;
    assert_eq!(
        (status, p["code"].as_str()),
        (502, Some("provider_unavailable")),
        "{p}"
    );
    assert!(!p.to_string().contains("throttled"), "{p}");

    // The duplicates page shows the cloud groups' thumbnails.
    let html = a.text("/dupes").await?;
    for url in [&beach, &cat] {
        assert!(
            html.contains(&format!(
                "<img class=\"thumb\" src=\"{}\"",
                url.replace('&', "&amp;")
            )),
            "{html}"
        );
    }
    Ok(())
}
