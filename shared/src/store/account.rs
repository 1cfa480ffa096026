//! Self-service writes to the user item: settings (nested map paths), the avatar pointer,
//! password change and email change (which moves the `EMAIL#` uniqueness marker in one
//! transaction). Every write is conditional on the state the caller saw.

use super::links::{email_change_token_item, token_pk};
use super::user_codec::{PROFILE, email_pk, marker, settings_from_attr, settings_to_attr, user_from_item, user_pk};
use super::{Store, is_condition_failure, key, n, s, sdk_error};
use crate::domain::{Activity, EmailChangeToken, Event, SettingValue, Settings, SettingsChange, User, UserId};
use crate::error::Error;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, ReturnValue, TransactWriteItem, Update};
use std::collections::HashMap;

impl Store {
    /// Merges a settings change into the stored map with one `UpdateItem` of nested paths
    /// (`settings.privacy.publicProfile = :v`). Items written before settings existed have no
    /// map to set paths in: for those, `fallback` (the caller's defaults with the change
    /// applied) is written whole, only if the map is still missing.
    pub async fn update_settings(&self, id: &UserId, change: &SettingsChange, fallback: &Settings, now: i64) -> Result<Settings, Error> {
        let mut sets = Vec::new();
        let mut names: HashMap<String, String> = HashMap::from([("#s".into(), "settings".into()), ("#u".into(), "updatedAt".into())]);
        let mut values: HashMap<String, AttributeValue> = HashMap::from([(":now".into(), n(now)), (":map".into(), s("M"))]);
        for (i, (group, field, value)) in change.entries.iter().enumerate() {
            names.insert(format!("#{}", group.as_str()), group.as_str().to_owned());
            names.insert(format!("#k{i}"), (*field).to_owned());
            sets.push(format!("#s.#{}.#k{i} = :v{i}", group.as_str()));
            values.insert(
                format!(":v{i}"),
                match value {
                    SettingValue::Bool(b) => AttributeValue::Bool(*b),
                    SettingValue::Text(t) => s(t),
                },
            );
        }
        sets.push("#s.#u = :now".into());
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(user_pk(id), PROFILE)))
            .update_expression(format!("SET {}", sets.join(", ")))
            .condition_expression("attribute_exists(pk) AND attribute_type(#s, :map)")
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(values))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        match out {
            Ok(o) => {
                let item = o.attributes.unwrap_or_default();
                Ok(settings_from_attr(item.get("settings"), super::get_n(&item, "createdAt").unwrap_or(0)))
            }
            Err(e) if is_condition_failure(&e) => self.put_whole_settings(id, fallback).await,
            Err(e) => Err(sdk_error("update settings", e)),
        }
    }

    async fn put_whole_settings(&self, id: &UserId, settings: &Settings) -> Result<Settings, Error> {
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(user_pk(id), PROFILE)))
            .update_expression("SET #s = :all")
            .condition_expression("attribute_exists(pk) AND attribute_not_exists(#s)")
            .expression_attribute_names("#s", "settings")
            .expression_attribute_values(":all", settings_to_attr(settings))
            .send()
            .await;
        match out {
            Ok(_) => Ok(settings.clone()),
            // Someone else created the map (or the user is gone) in between: let the client retry.
            Err(e) if is_condition_failure(&e) => Err(Error::Conflict),
            Err(e) => Err(sdk_error("write settings", e)),
        }
    }

    /// Points the user at a new avatar object (or at none), only if the pointer is still
    /// `previous`. A concurrent change answers `Conflict`; the caller cleans up its object.
    pub async fn set_avatar_key(&self, id: &UserId, next: Option<&str>, previous: Option<&str>, now: i64) -> Result<User, Error> {
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(user_pk(id), PROFILE)))
            .expression_attribute_values(":now", n(now))
            .expression_attribute_values(":one", n(1))
            .return_values(ReturnValue::AllNew);
        update = match next {
            Some(k) => update
                .update_expression("SET avatarKey = :next, updatedAt = :now, version = version + :one")
                .expression_attribute_values(":next", s(k)),
            None => update.update_expression("SET updatedAt = :now, version = version + :one REMOVE avatarKey"),
        };
        update = match previous {
            Some(p) => update.condition_expression("attribute_exists(pk) AND avatarKey = :prev").expression_attribute_values(":prev", s(p)),
            None => update.condition_expression("attribute_exists(pk) AND attribute_not_exists(avatarKey)"),
        };
        match update.send().await {
            Ok(o) => o.attributes.as_ref().map(user_from_item).transpose()?.ok_or(Error::UserNotFound),
            Err(e) if is_condition_failure(&e) => Err(Error::Conflict),
            Err(e) => Err(sdk_error("set avatar key", e)),
        }
    }

    /// Stores a new password hash, only if the stored hash is still the one the current
    /// password was checked against; clears the login-failure count and voids any pending reset
    /// or email-change link (someone who knew the old password may have asked for them);
    /// records the activity entry and the `user.password_changed` event in the same transaction.
    /// Every session opened before, except `keep`, is refused from then on (`ADD sessionEpoch`:
    /// `User::session_cut_off`), even if deleting them afterwards fails. False when the hash
    /// changed meanwhile.
    pub async fn change_password(
        &self,
        id: &UserId,
        checked_hash: &str,
        new_hash: &str,
        (activity, event): (&Activity, &Event),
        now: i64,
        keep: &crate::domain::SessionId,
    ) -> Result<bool, Error> {
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(user_pk(id), PROFILE)))
            .update_expression(
                "SET passwordHash = :p, passwordChangedAt = :now, updatedAt = :now, failedLogins = :zero, version = version + :one, \
                 sessionEpochKeep = :keep ADD sessionEpoch :one \
                 REMOVE lastFailedLoginAt, resetTokenHash, emailChangeTokenHash, emailChangeSentAt",
            )
            .condition_expression("passwordHash = :old")
            .expression_attribute_values(":keep", s(keep.as_str()))
            .expression_attribute_values(":p", s(new_hash))
            .expression_attribute_values(":old", s(checked_hash))
            .expression_attribute_values(":now", n(now))
            .expression_attribute_values(":zero", n(0))
            .expression_attribute_values(":one", n(1))
            .build()?;
        let items = vec![
            TransactWriteItem::builder().update(update).build(),
            super::activity::activity_put(self, id, activity)?,
            super::outbox::outbox_put(self, event)?,
        ];
        Ok(self.transact("change password", items).await?.is_ok())
    }

    /// Starts an email change: remembers the newest link's hash on the user (so only the newest
    /// link works), stores the link token with both addresses, deletes the previous link token
    /// and records `activity`, all or nothing. False when the account changed meanwhile.
    pub async fn start_email_change(&self, user: &User, token: &EmailChangeToken, activity: &Activity, now: i64) -> Result<bool, Error> {
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(user_pk(&user.id), PROFILE)))
            .update_expression("SET emailChangeTokenHash = :h, emailChangeSentAt = :now")
            .condition_expression("email = :old AND passwordHash = :p")
            .expression_attribute_values(":h", s(&token.hash))
            .expression_attribute_values(":now", n(now))
            .expression_attribute_values(":old", s(user.email.as_str()))
            .expression_attribute_values(":p", s(&user.password_hash))
            .build()?;
        let put = Put::builder().table_name(&self.table).set_item(Some(email_change_token_item(token))).build()?;
        let mut items = vec![
            TransactWriteItem::builder().update(update).build(),
            TransactWriteItem::builder().put(put).build(),
            super::activity::activity_put(self, &user.id, activity)?,
        ];
        if let Some(old) = &user.email_change {
            let delete = Delete::builder().table_name(&self.table).set_key(Some(key(token_pk(&old.token_hash), "TOKEN"))).build()?;
            items.push(TransactWriteItem::builder().delete(delete).build());
        }
        Ok(self.transact("start email change", items).await?.is_ok())
    }

    /// Completes an email change in one transaction: consumes the link token, claims the new
    /// address's marker (`EmailTaken` if someone holds it), releases the old marker and switches
    /// the user's address — only if the token is still the user's newest and the address is
    /// still the one it was issued for (`InvalidToken` otherwise). Nothing is half-moved.
    /// A reset link mailed to the old address dies with it (`REMOVE resetTokenHash`: whoever
    /// still reads the old mailbox must not take the account back).
    /// `event` (`user.email_changed`) is written in the same transaction.
    pub async fn confirm_email_change(&self, token: &EmailChangeToken, activity: &Activity, now: i64, event: &Event) -> Result<(), Error> {
        let me = s(token.user_id.as_str());
        let consume = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(key(token_pk(&token.hash), "TOKEN")))
            .condition_expression("attribute_exists(pk)")
            .build()?;
        let claim = Put::builder()
            .table_name(&self.table)
            .set_item(Some(marker(email_pk(&token.new_email), "EMAIL", &token.user_id)))
            .condition_expression("attribute_not_exists(pk)")
            .build()?;
        let release = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(key(email_pk(&token.old_email), "EMAIL")))
            .condition_expression("userId = :me")
            .expression_attribute_values(":me", me)
            .build()?;
        let switch = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(user_pk(&token.user_id), PROFILE)))
            .update_expression(
                "SET email = :new, pfxEmail = :pfx, emailVerified = :t, updatedAt = :now, version = version + :one REMOVE emailChangeTokenHash, emailChangeSentAt, resetTokenHash",
            )
            .condition_expression("email = :old AND emailChangeTokenHash = :h")
            .expression_attribute_values(":new", s(&token.new_email))
            // The admin prefix-search index partitions by the address's first character.
            .expression_attribute_values(":pfx", s(format!("EM#{}", super::user_index::first_char(&token.new_email))))
            .expression_attribute_values(":old", s(&token.old_email))
            .expression_attribute_values(":h", s(&token.hash))
            .expression_attribute_values(":t", AttributeValue::Bool(true))
            .expression_attribute_values(":now", n(now))
            .expression_attribute_values(":one", n(1))
            .build()?;
        let items = vec![
            TransactWriteItem::builder().delete(consume).build(),
            TransactWriteItem::builder().put(claim).build(),
            TransactWriteItem::builder().delete(release).build(),
            TransactWriteItem::builder().update(switch).build(),
            super::activity::activity_put(self, &token.user_id, activity)?,
            super::outbox::outbox_put(self, event)?,
        ];
        match self.transact("confirm email change", items).await? {
            Ok(()) => Ok(()),
            Err(reasons) => {
                let failed = |i: usize| reasons.get(i).and_then(Option::as_deref) == Some("ConditionalCheckFailed");
                // A stale or used link says nothing about who holds the address.
                if failed(0) || failed(2) || failed(3) || !failed(1) { Err(Error::InvalidToken) } else { Err(Error::EmailTaken) }
            }
        }
    }
}
