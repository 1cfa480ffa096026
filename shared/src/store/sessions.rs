//! Sessions and refresh tokens.
//!
//! `USER#<uid> / SESSION#<sid>` is the session (its existence is what keeps access tokens
//! valid); `REFRESH#<sha256> / REFRESH` is one refresh token of a session. Rotation marks the
//! presented token `rotated` in the same transaction that writes its successor, so presenting
//! it again is recognisable as reuse.

use super::user_codec::{PROFILE, user_from_item, user_pk};
use super::{Item, Store, b, get_b, get_n, get_s, key, n, req_s, s, sdk_error, ttl};
use crate::domain::{RefreshRecord, Rotation, Session, SessionId, User, UserId};
use crate::error::Error;
use aws_sdk_dynamodb::types::{KeysAndAttributes, Put, TransactWriteItem, Update};

fn session_sk(id: &SessionId) -> String {
    format!("SESSION#{id}")
}

fn session_item(x: &Session) -> Item {
    let mut item = key(user_pk(&x.user_id), session_sk(&x.id));
    item.insert("type".into(), s("session"));
    item.insert("sessionId".into(), s(x.id.as_str()));
    item.insert("userId".into(), s(x.user_id.as_str()));
    item.insert("createdAt".into(), n(x.created_at));
    item.insert("lastUsedAt".into(), n(x.last_used_at));
    item.insert("expiresAt".into(), n(x.expires_at));
    item.insert("ip".into(), s(&x.ip));
    item.insert("userAgent".into(), s(&x.user_agent));
    item.insert("epoch".into(), n(x.epoch));
    item.insert("ttl".into(), ttl(x.expires_at));
    item
}

fn session_from_item(item: &Item) -> Result<Session, Error> {
    let bad = || Error::internal(anyhow::anyhow!("stored session malformed"));
    Ok(Session {
        id: SessionId::parse(&req_s(item, "sessionId")?).ok_or_else(bad)?,
        user_id: UserId::parse(&req_s(item, "userId")?).ok_or_else(bad)?,
        created_at: get_n(item, "createdAt").unwrap_or(0),
        last_used_at: get_n(item, "lastUsedAt").unwrap_or(0),
        expires_at: get_n(item, "expiresAt").unwrap_or(0),
        ip: get_s(item, "ip").unwrap_or_default(),
        user_agent: get_s(item, "userAgent").unwrap_or_default(),
        epoch: get_n(item, "epoch").unwrap_or(0),
    })
}

fn refresh_pk(hash: &str) -> String {
    format!("REFRESH#{hash}")
}

fn refresh_item(r: &RefreshRecord) -> Item {
    let mut item = key(refresh_pk(&r.hash), "REFRESH");
    item.insert("type".into(), s("refresh"));
    item.insert("userId".into(), s(r.user_id.as_str()));
    item.insert("sessionId".into(), s(r.session_id.as_str()));
    item.insert("expiresAt".into(), n(r.expires_at));
    item.insert("rotated".into(), b(r.rotated));
    item.insert("epoch".into(), n(r.epoch));
    item.insert("ttl".into(), ttl(r.expires_at));
    super::owned_by(&mut item, &r.user_id);
    item
}

impl Store {
    /// Login's one write: the session, its first refresh token, and the user's login bookkeeping
    /// (last login, failure counter reset, and an upgraded password hash when parameters changed);
    /// with `release_slot`, the address's login-failure slot the password check took goes back.
    pub async fn create_session(
        &self,
        session: &Session,
        refresh: &RefreshRecord,
        rehash: Option<&str>,
        activity: &crate::domain::Activity,
        now: i64,
        release_slot: Option<(&str, i64)>,
    ) -> Result<(), Error> {
        let put_session = Put::builder()
            .table_name(&self.table)
            .set_item(Some(session_item(session)))
            .condition_expression("attribute_not_exists(pk)")
            .build()?;
        let put_refresh = Put::builder().table_name(&self.table).set_item(Some(refresh_item(refresh))).build()?;
        let mut expr = "SET lastLoginAt = :now, failedLogins = :zero REMOVE lastFailedLoginAt".to_owned();
        let mut update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(user_pk(&session.user_id), PROFILE)))
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":now", n(now))
            .expression_attribute_values(":zero", n(0));
        if let Some(hash) = rehash {
            expr = expr.replace("SET ", "SET passwordHash = :p, ");
            update = update.expression_attribute_values(":p", s(hash));
        }
        let update = update.update_expression(expr).build()?;
        let mut items = vec![
            TransactWriteItem::builder().put(put_session).build(),
            TransactWriteItem::builder().put(put_refresh).build(),
            TransactWriteItem::builder().update(update).build(),
            super::activity::activity_put(self, &session.user_id, activity)?,
        ];
        if let Some((counter, expires_at)) = release_slot {
            items.push(self.slot_release(counter, expires_at)?);
        }
        match self.transact("create session", items).await? {
            Ok(()) => Ok(()),
            Err(_) => Err(Error::Conflict),
        }
    }

    /// The authentication read: the user and the session named by the token, in one round trip.
    pub async fn get_user_and_session(&self, user: &UserId, session: &SessionId) -> Result<(Option<User>, Option<Session>), Error> {
        let keys = KeysAndAttributes::builder()
            .keys(key(user_pk(user), PROFILE))
            .keys(key(user_pk(user), session_sk(session)))
            .consistent_read(true)
            .build()?;
        let out = self.client.batch_get_item().request_items(&self.table, keys).send().await.map_err(|e| sdk_error("authenticate", e))?;
        let mut found_user = None;
        let mut found_session = None;
        for item in out.responses.and_then(|mut r| r.remove(&self.table)).unwrap_or_default() {
            if get_s(&item, "sk").as_deref() == Some(PROFILE) {
                found_user = Some(user_from_item(&item)?);
            } else {
                found_session = Some(session_from_item(&item)?);
            }
        }
        Ok((found_user, found_session))
    }

    pub async fn get_refresh(&self, hash: &str) -> Result<Option<RefreshRecord>, Error> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(refresh_pk(hash), "REFRESH")))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| sdk_error("get refresh token", e))?;
        let Some(item) = out.item else { return Ok(None) };
        let bad = || Error::internal(anyhow::anyhow!("stored refresh token malformed"));
        Ok(Some(RefreshRecord {
            hash: hash.to_owned(),
            user_id: UserId::parse(&req_s(&item, "userId")?).ok_or_else(bad)?,
            session_id: SessionId::parse(&req_s(&item, "sessionId")?).ok_or_else(bad)?,
            expires_at: get_n(&item, "expiresAt").unwrap_or(0),
            rotated: get_b(&item, "rotated").unwrap_or(true),
            epoch: get_n(&item, "epoch").unwrap_or(0),
        }))
    }

    /// Marks `old` used and stores `next`, only while `old` is unused and its session lives.
    pub async fn rotate_refresh(&self, old: &RefreshRecord, next: &RefreshRecord, now: i64) -> Result<Rotation, Error> {
        let mark = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(refresh_pk(&old.hash), "REFRESH")))
            .update_expression("SET rotated = :t")
            .condition_expression("rotated = :f")
            .expression_attribute_values(":t", b(true))
            .expression_attribute_values(":f", b(false))
            .build()?;
        let put = Put::builder().table_name(&self.table).set_item(Some(refresh_item(next))).build()?;
        let touch = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(user_pk(&old.user_id), session_sk(&old.session_id))))
            .update_expression("SET lastUsedAt = :now")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":now", n(now))
            .build()?;
        let items = vec![
            TransactWriteItem::builder().update(mark).build(),
            TransactWriteItem::builder().put(put).build(),
            TransactWriteItem::builder().update(touch).build(),
        ];
        match self.transact("rotate refresh", items).await? {
            Ok(()) => Ok(Rotation::Rotated),
            Err(reasons) if reasons.first().and_then(Option::as_deref) == Some("ConditionalCheckFailed") => Ok(Rotation::Reused),
            Err(_) => Ok(Rotation::SessionGone),
        }
    }

    /// Ends one session. Returns whether it existed.
    pub async fn delete_session(&self, user: &UserId, session: &SessionId) -> Result<bool, Error> {
        let out = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(user_pk(user), session_sk(session))))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllOld)
            .send()
            .await
            .map_err(|e| sdk_error("delete session", e))?;
        Ok(out.attributes.is_some())
    }

    /// Revokes one session at the user's request (`DELETE /me/sessions/{id}`), with `event`
    /// (`session.revoked`) in the same transaction. Returns whether it existed (a session that
    /// was not there writes no event).
    pub async fn revoke_session(&self, user: &UserId, session: &SessionId, event: &crate::domain::Event) -> Result<bool, Error> {
        let delete = aws_sdk_dynamodb::types::Delete::builder()
            .table_name(&self.table)
            .set_key(Some(key(user_pk(user), session_sk(session))))
            .condition_expression("attribute_exists(pk)")
            .build()?;
        let items = vec![TransactWriteItem::builder().delete(delete).build(), super::outbox::outbox_put(self, event)?];
        Ok(self.transact("revoke session", items).await?.is_ok())
    }

    /// Every live session of a user, oldest first.
    pub async fn list_sessions(&self, user: &UserId) -> Result<Vec<Session>, Error> {
        let items: Vec<Item> = self.query_all("list sessions", self.query_prefix(user_pk(user), "SESSION#").consistent_read(true)).await?;
        items.iter().map(session_from_item).collect()
    }

    /// Ends every session of a user except `keep`. Returns how many ended.
    pub async fn delete_sessions(&self, user: &UserId, keep: Option<&SessionId>) -> Result<usize, Error> {
        let doomed: Vec<Session> = self.list_sessions(user).await?.into_iter().filter(|x| Some(&x.id) != keep).collect();
        let keys: Vec<Item> = doomed.iter().map(|x| key(user_pk(user), session_sk(&x.id))).collect();
        self.batch_delete("delete sessions", &keys).await?;
        Ok(doomed.len())
    }
}
