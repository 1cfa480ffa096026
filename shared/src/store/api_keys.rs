//! API keys. One item per key, found by the hash of its secret:
//! `APIKEY#<sha256(secret)> / APIKEY`, listed per owner through `gsi1`
//! (`gsi1pk = KEYS#<userId>`, `gsi1sk = <keyId>`). The owner's `activeKeys` counter on the user
//! item caps how many keys are active, moved with `ADD` in the same transaction as the key.

use super::user_codec::{PROFILE, user_pk};
use super::{Item, Store, get_n, get_s, is_condition_failure, key, n, req_s, s, sdk_error};
use crate::domain::{Activity, ApiKeyId, ApiKeyRecord, Event, KeyStatus, Scope, UserId};
use crate::error::Error;
use aws_sdk_dynamodb::types::{AttributeValue, Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update};

fn lookup_pk(hash: &str) -> String {
    format!("APIKEY#{hash}")
}

fn keys_gsi(user: &UserId) -> String {
    format!("KEYS#{user}")
}

fn to_item(k: &ApiKeyRecord) -> Item {
    let mut item = key(lookup_pk(&k.hash), "APIKEY");
    item.insert("type".into(), s("apikey"));
    item.insert("id".into(), s(k.id.as_str()));
    item.insert("userId".into(), s(k.user_id.as_str()));
    item.insert("name".into(), s(&k.name));
    item.insert("prefix".into(), s(&k.prefix));
    item.insert("scopes".into(), AttributeValue::L(k.scopes.iter().map(|x| s(x.as_str())).collect()));
    item.insert("createdAt".into(), n(k.created_at));
    if let Some(e) = k.expires_at {
        item.insert("expiresAt".into(), n(e));
    }
    item.insert("status".into(), s(k.status.as_str()));
    item.insert("epoch".into(), n(k.epoch));
    item.insert("gsi1pk".into(), s(keys_gsi(&k.user_id)));
    item.insert("gsi1sk".into(), s(k.id.as_str()));
    item
}

fn from_item(item: &Item) -> Result<ApiKeyRecord, Error> {
    let bad = || Error::internal(anyhow::anyhow!("stored api key malformed"));
    let pk = req_s(item, "pk")?;
    Ok(ApiKeyRecord {
        hash: pk.strip_prefix("APIKEY#").ok_or_else(bad)?.to_owned(),
        id: ApiKeyId::parse(&req_s(item, "id")?).ok_or_else(bad)?,
        user_id: UserId::parse(&req_s(item, "userId")?).ok_or_else(bad)?,
        name: req_s(item, "name")?,
        prefix: req_s(item, "prefix")?,
        scopes: item
            .get("scopes")
            .and_then(|v| v.as_l().ok())
            .map(|l| l.iter().filter_map(|v| v.as_s().ok()).filter_map(|v| Scope::parse(v)).collect())
            .unwrap_or_default(),
        created_at: get_n(item, "createdAt").unwrap_or(0),
        expires_at: get_n(item, "expiresAt"),
        last_used_at: get_n(item, "lastUsedAt"),
        status: KeyStatus::parse(&get_s(item, "status").unwrap_or_default()),
        epoch: get_n(item, "epoch").unwrap_or(0),
    })
}

impl Store {
    /// Stores a new key if the owner has fewer than `max_active` active keys.
    /// Returns false when the limit is reached (nothing written).
    /// `event` (`apikey.created`) is written in the same transaction.
    pub async fn create_api_key(&self, k: &ApiKeyRecord, max_active: i64, activity: &Activity, event: &Event) -> Result<bool, Error> {
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(to_item(k)))
            .condition_expression("attribute_not_exists(pk)")
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()?;
        let count = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(user_pk(&k.user_id), PROFILE)))
            .update_expression("ADD activeKeys :one")
            .condition_expression("attribute_exists(pk) AND (attribute_not_exists(activeKeys) OR activeKeys < :max)")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":max", n(max_active))
            .build()?;
        let items = vec![
            TransactWriteItem::builder().put(put).build(),
            TransactWriteItem::builder().update(count).build(),
            super::activity::activity_put(self, &k.user_id, activity)?,
            super::outbox::outbox_put(self, event)?,
        ];
        match self.transact_detailed("create api key", items).await? {
            Ok(()) => Ok(true),
            // The key is keyed by a fresh secret's hash: only our own first attempt wrote it
            // (and its `ADD activeKeys` with it, once).
            Err(reasons) if reasons.first().is_some_and(|r| r.holds("id", k.id.as_str())) => Ok(true),
            Err(reasons) if reasons.get(1).is_some_and(super::CancelReason::condition_failed) => Ok(false),
            Err(_) => Err(Error::Conflict),
        }
    }

    /// Every key of a user (any status), newest first.
    pub async fn list_api_keys(&self, user: &UserId) -> Result<Vec<ApiKeyRecord>, Error> {
        let items: Vec<Item> = self
            .query_all(
                "list api keys",
                self.client
                    .query()
                    .table_name(&self.table)
                    .index_name("gsi1")
                    .key_condition_expression("gsi1pk = :pk")
                    .expression_attribute_values(":pk", s(keys_gsi(user)))
                    .scan_index_forward(false),
            )
            .await?;
        items.iter().map(from_item).collect()
    }

    /// One key of a user by id (`None` for another user's key or an unknown id).
    pub async fn find_api_key(&self, user: &UserId, id: &ApiKeyId) -> Result<Option<ApiKeyRecord>, Error> {
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .index_name("gsi1")
            .key_condition_expression("gsi1pk = :pk AND gsi1sk = :id")
            .expression_attribute_values(":pk", s(keys_gsi(user)))
            .expression_attribute_values(":id", s(id.as_str()))
            .send()
            .await
            .map_err(|e| sdk_error("find api key", e))?;
        out.items().first().map(from_item).transpose()
    }

    /// The key whose secret hashes to `hash` (strongly consistent: a revoked key stops at once).
    pub async fn get_api_key(&self, hash: &str) -> Result<Option<ApiKeyRecord>, Error> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(lookup_pk(hash), "APIKEY")))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| sdk_error("get api key", e))?;
        out.item.as_ref().map(from_item).transpose()
    }

    /// Moves an active key to `revoked` or `expired` and frees its slot. False if it was not active.
    /// `event` (`apikey.revoked` for a revocation) is written in the same transaction.
    pub async fn retire_api_key(
        &self,
        k: &ApiKeyRecord,
        status: KeyStatus,
        now: i64,
        activity: Option<&Activity>,
        event: Option<&Event>,
    ) -> Result<bool, Error> {
        let retire = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(lookup_pk(&k.hash), "APIKEY")))
            .update_expression("SET #status = :s, retiredAt = :now")
            .condition_expression("#status = :active")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":s", s(status.as_str()))
            .expression_attribute_values(":now", n(now))
            .expression_attribute_values(":active", s(KeyStatus::Active.as_str()))
            .build()?;
        let count = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(user_pk(&k.user_id), PROFILE)))
            .update_expression("ADD activeKeys :minus")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":minus", n(-1))
            .build()?;
        let mut items = vec![TransactWriteItem::builder().update(retire).build(), TransactWriteItem::builder().update(count).build()];
        if let Some(a) = activity {
            items.push(super::activity::activity_put(self, &k.user_id, a)?);
        }
        if let Some(e) = event {
            items.push(super::outbox::outbox_put(self, e)?);
        }
        Ok(self.transact("retire api key", items).await?.is_ok())
    }

    /// Records use at most once per `min_interval` seconds, so a busy key does not add a write
    /// to every request.
    pub async fn touch_api_key(&self, k: &ApiKeyRecord, now: i64, min_interval: i64) -> Result<(), Error> {
        if k.last_used_at.is_some_and(|t| t > now - min_interval) {
            return Ok(());
        }
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(lookup_pk(&k.hash), "APIKEY")))
            .update_expression("SET lastUsedAt = :now")
            .condition_expression("attribute_exists(pk) AND (attribute_not_exists(lastUsedAt) OR lastUsedAt <= :cutoff)")
            .expression_attribute_values(":now", n(now))
            .expression_attribute_values(":cutoff", n(now - min_interval))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if is_condition_failure(&e) => Ok(()),
            Err(e) => Err(sdk_error("touch api key", e)),
        }
    }
}
