//! Activation and password reset: the writes that replace or consume the link token a user
//! item points at (`actTokenHash`, `resetTokenHash`), each in one transaction with the token
//! item, so a link works once and only the newest one works.

use super::links::{link_token_item, token_pk};
use super::user_codec::{PROFILE, user_pk};
use super::{Store, b, key, n, s};
use crate::domain::{ActivationState, Event, LinkToken, User, UserId, UserStatus};
use crate::error::Error;
use aws_sdk_dynamodb::types::{Delete, Put, TransactWriteItem, Update};

impl Store {
    /// Activation by link or code: marks the email verified and removes the activation state
    /// and its link token, only if the state is still the one the caller saw. An account whose
    /// stored status is `unverified` moves to `active` in the listing indexes in the same write;
    /// one that is banned or deleted meanwhile keeps its status (a second, rare attempt).
    /// `event` (`user.activated`) is written in the same transaction. With `max_attempts` (the
    /// code path, whose attempt was counted before the comparison) the write also requires the
    /// count to be within the limit, so a code compared after the attempts ran out never lands.
    pub async fn complete_activation(
        &self,
        id: &UserId,
        token_hash: &str,
        now: i64,
        event: &Event,
        max_attempts: Option<u32>,
    ) -> Result<bool, Error> {
        for move_status in [true, false] {
            let mut expression =
                "SET emailVerified = :t, updatedAt = :now, version = version + :one REMOVE actCodeHash, actTokenHash, actExpiresAt, actAttempts, actSentAt"
                    .to_owned();
            let mut condition = "actTokenHash = :h AND actExpiresAt > :now".to_owned();
            let mut update = Update::builder()
                .table_name(&self.table)
                .set_key(Some(key(user_pk(id), PROFILE)))
                .expression_attribute_values(":t", b(true))
                .expression_attribute_values(":now", n(now))
                .expression_attribute_values(":one", n(1))
                .expression_attribute_values(":h", s(token_hash));
            if let Some(max) = max_attempts {
                condition.push_str(" AND actAttempts <= :max");
                update = update.expression_attribute_values(":max", n(i64::from(max)));
            }
            if move_status {
                let (status_attr, status_key) = super::user_index::status_index_value(id, UserStatus::Active);
                expression = expression.replacen("SET ", &format!("SET {status_attr} = :sk, ustatus = :active, "), 1);
                condition.push_str(" AND ustatus = :unverified");
                update = update
                    .expression_attribute_values(":sk", s(status_key))
                    .expression_attribute_values(":active", s(UserStatus::Active.as_str()))
                    .expression_attribute_values(":unverified", s(UserStatus::Unverified.as_str()));
            }
            let update = update.update_expression(expression).condition_expression(condition).build()?;
            let delete = Delete::builder().table_name(&self.table).set_key(Some(key(token_pk(token_hash), "TOKEN"))).build()?;
            let items = vec![
                TransactWriteItem::builder().update(update).build(),
                TransactWriteItem::builder().delete(delete).build(),
                super::outbox::outbox_put(self, event)?,
            ];
            if self.transact("activate", items).await?.is_ok() {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Counts an activation-code attempt before the code is compared (conditional: the count is
    /// under `max`); false once the attempts are used up or nothing is pending.
    pub async fn count_activation_attempt(&self, id: &UserId, max: u32) -> Result<bool, Error> {
        self.count_attempt(id, "actAttempts", "actCodeHash", max, "count activation attempt").await
    }

    /// Replaces the pending activation (new code and link), unless one was sent less than
    /// `min_interval` seconds ago. Returns false when throttled or already activated.
    pub async fn replace_activation(
        &self,
        id: &UserId,
        old_token_hash: Option<&str>,
        next: &ActivationState,
        token: &LinkToken,
        min_interval: i64,
    ) -> Result<bool, Error> {
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(user_pk(id), PROFILE)))
            .update_expression("SET actCodeHash = :c, actTokenHash = :h, actExpiresAt = :e, actAttempts = :zero, actSentAt = :now")
            .condition_expression("emailVerified = :f AND (attribute_not_exists(actSentAt) OR actSentAt <= :cutoff)")
            .expression_attribute_values(":c", s(&next.code_hash))
            .expression_attribute_values(":h", s(&next.token_hash))
            .expression_attribute_values(":e", n(next.expires_at))
            .expression_attribute_values(":zero", n(0))
            .expression_attribute_values(":now", n(next.sent_at))
            .expression_attribute_values(":f", b(false))
            .expression_attribute_values(":cutoff", n(next.sent_at - min_interval))
            .build()?;
        let put = Put::builder().table_name(&self.table).set_item(Some(link_token_item(token))).build()?;
        let mut items = vec![TransactWriteItem::builder().update(update).build(), TransactWriteItem::builder().put(put).build()];
        if let Some(old) = old_token_hash {
            let delete = Delete::builder().table_name(&self.table).set_key(Some(key(token_pk(old), "TOKEN"))).build()?;
            items.push(TransactWriteItem::builder().delete(delete).build());
        }
        Ok(self.transact("resend activation", items).await?.is_ok())
    }

    /// Starts a password reset: remembers the newest token's hash on the user (so only the
    /// newest link works) unless a reset mail went out less than `min_interval` seconds ago.
    pub async fn start_reset(&self, user: &User, token: &LinkToken, now: i64, min_interval: i64) -> Result<bool, Error> {
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(user_pk(&user.id), PROFILE)))
            .update_expression("SET resetTokenHash = :h, resetSentAt = :now")
            .condition_expression("attribute_exists(pk) AND (attribute_not_exists(resetSentAt) OR resetSentAt <= :cutoff)")
            .expression_attribute_values(":h", s(&token.hash))
            .expression_attribute_values(":now", n(now))
            .expression_attribute_values(":cutoff", n(now - min_interval))
            .build()?;
        let put = Put::builder().table_name(&self.table).set_item(Some(link_token_item(token))).build()?;
        let mut items = vec![TransactWriteItem::builder().update(update).build(), TransactWriteItem::builder().put(put).build()];
        if let Some(old) = &user.reset_token_hash {
            let delete = Delete::builder().table_name(&self.table).set_key(Some(key(token_pk(old), "TOKEN"))).build()?;
            items.push(TransactWriteItem::builder().delete(delete).build());
        }
        Ok(self.transact("start reset", items).await?.is_ok())
    }

    /// Sets the new password and consumes the reset token, only if it is still the newest one.
    /// A pending email change is voided too: whoever asked for it knew the old password.
    /// Every session opened before is refused from then on (`ADD sessionEpoch`, no session kept:
    /// `User::session_cut_off`), and so is every API key made before (`ADD keyEpoch`:
    /// `User::key_cut_off`): whoever reset the password may be recovering a stolen account.
    /// `event` (`user.password_changed`) is written in the same transaction.
    pub async fn complete_reset(&self, id: &UserId, token_hash: &str, password_hash: &str, now: i64, event: &Event) -> Result<bool, Error> {
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(user_pk(id), PROFILE)))
            .update_expression("SET passwordHash = :p, updatedAt = :now, failedLogins = :zero, passwordChangedAt = :now, version = version + :one ADD sessionEpoch :one, keyEpoch :one REMOVE resetTokenHash, lastFailedLoginAt, emailChangeTokenHash, emailChangeSentAt, sessionEpochKeep")
            .condition_expression("resetTokenHash = :h")
            .expression_attribute_values(":p", s(password_hash))
            .expression_attribute_values(":now", n(now))
            .expression_attribute_values(":zero", n(0))
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":h", s(token_hash))
            .build()?;
        let delete = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(key(token_pk(token_hash), "TOKEN")))
            .condition_expression("attribute_exists(pk)")
            .build()?;
        let items = vec![
            TransactWriteItem::builder().update(update).build(),
            TransactWriteItem::builder().delete(delete).build(),
            super::outbox::outbox_put(self, event)?,
        ];
        Ok(self.transact("complete reset", items).await?.is_ok())
    }
}
