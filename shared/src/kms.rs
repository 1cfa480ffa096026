//! The KMS adapter: RSA keys whose private half never leaves KMS. The issuing function signs
//! access tokens with [`Kms::sign`] (RSASSA-PKCS1-v1_5 SHA-256 = JWS `RS256`); the operator
//! command creates, reads and retires keys. Errors follow the store's rule: throttling and
//! transport failures are `503 DEPENDENCY_UNAVAILABLE`, the rest internal, and only the error
//! chain reaches the log.

use crate::domain::SigningKey;
use crate::error::Error;
use aws_sdk_kms::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{KeySpec, KeyUsageType, MessageType, SigningAlgorithmSpec, Tag};

/// The tag every signing key of a stack carries; the issuing function's IAM policy allows
/// `kms:Sign` only on keys tagged with its stack's name.
pub const SIGNING_KEY_TAG: &str = "accounts:signing";

#[derive(Debug, Clone)]
pub struct Kms {
    client: aws_sdk_kms::Client,
}

impl Kms {
    pub fn new(client: aws_sdk_kms::Client) -> Self {
        Self { client }
    }

    /// The RS256 signature of `message` by the key `key_ref` (id, ARN or alias).
    pub async fn sign(&self, key_ref: &str, message: &[u8]) -> Result<Vec<u8>, Error> {
        let out = self
            .client
            .sign()
            .key_id(key_ref)
            .message(Blob::new(message))
            .message_type(MessageType::Raw)
            .signing_algorithm(SigningAlgorithmSpec::RsassaPkcs1V15Sha256)
            .send()
            .await
            .map_err(|e| kms_error("kms sign", e))?;
        out.signature.map(Blob::into_inner).ok_or_else(|| Error::internal(anyhow::anyhow!("kms sign: no signature")))
    }

    /// The public half of `key_ref` as a ring entry that signs from `signs_from`.
    pub async fn signing_key(&self, key_ref: &str, now: i64, signs_from: i64) -> Result<SigningKey, Error> {
        let out = self.client.get_public_key().key_id(key_ref).send().await.map_err(|e| kms_error("kms get public key", e))?;
        if !out.signing_algorithms().contains(&SigningAlgorithmSpec::RsassaPkcs1V15Sha256) {
            return Err(Error::internal(anyhow::anyhow!("kms key {key_ref} cannot sign RS256")));
        }
        let der = out.public_key.ok_or_else(|| Error::internal(anyhow::anyhow!("kms key {key_ref} has no public key")))?;
        // An RSA SubjectPublicKeyInfo, or refused (an ECC key is not an RS256 key).
        let public = aws_lc_rs::rsa::PublicKey::from_der(der.as_ref())
            .map_err(|e| Error::internal(anyhow::anyhow!("kms key {key_ref} is not an RSA key: {e}")))?;
        let arn = out.key_id.unwrap_or_else(|| key_ref.to_owned());
        Ok(SigningKey::new(
            arn,
            public.modulus().big_endian_without_leading_zero(),
            public.exponent().big_endian_without_leading_zero(),
            now,
            signs_from,
        ))
    }

    /// A new RSA-2048 signing key tagged for `stack`; its ARN.
    pub async fn create_signing_key(&self, stack: &str) -> Result<String, Error> {
        let tag = Tag::builder().tag_key(SIGNING_KEY_TAG).tag_value(stack).build().map_err(Error::internal)?;
        let out = self
            .client
            .create_key()
            .key_spec(KeySpec::Rsa2048)
            .key_usage(KeyUsageType::SignVerify)
            .description(format!("Accounts access-token signing key ({stack})"))
            .tags(tag)
            .send()
            .await
            .map_err(|e| kms_error("kms create key", e))?;
        out.key_metadata.and_then(|m| m.arn).ok_or_else(|| Error::internal(anyhow::anyhow!("kms create key: no ARN")))
    }

    /// Schedules a retired key's deletion after KMS's 7-day minimum waiting period (it can be
    /// cancelled until then).
    pub async fn schedule_deletion(&self, key_ref: &str) -> Result<(), Error> {
        self.client
            .schedule_key_deletion()
            .key_id(key_ref)
            .pending_window_in_days(7)
            .send()
            .await
            .map_err(|e| kms_error("kms schedule key deletion", e))?;
        Ok(())
    }
}

fn kms_error<E, R>(op: &str, err: SdkError<E, R>) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    let transient = match &err {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) => true,
        SdkError::ServiceError(e) => {
            matches!(e.err().code(), Some("ThrottlingException" | "KMSInternalException" | "DependencyTimeoutException"))
        }
        _ => false,
    };
    let context = anyhow::Error::new(err).context(op.to_owned());
    if transient { Error::DependencyUnavailable(context) } else { Error::Internal(context) }
}
