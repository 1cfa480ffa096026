//! Single-use markers: `USED#<kind>#<id> / USED`, written with `attribute_not_exists` and a TTL
//! at the credential's own expiry, so a self-contained credential (the MFA step token, which
//! is a signed JWT and needs no item to be valid) can still be used only once.

use super::{Store, is_condition_failure, key, n, s, sdk_error, ttl};
use crate::error::Error;

impl Store {
    /// Marks `(kind, id)` used until `expires_at`; false when it was used already.
    pub async fn use_once(&self, kind: &str, id: &str, expires_at: i64) -> Result<bool, Error> {
        let mut item = key(format!("USED#{kind}#{id}"), "USED");
        item.insert("type".into(), s("used"));
        item.insert("expiresAt".into(), n(expires_at));
        item.insert("ttl".into(), ttl(expires_at));
        let out = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await;
        match out {
            Ok(_) => Ok(true),
            Err(e) if is_condition_failure(&e) => Ok(false),
            Err(e) => Err(sdk_error("use once", e)),
        }
    }
}
