//! CAPTCHA images (seed 002): a distorted 5-character text rendered to PNG by the `captcha` crate.
//! Only the answer's keyed hash is stored; the answer is compared case-insensitively.

use base64::Engine as _;

/// Characters that cannot be confused with one another (no 0/O, 1/l/I, 5/S, …).
const ALPHABET: &[char] =
    &['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'k', 'm', 'n', 'p', 'r', 't', 'w', 'x', 'y', '2', '3', '4', '6', '7', '8', '9'];

pub struct CaptchaImage {
    pub answer: String,
    /// `data:image/png;base64,…`
    pub data_url: String,
}

pub fn generate() -> anyhow::Result<CaptchaImage> {
    let mut c = captcha::Captcha::new();
    c.set_chars(ALPHABET)
        .add_chars(5)
        .apply_filter(captcha::filters::Noise::new(0.2))
        .apply_filter(captcha::filters::Wave::new(2.0, 12.0))
        .view(200, 70);
    let png = c.as_png().ok_or_else(|| anyhow::anyhow!("captcha PNG encoding failed"))?;
    Ok(CaptchaImage {
        answer: c.chars_as_string().to_lowercase(),
        data_url: format!("data:image/png;base64,{}", base64::engine::general_purpose::STANDARD.encode(png)),
    })
}

/// The form an answer is compared in.
pub fn normalise_answer(raw: &str) -> String {
    raw.trim().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_captcha_is_a_png_data_url_with_a_five_character_answer() {
        let c = generate().unwrap();
        assert_eq!(c.answer.chars().count(), 5);
        assert!(c.answer.chars().all(|ch| ALPHABET.contains(&ch)));
        let b64 = c.data_url.strip_prefix("data:image/png;base64,").unwrap();
        let png = base64::engine::general_purpose::STANDARD.decode(b64).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    }

    #[test]
    fn answers_compare_case_insensitively() {
        assert_eq!(normalise_answer(" AbC12 "), "abc12");
    }
}
