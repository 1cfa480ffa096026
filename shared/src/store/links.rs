//! Single-use link tokens (activation, password reset, email change).
//!
//! `TOKEN#<sha256> / TOKEN` — a link token, stored only as its hash, with a TTL, and owned by
//! its user through `gsi1` (so the purge finds it). An email-change token also carries the
//! address it switches from and to (`oldEmail`, `newEmail`).

use super::{Item, Store, get_n, get_s, key, n, s, sdk_error, ttl};
use crate::domain::{EmailChangeToken, LinkToken, TokenKind, UserId};
use crate::error::Error;

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

fn link_token_from_item(hash: &str, item: &Item) -> Option<LinkToken> {
    Some(LinkToken {
        hash: hash.to_owned(),
        kind: TokenKind::parse(&get_s(item, "kind")?)?,
        user_id: UserId::parse(&get_s(item, "userId")?)?,
        expires_at: get_n(item, "expiresAt")?,
    })
}

impl Store {
    /// The email-change token with this hash, if there is one of that kind.
    pub async fn get_email_change_token(&self, hash: &str) -> Result<Option<EmailChangeToken>, Error> {
        Ok(self.token_item(hash, "get email change token").await?.and_then(|item| {
            let token = link_token_from_item(hash, &item)?;
            if token.kind != TokenKind::EmailChange {
                return None;
            }
            Some(EmailChangeToken {
                hash: token.hash,
                user_id: token.user_id,
                old_email: get_s(&item, "oldEmail")?,
                new_email: get_s(&item, "newEmail")?,
                expires_at: token.expires_at,
            })
        }))
    }

    /// The link token with this hash, of any kind.
    pub async fn get_link_token(&self, hash: &str) -> Result<Option<LinkToken>, Error> {
        Ok(self.token_item(hash, "get link token").await?.and_then(|item| link_token_from_item(hash, &item)))
    }

    /// The token item with this hash (strongly consistent: a used token is gone at once).
    async fn token_item(&self, hash: &str, op: &str) -> Result<Option<Item>, Error> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(token_pk(hash), "TOKEN")))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| sdk_error(op, e))?;
        Ok(out.item)
    }
}
