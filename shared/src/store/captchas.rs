//! Captcha answers: `CAPTCHA#<id> / CAPTCHA` holds an answer's hash with a TTL and is consumed
//! by a delete that returns it, so each captcha is checked at most once.

use super::{Store, get_n, get_s, key, n, s, sdk_error, ttl};
use crate::error::Error;
use aws_sdk_dynamodb::types::ReturnValue;

impl Store {
    /// Stores a captcha's answer hash until `expires_at`.
    pub async fn put_captcha(&self, id: &str, answer_hash: &str, expires_at: i64) -> Result<(), Error> {
        let mut item = key(format!("CAPTCHA#{id}"), "CAPTCHA");
        item.insert("answerHash".into(), s(answer_hash));
        item.insert("expiresAt".into(), n(expires_at));
        item.insert("ttl".into(), ttl(expires_at));
        self.client.put_item().table_name(&self.table).set_item(Some(item)).send().await.map_err(|e| sdk_error("put captcha", e))?;
        Ok(())
    }

    /// Deletes the captcha and returns `(answer hash, expiry)`: whatever the answer, it is used up.
    pub async fn take_captcha(&self, id: &str) -> Result<Option<(String, i64)>, Error> {
        let out = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(format!("CAPTCHA#{id}"), "CAPTCHA")))
            .return_values(ReturnValue::AllOld)
            .send()
            .await
            .map_err(|e| sdk_error("take captcha", e))?;
        Ok(out.attributes.and_then(|a| Some((get_s(&a, "answerHash")?, get_n(&a, "expiresAt")?))))
    }
}
