//! Avatars: upload (multipart), processing into a 256×256 WebP in the bucket, replacement,
//! removal, and the public fetch. Real images are generated here with the `image` crate.

use crate::helpers::{TestApp, TestUser};
use aws_sdk_dynamodb::types::AttributeValue;
use axum::body::Body;
use http::Request;
use image::codecs::gif::GifEncoder;
use image::codecs::webp::WebPDecoder;
use image::{AnimationDecoder, Delay, Frame, ImageDecoder, ImageFormat, Rgb, RgbImage, Rgba, RgbaImage};
use serde_json::json;
use std::io::Cursor;
use tower::ServiceExt;

const BOUNDARY: &str = "----accounts-test-boundary-7d2a";

fn multipart(parts: &[(&str, &str, &str, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, filename, content_type, bytes) in parts {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\nContent-Type: {content_type}\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

async fn upload_as(t: &TestApp, method: &str, token: Option<&str>, parts: &[(&str, &str, &str, &[u8])]) -> crate::helpers::Resp {
    let mut builder = Request::builder()
        .method(method)
        .uri("/api/users/me/avatar")
        .header("content-type", format!("multipart/form-data; boundary={BOUNDARY}"));
    if let Some(token) = token {
        builder = builder.header("authorization", format!("Bearer {token}"));
    }
    t.send(builder.body(Body::from(multipart(parts))).unwrap()).await
}

async fn upload(t: &TestApp, u: &TestUser, filename: &str, content_type: &str, bytes: &[u8]) -> crate::helpers::Resp {
    upload_as(t, "POST", Some(&u.access), &[("avatar", filename, content_type, bytes)]).await
}

/// A raw response (the test helper parses bodies as JSON; images need their bytes).
async fn raw_get(t: &TestApp, path: &str, headers: &[(&str, &str)]) -> (u16, http::HeaderMap, Vec<u8>) {
    let mut builder = Request::builder().method("GET").uri(path);
    for (k, v) in headers {
        builder = builder.header(*k, *v);
    }
    let response = accounts_core::api::users::router(t.app.clone()).oneshot(builder.body(Body::empty()).unwrap()).await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 24).await.unwrap().to_vec();
    (status, headers, bytes)
}

fn png(width: u32, height: u32) -> Vec<u8> {
    let img = RgbaImage::from_fn(width, height, |x, y| Rgba([(x * 7 % 256) as u8, (y * 3 % 256) as u8, 90, 255]));
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, ImageFormat::Png).unwrap();
    out.into_inner()
}

fn jpeg(width: u32, height: u32) -> Vec<u8> {
    let img = RgbImage::from_fn(width, height, |x, y| Rgb([(x % 256) as u8, 120, (y % 256) as u8]));
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, ImageFormat::Jpeg).unwrap();
    out.into_inner()
}

fn webp_lossless(width: u32, height: u32) -> Vec<u8> {
    let img = RgbaImage::from_pixel(width, height, Rgba([10, 200, 30, 255]));
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, ImageFormat::WebP).unwrap();
    out.into_inner()
}

fn animated_gif(frames: usize) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut encoder = GifEncoder::new(&mut out);
        let frames = (0..frames).map(|i| {
            let img = RgbaImage::from_fn(120, 80, |x, _| {
                if (x as usize / 10 + i).is_multiple_of(2) { Rgba([255, 0, 0, 255]) } else { Rgba([0, 0, 255, 255]) }
            });
            Frame::from_parts(img, 0, 0, Delay::from_numer_denom_ms(80, 1))
        });
        encoder.encode_frames(frames).unwrap();
    }
    out
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFF_u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

/// A PNG that claims 20000×20000 RGBA (1.6 GB decoded) but carries no pixels at all.
fn png_bomb_header() -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut chunk = |kind: &[u8], data: &[u8]| {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut typed = kind.to_vec();
        typed.extend_from_slice(data);
        out.extend_from_slice(&typed);
        out.extend_from_slice(&crc32(&typed).to_be_bytes());
    };
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&20_000_u32.to_be_bytes());
    ihdr.extend_from_slice(&20_000_u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 6, 0, 0, 0]); // 8-bit RGBA, deflate, no filter, no interlace
    chunk(b"IHDR", &ihdr);
    chunk(b"IDAT", &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
    chunk(b"IEND", &[]);
    out
}

/// Every object key under the user's avatar prefix.
async fn avatar_objects(t: &TestApp, user_id: &str) -> Vec<String> {
    let out = t.app.s3.list_objects_v2().bucket(&t.bucket).prefix(format!("avatars/{user_id}/")).send().await.unwrap();
    out.contents().iter().filter_map(|o| o.key().map(str::to_owned)).collect()
}

async fn object(t: &TestApp, key: &str) -> (Option<String>, Vec<u8>) {
    let out = t.app.s3.get_object().bucket(&t.bucket).key(key).send().await.unwrap();
    let content_type = out.content_type().map(str::to_owned);
    (content_type, out.body.collect().await.unwrap().into_bytes().to_vec())
}

/// Asserts `bytes` is a 256×256 WebP that decodes, and says whether it is animated.
fn assert_avatar_webp(bytes: &[u8]) -> bool {
    let decoder = WebPDecoder::new(Cursor::new(bytes)).unwrap();
    assert_eq!(decoder.dimensions(), (256, 256));
    let animated = decoder.has_animation();
    let img = image::load_from_memory_with_format(bytes, ImageFormat::WebP).unwrap();
    assert_eq!((img.width(), img.height()), (256, 256));
    animated
}

#[tokio::test]
async fn a_png_becomes_a_256_pixel_webp_in_the_bucket_and_is_served_publicly() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let r = upload(&t, &u, "me.png", "image/png", &png(640, 480)).await;
    r.assert(200, None);
    assert_eq!(r.data()["animated"], false);
    let url = r.data()["avatarUrl"].as_str().unwrap().to_owned();
    assert!(url.starts_with(&format!("http://accounts.test/api/users/{}/avatar?v=", u.id)), "{url}");

    let keys = avatar_objects(&t, &u.id).await;
    assert_eq!(keys.len(), 1);
    assert!(keys[0].ends_with(".webp"));
    let (content_type, stored) = object(&t, &keys[0]).await;
    assert_eq!(content_type.as_deref(), Some("image/webp"));
    assert!(!assert_avatar_webp(&stored));
    assert_eq!(t.get("/api/users/me", Some(&u.access)).await.data()["avatarUrl"], url);

    // Public, no token: the same bytes, with caching headers.
    let (status, headers, bytes) = raw_get(&t, &format!("/api/users/{}/avatar", u.id), &[]).await;
    assert_eq!(status, 200);
    assert_eq!(bytes, stored);
    assert_eq!(headers["content-type"], "image/webp");
    assert_eq!(headers["cache-control"], "public, max-age=300");
    let etag = headers["etag"].to_str().unwrap().to_owned();
    assert!(url.ends_with(etag.trim_matches('"')), "the ETag is the version in avatarUrl: {etag} / {url}");
    let (status, headers, bytes) = raw_get(&t, &format!("/api/users/{}/avatar", u.id), &[("if-none-match", &etag)]).await;
    assert_eq!(status, 304);
    assert!(bytes.is_empty());
    assert_eq!(headers["etag"], etag.as_str());

    // The caller may also read their own through /me/avatar.
    let (status, _, own) = raw_get(&t, "/api/users/me/avatar", &[("authorization", &format!("Bearer {}", u.access))]).await;
    assert_eq!(status, 200);
    assert_eq!(own, stored);
}

#[tokio::test]
async fn a_new_upload_replaces_the_old_object_and_deletes_it_afterwards() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    upload(&t, &u, "a.jpg", "image/jpeg", &jpeg(300, 500)).await.assert(200, None);
    let first = avatar_objects(&t, &u.id).await;
    t.clock.advance(time::Duration::seconds(2));
    // PATCH (seed 001) does the same as POST; a WebP input is fine too.
    let r = upload_as(&t, "PATCH", Some(&u.access), &[("avatar", "b.webp", "image/webp", webp_lossless(64, 64).as_slice())]).await;
    r.assert(200, None);
    let second = avatar_objects(&t, &u.id).await;
    assert_eq!(second.len(), 1, "the previous object is deleted: {second:?}");
    assert_ne!(first, second);
    let (_, stored) = object(&t, &second[0]).await;
    assert_avatar_webp(&stored);
    let items = t.all_items().await;
    let user = items.iter().find(|i| i["sk"] == AttributeValue::S("PROFILE".into())).unwrap();
    assert_eq!(user["avatarKey"], AttributeValue::S(second[0].clone()), "the user points at the object that exists");
}

#[tokio::test]
async fn a_jpeg_is_accepted_whatever_name_and_type_the_client_declares() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    upload(&t, &u, "notes.txt", "text/plain", &jpeg(257, 257)).await.assert(200, None);
    let (_, stored) = object(&t, &avatar_objects(&t, &u.id).await[0]).await;
    assert_avatar_webp(&stored);
}

#[tokio::test]
async fn an_animated_gif_stays_animated_only_for_donators_and_paid_plans() {
    let t = TestApp::spawn().await;
    let gif = animated_gif(4);

    let free = t.user().await;
    let r = upload(&t, &free, "cat.gif", "image/gif", &gif).await;
    r.assert(200, None);
    assert_eq!(r.data()["animated"], false);
    let (_, stored) = object(&t, &avatar_objects(&t, &free.id).await[0]).await;
    assert!(!assert_avatar_webp(&stored), "a free user gets the first frame");

    let donator = t.user().await;
    t.set_user_attr(&donator.id, "role", AttributeValue::S("donator".into())).await;
    let r = upload(&t, &donator, "cat.gif", "image/gif", &gif).await;
    r.assert(200, None);
    assert_eq!(r.data()["animated"], true);
    let (_, stored) = object(&t, &avatar_objects(&t, &donator.id).await[0]).await;
    assert!(assert_avatar_webp(&stored));
    let frames = WebPDecoder::new(Cursor::new(&stored)).unwrap().into_frames().collect_frames().unwrap();
    assert_eq!(frames.len(), 4);
    assert!(frames.iter().all(|f| f.buffer().dimensions() == (256, 256)));

    let paying = t.user().await;
    t.set_user_attr(&paying.id, "plan", AttributeValue::S("PREMIUM".into())).await;
    let r = upload(&t, &paying, "cat.gif", "image/gif", &gif).await;
    assert_eq!(r.data()["animated"], true);
}

#[tokio::test]
async fn a_text_file_named_like_a_png_is_unsupported_media_type() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let r = upload(&t, &u, "avatar.png", "image/png", b"this is not an image, whatever its name says\n").await;
    r.assert(415, Some("UNSUPPORTED_MEDIA_TYPE"));
    let svg = br#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#;
    upload(&t, &u, "a.svg", "image/svg+xml", svg).await.assert(415, Some("UNSUPPORTED_MEDIA_TYPE"));
    assert!(avatar_objects(&t, &u.id).await.is_empty());
    assert_eq!(t.get("/api/users/me", Some(&u.access)).await.data()["avatarUrl"], serde_json::Value::Null);
}

#[tokio::test]
async fn a_truncated_image_is_refused_and_nothing_is_stored() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let mut bytes = jpeg(400, 400);
    bytes.truncate(bytes.len() / 3);
    let r = upload(&t, &u, "cut.jpg", "image/jpeg", &bytes).await;
    r.assert(400, Some("VALIDATION_FAILED"));
    assert_eq!(r.body["details"][0]["field"], "avatar");
    let mut bytes = png(400, 400);
    bytes.truncate(bytes.len() / 2);
    upload(&t, &u, "cut.png", "image/png", &bytes).await.assert(400, Some("VALIDATION_FAILED"));
    assert!(avatar_objects(&t, &u.id).await.is_empty());
}

#[tokio::test]
async fn a_decompression_bomb_is_refused_from_its_header_before_decoding() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let bomb = png_bomb_header();
    assert!(bomb.len() < 100, "the whole file is a header");
    let started = std::time::Instant::now();
    let r = upload(&t, &u, "bomb.png", "image/png", &bomb).await;
    r.assert(400, Some("VALIDATION_FAILED"));
    assert!(r.body["details"][0]["message"].as_str().unwrap().contains("4096x4096"), "{}", r.body);
    // Decoding 20000×20000 RGBA would mean 1.6 GB of pixels; refusing from the header is instant.
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
    assert!(avatar_objects(&t, &u.id).await.is_empty());
}

#[tokio::test]
async fn an_upload_over_4_mib_is_payload_too_large_in_the_envelope() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let mut big = png(16, 16);
    big.resize(6 * 1024 * 1024, 0);
    let r = upload(&t, &u, "big.png", "image/png", &big).await;
    r.assert(413, Some("PAYLOAD_TOO_LARGE"));
    // Just over 4 MiB of file, inside the multipart allowance: refused by the file limit.
    let mut just_over = png(16, 16);
    just_over.resize(4 * 1024 * 1024 + 1, 0);
    upload(&t, &u, "big.png", "image/png", &just_over).await.assert(413, Some("PAYLOAD_TOO_LARGE"));
    assert!(avatar_objects(&t, &u.id).await.is_empty());
}

#[tokio::test]
async fn the_upload_must_be_a_multipart_form_with_one_avatar_file() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    t.post("/api/users/me/avatar", json!({"avatar": "data:image/png;base64,AAAA"}), Some(&u.access))
        .await
        .assert(415, Some("UNSUPPORTED_MEDIA_TYPE"));
    let img = png(32, 32);
    let r = upload_as(&t, "POST", Some(&u.access), &[("picture", "a.png", "image/png", img.as_slice())]).await;
    r.assert(400, Some("VALIDATION_FAILED"));
    assert_eq!(r.body["details"][0]["field"], "picture");
    let r = upload_as(&t, "POST", Some(&u.access), &[]).await;
    r.assert(400, Some("VALIDATION_FAILED"));
    assert_eq!(r.body["details"][0]["field"], "avatar");
    upload_as(
        &t,
        "POST",
        Some(&u.access),
        &[("avatar", "a.png", "image/png", img.as_slice()), ("avatar", "b.png", "image/png", img.as_slice())],
    )
    .await
    .assert(400, Some("VALIDATION_FAILED"));
    upload(&t, &u, "empty.png", "image/png", b"").await.assert(400, Some("VALIDATION_FAILED"));
}

#[tokio::test]
async fn avatar_changes_need_an_activated_live_session() {
    let t = TestApp::spawn().await;
    let img = png(32, 32);
    let part: &[(&str, &str, &str, &[u8])] = &[("avatar", "a.png", "image/png", img.as_slice())];
    upload_as(&t, "POST", None, part).await.assert(401, Some("UNAUTHENTICATED"));
    t.call("DELETE", "/api/users/me/avatar", None, None).await.assert(401, Some("UNAUTHENTICATED"));
    t.get("/api/users/me/avatar", None).await.assert(401, Some("UNAUTHENTICATED"));
    let fresh = t.unactivated_user().await;
    upload_as(&t, "POST", Some(&fresh.access), part).await.assert(403, Some("ACCOUNT_NOT_ACTIVATED"));
    t.call("DELETE", "/api/users/me/avatar", None, Some(&fresh.access)).await.assert(403, Some("ACCOUNT_NOT_ACTIVATED"));
    let u = t.user().await;
    t.post("/api/auth/logout", json!({}), Some(&u.access)).await.assert(200, None);
    upload_as(&t, "POST", Some(&u.access), part).await.assert(401, Some("UNAUTHENTICATED"));
    t.call("DELETE", "/api/users/me/avatar", None, Some(&u.access)).await.assert(401, Some("UNAUTHENTICATED"));
    assert!(avatar_objects(&t, &u.id).await.is_empty());
}

#[tokio::test]
async fn deleting_the_avatar_removes_the_object_and_the_default_is_served_again() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let (status, headers, default) = raw_get(&t, &format!("/api/users/{}/avatar", u.id), &[]).await;
    assert_eq!(status, 200, "a user without an avatar gets the default one");
    assert_eq!(headers["content-type"], "image/webp");
    assert_avatar_webp(&default);

    upload(&t, &u, "a.png", "image/png", &png(100, 100)).await.assert(200, None);
    let (_, _, custom) = raw_get(&t, &format!("/api/users/{}/avatar", u.id), &[]).await;
    assert_ne!(custom, default);

    let r = t.call("DELETE", "/api/users/me/avatar", None, Some(&u.access)).await;
    r.assert(204, None);
    assert!(avatar_objects(&t, &u.id).await.is_empty());
    assert_eq!(t.get("/api/users/me", Some(&u.access)).await.data()["avatarUrl"], serde_json::Value::Null);
    let (status, _, again) = raw_get(&t, &format!("/api/users/{}/avatar", u.id), &[]).await;
    assert_eq!(status, 200);
    assert_eq!(again, default);
    // Deleting when there is none is fine (idempotent).
    t.call("DELETE", "/api/users/me/avatar", None, Some(&u.access)).await.assert(204, None);
}

#[tokio::test]
async fn the_avatar_of_an_unknown_or_malformed_id_is_user_not_found() {
    let t = TestApp::spawn().await;
    let unknown = format!("usr_{}", ulid::Ulid::new());
    for path in [
        format!("/api/users/{unknown}/avatar"),
        "/api/users/not-an-id/avatar".into(),
        "/api/users/ses_01HZY8J6W8K1M2N3P4Q5R6S7T8/avatar".into(),
    ] {
        let r = t.get(&path, None).await;
        r.assert(404, Some("USER_NOT_FOUND"));
        assert_eq!(r.headers["content-type"], "application/json");
    }
}
