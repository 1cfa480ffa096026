//! Accounts: creating one (the user item and its uniqueness markers in one transaction with
//! `attribute_not_exists`, so uniqueness holds under any concurrency), reading users, resolving
//! a login name, and the profile and login bookkeeping writes. The item's codec and keys are
//! in `user_codec.rs`; activation and password-reset writes in `activation.rs`.

use super::user_codec::{PROFILE, email_pk, marker, user_from_item, user_pk, user_to_item, username_pk};
use super::{Item, Store, get_s, is_condition_failure, key, n, s, sdk_error};
use crate::domain::{AuditEntry, Event, LinkToken, LockoutPolicy, ProfileUpdate, User, UserId};
use crate::error::Error;
use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes, Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update};
use std::collections::HashMap;

/// What register (and an admin's create) writes besides the user item itself.
pub struct NewUser {
    pub user: User,
    /// The "registered" entry of the activity log.
    pub activity: crate::domain::Activity,
    /// When the account is purged if it is never activated (queued in the same transaction);
    /// `None` for an account created already activated.
    pub unverified_purge_at: Option<i64>,
    /// The activation link token item (`TOKEN#<hash>`), written in the same transaction;
    /// `None` for an account created already activated.
    pub activation_token: Option<LinkToken>,
    /// The admin audit entry, when an admin (or the bootstrap CLI) creates the account.
    pub audit: Option<AuditEntry>,
    /// `(counter pk, window end)`: the recipient's mail counter, counted in the same
    /// transaction for the activation mail that follows (saves a round trip per sign-up).
    pub mail_counter: Option<(String, i64)>,
    /// The lifecycle events of the creation (`user.created`), in the same transaction.
    pub events: Vec<crate::domain::Event>,
}

/// A change to an existing user, applied with one `UpdateItem`.
pub type UserPatch = ProfileUpdate;

/// The account a password check is about: a user, or for a login name no account has a decoy
/// subject (a hash of the name), whose key `USER#-<subject>` no user item can have (user ids
/// start with `usr_`). The unknown case makes the same calls as the known one on that key.
#[derive(Debug, Clone, Copy)]
pub enum Account<'a> {
    User(&'a UserId),
    Unknown(&'a str),
}

impl Account<'_> {
    fn pk(&self) -> String {
        match self {
            Account::User(id) => user_pk(id),
            Account::Unknown(subject) => format!("USER#-{subject}"),
        }
    }
}

/// Which identifier a login names.
pub enum LoginName<'a> {
    Email(&'a str),
    Username(&'a str),
}

impl Store {
    /// Register (and an admin's create): the user, both uniqueness markers, the activation link
    /// token, the activity entry and, for an admin account, the admin count — all or nothing.
    pub async fn create_user(&self, new: &NewUser) -> Result<(), Error> {
        self.create(new, false, None, &[], &[]).await.map(|_| ())
    }

    /// [`Store::create_user`] with more attributes on the user item and more items in the
    /// transaction (an import's marker, `migration.rs`); a failed condition of one of `extra`
    /// is `Conflict`.
    pub(crate) async fn create_user_with(
        &self,
        new: &NewUser,
        user_attrs: Vec<(&str, AttributeValue)>,
        extra: Vec<TransactWriteItem>,
    ) -> Result<(), Error> {
        self.create(new, false, None, &user_attrs, &extra).await.map(|_| ())
    }

    /// [`Store::create_user`] for sign-up, whose activation mail goes to a new address: the
    /// transaction also checks that the address is not on the suppression list (a
    /// `ConditionCheck`, no call of its own). When it is, the account is created all the same,
    /// carrying the suppression, and returned so that no mail is sent.
    pub async fn create_user_checking_mail(&self, new: &NewUser) -> Result<Option<crate::domain::MailSuppression>, Error> {
        self.create(new, true, None, &[], &[]).await
    }

    async fn create(
        &self,
        new: &NewUser,
        check_mail: bool,
        carry: Option<&crate::domain::MailSuppression>,
        user_attrs: &[(&str, AttributeValue)],
        extra: &[TransactWriteItem],
    ) -> Result<Option<crate::domain::MailSuppression>, Error> {
        let u = &new.user;
        let carried;
        let stored = match carry {
            Some(m) => {
                carried = User { mail_suppression: Some(m.clone()), ..u.clone() };
                &carried
            }
            None => u,
        };
        let not_exists = "attribute_not_exists(pk)";
        let put = |item: Item| Put::builder().table_name(&self.table).set_item(Some(item)).condition_expression(not_exists).build();
        let mut user_item = user_to_item(stored);
        user_item.extend(user_attrs.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
        // The user item says whose it is when its put fails: a retry after a lost response.
        let user_put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(user_item))
            .condition_expression(not_exists)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()?;
        let mut items = vec![
            TransactWriteItem::builder().put(user_put).build(),
            TransactWriteItem::builder().put(put(marker(email_pk(u.email.as_str()), "EMAIL", &u.id))?).build(),
            TransactWriteItem::builder().put(put(marker(username_pk(&u.username.key()), "USERNAME", &u.id))?).build(),
            super::activity::activity_put(self, &u.id, &new.activity)?,
        ];
        if let Some(due) = new.unverified_purge_at {
            items.push(super::lifecycle::queue_put(self, &u.id, due, super::lifecycle::PurgeKind::Unverified)?);
        }
        if let Some(token) = &new.activation_token {
            items.push(TransactWriteItem::builder().put(put(super::links::link_token_item(token))?).build());
        }
        if u.is_counted_admin() {
            items.push(self.admin_count_change(1)?);
        }
        if let Some(audit) = &new.audit {
            items.push(self.audit_put(audit)?);
        }
        if let Some((pk, expires_at)) = &new.mail_counter {
            items.push(self.counter_add(pk, *expires_at)?);
        }
        items.extend(super::outbox::outbox_puts(self, &new.events)?);
        if check_mail {
            items.push(super::suppression::not_suppressed_check(self, u.email.as_str())?);
        }
        let check_at = items.len() - 1;
        items.extend(extra.iter().cloned());
        match self.transact_detailed("register", items).await? {
            Ok(()) => Ok(None),
            // Our new id is a fresh ULID: only this transaction's own first attempt wrote it.
            Err(reasons) if reasons.first().is_some_and(|r| r.holds("id", u.id.as_str())) => {
                tracing::info!(user = %u.id, "register: a retried transaction found its own first attempt committed");
                Ok(None)
            }
            Err(reasons) => {
                let failed = |i: usize| reasons.get(i).is_some_and(super::CancelReason::condition_failed);
                if failed(1) {
                    Err(Error::EmailTaken)
                } else if failed(2) {
                    Err(Error::UsernameTaken)
                } else if let Some(m) = reasons.get(check_at).filter(|_| check_mail).and_then(super::suppression::suppression_of) {
                    // Only the address's suppression stood in the way: the account is created
                    // again (nothing was written), this time carrying it.
                    Box::pin(self.create(new, false, Some(&m), user_attrs, extra)).await?;
                    Ok(Some(m))
                } else {
                    Err(Error::Conflict)
                }
            }
        }
    }

    /// Strongly consistent read of one user.
    pub async fn get_user(&self, id: &UserId) -> Result<Option<User>, Error> {
        self.user_item(id, "get user").await?.as_ref().map(user_from_item).transpose()
    }

    /// The raw user item (strongly consistent), for readers that need attributes beyond `User`.
    pub(crate) async fn user_item(&self, id: &UserId, op: &str) -> Result<Option<Item>, Error> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(user_pk(id), PROFILE)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| sdk_error(op, e))?;
        Ok(out.item)
    }

    /// Adds one to a per-user attempt counter (`attr`) while `guard` exists and the counter is
    /// under `max`; false once the attempts are used up (or nothing is pending).
    pub(crate) async fn count_attempt(&self, id: &UserId, attr: &str, guard: &str, max: u32, op: &str) -> Result<bool, Error> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(user_pk(id), PROFILE)))
            .update_expression(format!("ADD {attr} :one"))
            .condition_expression(format!("attribute_exists({guard}) AND {attr} < :max"))
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":max", n(i64::from(max)))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) if is_condition_failure(&e) => Ok(false),
            Err(e) => Err(sdk_error(op, e)),
        }
    }

    /// Resolves a login name to a user id (the name's uniqueness marker).
    pub async fn resolve_login(&self, name: LoginName<'_>) -> Result<Option<UserId>, Error> {
        let (pk, sk) = match name {
            LoginName::Email(e) => (email_pk(e), "EMAIL"),
            LoginName::Username(u) => (username_pk(&u.to_ascii_lowercase()), "USERNAME"),
        };
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(pk, sk)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| sdk_error("resolve login", e))?;
        Ok(out.item.and_then(|i| get_s(&i, "userId")).as_deref().and_then(UserId::parse))
    }

    /// Looks up the user id behind an email marker.
    pub async fn user_id_by_email(&self, email: &str) -> Result<Option<UserId>, Error> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(email_pk(email), "EMAIL")))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| sdk_error("get email marker", e))?;
        Ok(out.item.and_then(|i| get_s(&i, "userId")).as_deref().and_then(UserId::parse))
    }

    /// The user a password check or a mail request is about, or for a name no account has, the
    /// same strongly consistent read of [`Account::Unknown`]'s decoy key (never a user).
    pub async fn get_account(&self, account: Account<'_>) -> Result<Option<User>, Error> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(account.pk(), PROFILE)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| sdk_error("get user", e))?;
        match account {
            Account::User(_) => out.item.as_ref().map(user_from_item).transpose(),
            // A decoy key may hold a mail interval (`decoy_mail_interval`), never a user.
            Account::Unknown(_) => Ok(None),
        }
    }

    /// Reserves one password (or second-factor) check on an account *before* the hash is
    /// verified: the check counts as a failed login at once (`failedLogins + 1`,
    /// `lastFailedLoginAt = now`) unless the lockout forbids it, under a condition DynamoDB
    /// evaluates atomically, so N parallel guesses get no more checks than the lockout allows.
    /// `seen` is the account as read; its failure count picks the condition: below the
    /// threshold, `failedLogins < threshold`; at or above it, the count must still be the one
    /// read (one check per lockout step) and the last failure at least the step's wait ago. A
    /// correct password gives the reservation back ([`Store::release_password_check`]) or the
    /// session it opens resets the count. For [`Account::Unknown`] the same call is made on the
    /// decoy key: `attribute_exists(pk)` fails and nothing is written. False when refused.
    pub async fn reserve_password_check(
        &self,
        account: Account<'_>,
        seen: Option<&User>,
        policy: &LockoutPolicy,
        now: i64,
    ) -> Result<bool, Error> {
        let failures = seen.map_or(0, |u| u.failed_logins);
        let update = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(account.pk(), PROFILE)))
            .update_expression("ADD failedLogins :one SET lastFailedLoginAt = :now")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":now", n(now));
        let update = match policy.wait_secs(failures) {
            None => update
                .condition_expression("attribute_exists(pk) AND (attribute_not_exists(failedLogins) OR failedLogins < :threshold)")
                .expression_attribute_values(":threshold", n(i64::from(policy.threshold))),
            Some(wait) => update
                .condition_expression(
                    "attribute_exists(pk) AND failedLogins = :seen AND (attribute_not_exists(lastFailedLoginAt) OR lastFailedLoginAt <= :cutoff)",
                )
                .expression_attribute_values(":seen", n(i64::from(failures)))
                .expression_attribute_values(":cutoff", n(now - wait)),
        };
        match update.send().await {
            Ok(_) => Ok(true),
            Err(e) if is_condition_failure(&e) => Ok(false),
            Err(e) => Err(sdk_error("reserve password check", e)),
        }
    }

    /// Gives back a reservation of [`Store::reserve_password_check`] after a correct password
    /// whose flow goes on without a session (the MFA step, a confirmed sensitive action): the
    /// count goes back down and, when no other failure came in between, the last failure's time
    /// goes back to `seen`'s.
    pub async fn release_password_check(&self, seen: &User, reserved_at: i64) -> Result<(), Error> {
        let restore = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(user_pk(&seen.id), PROFILE)))
            .condition_expression("failedLogins > :zero AND lastFailedLoginAt = :at")
            .expression_attribute_values(":minus", n(-1))
            .expression_attribute_values(":zero", n(0))
            .expression_attribute_values(":at", n(reserved_at));
        let restore = match seen.last_failed_login_at {
            Some(prev) => restore
                .update_expression("ADD failedLogins :minus SET lastFailedLoginAt = :prev")
                .expression_attribute_values(":prev", n(prev)),
            None => restore.update_expression("ADD failedLogins :minus REMOVE lastFailedLoginAt"),
        };
        match restore.send().await {
            Ok(_) => return Ok(()),
            Err(e) if is_condition_failure(&e) => {}
            Err(e) => return Err(sdk_error("release password check", e)),
        }
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(user_pk(&seen.id), PROFILE)))
            .update_expression("ADD failedLogins :minus")
            .condition_expression("failedLogins > :zero")
            .expression_attribute_values(":minus", n(-1))
            .expression_attribute_values(":zero", n(0))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if is_condition_failure(&e) => Ok(()),
            Err(e) => Err(sdk_error("release password check", e)),
        }
    }

    /// The stand-in for `start_reset` / `replace_activation` when no account (or no pending
    /// activation) matches the address: the same `TransactWriteItems`, on the decoy key, under
    /// the same per-address interval (`attr` is `resetSentAt` or `actSentAt`), so a repeated
    /// request within the interval is refused (and mails nothing) as it would be for an account.
    /// The decoy item holds only that time and expires with the interval. False when refused.
    pub async fn decoy_mail_interval(&self, account: Account<'_>, attr: &str, now: i64, min_interval: i64) -> Result<bool, Error> {
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(account.pk(), PROFILE)))
            .update_expression("SET #sent = :now, #ttl = :ttl")
            .condition_expression("attribute_not_exists(#sent) OR #sent <= :cutoff")
            .expression_attribute_names("#sent", attr)
            .expression_attribute_names("#ttl", "ttl")
            .expression_attribute_values(":now", n(now))
            .expression_attribute_values(":cutoff", n(now - min_interval))
            .expression_attribute_values(":ttl", super::ttl(now + min_interval))
            .build()?;
        Ok(self.transact("decoy mail interval", vec![TransactWriteItem::builder().update(update).build()]).await?.is_ok())
    }

    /// Records an activity entry of a login or mail request: on the user, or for an unknown one the same
    /// `PutItem` on the decoy key under a condition no item meets, so nothing is written.
    pub async fn record_account_activity(&self, account: Account<'_>, a: &crate::domain::Activity) -> Result<(), Error> {
        if let Account::User(id) = account {
            return self.record_activity(id, a).await;
        }
        let item = super::activity::activity_item_at(account.pk(), a);
        let result =
            self.client.put_item().table_name(&self.table).set_item(Some(item)).condition_expression("attribute_exists(pk)").send().await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if is_condition_failure(&e) => Ok(()),
            Err(e) => Err(sdk_error("record activity", e)),
        }
    }

    /// Stores a password hash made with today's parameters (after a successful verification).
    pub async fn upgrade_password_hash(&self, id: &UserId, hash: &str) -> Result<(), Error> {
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(user_pk(id), PROFILE)))
            .update_expression("SET passwordHash = :p")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":p", s(hash))
            .send()
            .await
            .map_err(|e| sdk_error("upgrade password hash", e))?;
        Ok(())
    }

    /// Applies a validated profile change to `user` as it was read (condition: its `version`)
    /// and returns the updated user, with `event` (`user.updated`) in the same transaction: a
    /// two-item `TransactWriteItems` where this was one `UpdateItem`, so the result is computed
    /// here rather than returned by DynamoDB. A concurrent change answers `409 CONFLICT`.
    pub async fn update_profile(&self, user: &User, patch: &UserPatch, now: i64, event: &Event) -> Result<User, Error> {
        let id = &user.id;
        let mut sets = vec!["updatedAt = :now".to_owned(), "version = version + :one".to_owned()];
        let mut removes = Vec::new();
        let mut values: HashMap<String, AttributeValue> = HashMap::from([(":now".into(), n(now)), (":one".into(), n(1))]);
        for (attr, change) in [("name", &patch.name), ("bio", &patch.bio), ("location", &patch.location), ("website", &patch.website)] {
            match change {
                Some(Some(v)) => {
                    sets.push(format!("{attr} = :{attr}"));
                    values.insert(format!(":{attr}"), s(v));
                }
                Some(None) => removes.push(attr.to_owned()),
                None => {}
            }
        }
        let prefs = [
            ("theme", patch.theme.map(|t| t.as_str().to_owned())),
            ("language", patch.language.as_ref().map(|l| l.as_str().to_owned())),
            ("timezone", patch.timezone.as_ref().map(|t| t.as_str().to_owned())),
        ];
        for (attr, value) in prefs {
            if let Some(v) = value {
                sets.push(format!("{attr} = :{attr}"));
                values.insert(format!(":{attr}"), s(v));
            }
        }
        // `name` and `location` are DynamoDB reserved words: alias every attribute we touch.
        let mut expression = format!("SET {}", sets.join(", "));
        if !removes.is_empty() {
            expression.push_str(&format!(" REMOVE {}", removes.join(", ")));
        }
        let mut names = HashMap::new();
        for attr in ["name", "bio", "location", "website", "theme", "language", "timezone", "version", "updatedAt"] {
            if expression.contains(attr) {
                expression = replace_attr(&expression, attr);
                names.insert(format!("#{attr}"), attr.to_owned());
            }
        }
        values.insert(":seen".into(), n(user.version));
        names.insert("#version".into(), "version".into());
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(user_pk(id), PROFILE)))
            .update_expression(expression)
            .condition_expression("attribute_exists(pk) AND #version = :seen")
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(values))
            .build()?;
        let items = vec![TransactWriteItem::builder().update(update).build(), super::outbox::outbox_put(self, event)?];
        if self.transact("update profile", items).await?.is_err() {
            // Gone or changed since it was read (the read was this request's authentication).
            return Err(Error::Conflict);
        }
        let mut after = user.clone();
        for (field, change) in [
            (&mut after.name, &patch.name),
            (&mut after.bio, &patch.bio),
            (&mut after.location, &patch.location),
            (&mut after.website, &patch.website),
        ] {
            if let Some(value) = change {
                field.clone_from(value);
            }
        }
        if let Some(theme) = patch.theme {
            after.preferences.theme = theme;
        }
        if let Some(language) = &patch.language {
            after.preferences.language = language.clone();
        }
        if let Some(timezone) = &patch.timezone {
            after.preferences.timezone = timezone.clone();
        }
        after.updated_at = now;
        after.version = user.version + 1;
        Ok(after)
    }

    /// Strongly consistent reads of up to 100 users, in the order of `ids` (missing ones skipped).
    pub async fn get_users(&self, ids: &[UserId]) -> Result<Vec<User>, Error> {
        let mut found: HashMap<String, User> = HashMap::new();
        for chunk in ids.chunks(100) {
            let mut keys = KeysAndAttributes::builder().consistent_read(true);
            for id in chunk {
                keys = keys.keys(key(user_pk(id), PROFILE));
            }
            let mut request_items = HashMap::from([(self.table.clone(), keys.build()?)]);
            for attempt in 0..5 {
                let out = self
                    .client
                    .batch_get_item()
                    .set_request_items(Some(request_items))
                    .send()
                    .await
                    .map_err(|e| sdk_error("get users", e))?;
                for item in out.responses.and_then(|mut r| r.remove(&self.table)).unwrap_or_default() {
                    let user = user_from_item(&item)?;
                    found.insert(user.id.to_string(), user);
                }
                request_items = out.unprocessed_keys.unwrap_or_default();
                if request_items.is_empty() {
                    break;
                }
                if attempt == 4 {
                    return Err(Error::DependencyUnavailable(anyhow::anyhow!("users left unread after retries")));
                }
                tokio::time::sleep(std::time::Duration::from_millis(20 << attempt)).await;
            }
        }
        Ok(ids.iter().filter_map(|id| found.remove(id.as_str())).collect())
    }
}

/// Replaces whole-word occurrences of `attr` with `#attr` in an update expression.
fn replace_attr(expression: &str, attr: &str) -> String {
    let mut out = String::with_capacity(expression.len() + 8);
    let bytes = expression.as_bytes();
    let mut i = 0;
    while i < expression.len() {
        let rest = &expression[i..];
        let before_ok =
            i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b':' || bytes[i - 1] == b'#' || bytes[i - 1] == b'_');
        let after = i + attr.len();
        let after_ok = after >= expression.len() || !(bytes[after].is_ascii_alphanumeric() || bytes[after] == b'_');
        if rest.starts_with(attr) && before_ok && after_ok {
            out.push('#');
            out.push_str(attr);
            i = after;
        } else {
            let ch = rest.chars().next().unwrap_or(' ');
            out.push(ch);
            i += ch.len_utf8();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attribute_names_are_aliased_but_placeholders_are_not() {
        assert_eq!(replace_attr("SET name = :name, bio = :bio REMOVE location", "name"), "SET #name = :name, bio = :bio REMOVE location");
        assert_eq!(replace_attr("SET location = :location", "location"), "SET #location = :location");
        assert_eq!(replace_attr("SET username = :u", "name"), "SET username = :u");
    }
}
