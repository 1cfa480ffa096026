//! Rate counters: `RATE#<scope>#<subject>#<window> / RATE` is a fixed-window `ADD` counter with
//! a TTL; the window is part of the key, so a late TTL deletion never extends a limit.

use super::{Store, is_condition_failure, key, n, sdk_error, ttl};
use crate::error::Error;
use aws_sdk_dynamodb::types::{TransactWriteItem, Update};

impl Store {
    /// An unconditional `ADD` of one to a counter, as an item of a caller's transaction (the
    /// registration counts its activation mail on the recipient's mail counter this way).
    pub(crate) fn counter_add(&self, counter_pk: &str, expires_at: i64) -> Result<TransactWriteItem, Error> {
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(counter_pk, "RATE")))
            .update_expression("ADD #count :one SET #ttl = :ttl")
            .expression_attribute_names("#count", "count")
            .expression_attribute_names("#ttl", "ttl")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":ttl", ttl(expires_at))
            .build()?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    /// [`Store::take_slot`]'s conditional `ADD` as an item of a transaction (the mail slot,
    /// which checks the suppression list in the same call).
    pub(crate) fn counter_take(&self, counter_pk: &str, limit: u32, expires_at: i64) -> Result<TransactWriteItem, Error> {
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(counter_pk, "RATE")))
            .update_expression("ADD #count :one SET #ttl = :ttl")
            .condition_expression("attribute_not_exists(#count) OR #count < :limit")
            .expression_attribute_names("#count", "count")
            .expression_attribute_names("#ttl", "ttl")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":limit", n(i64::from(limit)))
            .expression_attribute_values(":ttl", ttl(expires_at))
            .build()?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    /// Counts one event on a fixed-window counter unless it already holds `limit`: one
    /// conditional `UpdateItem` (`ADD`, condition `attribute_not_exists(count) OR count < :limit`),
    /// so concurrent requests can never pass the limit and a refused request writes nothing.
    /// Returns whether the event was within the limit. The TTL lets DynamoDB drop the item
    /// after its window (`expires_at`); the window is also part of the key, so a late
    /// deletion never extends a limit.
    pub async fn take_slot(&self, counter_pk: &str, limit: u32, expires_at: i64) -> Result<bool, Error> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(counter_pk, "RATE")))
            .update_expression("ADD #count :one SET #ttl = :ttl")
            .condition_expression("attribute_not_exists(#count) OR #count < :limit")
            .expression_attribute_names("#count", "count")
            .expression_attribute_names("#ttl", "ttl")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":limit", n(i64::from(limit)))
            .expression_attribute_values(":ttl", ttl(expires_at))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) if is_condition_failure(&e) => Ok(false),
            Err(e) => Err(sdk_error("rate counter", e)),
        }
    }

    /// Gives one slot of a [`Store::take_slot`] counter back (the login-failure counter after
    /// a correct password: the slot was taken before the hash): `ADD -1` while above zero.
    pub async fn release_slot(&self, counter_pk: &str) -> Result<(), Error> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(counter_pk, "RATE")))
            .update_expression("ADD #count :minus")
            .condition_expression("#count > :zero")
            .expression_attribute_names("#count", "count")
            .expression_attribute_values(":minus", n(-1))
            .expression_attribute_values(":zero", n(0))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if is_condition_failure(&e) => Ok(()),
            Err(e) => Err(sdk_error("release rate counter", e)),
        }
    }

    /// [`Store::release_slot`] as an item of a caller's transaction (login's session write),
    /// without a condition that could cancel it: the caller took the slot, and if the window's
    /// item expired meanwhile the `-1` lands on a key no later window uses, with its TTL.
    pub(crate) fn slot_release(&self, counter_pk: &str, expires_at: i64) -> Result<TransactWriteItem, Error> {
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(counter_pk, "RATE")))
            .update_expression("ADD #count :minus SET #ttl = :ttl")
            .expression_attribute_names("#count", "count")
            .expression_attribute_names("#ttl", "ttl")
            .expression_attribute_values(":minus", n(-1))
            .expression_attribute_values(":ttl", ttl(expires_at))
            .build()?;
        Ok(TransactWriteItem::builder().update(update).build())
    }
}
