//! Password hashes imported from other systems (SPEC §3.12, docs/migration.md): recognising a
//! stored string's scheme, refusing parameters that would make one check a denial of service,
//! and verifying a password against it — each scheme with a well-kept crate, never hand-written
//! crypto: argon2 (argon2i/argon2id, PHC; also Django's `argon2$…`), bcrypt (`$2a$`/`$2b$`/`$2y$`;
//! also Django's `bcrypt_sha256$…`), RustCrypto's PBKDF2 (PHC `$pbkdf2-sha256$i=…`, passlib's
//! `$pbkdf2-sha256$29000$…` and `$pbkdf2-sha512$…`, Django's `pbkdf2_sha256$…`), RustCrypto's
//! scrypt (PHC `$scrypt$`), and Firebase's modified scrypt (scrypt + AES-256-CTR over the
//! project's signer key) in Ory Kratos' `$firescrypt$ln=…,r=…,p=1$salt$hash$separator$signer` form.
//!
//! Only `passwords.rs` verifies (a stored argon2id hash of today's parameters never comes here);
//! the import uses [`parse`] to refuse a line before anything is stored. Neither ever logs a hash.

use argon2::password_hash::PasswordHash;
use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use sha2::{Digest as _, Sha256, Sha512};
use subtle::ConstantTimeEq as _;

/// The schemes accepted, by the name the import reports and the export keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    Argon2id,
    Argon2i,
    Bcrypt,
    Scrypt,
    Pbkdf2Sha256,
    Pbkdf2Sha512,
    DjangoPbkdf2Sha256,
    DjangoArgon2,
    DjangoBcryptSha256,
    FirebaseScrypt,
}

impl Scheme {
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Argon2id => "argon2id",
            Scheme::Argon2i => "argon2i",
            Scheme::Bcrypt => "bcrypt",
            Scheme::Scrypt => "scrypt",
            Scheme::Pbkdf2Sha256 => "pbkdf2-sha256",
            Scheme::Pbkdf2Sha512 => "pbkdf2-sha512",
            Scheme::DjangoPbkdf2Sha256 => "django-pbkdf2-sha256",
            Scheme::DjangoArgon2 => "django-argon2",
            Scheme::DjangoBcryptSha256 => "django-bcrypt-sha256",
            Scheme::FirebaseScrypt => "firebase-scrypt",
        }
    }
}

/// The most work one check may take, per scheme (docs/migration.md, "Parameters"). Above these a
/// single login would cost seconds to hours of CPU (bcrypt cost 31, scrypt N=2^30): such a hash
/// is refused at import, and never run if one reached the table some other way.
pub mod limits {
    pub const BCRYPT_COST: std::ops::RangeInclusive<u32> = 4..=14;
    pub const PBKDF2_ITERATIONS: std::ops::RangeInclusive<u32> = 1_000..=2_000_000;
    /// scrypt's memory (128·r·N bytes) and work (N·r·p) at most those of ln=17, r=8, p=1.
    pub const SCRYPT_MEMORY_BYTES: u64 = 128 << 20;
    pub const SCRYPT_WORK: u64 = (1 << 17) * 8;
    pub const ARGON2_MEMORY_KIB: u32 = 131_072;
    pub const ARGON2_ITERATIONS: u32 = 16;
    pub const ARGON2_LANES: u32 = 16;
    /// memory × iterations: argon2-cffi's default (64 MiB × 3) fits, 128 MiB × 16 does not.
    pub const ARGON2_WORK_KIB: u64 = 65_536 * 4;
    pub const SALT_BYTES: std::ops::RangeInclusive<usize> = 1..=128;
    pub const OUTPUT_BYTES: std::ops::RangeInclusive<usize> = 10..=128;
    pub const FIREBASE_ROUNDS: std::ops::RangeInclusive<u32> = 1..=8;
    pub const FIREBASE_MEM_COST: std::ops::RangeInclusive<u32> = 1..=15;
}

/// Why a stored string is not an acceptable hash (the import's message for the line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused(pub String);

fn refused<T>(why: impl Into<String>) -> Result<T, Refused> {
    Err(Refused(why.into()))
}

/// A recognised hash, its parameters within [`limits`], ready to verify.
pub struct Parsed<'a> {
    pub scheme: Scheme,
    check: Check<'a>,
}

impl std::fmt::Debug for Parsed<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the hash or its salt.
        f.debug_struct("Parsed").field("scheme", &self.scheme).finish_non_exhaustive()
    }
}

enum Check<'a> {
    /// A PHC argon2 string (argon2i or argon2id).
    Argon2(&'a str),
    /// `prehash`: Django's bcrypt_sha256 bcrypts the hex SHA-256 of the password.
    Bcrypt {
        hash: &'a str,
        prehash: bool,
    },
    Pbkdf2 {
        sha512: bool,
        iterations: u32,
        salt: Vec<u8>,
        expected: Vec<u8>,
    },
    Scrypt {
        log_n: u8,
        r: u32,
        p: u32,
        salt: Vec<u8>,
        expected: Vec<u8>,
    },
    Firebase {
        log_n: u8,
        r: u32,
        salt: Vec<u8>,
        separator: Vec<u8>,
        signer_key: Vec<u8>,
        expected: Vec<u8>,
    },
}

/// Standard base64, padded or not (PHC leaves the padding out, Firebase keeps it).
const B64: GeneralPurpose =
    GeneralPurpose::new(&base64::alphabet::STANDARD, GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent));

fn b64(text: &str, what: &str) -> Result<Vec<u8>, Refused> {
    B64.decode(text).or_else(|_| refused(format!("{what} is not base64")))
}

/// passlib's "adapted base64": `.` for `+`, no padding.
fn ab64(text: &str, what: &str) -> Result<Vec<u8>, Refused> {
    b64(&text.replace('.', "+"), what)
}

fn salt_ok(salt: Vec<u8>) -> Result<Vec<u8>, Refused> {
    if limits::SALT_BYTES.contains(&salt.len()) { Ok(salt) } else { refused("salt must be 1-128 bytes") }
}

fn output_ok(out: Vec<u8>) -> Result<Vec<u8>, Refused> {
    if limits::OUTPUT_BYTES.contains(&out.len()) { Ok(out) } else { refused("hash must be 10-128 bytes") }
}

fn iterations_ok(raw: &str) -> Result<u32, Refused> {
    match raw.parse::<u32>() {
        Ok(n) if limits::PBKDF2_ITERATIONS.contains(&n) => Ok(n),
        _ => refused("PBKDF2 iterations must be 1000-2000000"),
    }
}

/// Recognises `stored` and checks its parameters. `Err` for anything else: an unknown scheme, a
/// malformed string, or parameters beyond [`limits`].
pub fn parse(stored: &str) -> Result<Parsed<'_>, Refused> {
    if stored.len() > 1024 {
        return refused("hash is too long");
    }
    if let Some(rest) = stored.strip_prefix("pbkdf2_sha256$") {
        // Django: pbkdf2_sha256$<iterations>$<salt text>$<base64 of 32 bytes>
        let [iterations, salt, hash] =
            split::<3>(rest).ok_or_else(|| Refused("Django PBKDF2 hash must be pbkdf2_sha256$iterations$salt$hash".into()))?;
        let check = Check::Pbkdf2 {
            sha512: false,
            iterations: iterations_ok(iterations)?,
            salt: salt_ok(salt.as_bytes().to_vec())?,
            expected: output_ok(b64(hash, "hash")?)?,
        };
        return Ok(Parsed { scheme: Scheme::DjangoPbkdf2Sha256, check });
    }
    if let Some(phc) = stored.strip_prefix("argon2") {
        // Django: "argon2" + a PHC string (Django's own separator is the PHC string's "$").
        return argon2_phc(phc).map(|check| Parsed { scheme: Scheme::DjangoArgon2, check });
    }
    if let Some(rest) = stored.strip_prefix("bcrypt_sha256$") {
        bcrypt_cost(rest)?;
        return Ok(Parsed { scheme: Scheme::DjangoBcryptSha256, check: Check::Bcrypt { hash: rest, prehash: true } });
    }
    if ["$2a$", "$2b$", "$2y$"].iter().any(|p| stored.starts_with(p)) {
        bcrypt_cost(stored)?;
        return Ok(Parsed { scheme: Scheme::Bcrypt, check: Check::Bcrypt { hash: stored, prehash: false } });
    }
    if let Some(rest) = stored.strip_prefix("$firescrypt$") {
        return firebase(rest);
    }
    if stored.starts_with("$argon2id$") || stored.starts_with("$argon2i$") {
        let scheme = if stored.starts_with("$argon2id$") { Scheme::Argon2id } else { Scheme::Argon2i };
        return argon2_phc(stored).map(|check| Parsed { scheme, check });
    }
    for (prefix, sha512) in [("$pbkdf2-sha256$", false), ("$pbkdf2-sha512$", true)] {
        if let Some(rest) = stored.strip_prefix(prefix) {
            let scheme = if sha512 { Scheme::Pbkdf2Sha512 } else { Scheme::Pbkdf2Sha256 };
            return pbkdf2_modular(stored, rest, sha512).map(|check| Parsed { scheme, check });
        }
    }
    if stored.starts_with("$scrypt$") {
        return scrypt_phc(stored).map(|check| Parsed { scheme: Scheme::Scrypt, check });
    }
    refused(
        "unknown password hash scheme (accepted: argon2id, argon2i, bcrypt $2a$/$2b$/$2y$, scrypt, pbkdf2-sha256/sha512, \
         Django pbkdf2_sha256/argon2/bcrypt_sha256, Firebase $firescrypt$)",
    )
}

fn split<const N: usize>(text: &str) -> Option<[&str; N]> {
    let parts: Vec<&str> = text.split('$').collect();
    parts.try_into().ok()
}

fn bcrypt_cost(hash: &str) -> Result<(), Refused> {
    let parts: bcrypt::HashParts = hash.parse().or_else(|_| refused("bcrypt hash is malformed"))?;
    if !limits::BCRYPT_COST.contains(&parts.get_cost()) {
        return refused("bcrypt cost must be 4-14");
    }
    Ok(())
}

fn argon2_phc(phc: &str) -> Result<Check<'_>, Refused> {
    let parsed = PasswordHash::new(phc).or_else(|_| refused("argon2 hash is not a PHC string"))?;
    if !matches!(parsed.algorithm.as_str(), "argon2id" | "argon2i") {
        return refused("argon2 variant must be argon2id or argon2i");
    }
    let params = argon2::Params::try_from(&parsed).or_else(|_| refused("argon2 parameters are malformed"))?;
    let (m, t, p) = (params.m_cost(), params.t_cost(), params.p_cost());
    if m > limits::ARGON2_MEMORY_KIB
        || t > limits::ARGON2_ITERATIONS
        || p > limits::ARGON2_LANES
        || u64::from(m) * u64::from(t) > limits::ARGON2_WORK_KIB
    {
        return refused("argon2 parameters are beyond m=131072, t=16, p=16 and m*t=262144");
    }
    let hash = parsed.hash.ok_or_else(|| Refused("argon2 hash has no output".into()))?;
    output_ok(hash.as_bytes().to_vec())?;
    Ok(Check::Argon2(phc))
}

/// `$pbkdf2-sha256$i=…,l=…$salt$hash` (PHC, RustCrypto's form) or passlib's
/// `$pbkdf2-sha256$<rounds>$<ab64 salt>$<ab64 hash>`.
fn pbkdf2_modular<'a>(stored: &'a str, rest: &'a str, sha512: bool) -> Result<Check<'a>, Refused> {
    let [params, salt, hash] = split::<3>(rest).ok_or_else(|| Refused("PBKDF2 hash must be $pbkdf2-sha…$params$salt$hash".into()))?;
    if params.contains('=') {
        let parsed = PasswordHash::new(stored).or_else(|_| refused("PBKDF2 hash is not a PHC string"))?;
        let iterations = parsed.params.get_str("i").ok_or_else(|| Refused("PBKDF2 hash has no i= parameter".into()))?;
        let salt = parsed.salt.ok_or_else(|| Refused("PBKDF2 hash has no salt".into()))?;
        let mut salt_buf = [0u8; 128];
        let salt = salt.decode_b64(&mut salt_buf).or_else(|_| refused("PBKDF2 salt is not base64"))?.to_vec();
        let expected = parsed.hash.ok_or_else(|| Refused("PBKDF2 hash has no output".into()))?.as_bytes().to_vec();
        return Ok(Check::Pbkdf2 { sha512, iterations: iterations_ok(iterations)?, salt: salt_ok(salt)?, expected: output_ok(expected)? });
    }
    Ok(Check::Pbkdf2 {
        sha512,
        iterations: iterations_ok(params)?,
        salt: salt_ok(ab64(salt, "salt")?)?,
        expected: output_ok(ab64(hash, "hash")?)?,
    })
}

fn scrypt_cost(log_n: u32, r: u32, p: u32) -> Result<u8, Refused> {
    let memory = 128u64.saturating_mul(u64::from(r)).checked_shl(log_n).unwrap_or(u64::MAX);
    let work = u64::from(r).saturating_mul(u64::from(p)).checked_shl(log_n).unwrap_or(u64::MAX);
    if !(1..=20).contains(&log_n) || r == 0 || p == 0 || memory > limits::SCRYPT_MEMORY_BYTES || work > limits::SCRYPT_WORK {
        return refused("scrypt parameters are beyond ln=17, r=8, p=1 in memory or work");
    }
    Ok(log_n as u8)
}

fn scrypt_phc(stored: &str) -> Result<Check<'_>, Refused> {
    let parsed = PasswordHash::new(stored).or_else(|_| refused("scrypt hash is not a PHC string"))?;
    let number = |name: &str| parsed.params.get_decimal(name).ok_or_else(|| Refused(format!("scrypt hash has no {name}= parameter")));
    let (log_n, r, p) = (number("ln")?, number("r")?, number("p")?);
    let log_n = scrypt_cost(log_n, r, p)?;
    let salt = parsed.salt.ok_or_else(|| Refused("scrypt hash has no salt".into()))?;
    let mut salt_buf = [0u8; 128];
    let salt = salt.decode_b64(&mut salt_buf).or_else(|_| refused("scrypt salt is not base64"))?.to_vec();
    let expected = parsed.hash.ok_or_else(|| Refused("scrypt hash has no output".into()))?.as_bytes().to_vec();
    Ok(Check::Scrypt { log_n, r, p, salt: salt_ok(salt)?, expected: output_ok(expected)? })
}

/// `ln=<mem_cost>,r=<rounds>,p=1$<salt>$<hash>$<salt separator>$<signer key>` (standard base64).
fn firebase(rest: &str) -> Result<Parsed<'_>, Refused> {
    let [params, salt, hash, separator, signer_key] = split::<5>(rest)
        .ok_or_else(|| Refused("Firebase hash must be $firescrypt$ln=…,r=…,p=1$salt$hash$saltSeparator$signerKey".into()))?;
    let (mut log_n, mut r, mut p) = (None, None, None);
    for pair in params.split(',') {
        let (name, value) = pair.split_once('=').ok_or_else(|| Refused("Firebase parameters must be ln=…,r=…,p=1".into()))?;
        let value: u32 = value.parse().or_else(|_| refused("Firebase parameters must be whole numbers"))?;
        match name {
            "ln" => log_n = Some(value),
            "r" => r = Some(value),
            "p" => p = Some(value),
            _ => return refused("Firebase parameters must be ln=…,r=…,p=1"),
        }
    }
    let (Some(log_n), Some(r)) = (log_n, r) else { return refused("Firebase parameters need ln (memory cost) and r (rounds)") };
    if !limits::FIREBASE_MEM_COST.contains(&log_n) || !limits::FIREBASE_ROUNDS.contains(&r) || p.unwrap_or(1) != 1 {
        return refused("Firebase memory cost must be 1-15, rounds 1-8, p 1");
    }
    let separator = b64(separator, "salt separator")?;
    let signer_key = b64(signer_key, "signer key")?;
    if separator.len() > 16 || signer_key.is_empty() || signer_key.len() > 256 {
        return refused("Firebase salt separator must be at most 16 bytes, signer key 1-256");
    }
    let expected = b64(hash, "hash")?;
    if expected.len() != signer_key.len() {
        return refused("Firebase hash must be as long as the signer key");
    }
    let check = Check::Firebase { log_n: log_n as u8, r, salt: salt_ok(b64(salt, "salt")?)?, separator, signer_key, expected };
    Ok(Parsed { scheme: Scheme::FirebaseScrypt, check })
}

impl Parsed<'_> {
    /// The scheme and the parameters that set one check's cost (`bcrypt cost 10`, `scrypt
    /// ln=14 r=8 p=1`): what `accounts-admin check-times` groups and times. Never a salt or hash.
    pub fn cost(&self) -> String {
        let name = self.scheme.as_str();
        match &self.check {
            Check::Argon2(phc) => match PasswordHash::new(phc).ok().and_then(|h| argon2::Params::try_from(&h).ok()) {
                Some(p) => format!("{name} m={} t={} p={}", p.m_cost(), p.t_cost(), p.p_cost()),
                None => name.to_owned(),
            },
            Check::Bcrypt { hash, .. } => {
                format!("{name} cost {}", hash.parse::<bcrypt::HashParts>().map(|p| p.get_cost()).unwrap_or_default())
            }
            Check::Pbkdf2 { iterations, .. } => format!("{name} i={iterations}"),
            Check::Scrypt { log_n, r, p, .. } => format!("{name} ln={log_n} r={r} p={p}"),
            Check::Firebase { log_n, r, .. } => format!("{name} ln={log_n} r={r}"),
        }
    }

    /// Whether `password` matches. Blocking (seconds at the limits): call on a blocking thread.
    pub fn verify(&self, password: &str) -> bool {
        let password = password.as_bytes();
        match &self.check {
            Check::Argon2(phc) => {
                use argon2::PasswordVerifier as _;
                PasswordHash::new(phc).is_ok_and(|h| argon2::Argon2::default().verify_password(password, &h).is_ok())
            }
            Check::Bcrypt { hash, prehash } => {
                if *prehash {
                    let hex: String = Sha256::digest(password).iter().map(|b| format!("{b:02x}")).collect();
                    bcrypt::verify(hex.as_bytes(), hash).unwrap_or(false)
                } else {
                    bcrypt::verify(password, hash).unwrap_or(false)
                }
            }
            Check::Pbkdf2 { sha512, iterations, salt, expected } => {
                let mut out = vec![0u8; expected.len()];
                if *sha512 {
                    pbkdf2::pbkdf2_hmac::<Sha512>(password, salt, *iterations, &mut out);
                } else {
                    pbkdf2::pbkdf2_hmac::<Sha256>(password, salt, *iterations, &mut out);
                }
                bool::from(out.ct_eq(expected))
            }
            Check::Scrypt { log_n, r, p, salt, expected } => {
                let mut out = vec![0u8; expected.len()];
                let Ok(params) = scrypt::Params::new(*log_n, *r, *p, out.len()) else { return false };
                scrypt::scrypt(password, salt, &params, &mut out).is_ok() && bool::from(out.ct_eq(expected))
            }
            Check::Firebase { log_n, r, salt, separator, signer_key, expected } => {
                // Firebase: key = scrypt(password, salt ‖ separator, N=2^mem_cost, r=rounds, p=1),
                // hash = AES-256-CTR(key, IV 0) over the project's signer key.
                use aes::cipher::{KeyIvInit as _, StreamCipher as _};
                let mut key = [0u8; 32];
                let Ok(params) = scrypt::Params::new(*log_n, *r, 1, key.len()) else { return false };
                let salted = [salt.as_slice(), separator.as_slice()].concat();
                if scrypt::scrypt(password, &salted, &params, &mut key).is_err() {
                    return false;
                }
                let mut out = signer_key.clone();
                ctr::Ctr128BE::<aes::Aes256>::new(&key.into(), &[0u8; 16].into()).apply_keystream(&mut out);
                bool::from(out.ct_eq(expected))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Firebase's published test vector (the firebase/scrypt README, also the firebase-scrypt
    /// crate's documentation and Ory Kratos' tests).
    const FIREBASE: &str = "$firescrypt$ln=14,r=8,p=1$42xEC+ixf3L2lw==$lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ==$Bw==$jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==";

    #[test]
    fn firebase_s_published_vector_verifies() {
        let parsed = parse(FIREBASE).unwrap();
        assert_eq!(parsed.scheme, Scheme::FirebaseScrypt);
        assert!(parsed.verify("user1password"));
        assert!(!parsed.verify("user1password "));
    }

    #[test]
    fn bcrypt_of_every_prefix_verifies_and_its_cost_is_bounded() {
        let hash = bcrypt::hash("Correct1Horse", 4).unwrap();
        for prefix in ["$2a$", "$2b$", "$2y$"] {
            let variant = format!("{prefix}{}", &hash[4..]);
            let parsed = parse(&variant).unwrap();
            assert_eq!(parsed.scheme, Scheme::Bcrypt);
            assert!(parsed.verify("Correct1Horse"));
            assert!(!parsed.verify("Wrong1Horse"));
        }
        let absurd = format!("$2b$31${}", &hash[7..]);
        assert!(parse(&absurd).unwrap_err().0.contains("cost"));
    }

    #[test]
    fn pbkdf2_in_phc_and_passlib_form_verifies() {
        let salt = b"saltsaltsaltsalt";
        let mut out = [0u8; 32];
        pbkdf2::pbkdf2_hmac::<Sha256>(b"Correct1Horse", salt, 1000, &mut out);
        let phc = format!(
            "$pbkdf2-sha256$i=1000,l=32${}${}",
            base64::engine::general_purpose::STANDARD_NO_PAD.encode(salt),
            base64::engine::general_purpose::STANDARD_NO_PAD.encode(out)
        );
        assert!(parse(&phc).unwrap().verify("Correct1Horse"));
        let passlib = format!(
            "$pbkdf2-sha256$1000${}${}",
            base64::engine::general_purpose::STANDARD_NO_PAD.encode(salt).replace('+', "."),
            base64::engine::general_purpose::STANDARD_NO_PAD.encode(out).replace('+', ".")
        );
        let parsed = parse(&passlib).unwrap();
        assert!(parsed.verify("Correct1Horse"));
        assert!(!parsed.verify("Correct1Horsf"));
        let django = format!("pbkdf2_sha256$1000$saltsaltsaltsalt${}", base64::engine::general_purpose::STANDARD.encode(out));
        assert!(parse(&django).unwrap().verify("Correct1Horse"));
    }

    #[test]
    fn absurd_parameters_are_refused_before_anything_runs() {
        for stored in [
            "$scrypt$ln=30,r=8,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
            "$scrypt$ln=14,r=1024,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
            "$scrypt$ln=16,r=8,p=64$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
            "pbkdf2_sha256$4000000000$salt$aGFzaGhhc2hoYXNoaGFzaA==",
            "pbkdf2_sha256$999999999$salt$aGFzaGhhc2hoYXNoaGFzaA==",
            "$firescrypt$ln=31,r=8,p=1$c2FsdHNhbHRzYWx0$aGFzaA==$Bw==$a2V5a2V5",
            "$firescrypt$ln=14,r=1024,p=1$c2FsdHNhbHRzYWx0$aGFzaA==$Bw==$a2V5a2V5",
            "$argon2id$v=19$m=4194304,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
            "$argon2id$v=19$m=65536,t=100,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
        ] {
            assert!(parse(stored).is_err(), "{stored} must be refused");
        }
    }

    #[test]
    fn unknown_and_malformed_strings_are_refused() {
        for stored in
            ["", "plain", "$md5$x", "$2b$", "$argon2d$v=19$m=64,t=1,p=1$c2FsdA$aGFzaA", "pbkdf2_sha1$1000$s$h", "$firescrypt$ln=14"]
        {
            assert!(parse(stored).is_err(), "{stored:?} must be refused");
        }
    }

    #[test]
    fn the_cost_class_names_the_parameters_only() {
        assert_eq!(parse(FIREBASE).unwrap().cost(), "firebase-scrypt ln=14 r=8");
        let bcrypt = bcrypt::hash("x", 5).unwrap();
        assert_eq!(parse(&bcrypt).unwrap().cost(), "bcrypt cost 5");
    }

    #[test]
    fn a_parsed_hash_never_prints_its_content() {
        let parsed = parse(FIREBASE).unwrap();
        let printed = format!("{parsed:?}");
        assert!(!printed.contains("42xEC") && !printed.contains("lSrfV"), "{printed}");
    }
}
