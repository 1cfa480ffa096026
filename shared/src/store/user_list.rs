//! The admin user lists: which index partitions ("streams") hold the users a [`UserQuery`]
//! asks for (the plan), one query per stream per round, and a k-way merge of the streams into
//! pages. A page's cursor ([`UserCursor`]) keeps each stream's position; it is opaque to the
//! layers above, which hand it back as the string [`UserCursor::encode`] made. A cursor can be
//! turned around ([`UserCursor::reversed`]): the pages before it, read from its end, for a
//! "previous" link.

use super::user_codec::{PROFILE, user_pk};
use super::user_index::{USER_SHARDS, first_char};
use super::{Item, Store, b, get_s, key, n, s, sdk_error};
use crate::domain::{Role, SortField, User, UserId, UserQuery, UserStatus};
use crate::error::{Error, FieldError};
use aws_sdk_dynamodb::types::AttributeValue;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// The attribute a stream is sorted by, for `sort`.
fn sort_attr(sort: SortField) -> &'static str {
    match sort {
        SortField::CreatedAt => "id",
        SortField::Username => "usernameKey",
        SortField::Rating => "ratingKey",
    }
}

/// The suffix of the index names (`users-created`, `role-username`, …) for `sort`.
fn index_suffix(sort: SortField) -> &'static str {
    match sort {
        SortField::CreatedAt => "created",
        SortField::Username => "username",
        SortField::Rating => "rating",
    }
}

/// Where one stream (one index partition) of a list stands between pages.
#[derive(Debug, Clone, PartialEq, Eq)]
enum StreamPosition {
    Start,
    /// After the index entry with this sort value, of this user. `listed`: that entry is one
    /// the query lists (it was on a page), rather than one its filter dropped, or one of an older
    /// cursor that did not say — what [`StreamPosition::reversed`] needs to know.
    After {
        sort_value: String,
        user_id: String,
        listed: bool,
    },
    /// This listed entry is next, then what comes after it (a reversed `After`).
    Through {
        sort_value: String,
        user_id: String,
    },
    Done,
}

impl StreamPosition {
    /// The same place seen from the other end of the stream: what this position has already
    /// passed is exactly what the reversed position has still to read.
    fn reversed(&self) -> Self {
        match self {
            StreamPosition::Start => StreamPosition::Done,
            StreamPosition::Done => StreamPosition::Start,
            StreamPosition::After { sort_value, user_id, listed: true } => {
                StreamPosition::Through { sort_value: sort_value.clone(), user_id: user_id.clone() }
            }
            // An entry the filter dropped: nothing to give back.
            StreamPosition::After { sort_value, user_id, listed: false } => {
                StreamPosition::After { sort_value: sort_value.clone(), user_id: user_id.clone(), listed: false }
            }
            StreamPosition::Through { sort_value, user_id } => {
                StreamPosition::After { sort_value: sort_value.clone(), user_id: user_id.clone(), listed: true }
            }
        }
    }
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
            vec![v(":st", s(status.as_str())), banned, v(":now", n(now)), v(":ev", b(status == UserStatus::Active))],
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
                index: format!("{family}-{}", index_suffix(sort)),
                pk_attr,
                pk: format!("{pk_base}#{shard}"),
                sort_attr: sort_attr(sort),
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
#[cfg(test)]
fn max_streams() -> usize {
    2 * USER_SHARDS as usize
}

/// How many streams `query` reads (the cursor must have exactly this many positions).
fn stream_count(query: &UserQuery) -> usize {
    plan(query, 0).len()
}

/// Where a user list stands between pages: one position per stream of its query's plan.
/// Opaque above the store: it goes to the client as the string [`UserCursor::encode`] makes and
/// comes back through [`UserCursor::decode`], which checks that it belongs to the query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserCursor(Vec<StreamPosition>);

impl UserCursor {
    /// The cursor as the client sees it (URL-safe).
    pub fn encode(&self, query: &UserQuery) -> String {
        encode_cursor(query, &self.0)
    }

    /// A cursor a client sent back, only if it is well-formed and was made for `query`.
    pub fn decode(raw: &str, query: &UserQuery) -> Result<Self, FieldError> {
        decode_cursor(raw, query).map(Self)
    }

    /// This cursor turned around, for `query.reversed()`: its pages, in reverse order, are
    /// exactly the users before this cursor (the "previous" pages), and turning it around again
    /// gives this cursor back.
    pub fn reversed(&self) -> Self {
        Self(self.0.iter().map(StreamPosition::reversed).collect())
    }

    /// Whether nothing lies before this cursor (every stream at its start).
    pub fn at_start(&self) -> bool {
        self.0.iter().all(|p| *p == StreamPosition::Start)
    }

    /// Whether nothing lies after this cursor (every stream done).
    pub fn at_end(&self) -> bool {
        self.0.iter().all(|p| *p == StreamPosition::Done)
    }
}

/// The wire form of a cursor: base64url of `{"f": <query fingerprint>, "p": [position…]}` with
/// a position per stream: `0` not started, `1` done, `[sortValue, userId]` after that entry,
/// `[sortValue, userId, 1]` after that listed entry, `[sortValue, userId, 2]` through it.
#[derive(Serialize, Deserialize)]
struct CursorBody {
    f: String,
    p: Vec<serde_json::Value>,
}

fn encode_cursor(query: &UserQuery, positions: &[StreamPosition]) -> String {
    let p = positions
        .iter()
        .map(|pos| match pos {
            StreamPosition::Start => serde_json::json!(0),
            StreamPosition::Done => serde_json::json!(1),
            StreamPosition::After { sort_value, user_id, listed: false } => serde_json::json!([sort_value, user_id]),
            StreamPosition::After { sort_value, user_id, listed: true } => serde_json::json!([sort_value, user_id, 1]),
            StreamPosition::Through { sort_value, user_id } => serde_json::json!([sort_value, user_id, 2]),
        })
        .collect();
    let body = CursorBody { f: query.fingerprint(), p };
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(serde_json::to_vec(&body).unwrap_or_default())
}

fn decode_cursor(raw: &str, query: &UserQuery) -> Result<Vec<StreamPosition>, FieldError> {
    let bad = || FieldError::new("cursor", "is malformed or does not belong to this query");
    if raw.len() > 8192 {
        return Err(bad());
    }
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(raw.trim()).map_err(|_| bad())?;
    let body: CursorBody = serde_json::from_slice(&bytes).map_err(|_| bad())?;
    if body.f != query.fingerprint() || body.p.len() != stream_count(query) {
        return Err(bad());
    }
    body.p
        .into_iter()
        .map(|v| match v {
            serde_json::Value::Number(n) if n.as_u64() == Some(0) => Ok(StreamPosition::Start),
            serde_json::Value::Number(n) if n.as_u64() == Some(1) => Ok(StreamPosition::Done),
            serde_json::Value::Array(a) => {
                let (sort_value, user_id, kind) = match a.as_slice() {
                    [serde_json::Value::String(s), serde_json::Value::String(u)] => (s, u, 0),
                    [serde_json::Value::String(s), serde_json::Value::String(u), serde_json::Value::Number(k)] => {
                        (s, u, k.as_u64().filter(|k| matches!(k, 1 | 2)).ok_or_else(bad)?)
                    }
                    _ => return Err(bad()),
                };
                if sort_value.len() > 300 || UserId::parse(user_id).is_none() {
                    return Err(bad());
                }
                let (sort_value, user_id) = (sort_value.clone(), user_id.clone());
                Ok(match kind {
                    2 => StreamPosition::Through { sort_value, user_id },
                    k => StreamPosition::After { sort_value, user_id, listed: k == 1 },
                })
            }
            _ => Err(bad()),
        })
        .collect()
}

/// One page of users and where each stream stands after it.
#[derive(Debug)]
pub struct UserPage {
    pub users: Vec<User>,
    /// `None` when every stream is exhausted.
    pub next: Option<UserCursor>,
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
    /// The stream was queried for this page (a `Through` stream starts with its entry in the
    /// buffer but is queried in the first round all the same, or a page going back would fill
    /// one entry per stream and round).
    queried: bool,
}

impl StreamState {
    /// A stream starting at `position`: a `Through` position's entry is already known (it was
    /// listed), so it waits in the buffer and the stream is read from after it.
    fn at(position: StreamPosition) -> Self {
        match position {
            StreamPosition::Through { sort_value, user_id } => Self {
                buffer: std::collections::VecDeque::from([Entry { sort_value: sort_value.clone(), user_id: user_id.clone() }]),
                fetch_from: StreamPosition::After { sort_value: sort_value.clone(), user_id: user_id.clone(), listed: true },
                resume: StreamPosition::Through { sort_value, user_id },
                queried: false,
            },
            p => Self { buffer: Default::default(), fetch_from: p.clone(), resume: p, queried: false },
        }
    }
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
    /// A page of users for `query`, starting at `cursor` (`None` for the first page).
    pub async fn list_users(&self, query: &UserQuery, cursor: Option<UserCursor>, limit: usize, now: i64) -> Result<UserPage, Error> {
        let streams = plan(query, now);
        let positions = cursor.map(|c| c.0).unwrap_or_else(|| vec![StreamPosition::Start; streams.len()]);
        if positions.len() != streams.len() {
            return Err(Error::field("cursor", "does not belong to this query"));
        }
        let mut states: Vec<StreamState> = positions.into_iter().map(StreamState::at).collect();
        let before = |a: &str, b: &str| if query.descending { a > b } else { a < b };
        let mut emitted: Vec<Entry> = Vec::new();
        let mut calls = 0;
        for _round in 0..MAX_ROUNDS {
            // Fetch for every live stream whose buffer is empty (or that was not queried yet).
            let wanted: Vec<usize> = (0..streams.len())
                .filter(|&i| (states[i].buffer.is_empty() || !states[i].queried) && states[i].fetch_from != StreamPosition::Done)
                .collect();
            let fetches = wanted.iter().map(|&i| {
                let per_stream = stream_limit(limit, streams.len(), streams[i].filter.expression().is_some());
                self.query_stream(&streams[i], &states[i].fetch_from, query.descending, per_stream)
            });
            let results = futures::future::join_all(fetches).await;
            calls += wanted.len();
            for (&i, result) in wanted.iter().zip(results) {
                let (entries, next) = result?;
                let state = &mut states[i];
                state.queried = true;
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
                    StreamPosition::After { sort_value: entry.sort_value.clone(), user_id: entry.user_id.clone(), listed: true }
                };
                emitted.push(entry);
            }
            let all_done = states.iter().all(|st| st.buffer.is_empty() && st.fetch_from == StreamPosition::Done);
            if emitted.len() >= limit || all_done {
                break;
            }
        }
        let next: Vec<StreamPosition> = states.into_iter().map(|st| st.resume).collect();
        let next = (!next.iter().all(|p| *p == StreamPosition::Done)).then_some(UserCursor(next));
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
        if let StreamPosition::After { sort_value, user_id, .. } = from {
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
            Some(last) => {
                // The last entry read was listed unless the filter dropped it.
                let listed = entries.last().is_some_and(|e| e.sort_value == last.sort_value && e.user_id == last.user_id);
                StreamPosition::After { sort_value: last.sort_value, user_id: last.user_id, listed }
            }
            None => StreamPosition::Done,
        };
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
    fn cursors_round_trip() {
        let q = UserQuery { sort: SortField::Rating, descending: true, role: None, status: None, q: None };
        let mut positions = vec![StreamPosition::Start; stream_count(&q)];
        positions[0] = StreamPosition::Done;
        positions[1] =
            StreamPosition::After { sort_value: "1000000005#x".into(), user_id: "usr_01HZY8J6W8K1M2N3P4Q5R6S7T8".into(), listed: false };
        positions[2] =
            StreamPosition::After { sort_value: "1000000007#y".into(), user_id: "usr_01HZY8J6W8K1M2N3P4Q5R6S7T9".into(), listed: true };
        positions[3] = StreamPosition::Through { sort_value: "1000000009#z".into(), user_id: "usr_01HZY8J6W8K1M2N3P4Q5R6S7TA".into() };
        let raw = encode_cursor(&q, &positions);
        assert_eq!(decode_cursor(&raw, &q).unwrap(), positions);
    }

    #[test]
    fn a_cursor_turned_around_twice_is_itself_and_keeps_a_listed_entry() {
        let q = UserQuery { sort: SortField::Username, descending: false, role: None, status: None, q: None };
        let (sort_value, user_id) = ("ada".to_owned(), "usr_01HZY8J6W8K1M2N3P4Q5R6S7T8".to_owned());
        let mut positions = vec![StreamPosition::Start; stream_count(&q)];
        positions[0] = StreamPosition::Done;
        positions[1] = StreamPosition::After { sort_value: sort_value.clone(), user_id: user_id.clone(), listed: true };
        positions[2] = StreamPosition::After { sort_value: sort_value.clone(), user_id: user_id.clone(), listed: false };
        let cursor = UserCursor(positions);
        let back = cursor.reversed();
        assert_eq!(back.0[0], StreamPosition::Start, "a finished stream is read again from its end");
        assert_eq!(
            back.0[1],
            StreamPosition::Through { sort_value: sort_value.clone(), user_id: user_id.clone() },
            "the listed entry comes back"
        );
        assert_eq!(back.0[2], StreamPosition::After { sort_value, user_id, listed: false }, "a dropped entry stays dropped");
        assert_eq!(back.0[3], StreamPosition::Done, "an untouched stream has nothing before");
        assert_eq!(back.reversed(), cursor);
        assert!(UserCursor(vec![StreamPosition::Start; 8]).at_start() && UserCursor(vec![StreamPosition::Done; 8]).at_end());
        assert!(!cursor.at_start() && !cursor.at_end());
        // The reversed cursor belongs to the reversed query only.
        let raw = back.encode(&q.reversed());
        assert_eq!(UserCursor::decode(&raw, &q.reversed()).unwrap(), back);
        assert!(UserCursor::decode(&raw, &q).is_err());
    }

    #[test]
    fn positions_of_an_unknown_kind_are_refused() {
        let q = UserQuery { sort: SortField::Username, descending: false, role: None, status: None, q: None };
        let uid = "usr_01HZY8J6W8K1M2N3P4Q5R6S7T8";
        for kind in ["0", "3", "-1", "1.5", "\"1\""] {
            let mut p = vec!["0".to_owned(); stream_count(&q)];
            p[0] = format!(r#"["ada","{uid}",{kind}]"#);
            let raw =
                base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!(r#"{{"f":"{}","p":[{}]}}"#, q.fingerprint(), p.join(",")));
            assert!(decode_cursor(&raw, &q).is_err(), "{kind}");
        }
    }

    #[test]
    fn a_cursor_of_another_query_or_garbage_is_refused() {
        let query = || UserQuery { sort: SortField::Rating, descending: true, role: None, status: None, q: None };
        let q = query();
        let raw = encode_cursor(&q, &vec![StreamPosition::Start; stream_count(&q)]);
        let other = UserQuery { descending: false, ..query() };
        assert!(decode_cursor(&raw, &other).is_err());
        assert!(decode_cursor("not base64!", &q).is_err());
        let forged =
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!(r#"{{"f":"{}","p":[["x","usr_bad"]]}}"#, q.fingerprint()));
        assert!(decode_cursor(&forged, &q).is_err());
    }
}
