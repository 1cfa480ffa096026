//! TOTP second factor, kept on the user item: `mfaSecret` / `mfaPending` (sealed seeds),
//! `mfaLastStep` (the last accepted time step, so a code works once) and `mfaBackup` (a string
//! set of keyed hashes of single-use backup codes). Every change is one conditional update.

use super::user_codec::{PROFILE, user_from_item, user_pk};
use super::{Store, b, get_b, get_n, get_s, is_condition_failure, key, n, s, sdk_error};
use crate::domain::{Activity, Event, MfaState, User, UserId};
use crate::error::Error;
use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem, Update};

fn backup_set(hashes: &[String]) -> AttributeValue {
    AttributeValue::Ss(hashes.to_vec())
}

impl Store {
    /// The user and their second-factor state, in one strongly consistent read.
    pub async fn get_user_and_mfa(&self, id: &UserId) -> Result<Option<(User, MfaState)>, Error> {
        let Some(item) = self.user_item(id, "get user and mfa").await? else { return Ok(None) };
        let state = MfaState {
            enabled: get_b(&item, "mfaEnabled").unwrap_or(false),
            secret: get_s(&item, "mfaSecret"),
            pending: get_s(&item, "mfaPending"),
            last_step: get_n(&item, "mfaLastStep"),
            backup_hashes: item.get("mfaBackup").and_then(|v| v.as_ss().ok()).cloned().unwrap_or_default(),
        };
        Ok(Some((user_from_item(&item)?, state)))
    }

    async fn update_user(
        &self,
        op: &str,
        update: aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder,
    ) -> Result<bool, Error> {
        match update.send().await {
            Ok(_) => Ok(true),
            Err(e) if is_condition_failure(&e) => Ok(false),
            Err(e) => Err(sdk_error(op, e)),
        }
    }

    fn user_update(&self, id: &UserId) -> aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder {
        self.client.update_item().table_name(&self.table).set_key(Some(key(user_pk(id), PROFILE)))
    }

    /// Stores a sealed seed awaiting its first code. False when MFA is already on.
    pub async fn set_mfa_pending(&self, id: &UserId, sealed: &str) -> Result<bool, Error> {
        let update = self
            .user_update(id)
            .update_expression("SET mfaPending = :p")
            .condition_expression("attribute_exists(pk) AND (attribute_not_exists(mfaEnabled) OR mfaEnabled = :f)")
            .expression_attribute_values(":p", s(sealed))
            .expression_attribute_values(":f", b(false));
        self.update_user("set mfa pending", update).await
    }

    /// Turns MFA on with the pending seed the caller verified (only if it is still the pending
    /// one), the step just used, and fresh backup codes.
    pub async fn enable_mfa(
        &self,
        id: &UserId,
        pending: &str,
        step: i64,
        backup_hashes: &[String],
        activity: &Activity,
        event: &Event,
    ) -> Result<bool, Error> {
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(user_pk(id), PROFILE)))
            .update_expression("SET mfaSecret = :p, mfaEnabled = :t, mfaLastStep = :step, mfaBackup = :codes REMOVE mfaPending")
            .condition_expression("mfaPending = :p AND (attribute_not_exists(mfaEnabled) OR mfaEnabled = :f)")
            .expression_attribute_values(":p", s(pending))
            .expression_attribute_values(":t", b(true))
            .expression_attribute_values(":f", b(false))
            .expression_attribute_values(":step", n(step))
            .expression_attribute_values(":codes", backup_set(backup_hashes))
            .build()?;
        let items = vec![
            TransactWriteItem::builder().update(update).build(),
            super::activity::activity_put(self, id, activity)?,
            super::outbox::outbox_put(self, event)?,
        ];
        Ok(self.transact("enable mfa", items).await?.is_ok())
    }

    /// Accepts a TOTP time step once: false when this or a later step was already used.
    pub async fn use_totp_step(&self, id: &UserId, step: i64) -> Result<bool, Error> {
        let update = self
            .user_update(id)
            .update_expression("SET mfaLastStep = :s")
            .condition_expression("mfaEnabled = :t AND (attribute_not_exists(mfaLastStep) OR mfaLastStep < :s)")
            .expression_attribute_values(":s", n(step))
            .expression_attribute_values(":t", b(true));
        self.update_user("use totp step", update).await
    }

    /// Consumes a backup code: false when it is not (or no longer) one of the user's codes.
    pub async fn use_backup_code(&self, id: &UserId, hash: &str) -> Result<bool, Error> {
        let update = self
            .user_update(id)
            .update_expression("DELETE mfaBackup :h")
            .condition_expression("mfaEnabled = :t AND contains(mfaBackup, :one)")
            .expression_attribute_values(":h", backup_set(&[hash.to_owned()]))
            .expression_attribute_values(":one", s(hash))
            .expression_attribute_values(":t", b(true));
        self.update_user("use backup code", update).await
    }

    pub async fn replace_backup_codes(&self, id: &UserId, backup_hashes: &[String]) -> Result<bool, Error> {
        let update = self
            .user_update(id)
            .update_expression("SET mfaBackup = :codes")
            .condition_expression("mfaEnabled = :t")
            .expression_attribute_values(":codes", backup_set(backup_hashes))
            .expression_attribute_values(":t", b(true));
        self.update_user("replace backup codes", update).await
    }

    /// Turns MFA off (false when it was not on), with `event` (`user.mfa_disabled`) in the same
    /// transaction: a two-item `TransactWriteItems` where this was one `UpdateItem`.
    pub async fn disable_mfa(&self, id: &UserId, event: &Event) -> Result<bool, Error> {
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(user_pk(id), PROFILE)))
            .update_expression("SET mfaEnabled = :f REMOVE mfaSecret, mfaPending, mfaLastStep, mfaBackup")
            .condition_expression("mfaEnabled = :t")
            .expression_attribute_values(":f", b(false))
            .expression_attribute_values(":t", b(true))
            .build()?;
        let items = vec![TransactWriteItem::builder().update(update).build(), super::outbox::outbox_put(self, event)?];
        Ok(self.transact("disable mfa", items).await?.is_ok())
    }
}
