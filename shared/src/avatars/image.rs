//! Avatar images: the format is recognised from the bytes (never from a declared type or file
//! name), decoding is bounded before anything large is allocated, the picture is centre-cropped
//! to a square, resized to 256×256 and encoded as WebP (lossy; animated when allowed).
//!
//! Decoding uses the `image` crate; encoding uses libwebp through the `webp` crate, because
//! `image` writes only lossless, still WebP (sizes: `docs/avatars.md`). Everything here is
//! CPU-bound and synchronous: callers run it on a blocking thread.

use image::codecs::gif::GifDecoder;
use image::codecs::webp::WebPDecoder;
use image::imageops::{self, FilterType};
use image::{AnimationDecoder, DynamicImage, ImageDecoder, ImageError, ImageFormat, ImageReader, Limits, RgbaImage};
use std::io::Cursor;

/// Side of the stored square, in pixels.
pub const SIZE: u32 = 256;
/// The largest width or height accepted.
pub const MAX_SIDE: u32 = 4096;
/// Pixels of one decoded frame (a 4096×4096 RGBA frame is 64 MiB).
pub const MAX_PIXELS: u64 = MAX_SIDE as u64 * MAX_SIDE as u64;
/// An animation may have at most this many frames …
pub const MAX_FRAMES: usize = 300;
/// … and decode to at most this many pixels over all its frames (CPU time, not memory: frames
/// are reduced to 256×256 one at a time).
pub const MAX_ANIMATION_PIXELS: u64 = 120_000_000;
/// What a decoder may allocate at once (a 16-bit RGBA 4096×4096 image is 128 MiB).
const MAX_ALLOC: u64 = 256 * 1024 * 1024;
const STILL_QUALITY: f32 = 82.0;
const ANIMATION_QUALITY: f32 = 75.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Jpeg,
    Png,
    Gif,
    WebP,
}

impl Format {
    /// The format the leading bytes (magic numbers) announce, if it is one we accept.
    pub fn sniff(bytes: &[u8]) -> Option<Self> {
        if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(Self::Jpeg)
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(Self::Png)
        } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
            Some(Self::Gif)
        } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
            Some(Self::WebP)
        } else {
            None
        }
    }

    fn image_format(self) -> ImageFormat {
        match self {
            Self::Jpeg => ImageFormat::Jpeg,
            Self::Png => ImageFormat::Png,
            Self::Gif => ImageFormat::Gif,
            Self::WebP => ImageFormat::WebP,
        }
    }
}

/// Why an upload cannot become an avatar.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Rejection {
    #[error("the file is not a JPEG, PNG, GIF or WebP image")]
    Unsupported,
    #[error("the image must be at most 4096x4096 pixels")]
    TooLarge,
    #[error("the animation is too long (at most 300 frames and 120 megapixels in all)")]
    AnimationTooLong,
    #[error("the image is damaged or truncated and could not be decoded")]
    Undecodable,
    #[error("encoding the avatar failed: {0}")]
    Encode(String),
}

/// A ready avatar: WebP bytes, 256×256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Avatar {
    pub webp: Vec<u8>,
    pub animated: bool,
}

fn limits() -> Limits {
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    limits
}

fn classify(e: ImageError) -> Rejection {
    match e {
        ImageError::Limits(_) => Rejection::TooLarge,
        ImageError::Unsupported(_) => Rejection::Unsupported,
        _ => Rejection::Undecodable,
    }
}

/// Checked from the header, before any pixel buffer exists.
fn check_dimensions((width, height): (u32, u32)) -> Result<(), Rejection> {
    if width == 0 || height == 0 {
        return Err(Rejection::Undecodable);
    }
    if width > MAX_SIDE || height > MAX_SIDE || u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(Rejection::TooLarge);
    }
    Ok(())
}

/// Turns an uploaded file into an avatar. Animated GIF/WebP input stays animated only when
/// `keep_animation`; otherwise (and for anything else) the first frame is used.
pub fn process(bytes: &[u8], keep_animation: bool) -> Result<Avatar, Rejection> {
    let format = Format::sniff(bytes).ok_or(Rejection::Unsupported)?;
    if format == Format::Jpeg && !jpeg_is_complete(bytes) {
        return Err(Rejection::Undecodable);
    }
    if keep_animation {
        let frames = match format {
            Format::Gif => {
                let mut decoder = GifDecoder::new(Cursor::new(bytes)).map_err(classify)?;
                check_dimensions(decoder.dimensions())?;
                decoder.set_limits(limits()).map_err(classify)?;
                Some(square_frames(decoder.into_frames())?)
            }
            Format::WebP => {
                let mut decoder = WebPDecoder::new(Cursor::new(bytes)).map_err(classify)?;
                check_dimensions(decoder.dimensions())?;
                decoder.set_limits(limits()).map_err(classify)?;
                if decoder.has_animation() { Some(square_frames(decoder.into_frames())?) } else { None }
            }
            Format::Jpeg | Format::Png => None,
        };
        if let Some(frames) = frames.filter(|f| f.len() > 1) {
            return Ok(Avatar { webp: encode_animation(&frames)?, animated: true });
        }
    }
    let still = decode_still(bytes, format)?;
    Ok(Avatar { webp: encode_still(&square(&still, FilterType::Lanczos3))?, animated: false })
}

/// Whether an end-of-image marker follows the last start-of-scan marker. The JPEG decoder
/// fills a truncated scan with grey instead of failing; a cut-off upload should be refused, not
/// stored half grey. (Entropy-coded data cannot contain `FF D9` or `FF DA`: a data `FF` is always
/// followed by `00`.)
fn jpeg_is_complete(bytes: &[u8]) -> bool {
    let last = |marker: u8| bytes.windows(2).rposition(|w| w[0] == 0xFF && w[1] == marker);
    match (last(0xDA), last(0xD9)) {
        (Some(sos), Some(eoi)) => eoi > sos,
        _ => false,
    }
}

/// The first (or only) frame, upright (JPEG EXIF orientation applied), as RGBA.
fn decode_still(bytes: &[u8], format: Format) -> Result<RgbaImage, Rejection> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format.image_format());
    reader.limits(limits());
    let mut decoder = reader.into_decoder().map_err(classify)?;
    check_dimensions(decoder.dimensions())?;
    let orientation = decoder.orientation().ok();
    let mut image = DynamicImage::from_decoder(decoder).map_err(classify)?;
    if let Some(o) = orientation {
        image.apply_orientation(o);
    }
    Ok(image.into_rgba8())
}

/// Each frame reduced to the avatar square at once, with its delay in milliseconds.
fn square_frames(frames: image::Frames<'_>) -> Result<Vec<(RgbaImage, i32)>, Rejection> {
    let mut out = Vec::new();
    let mut pixels = 0_u64;
    for frame in frames {
        let frame = frame.map_err(classify)?;
        let buffer = frame.buffer();
        pixels += u64::from(buffer.width()) * u64::from(buffer.height());
        if out.len() >= MAX_FRAMES || pixels > MAX_ANIMATION_PIXELS {
            return Err(Rejection::AnimationTooLong);
        }
        let (numer, denom) = frame.delay().numer_denom_ms();
        let ms = i32::try_from(numer / denom.max(1)).unwrap_or(i32::MAX);
        // Browsers show delays under 20 ms as 100 ms; do the same so the avatar looks alike.
        let ms = if ms < 20 { 100 } else { ms.min(60_000) };
        out.push((square(buffer, FilterType::Triangle), ms));
    }
    Ok(out)
}

/// The centred square of `image`, scaled to `SIZE`×`SIZE`.
fn square(image: &RgbaImage, filter: FilterType) -> RgbaImage {
    let (w, h) = image.dimensions();
    let side = w.min(h);
    let view = imageops::crop_imm(image, (w - side) / 2, (h - side) / 2, side, side);
    imageops::resize(&*view, SIZE, SIZE, filter)
}

fn encode_still(image: &RgbaImage) -> Result<Vec<u8>, Rejection> {
    let encoded = webp::Encoder::from_rgba(image.as_raw(), image.width(), image.height())
        .encode_simple(false, STILL_QUALITY)
        .map_err(|e| Rejection::Encode(format!("{e:?}")))?;
    Ok(encoded.to_vec())
}

fn encode_animation(frames: &[(RgbaImage, i32)]) -> Result<Vec<u8>, Rejection> {
    let mut config = webp::WebPConfig::new().map_err(|()| Rejection::Encode("libwebp config".into()))?;
    config.lossless = 0;
    config.quality = ANIMATION_QUALITY;
    let mut encoder = webp::AnimEncoder::new(SIZE, SIZE, &config);
    encoder.set_loop_count(0);
    let mut timestamp = 0_i32;
    for (image, ms) in frames {
        encoder.add_frame(webp::AnimFrame::from_rgba(image.as_raw(), SIZE, SIZE, timestamp));
        timestamp = timestamp.saturating_add(*ms);
    }
    let encoded = encoder.try_encode().map_err(|e| Rejection::Encode(format!("{e:?}")))?;
    Ok(encoded.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::codecs::gif::GifEncoder;
    use image::{Delay, Frame, Rgba};

    fn png(width: u32, height: u32) -> Vec<u8> {
        let img = RgbaImage::from_fn(width, height, |x, y| Rgba([(x % 256) as u8, (y % 256) as u8, 128, 255]));
        let mut out = Cursor::new(Vec::new());
        img.write_to(&mut out, ImageFormat::Png).unwrap();
        out.into_inner()
    }

    fn gif(frames: usize) -> Vec<u8> {
        let mut out = Vec::new();
        {
            let mut encoder = GifEncoder::new(&mut out);
            let frames = (0..frames).map(|i| {
                let img = RgbaImage::from_pixel(40, 30, Rgba([(i * 60) as u8, 0, 0, 255]));
                Frame::from_parts(img, 0, 0, Delay::from_numer_denom_ms(50, 1))
            });
            encoder.encode_frames(frames).unwrap();
        }
        out
    }

    fn decoded(webp: &[u8]) -> DynamicImage {
        image::load_from_memory_with_format(webp, ImageFormat::WebP).unwrap()
    }

    #[test]
    fn formats_are_recognised_by_their_magic_bytes_only() {
        assert_eq!(Format::sniff(&png(1, 1)), Some(Format::Png));
        assert_eq!(Format::sniff(&gif(1)), Some(Format::Gif));
        assert_eq!(Format::sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some(Format::Jpeg));
        assert_eq!(Format::sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some(Format::WebP));
        assert_eq!(Format::sniff(b"RIFF\0\0\0\0WAVEfmt "), None);
        assert_eq!(Format::sniff(b"<svg xmlns=...>"), None);
        assert_eq!(Format::sniff(b""), None);
    }

    #[test]
    fn a_wide_image_is_centre_cropped_and_scaled_to_256() {
        // Left third red, middle third green, right third blue: the square keeps the middle.
        let img = RgbaImage::from_fn(900, 300, |x, _| match x {
            0..300 => Rgba([255, 0, 0, 255]),
            300..600 => Rgba([0, 255, 0, 255]),
            _ => Rgba([0, 0, 255, 255]),
        });
        let mut bytes = Cursor::new(Vec::new());
        img.write_to(&mut bytes, ImageFormat::Png).unwrap();
        let avatar = process(&bytes.into_inner(), false).unwrap();
        let out = decoded(&avatar.webp).into_rgba8();
        assert_eq!(out.dimensions(), (256, 256));
        let centre = out.get_pixel(128, 128);
        assert!(centre[1] > 200 && centre[0] < 50 && centre[2] < 50, "{centre:?}");
        let edge = out.get_pixel(2, 128);
        assert!(edge[1] > 200, "the edges are from the middle third too: {edge:?}");
    }

    #[test]
    fn an_animated_gif_stays_animated_only_when_allowed() {
        let bytes = gif(3);
        let kept = process(&bytes, true).unwrap();
        assert!(kept.animated);
        let decoder = WebPDecoder::new(Cursor::new(&kept.webp)).unwrap();
        assert!(decoder.has_animation());
        assert_eq!(decoder.dimensions(), (256, 256));
        assert_eq!(decoder.into_frames().count(), 3);

        let still = process(&bytes, false).unwrap();
        assert!(!still.animated);
        assert!(!WebPDecoder::new(Cursor::new(&still.webp)).unwrap().has_animation());
    }

    #[test]
    fn a_single_frame_gif_is_a_still_avatar_even_when_animation_is_allowed() {
        assert!(!process(&gif(1), true).unwrap().animated);
    }

    #[test]
    fn a_jpeg_cut_off_before_its_end_marker_is_rejected_but_a_whole_one_is_not() {
        let img = image::RgbImage::from_fn(64, 64, |x, y| image::Rgb([x as u8 * 4, y as u8 * 4, 7]));
        let mut out = Cursor::new(Vec::new());
        img.write_to(&mut out, ImageFormat::Jpeg).unwrap();
        let whole = out.into_inner();
        assert!(jpeg_is_complete(&whole));
        assert!(process(&whole, false).is_ok());
        let cut = &whole[..whole.len() - 40];
        assert!(!jpeg_is_complete(cut));
        assert_eq!(process(cut, false), Err(Rejection::Undecodable));
    }

    #[test]
    fn oversized_and_damaged_images_are_rejected() {
        assert_eq!(process(&png(4097, 10), false), Err(Rejection::TooLarge));
        let mut truncated = png(300, 300);
        truncated.truncate(truncated.len() / 2);
        assert_eq!(process(&truncated, false), Err(Rejection::Undecodable));
        assert_eq!(process(b"\x89PNG\r\n\x1a\nnot really", false), Err(Rejection::Undecodable));
        assert_eq!(process(b"hello", false), Err(Rejection::Unsupported));
    }

    #[test]
    fn the_bundled_default_avatar_is_a_256_pixel_webp() {
        let img = decoded(super::super::DEFAULT_AVATAR);
        assert_eq!((img.width(), img.height()), (256, 256));
    }

    /// Writes `default.webp` (a neutral silhouette). Run once by hand after changing it:
    /// `cargo test -p accounts-core write_default_avatar -- --ignored`.
    #[test]
    #[ignore]
    fn write_default_avatar() {
        let img = RgbaImage::from_fn(SIZE, SIZE, |x, y| {
            let (fx, fy) = (x as f32 - 128.0, y as f32);
            let head = fx * fx + (fy - 100.0) * (fy - 100.0) < 48.0 * 48.0;
            let body = fx * fx / (88.0 * 88.0) + (fy - 250.0) * (fy - 250.0) / (95.0 * 95.0) < 1.0;
            if head || body { Rgba([246, 247, 249, 255]) } else { Rgba([176, 184, 196, 255]) }
        });
        let bytes = encode_still(&img).unwrap();
        std::fs::write(concat!(env!("CARGO_MANIFEST_DIR"), "/src/avatars/default.webp"), bytes).unwrap();
    }
}
