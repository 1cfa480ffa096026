//! The signing-key ring: `SIGNING / KEYS` holds the public halves of the RS256 keys (with
//! their KMS ARNs and `signsFrom` times) as one JSON attribute and a `version` every write
//! checks, so two rotations at once cannot both win. Read with one consistent `GetItem`; the
//! read that warms an instance's connection at cold start is this one.

use super::{Store, get_n, get_s, is_condition_failure, key, n, s, sdk_error};
use crate::domain::{KeyRing, SigningKey};
use crate::error::Error;

const PK: &str = "SIGNING";
const SK: &str = "KEYS";

impl Store {
    /// The ring; empty (version 0) before the first key.
    pub async fn get_key_ring(&self) -> Result<KeyRing, Error> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(PK, SK)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| sdk_error("get key ring", e))?;
        let Some(item) = out.item else { return Ok(KeyRing::default()) };
        let keys: Vec<SigningKey> = serde_json::from_str(&get_s(&item, "keys").unwrap_or_default())
            .map_err(|e| Error::internal(anyhow::anyhow!("key ring: unreadable keys: {e}")))?;
        let version = get_n(&item, "version").and_then(|v| u64::try_from(v).ok()).unwrap_or(0);
        Ok(KeyRing::new(keys, version))
    }

    /// Writes `ring` if the stored one still has `ring.version` (0: none yet); `Ok(false)` when
    /// another writer came first (nothing written). The stored version becomes `version + 1`.
    pub async fn put_key_ring(&self, ring: &KeyRing) -> Result<bool, Error> {
        let mut item = key(PK, SK);
        let keys = serde_json::to_string(ring.keys()).map_err(Error::internal)?;
        item.insert("keys".into(), s(keys));
        item.insert("version".into(), n(i64::try_from(ring.version + 1).map_err(Error::internal)?));
        let mut put = self.client.put_item().table_name(&self.table).set_item(Some(item));
        put = if ring.version == 0 {
            put.condition_expression("attribute_not_exists(pk)")
        } else {
            put.condition_expression("version = :v")
                .expression_attribute_values(":v", n(i64::try_from(ring.version).map_err(Error::internal)?))
        };
        match put.send().await {
            Ok(_) => Ok(true),
            Err(e) if is_condition_failure(&e) => Ok(false),
            Err(e) => Err(sdk_error("put key ring", e)),
        }
    }
}
