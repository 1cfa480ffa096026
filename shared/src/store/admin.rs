//! Administration: the listing and search indexes of user items, admin changes to a user
//! (one transaction with the uniqueness markers, the admin count, the activity entry and the
//! audit entry), the admin count item and the admin audit trail.
//!
//! Index attributes of a user item (written by register and kept current by every writer of
//! role, status, username, email or rating — see docs/table-design.md):
//! - `lsAll = USERS#<shard>`, `lsRole = ROLE#<role>#<shard>`, `lsStatus = STATUS#<status>#<shard>`
//!   partition the "all users" and the per-role / per-status lists over [`USER_SHARDS`] shards
//!   (a hash of the id), each sorted three ways: `id` (a ULID: creation order), `usernameKey`,
//!   `ratingKey`;
//! - `pfxName = UN#<first char of usernameKey>` / `pfxEmail = EM#<first char of email>` serve
//!   prefix search with `begins_with` on `usernameKey` / `email`.
//!
//! A page merges one query per shard (a k-way merge) and the cursor keeps each shard's position.

use super::users::{PROFILE, user_pk};
use super::{Item, Store, get_s, key, n, s, sdk_error};
use crate::domain::{Rating, Role, User, UserId, UserStatus};
use crate::error::Error;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, KeysAndAttributes, Put, TransactWriteItem, Update};
use sha2::{Digest, Sha256};
use std::collections::HashMap;

/// How many partitions the user lists are spread over. A constant of the table: changing it
/// means rewriting every user's index attributes.
pub const USER_SHARDS: u32 = 8;

/// The item that counts admins in good standing (`count`), changed with `ADD` in the same
/// transaction as every change that makes or unmakes one.
const ADMIN_COUNT_PK: &str = "META#ADMINS";
const ADMIN_COUNT_SK: &str = "COUNT";

pub(crate) fn shard(id: &UserId) -> u32 {
    let digest = Sha256::digest(id.as_str().as_bytes());
    u32::from(digest[0]) % USER_SHARDS
}

pub(crate) fn first_char(value: &str) -> char {
    value.chars().next().unwrap_or('_')
}

/// The `lsStatus` attribute and its value for `status`.
pub(crate) fn status_index_value(id: &UserId, status: UserStatus) -> (&'static str, String) {
    ("lsStatus", format!("STATUS#{}#{}", status.as_str(), shard(id)))
}

/// Every index attribute of a user item, derived from the user.
pub(crate) fn index_attributes(u: &User) -> Vec<(&'static str, AttributeValue)> {
    let shard = shard(&u.id);
    let status = u.stored_status();
    let username_key = u.username.to_ascii_lowercase();
    vec![
        ("ustatus", s(status.as_str())),
        ("lsAll", s(format!("USERS#{shard}"))),
        ("lsRole", s(format!("ROLE#{}#{shard}", u.role.as_str()))),
        ("lsStatus", s(format!("STATUS#{}#{shard}", status.as_str()))),
        ("rating", n(u.rating)),
        ("ratingKey", s(format!("{}#{}", Rating::clamped(u.rating).sort_key(), u.id))),
        ("pfxName", s(format!("UN#{}", first_char(&username_key)))),
        ("pfxEmail", s(format!("EM#{}", first_char(&u.email)))),
    ]
}

// ---- listing ----------------------------------------------------------------------------------

/// The order of a user list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortField {
    CreatedAt,
    Username,
    Rating,
}

impl SortField {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "createdAt" => Some(Self::CreatedAt),
            "username" => Some(Self::Username),
            "rating" => Some(Self::Rating),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CreatedAt => "createdAt",
            Self::Username => "username",
            Self::Rating => "rating",
        }
    }
    fn sort_attr(self) -> &'static str {
        match self {
            Self::CreatedAt => "id",
            Self::Username => "usernameKey",
            Self::Rating => "ratingKey",
        }
    }
    fn index_suffix(self) -> &'static str {
        match self {
            Self::CreatedAt => "created",
            Self::Username => "username",
            Self::Rating => "rating",
        }
    }
}

/// A validated list request. `q` is lower-cased; with `q` the order is that of the matched
/// username or email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserQuery {
    pub sort: SortField,
    pub descending: bool,
    pub role: Option<Role>,
    pub status: Option<UserStatus>,
    pub q: Option<String>,
}

impl UserQuery {
    /// A short fingerprint that ties a cursor to the query it was made for.
    pub fn fingerprint(&self) -> String {
        let text = format!(
            "{}|{}|{}|{}|{}",
            self.sort.as_str(),
            self.descending,
            self.role.map(Role::as_str).unwrap_or("-"),
            self.status.map(UserStatus::as_str).unwrap_or("-"),
            self.q.as_deref().unwrap_or("")
        );
        let digest = Sha256::digest(text.as_bytes());
        digest[..6].iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// Where one stream (one index partition) of a list stands between pages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamPosition {
    Start,
    /// After the index entry with this sort value, of this user.
    After {
        sort_value: String,
        user_id: String,
    },
    Done,
}

/// A filter on projected attributes, ANDed into a stream's query.
#[derive(Debug, Clone, Default)]
struct Filter {
    clauses: Vec<String>,
    values: HashMap<String, AttributeValue>,
}

impl Filter {
    fn and(mut self, clause: String, values: impl IntoIterator<Item = (String, AttributeValue)>) -> Self {
        self.clauses.push(format!("({clause})"));
        self.values.extend(values);
        self
    }
    fn expression(&self) -> Option<String> {
        (!self.clauses.is_empty()).then(|| self.clauses.join(" AND "))
    }
}

/// One index partition to read, in order.
#[derive(Debug, Clone)]
struct Stream {
    index: String,
    pk_attr: &'static str,
    pk: String,
    sort_attr: &'static str,
    prefix: Option<String>,
    filter: Filter,
}

/// The filter clause that selects users whose current status is `status`, from the projected
/// `ustatus`, `bannedUntil` and `emailVerified` (an expired temporary ban is still stored
/// as `banned`).
fn status_clause(status: UserStatus, now: i64) -> (String, Vec<(String, AttributeValue)>) {
    let v = |name: &str, value: AttributeValue| (name.to_owned(), value);
    let banned = v(":st_banned", s(UserStatus::Banned.as_str()));
    match status {
        UserStatus::Active | UserStatus::Unverified => (
            "#ust = :st OR (#ust = :st_banned AND #bu <= :now AND #ev = :ev)".into(),
            vec![v(":st", s(status.as_str())), banned, v(":now", n(now)), v(":ev", super::b(status == UserStatus::Active))],
        ),
        UserStatus::Banned => ("#ust = :st_banned AND (attribute_not_exists(#bu) OR #bu > :now)".into(), vec![banned, v(":now", n(now))]),
        other => ("#ust = :st".into(), vec![v(":st", s(other.as_str()))]),
    }
}

fn role_clause(role: Role) -> (String, Vec<(String, AttributeValue)>) {
    ("#role = :role".into(), vec![(":role".to_owned(), s(role.as_str()))])
}

/// The streams that together hold exactly the users `query` asks for.
fn plan(query: &UserQuery, now: i64) -> Vec<Stream> {
    let shards = 0..USER_SHARDS;
    let sort = query.sort;
    let sharded = |family: &str, pk_attr: &'static str, pk_base: String, filter: Filter| -> Vec<Stream> {
        shards
            .clone()
            .map(|shard| Stream {
                index: format!("{family}-{}", sort.index_suffix()),
                pk_attr,
                pk: format!("{pk_base}#{shard}"),
                sort_attr: sort.sort_attr(),
                prefix: None,
                filter: filter.clone(),
            })
            .collect()
    };
    if let Some(q) = &query.q {
        // Username matches, then email matches of users whose username does not match (so a
        // user matching both appears once, through the username).
        let mut filter = Filter::default();
        if let Some(role) = query.role {
            let (c, v) = role_clause(role);
            filter = filter.and(c, v);
        }
        if let Some(status) = query.status {
            let (c, v) = status_clause(status, now);
            filter = filter.and(c, v);
        }
        let mut streams = Vec::new();
        if q.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            streams.push(Stream {
                index: "search-username".into(),
                pk_attr: "pfxName",
                pk: format!("UN#{}", first_char(q)),
                sort_attr: "usernameKey",
                prefix: Some(q.clone()),
                filter: filter.clone(),
            });
        }
        let email_filter = filter.and("NOT begins_with(#uk, :q)".into(), [(":q".to_owned(), s(q))]);
        streams.push(Stream {
            index: "search-email".into(),
            pk_attr: "pfxEmail",
            pk: format!("EM#{}", first_char(q)),
            sort_attr: "email",
            prefix: Some(q.clone()),
            filter: email_filter,
        });
        return streams;
    }
    let role_partition = query.role.filter(|r| query.status.is_none() || matches!(r, Role::Admin | Role::Moderator));
    match (role_partition, query.status) {
        (None, None) => sharded("users", "lsAll", "USERS".into(), Filter::default()),
        // A role's own partitions (all of them, or a rare role with the status as a filter).
        (Some(role), status) => {
            let filter = match status {
                Some(st) => {
                    let (c, v) = status_clause(st, now);
                    Filter::default().and(c, v)
                }
                None => Filter::default(),
            };
            sharded("role", "lsRole", format!("ROLE#{}", role.as_str()), filter)
        }
        // A status's partitions, with a common role as a filter.
        (None, Some(status)) => {
            let mut base = Filter::default();
            if let Some(role) = query.role {
                let (c, v) = role_clause(role);
                base = base.and(c, v);
            }
            let mut streams = Vec::new();
            match status {
                UserStatus::Active | UserStatus::Unverified => {
                    streams.extend(sharded("status", "lsStatus", format!("STATUS#{}", status.as_str()), base.clone()));
                    // Expired temporary bans are still stored as banned.
                    let (c, v) = status_clause(status, now);
                    streams.extend(sharded("status", "lsStatus", "STATUS#banned".into(), base.and(c, v)));
                }
                UserStatus::Banned => {
                    let (c, v) = status_clause(status, now);
                    streams.extend(sharded("status", "lsStatus", "STATUS#banned".into(), base.and(c, v)));
                }
                other => streams.extend(sharded("status", "lsStatus", format!("STATUS#{}", other.as_str()), base)),
            }
            streams
        }
    }
}

/// How many stream positions a cursor may carry (the widest plan: 2 × shards).
pub fn max_streams() -> usize {
    2 * USER_SHARDS as usize
}

/// How many streams `query` reads (the cursor must have exactly this many positions).
pub fn stream_count(query: &UserQuery) -> usize {
    plan(query, 0).len()
}

/// One page of users and where each stream stands after it.
#[derive(Debug)]
pub struct UserPage {
    pub users: Vec<User>,
    /// `None` when every stream is exhausted.
    pub next: Option<Vec<StreamPosition>>,
    /// DynamoDB calls made (queries + the batch read), for docs and tests.
    pub calls: usize,
}

struct Entry {
    sort_value: String,
    user_id: String,
}

struct StreamState {
    buffer: std::collections::VecDeque<Entry>,
    /// Where the next query starts.
    fetch_from: StreamPosition,
    /// Where the next page must resume: after the last emitted entry, or `fetch_from` once
    /// the buffer is drained.
    resume: StreamPosition,
}

/// At most this many rounds of queries per page (a page may come back short when filters
/// are very selective; the cursor continues it).
const MAX_ROUNDS: usize = 6;

/// How many entries to ask one stream for. Unfiltered, the page's users spread over the shards
/// by hash, so about `limit / streams` come from each: asking for twice that (not `limit`)
/// keeps a page to one round almost always while reading ~2× rather than `streams`× the page;
/// a stream that runs short is simply asked again. Filtered streams read `limit` (the filter
/// drops an unknown share of what `Limit` counts).
fn stream_limit(limit: usize, streams: usize, filtered: bool) -> usize {
    if filtered || streams <= 1 { limit } else { (limit * 2).div_ceil(streams).saturating_add(1).min(limit) }
}

impl Store {
    /// A page of users for `query`, starting at `positions` (one per stream, or `None` for the
    /// first page).
    pub async fn list_users(
        &self,
        query: &UserQuery,
        positions: Option<Vec<StreamPosition>>,
        limit: usize,
        now: i64,
    ) -> Result<UserPage, Error> {
        let streams = plan(query, now);
        let positions = positions.unwrap_or_else(|| vec![StreamPosition::Start; streams.len()]);
        if positions.len() != streams.len() {
            return Err(Error::field("cursor", "does not belong to this query"));
        }
        let mut states: Vec<StreamState> =
            positions.into_iter().map(|p| StreamState { buffer: Default::default(), fetch_from: p.clone(), resume: p }).collect();
        let before = |a: &str, b: &str| if query.descending { a > b } else { a < b };
        let mut emitted: Vec<Entry> = Vec::new();
        let mut calls = 0;
        for _round in 0..MAX_ROUNDS {
            // Fetch for every live stream whose buffer is empty.
            let wanted: Vec<usize> =
                (0..streams.len()).filter(|&i| states[i].buffer.is_empty() && states[i].fetch_from != StreamPosition::Done).collect();
            let fetches = wanted.iter().map(|&i| {
                let per_stream = stream_limit(limit, streams.len(), streams[i].filter.expression().is_some());
                self.query_stream(&streams[i], &states[i].fetch_from, query.descending, per_stream)
            });
            let results = futures_join_all(fetches).await;
            calls += wanted.len();
            for (&i, result) in wanted.iter().zip(results) {
                let (entries, next) = result?;
                let state = &mut states[i];
                state.buffer.extend(entries);
                state.fetch_from = next;
                if state.buffer.is_empty() {
                    state.resume = state.fetch_from.clone();
                }
            }
            // Everything up to the nearest frontier of a live stream is safe to emit.
            let bound: Option<String> = states
                .iter()
                .filter_map(|st| match &st.fetch_from {
                    StreamPosition::After { sort_value, .. } => Some(sort_value.clone()),
                    _ => None,
                })
                .reduce(|a, b| if before(&a, &b) { a } else { b });
            while emitted.len() < limit {
                let Some(i) = (0..states.len())
                    .filter(|&i| !states[i].buffer.is_empty())
                    .reduce(|a, b| if before(&states[b].buffer[0].sort_value, &states[a].buffer[0].sort_value) { b } else { a })
                else {
                    break;
                };
                let head = &states[i].buffer[0].sort_value;
                if let Some(bound) = &bound
                    && before(bound, head)
                {
                    break;
                }
                let Some(entry) = states[i].buffer.pop_front() else { break };
                states[i].resume = if states[i].buffer.is_empty() {
                    states[i].fetch_from.clone()
                } else {
                    StreamPosition::After { sort_value: entry.sort_value.clone(), user_id: entry.user_id.clone() }
                };
                emitted.push(entry);
            }
            let all_done = states.iter().all(|st| st.buffer.is_empty() && st.fetch_from == StreamPosition::Done);
            if emitted.len() >= limit || all_done {
                break;
            }
        }
        let next: Vec<StreamPosition> = states.into_iter().map(|st| st.resume).collect();
        let next = (!next.iter().all(|p| *p == StreamPosition::Done)).then_some(next);
        let ids: Vec<UserId> = emitted.iter().filter_map(|e| UserId::parse(&e.user_id)).collect();
        let users = if ids.is_empty() { Vec::new() } else { self.get_users(&ids).await? };
        if !ids.is_empty() {
            calls += 1;
        }
        Ok(UserPage { users, next, calls })
    }

    /// One query of one stream: up to `limit` entries after `from`, and the position after them.
    async fn query_stream(
        &self,
        stream: &Stream,
        from: &StreamPosition,
        descending: bool,
        limit: usize,
    ) -> Result<(Vec<Entry>, StreamPosition), Error> {
        let mut names = HashMap::from([("#pk".to_owned(), stream.pk_attr.to_owned())]);
        let mut values = HashMap::from([(":pk".to_owned(), s(&stream.pk))]);
        let mut key_condition = "#pk = :pk".to_owned();
        if let Some(prefix) = &stream.prefix {
            key_condition.push_str(" AND begins_with(#sk, :prefix)");
            names.insert("#sk".into(), stream.sort_attr.to_owned());
            values.insert(":prefix".into(), s(prefix));
        }
        let mut request = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(&stream.index)
            .key_condition_expression(key_condition)
            .scan_index_forward(!descending)
            .limit(i32::try_from(limit).unwrap_or(100));
        if let Some(filter) = stream.filter.expression() {
            for (placeholder, attr) in
                [("#ust", "ustatus"), ("#bu", "bannedUntil"), ("#ev", "emailVerified"), ("#role", "role"), ("#uk", "usernameKey")]
            {
                if filter.contains(placeholder) {
                    names.insert(placeholder.to_owned(), attr.to_owned());
                }
            }
            values.extend(stream.filter.values.clone());
            request = request.filter_expression(filter);
        }
        if let StreamPosition::After { sort_value, user_id } = from {
            let user = UserId::parse(user_id).ok_or_else(|| Error::field("cursor", "is malformed"))?;
            let mut start = key(user_pk(&user), PROFILE);
            start.insert(stream.pk_attr.to_owned(), s(&stream.pk));
            start.insert(stream.sort_attr.to_owned(), s(sort_value));
            request = request.set_exclusive_start_key(Some(start));
        }
        let out = request
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(values))
            .send()
            .await
            .map_err(|e| sdk_error("list users", e))?;
        let entry = |item: &Item| -> Option<Entry> {
            Some(Entry { sort_value: get_s(item, stream.sort_attr)?, user_id: get_s(item, "pk")?.strip_prefix("USER#")?.to_owned() })
        };
        let entries: Vec<Entry> = out.items().iter().filter_map(entry).collect();
        let next = match out.last_evaluated_key.as_ref().and_then(entry) {
            Some(last) => StreamPosition::After { sort_value: last.sort_value, user_id: last.user_id },
            None => StreamPosition::Done,
        };
        Ok((entries, next))
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
                    let user = super::users::user_from_item(&item)?;
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

/// Runs the futures concurrently (one page's shard queries go out together).
async fn futures_join_all<F: std::future::Future>(futures: impl IntoIterator<Item = F>) -> Vec<F::Output> {
    let futures: Vec<F> = futures.into_iter().collect();
    let mut set = Vec::with_capacity(futures.len());
    for f in futures {
        set.push(Box::pin(f));
    }
    let mut outputs: Vec<Option<F::Output>> = (0..set.len()).map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (i, f) in set.iter_mut().enumerate() {
            if outputs[i].is_none() {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => outputs[i] = Some(v),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending { std::task::Poll::Pending } else { std::task::Poll::Ready(()) }
    })
    .await;
    outputs.into_iter().flatten().collect()
}

// ---- seeding (tests and benchmarks) -------------------------------------------------------------

/// An account for [`Store::seed_users`].
#[cfg(feature = "test-support")]
#[derive(Debug, Clone)]
pub struct SeedUser {
    pub username: String,
    pub email: String,
    pub password_hash: String,
    pub role: Role,
    pub rating: i64,
}

#[cfg(feature = "test-support")]
impl Store {
    /// Writes activated accounts (user item and both markers) with `BatchWriteItem`: fast, but
    /// **without uniqueness checks** and without the admin count. Only for filling a test or
    /// benchmark table; compiled only with the `test-support` feature.
    pub async fn seed_users(&self, seeds: &[SeedUser], now: time::OffsetDateTime) -> Result<Vec<UserId>, Error> {
        use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
        let mut ids = Vec::with_capacity(seeds.len());
        let mut requests = Vec::new();
        for seed in seeds {
            let id = UserId::generate(now);
            let at = now.unix_timestamp();
            let user = User {
                id: id.clone(),
                username: seed.username.clone(),
                email: seed.email.to_lowercase(),
                password_hash: seed.password_hash.clone(),
                role: seed.role,
                plan: "FREE".into(),
                plan_expires_at: None,
                usage: Default::default(),
                settings: crate::domain::Settings::defaults(0),
                email_change: None,
                session_cutoff: None,
                name: None,
                bio: None,
                location: None,
                website: None,
                avatar_key: None,
                preferences: Default::default(),
                email_verified: true,
                mfa_enabled: false,
                created_at: at,
                updated_at: at,
                last_login_at: None,
                banned_until: None,
                ban_reason: None,
                deletion_scheduled_at: None,
                purge_at: None,
                deleted_by: None,
                rating: seed.rating,
                failed_logins: 0,
                last_failed_login_at: None,
                activation: None,
                reset_token_hash: None,
                reset_sent_at: None,
                version: 1,
            };
            let marker = |pk: String, sk: &str| {
                let mut item = key(pk, sk);
                item.insert("userId".into(), s(id.as_str()));
                item
            };
            for item in [
                super::users::user_to_item(&user),
                marker(super::users::email_pk(&user.email), "EMAIL"),
                marker(super::users::username_pk(&user.username.to_ascii_lowercase()), "USERNAME"),
            ] {
                requests.push(WriteRequest::builder().put_request(PutRequest::builder().set_item(Some(item)).build()?).build());
            }
            ids.push(id);
        }
        for chunk in requests.chunks(25) {
            let mut pending = chunk.to_vec();
            for attempt in 0..8 {
                let out = self
                    .client
                    .batch_write_item()
                    .request_items(&self.table, pending)
                    .send()
                    .await
                    .map_err(|e| sdk_error("seed users", e))?;
                pending = out.unprocessed_items.and_then(|mut m| m.remove(&self.table)).unwrap_or_default();
                if pending.is_empty() {
                    break;
                }
                if attempt == 7 {
                    return Err(Error::DependencyUnavailable(anyhow::anyhow!("seed left items unprocessed")));
                }
            }
        }
        Ok(ids)
    }
}

// ---- admin changes ----------------------------------------------------------------------------

/// One entry of the admin audit trail: who did what to whom, when. Never holds a secret or
/// personal data (ids and field names only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// A ULID (time-ordered).
    pub id: String,
    pub at: i64,
    /// The admin or moderator (`cli` for the bootstrap command).
    pub actor: String,
    pub actor_role: String,
    /// e.g. `user.ban`, `user.update`.
    pub action: String,
    pub target: String,
    pub detail: Option<String>,
    pub ip: String,
}

fn audit_month(at: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(at).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!("{:04}-{:02}", t.year(), u8::from(t.month()))
}

fn audit_item(a: &AuditEntry) -> Item {
    let mut item = key(format!("AUDIT#{}", audit_month(a.at)), a.id.clone());
    let mut put = |k: &str, v: AttributeValue| {
        item.insert(k.to_owned(), v);
    };
    put("type", s("audit"));
    put("id", s(format!("aud_{}", a.id)));
    put("at", n(a.at));
    put("actor", s(&a.actor));
    put("actorRole", s(&a.actor_role));
    put("action", s(&a.action));
    put("target", s(&a.target));
    put("ip", s(&a.ip));
    if let Some(d) = &a.detail {
        put("detail", s(d));
    }
    // By actor, newest first, through the general-purpose index.
    put("gsi1pk", s(format!("AUDIT#BY#{}", a.actor)));
    put("gsi1sk", s(a.id.clone()));
    item
}

fn audit_from_item(item: &Item) -> AuditEntry {
    AuditEntry {
        id: get_s(item, "sk").unwrap_or_default(),
        at: super::get_n(item, "at").unwrap_or(0),
        actor: get_s(item, "actor").unwrap_or_default(),
        actor_role: get_s(item, "actorRole").unwrap_or_default(),
        action: get_s(item, "action").unwrap_or_default(),
        target: get_s(item, "target").unwrap_or_default(),
        detail: get_s(item, "detail"),
        ip: get_s(item, "ip").unwrap_or_default(),
    }
}

/// Which transaction item failed, for the caller to name the error.
#[derive(Debug, PartialEq, Eq)]
pub enum ChangeRefused {
    /// The user changed (or vanished) since it was read.
    Stale,
    UsernameTaken,
    EmailTaken,
    /// The change would leave no admin in good standing.
    LastAdmin,
}

/// An admin change: the user before and after, and what goes with it.
pub struct AdminChange<'a> {
    pub before: &'a User,
    pub after: &'a User,
    pub activity: &'a crate::domain::Activity,
    pub audit: &'a AuditEntry,
}

impl Store {
    pub(crate) fn admin_count_change(&self, delta: i64) -> Result<TransactWriteItem, Error> {
        let mut update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(ADMIN_COUNT_PK, ADMIN_COUNT_SK)))
            .update_expression("ADD #count :delta")
            .expression_attribute_names("#count", "count")
            .expression_attribute_values(":delta", n(delta));
        if delta < 0 {
            // Never below one admin: the condition is checked atomically with the change.
            update = update.condition_expression("#count > :one").expression_attribute_values(":one", n(1));
        }
        Ok(TransactWriteItem::builder().update(update.build()?).build())
    }

    pub(crate) fn audit_put(&self, audit: &AuditEntry) -> Result<TransactWriteItem, Error> {
        let put = Put::builder().table_name(&self.table).set_item(Some(audit_item(audit))).build()?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    /// How many admins are in good standing (for tests and the CLI's message).
    pub async fn admin_count(&self) -> Result<i64, Error> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(ADMIN_COUNT_PK, ADMIN_COUNT_SK)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| sdk_error("admin count", e))?;
        Ok(out.item.as_ref().and_then(|i| super::get_n(i, "count")).unwrap_or(0))
    }

    /// Writes `change.after` over `change.before` in one transaction, only if the user is still
    /// at the version that was read: the changed attributes and index attributes, the moved
    /// uniqueness markers, the admin count, the activity entry and the audit entry.
    pub async fn apply_admin_change(&self, change: &AdminChange<'_>) -> Result<Result<(), ChangeRefused>, Error> {
        let (old, new) = (change.before, change.after);
        let mut sets: Vec<String> = Vec::new();
        let mut removes: Vec<String> = Vec::new();
        let mut names: HashMap<String, String> = HashMap::new();
        let mut values: HashMap<String, AttributeValue> = HashMap::new();
        let mut set = |attr: &str, value: Option<AttributeValue>| {
            names.insert(format!("#{attr}"), attr.to_owned());
            match value {
                Some(v) => {
                    sets.push(format!("#{attr} = :{attr}"));
                    values.insert(format!(":{attr}"), v);
                }
                None => removes.push(format!("#{attr}")),
            }
        };
        let opt_s = |v: &Option<String>| v.as_ref().map(s);
        let opt_n = |v: Option<i64>| v.map(n);
        if old.username != new.username {
            set("username", Some(s(&new.username)));
            set("usernameKey", Some(s(new.username.to_ascii_lowercase())));
        }
        if old.email != new.email {
            set("email", Some(s(&new.email)));
        }
        if old.password_hash != new.password_hash {
            set("passwordHash", Some(s(&new.password_hash)));
            set("passwordChangedAt", Some(n(new.updated_at)));
        }
        if old.role != new.role {
            set("role", Some(s(new.role.as_str())));
        }
        if old.name != new.name {
            set("name", opt_s(&new.name));
        }
        if old.email_verified != new.email_verified {
            set("emailVerified", Some(super::b(new.email_verified)));
        }
        if old.activation.is_some() && new.activation.is_none() {
            for attr in ["actCodeHash", "actTokenHash", "actExpiresAt", "actAttempts", "actSentAt"] {
                set(attr, None);
            }
        }
        if old.banned_until != new.banned_until {
            set("banned", new.banned_until.map(|_| super::b(true)));
            set("bannedUntil", opt_n(new.banned_until.flatten()));
        }
        if old.ban_reason != new.ban_reason {
            set("banReason", opt_s(&new.ban_reason));
        }
        if old.deletion_scheduled_at != new.deletion_scheduled_at {
            set("deletionScheduledAt", opt_n(new.deletion_scheduled_at));
        }
        if old.purge_at != new.purge_at {
            set("purgeAt", opt_n(new.purge_at));
        }
        if old.deleted_by != new.deleted_by {
            set("deletedBy", opt_s(&new.deleted_by));
        }
        let old_index: HashMap<&str, AttributeValue> = index_attributes(old).into_iter().collect();
        for (attr, value) in index_attributes(new) {
            if old_index.get(attr) != Some(&value) {
                set(attr, Some(value));
            }
        }
        set("updatedAt", Some(n(new.updated_at)));
        names.insert("#version".into(), "version".into());
        values.insert(":expected".into(), n(old.version));
        values.insert(":one".into(), n(1));
        let mut expression = format!("SET {}, #version = #version + :one", sets.join(", "));
        if !removes.is_empty() {
            expression.push_str(&format!(" REMOVE {}", removes.join(", ")));
        }
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(user_pk(&old.id), PROFILE)))
            .update_expression(expression)
            .condition_expression("#version = :expected")
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(values))
            .build()?;
        let mut items = vec![TransactWriteItem::builder().update(update).build()];
        // Uniqueness markers move in the same transaction: the new one must be free, the old
        // one must still be ours.
        let mut marker_slots: Vec<(usize, ChangeRefused)> = Vec::new();
        let mut move_marker = |items: &mut Vec<TransactWriteItem>, old_pk: String, new_pk: String, sk: &str, taken: ChangeRefused| {
            let mut item = key(new_pk, sk);
            item.insert("userId".into(), s(new.id.as_str()));
            let put =
                Put::builder().table_name(&self.table).set_item(Some(item)).condition_expression("attribute_not_exists(pk)").build()?;
            marker_slots.push((items.len(), taken));
            items.push(TransactWriteItem::builder().put(put).build());
            let delete = Delete::builder()
                .table_name(&self.table)
                .set_key(Some(key(old_pk, sk)))
                .condition_expression("userId = :me")
                .expression_attribute_values(":me", s(new.id.as_str()))
                .build()?;
            marker_slots.push((items.len(), ChangeRefused::Stale));
            items.push(TransactWriteItem::builder().delete(delete).build());
            Ok::<(), Error>(())
        };
        let (old_key, new_key) = (old.username.to_ascii_lowercase(), new.username.to_ascii_lowercase());
        if old_key != new_key {
            move_marker(
                &mut items,
                super::users::username_pk(&old_key),
                super::users::username_pk(&new_key),
                "USERNAME",
                ChangeRefused::UsernameTaken,
            )?;
        }
        if old.email != new.email {
            move_marker(
                &mut items,
                super::users::email_pk(&old.email),
                super::users::email_pk(&new.email),
                "EMAIL",
                ChangeRefused::EmailTaken,
            )?;
        }
        let delta = i64::from(new.is_counted_admin()) - i64::from(old.is_counted_admin());
        let count_slot = (delta != 0).then_some(items.len());
        if delta != 0 {
            items.push(self.admin_count_change(delta)?);
        }
        // A deletion scheduled or cleared here queues or unqueues the purge in the same transaction.
        match (old.deletion_scheduled_at, new.deletion_scheduled_at, old.purge_at, new.purge_at) {
            (None, Some(_), _, Some(due)) => {
                items.push(super::lifecycle::queue_put(self, &new.id, due, super::lifecycle::PurgeKind::Deletion)?)
            }
            (Some(_), None, Some(due), _) => items.push(super::lifecycle::queue_delete(self, &old.id, due)?),
            _ => {}
        }
        items.push(super::activity::activity_put(self, &new.id, change.activity)?);
        items.push(self.audit_put(change.audit)?);
        match self.transact("admin change", items).await? {
            Ok(()) => Ok(Ok(())),
            Err(reasons) => {
                let failed = |i: usize| reasons.get(i).and_then(Option::as_deref) == Some("ConditionalCheckFailed");
                if failed(0) {
                    return Ok(Err(ChangeRefused::Stale));
                }
                if let Some((_, why)) = marker_slots.into_iter().find(|(i, _)| failed(*i)) {
                    return Ok(Err(why));
                }
                if count_slot.is_some_and(failed) {
                    return Ok(Err(ChangeRefused::LastAdmin));
                }
                Ok(Err(ChangeRefused::Stale))
            }
        }
    }

    /// The admin audit trail of one month (`YYYY-MM`), newest first, after `after` (an entry id).
    pub async fn list_audit_month(&self, month: &str, after: Option<&str>, limit: i32) -> Result<(Vec<AuditEntry>, Option<String>), Error> {
        self.list_audit("pk", format!("AUDIT#{month}"), "sk", None, after, limit).await
    }

    /// The admin audit trail of one actor, newest first (index `gsi1`).
    pub async fn list_audit_by_actor(
        &self,
        actor: &str,
        after: Option<&str>,
        limit: i32,
    ) -> Result<(Vec<AuditEntry>, Option<String>), Error> {
        self.list_audit("gsi1pk", format!("AUDIT#BY#{actor}"), "gsi1sk", Some("gsi1"), after, limit).await
    }

    async fn list_audit(
        &self,
        pk_attr: &str,
        pk: String,
        sk_attr: &str,
        index: Option<&str>,
        after: Option<&str>,
        limit: i32,
    ) -> Result<(Vec<AuditEntry>, Option<String>), Error> {
        let mut request = self
            .client
            .query()
            .table_name(&self.table)
            .set_index_name(index.map(str::to_owned))
            .key_condition_expression(format!("{pk_attr} = :pk"))
            .expression_attribute_values(":pk", s(&pk))
            .scan_index_forward(false)
            .limit(limit);
        if let Some(after) = after {
            let at = ulid::Ulid::from_string(after).map_err(|_| Error::field("cursor", "is malformed"))?;
            let at = i64::try_from(at.timestamp_ms() / 1000).unwrap_or(0);
            let start = if index.is_some() {
                // The entry's own table key (its month is the time in its id), then the index key.
                let mut start = key(format!("AUDIT#{}", audit_month(at)), after);
                start.insert(pk_attr.to_owned(), s(&pk));
                start.insert(sk_attr.to_owned(), s(after));
                start
            } else {
                key(pk.clone(), after)
            };
            request = request.set_exclusive_start_key(Some(start));
        }
        let out = request.send().await.map_err(|e| sdk_error("list audit", e))?;
        let entries: Vec<AuditEntry> = out.items().iter().map(audit_from_item).collect();
        let next = out.last_evaluated_key.is_some().then(|| entries.last().map(|e| e.id.clone())).flatten();
        Ok((entries, next))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(role: Option<Role>, status: Option<UserStatus>, q: Option<&str>) -> UserQuery {
        UserQuery { sort: SortField::CreatedAt, descending: false, role, status, q: q.map(str::to_owned) }
    }

    #[test]
    fn shards_spread_ids_and_stay_in_range() {
        let now = time::OffsetDateTime::now_utc();
        let mut seen = std::collections::HashSet::new();
        for _ in 0..400 {
            let s = shard(&UserId::generate(now));
            assert!(s < USER_SHARDS);
            seen.insert(s);
        }
        assert_eq!(seen.len(), USER_SHARDS as usize);
    }

    #[test]
    fn the_plan_reads_one_partition_per_shard_or_two_for_active_and_unverified() {
        assert_eq!(stream_count(&query(None, None, None)), USER_SHARDS as usize);
        assert_eq!(stream_count(&query(Some(Role::User), None, None)), USER_SHARDS as usize);
        assert_eq!(stream_count(&query(None, Some(UserStatus::Banned), None)), USER_SHARDS as usize);
        assert_eq!(stream_count(&query(None, Some(UserStatus::Active), None)), 2 * USER_SHARDS as usize);
        assert_eq!(stream_count(&query(Some(Role::Admin), Some(UserStatus::Active), None)), USER_SHARDS as usize);
        assert_eq!(stream_count(&query(Some(Role::User), Some(UserStatus::Unverified), None)), max_streams());
    }

    #[test]
    fn prefix_search_reads_one_partition_per_index() {
        assert_eq!(stream_count(&query(None, None, Some("al"))), 2);
        // Not a possible username prefix: only the email index.
        assert_eq!(stream_count(&query(None, None, Some("al@ex"))), 1);
    }

    #[test]
    fn unfiltered_streams_read_about_twice_their_share_of_a_page() {
        assert_eq!(stream_limit(100, 8, false), 26);
        assert_eq!(stream_limit(37, 8, false), 11);
        assert_eq!(stream_limit(1, 8, false), 1);
        assert_eq!(stream_limit(100, 8, true), 100, "filtered streams read a whole page");
        assert_eq!(stream_limit(10, 1, false), 10);
        assert_eq!(stream_limit(10, 2, false), 10);
    }

    #[test]
    fn fingerprints_differ_between_queries() {
        assert_ne!(query(None, None, None).fingerprint(), query(Some(Role::User), None, None).fingerprint());
        assert_eq!(query(None, None, None).fingerprint(), query(None, None, None).fingerprint());
    }

    #[test]
    fn audit_entries_live_in_monthly_partitions() {
        assert_eq!(audit_month(0), "1970-01");
        assert_eq!(audit_month(1_700_000_000), "2023-11");
    }
}
