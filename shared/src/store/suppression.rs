//! The mail suppression list (docs/table-design.md, docs/operations.md "Mail").
//!
//! `SUPPRESS#<sha256("mail-suppression:" + lower(address))> / MAIL` says an address bounced
//! hard or complained: `reason, detail?, since, lastAt, events`. The key is a hash, not the
//! address: the item outlives the account (the purge keeps it, so a bounced address is not
//! mailed again by a new sign-up) and must then hold nothing personal in clear. It is unkeyed
//! (not the code pepper), so a pepper rotation cannot void the list.
//!
//! Every mail checks it inside the conditional write that takes the recipient's mail slot (one
//! `TransactWriteItems`: the counter's `Update` and a `ConditionCheck` that the suppression
//! item does not exist), and sign-up inside its registration transaction, so the check costs no
//! call of its own. The account shows it from its own item (`msReason, msDetail?, msSince,
//! msEmail`: the flag of the address it was set for), read with the user at no extra cost.

use super::user_codec::{PROFILE, email_pk, user_pk};
use super::{Item, Store, get_n, get_s, is_condition_failure, key, n, s, sdk_error};
use crate::domain::{MailSuppression, Suppress, SuppressionReason, User};
use crate::error::Error;
use aws_sdk_dynamodb::types::{ConditionCheck, Delete, ReturnValue, ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update};
use sha2::{Digest, Sha256};

const SK: &str = "MAIL";

/// The suppression item's key of `address` (trimmed, lower-cased).
pub(crate) fn suppression_pk(address: &str) -> String {
    let digest = Sha256::digest(format!("mail-suppression:{}", address.trim().to_lowercase()).as_bytes());
    format!("SUPPRESS#{}", digest.iter().map(|b| format!("{b:02x}")).collect::<String>())
}

/// The attributes of a user item whose address `email` is suppressed.
pub(crate) fn user_attributes(email: &str, m: &MailSuppression) -> Vec<(&'static str, aws_sdk_dynamodb::types::AttributeValue)> {
    let mut out = vec![("msReason", s(m.reason.as_str())), ("msSince", n(m.since)), ("msEmail", s(email))];
    if let Some(d) = &m.detail {
        out.push(("msDetail", s(d)));
    }
    out
}

/// The suppression a user item carries for its *current* address (a flag set for an address
/// the account no longer has is not shown).
pub(crate) fn from_user_item(item: &Item) -> Option<MailSuppression> {
    let reason = SuppressionReason::parse(&get_s(item, "msReason")?)?;
    (get_s(item, "msEmail")? == get_s(item, "email")?).then(|| MailSuppression {
        reason,
        detail: get_s(item, "msDetail"),
        since: get_n(item, "msSince").unwrap_or(0),
    })
}

fn from_suppression_item(item: &Item) -> Option<MailSuppression> {
    Some(MailSuppression {
        reason: SuppressionReason::parse(&get_s(item, "reason")?)?,
        detail: get_s(item, "detail"),
        since: get_n(item, "since").unwrap_or(0),
    })
}

/// The `ConditionCheck` that `address` is not suppressed (the item as it is comes back when it is).
pub(crate) fn not_suppressed_check(store: &Store, address: &str) -> Result<TransactWriteItem, Error> {
    let check = ConditionCheck::builder()
        .table_name(&store.table)
        .set_key(Some(key(suppression_pk(address), SK)))
        .condition_expression("attribute_not_exists(pk)")
        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
        .build()?;
    Ok(TransactWriteItem::builder().condition_check(check).build())
}

/// The suppression an item returned by a failed [`not_suppressed_check`] describes.
pub(crate) fn suppression_of(reason: &super::CancelReason) -> Option<MailSuppression> {
    reason.condition_failed().then_some(())?;
    reason.item.as_ref().and_then(from_suppression_item)
}

/// What taking a recipient's mail slot found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailSlot {
    /// Counted: the mail may go.
    Taken,
    /// The recipient already had its mails this window (nothing counted).
    Limited,
    /// The address is on the suppression list (nothing counted).
    Suppressed(MailSuppression),
}

impl Store {
    /// Takes one slot of the recipient's mail counter unless it holds `limit` or the address is
    /// suppressed: one `TransactWriteItems` (the counter's conditional `ADD` and a
    /// `ConditionCheck` of the suppression item), as cheap in calls as the plain counter.
    pub async fn take_mail_slot(&self, counter_pk: &str, limit: u32, expires_at: i64, address: &str) -> Result<MailSlot, Error> {
        let items = vec![self.counter_take(counter_pk, limit, expires_at)?, not_suppressed_check(self, address)?];
        match self.transact_detailed("mail slot", items).await? {
            Ok(()) => Ok(MailSlot::Taken),
            Err(reasons) => match reasons.get(1).and_then(suppression_of) {
                Some(m) => Ok(MailSlot::Suppressed(m)),
                None => Ok(MailSlot::Limited),
            },
        }
    }

    /// The suppression of `address`, if any (one `GetItem`; not on a request path that mails:
    /// those check inside their mail slot's write).
    pub async fn suppression(&self, address: &str) -> Result<Option<MailSuppression>, Error> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(suppression_pk(address), SK)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| sdk_error("get suppression", e))?;
        Ok(out.item.as_ref().and_then(from_suppression_item))
    }

    /// Records a hard bounce or a complaint of `s.address` at `at` (the mail-events function):
    /// the suppression item (the first reason and time stay; `events` counts), then the flag on
    /// the account whose address it is now, if any. Idempotent: SNS may deliver twice.
    /// Returns the suppression and the account it was shown on.
    pub async fn record_suppression(&self, s_: &Suppress, at: i64) -> Result<(MailSuppression, Option<crate::domain::UserId>), Error> {
        let detail = if s_.detail.is_some() { ", #detail = if_not_exists(#detail, :detail)" } else { "" };
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(suppression_pk(&s_.address), SK)))
            .update_expression(format!(
                "SET #reason = if_not_exists(#reason, :reason), #since = if_not_exists(#since, :at), #last = :at{detail} ADD #events :one"
            ))
            .expression_attribute_names("#reason", "reason")
            .expression_attribute_names("#since", "since")
            .expression_attribute_names("#last", "lastAt")
            .expression_attribute_names("#events", "events")
            .expression_attribute_values(":reason", s(s_.reason.as_str()))
            .expression_attribute_values(":at", n(at))
            .expression_attribute_values(":one", n(1))
            .return_values(ReturnValue::AllNew);
        if let Some(d) = &s_.detail {
            update = update.expression_attribute_names("#detail", "detail").expression_attribute_values(":detail", s(d));
        }
        let out = update.send().await.map_err(|e| sdk_error("record suppression", e))?;
        let suppression = out.attributes.as_ref().and_then(from_suppression_item).unwrap_or(MailSuppression {
            reason: s_.reason,
            detail: s_.detail.clone(),
            since: at,
        });

        let marker = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(email_pk(&s_.address), "EMAIL")))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| sdk_error("get email marker", e))?;
        let Some(user) = marker.item.as_ref().and_then(|i| get_s(i, "userId")).as_deref().and_then(crate::domain::UserId::parse) else {
            return Ok((suppression, None));
        };
        let mut flag = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(user_pk(&user), PROFILE)))
            .condition_expression("attribute_exists(pk) AND #email = :email")
            .expression_attribute_names("#email", "email")
            .expression_attribute_names("#version", "version")
            .expression_attribute_values(":email", s(&s_.address))
            .expression_attribute_values(":one", n(1));
        let mut set = Vec::new();
        for (i, (name, value)) in user_attributes(&s_.address, &suppression).into_iter().enumerate() {
            flag = flag.expression_attribute_names(format!("#a{i}"), name).expression_attribute_values(format!(":v{i}"), value);
            set.push(format!("#a{i} = :v{i}"));
        }
        // The version moves, so a writer that read the account before cannot put it back without the flag.
        let flag = flag.update_expression(format!("SET {} ADD #version :one", set.join(", ")));
        match flag.send().await {
            Ok(_) => Ok((suppression, Some(user))),
            // The account changed its address (or was purged) since the marker was read.
            Err(e) if is_condition_failure(&e) => Ok((suppression, None)),
            Err(e) => Err(sdk_error("flag suppressed address", e)),
        }
    }

    /// Takes `user`'s current address off the suppression list and the flag off the account
    /// (an admin's decision), with `audit`, in one transaction. `false`: the account is gone.
    pub async fn clear_suppression(&self, user: &User, audit: &crate::domain::AuditEntry) -> Result<bool, Error> {
        let delete = Delete::builder().table_name(&self.table).set_key(Some(key(suppression_pk(user.email.as_str()), SK))).build()?;
        let clear = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(user_pk(&user.id), PROFILE)))
            .update_expression("REMOVE msReason, msDetail, msSince, msEmail ADD #version :one")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_names("#version", "version")
            .expression_attribute_values(":one", n(1))
            .build()?;
        let items = vec![
            TransactWriteItem::builder().delete(delete).build(),
            TransactWriteItem::builder().update(clear).build(),
            self.audit_put(audit)?,
        ];
        Ok(self.transact("clear suppression", items).await?.is_ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_a_hash_of_the_normalised_address_and_holds_no_address() {
        let pk = suppression_pk(" Ada@Example.COM ");
        assert_eq!(pk, suppression_pk("ada@example.com"));
        assert!(pk.starts_with("SUPPRESS#") && pk.len() == "SUPPRESS#".len() + 64, "{pk}");
        assert!(!pk.to_lowercase().contains("ada") && !pk.contains("example"));
        assert_ne!(pk, suppression_pk("bob@example.com"));
    }

    #[test]
    fn a_flag_set_for_an_earlier_address_is_not_shown() {
        let m = MailSuppression { reason: SuppressionReason::Complaint, detail: Some("abuse".into()), since: 7 };
        let mut item: Item = user_attributes("old@example.com", &m).into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        item.insert("email".into(), s("old@example.com"));
        assert_eq!(from_user_item(&item), Some(m));
        item.insert("email".into(), s("new@example.com"));
        assert_eq!(from_user_item(&item), None);
    }
}
