//! Single-use link tokens (activation, password reset, email change), captcha answers and
//! rate counters.
//!
//! `TOKEN#<sha256> / TOKEN` — a link token, stored only as its hash, with a TTL. An email-change
//! token also carries the address it switches from and to (`oldEmail`, `newEmail`).
//! `CAPTCHA#<id> / CAPTCHA` — a captcha answer's hash; consumed by a conditional delete.
//! `RATE#<scope>#<subject>#<window> / RATE` — an `ADD` counter with a TTL.

use super::{Item, Store, get_n, get_s, is_condition_failure, key, n, s, sdk_error, ttl};
use crate::domain::UserId;
use crate::error::Error;
use aws_sdk_dynamodb::types::{ReturnValue, TransactWriteItem, Update};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Activation,
    PasswordReset,
    EmailChange,
}

impl TokenKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Activation => "activation",
            Self::PasswordReset => "reset",
            Self::EmailChange => "email-change",
        }
    }
    fn parse(raw: &str) -> Option<Self> {
        match raw {
            "activation" => Some(Self::Activation),
            "reset" => Some(Self::PasswordReset),
            "email-change" => Some(Self::EmailChange),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkToken {
    pub hash: String,
    pub kind: TokenKind,
    pub user_id: UserId,
    pub expires_at: i64,
}

pub(crate) fn token_pk(hash: &str) -> String {
    format!("TOKEN#{hash}")
}

pub(crate) fn link_token_item(t: &LinkToken) -> Item {
    let mut item = key(token_pk(&t.hash), "TOKEN");
    item.insert("type".into(), s("token"));
    item.insert("kind".into(), s(t.kind.as_str()));
    item.insert("userId".into(), s(t.user_id.as_str()));
    item.insert("expiresAt".into(), n(t.expires_at));
    item.insert("ttl".into(), ttl(t.expires_at));
    super::owned_by(&mut item, &t.user_id);
    item
}

/// A pending email change's link token: which account, from which address to which.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailChangeToken {
    pub hash: String,
    pub user_id: UserId,
    pub old_email: String,
    pub new_email: String,
    pub expires_at: i64,
}

pub(crate) fn email_change_token_item(t: &EmailChangeToken) -> Item {
    let mut item = link_token_item(&LinkToken {
        hash: t.hash.clone(),
        kind: TokenKind::EmailChange,
        user_id: t.user_id.clone(),
        expires_at: t.expires_at,
    });
    item.insert("oldEmail".into(), s(&t.old_email));
    item.insert("newEmail".into(), s(&t.new_email));
    item
}

impl Store {
    /// The email-change token with this hash, if there is one of that kind.
    pub async fn get_email_change_token(&self, hash: &str) -> Result<Option<EmailChangeToken>, Error> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(token_pk(hash), "TOKEN")))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| sdk_error("get email change token", e))?;
        Ok(out.item.and_then(|item| {
            if TokenKind::parse(&get_s(&item, "kind")?)? != TokenKind::EmailChange {
                return None;
            }
            Some(EmailChangeToken {
                hash: hash.to_owned(),
                user_id: UserId::parse(&get_s(&item, "userId")?)?,
                old_email: get_s(&item, "oldEmail")?,
                new_email: get_s(&item, "newEmail")?,
                expires_at: get_n(&item, "expiresAt")?,
            })
        }))
    }

    pub async fn get_link_token(&self, hash: &str) -> Result<Option<LinkToken>, Error> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(token_pk(hash), "TOKEN")))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| sdk_error("get link token", e))?;
        Ok(out.item.and_then(|item| {
            Some(LinkToken {
                hash: hash.to_owned(),
                kind: TokenKind::parse(&get_s(&item, "kind")?)?,
                user_id: UserId::parse(&get_s(&item, "userId")?)?,
                expires_at: get_n(&item, "expiresAt")?,
            })
        }))
    }

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
}
