//! Request and response shapes shared by several groups. The profile shape ([`UserResponse`])
//! lives in [`crate::http::profile`], because the pages' export download serves it too.

use crate::clock::rfc3339;
use crate::domain::ActivityRecord;
use serde::{Deserialize, Deserializer, Serialize};

pub use crate::http::profile::{UserResponse, avatar_url};

/// One activity entry (`GET /api/users/me/activity`, the admin's view of a user's activity).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ActivityResponse {
    pub id: String,
    pub kind: String,
    pub at: String,
    pub ip: String,
    pub user_agent: String,
    pub detail: Option<String>,
    pub actor: Option<String>,
}

impl From<ActivityRecord> for ActivityResponse {
    fn from(a: ActivityRecord) -> Self {
        Self { id: a.id, kind: a.kind, at: rfc3339(a.at), ip: a.ip, user_agent: a.user_agent, detail: a.detail, actor: a.actor }
    }
}

/// A request field that distinguishes "absent" (leave alone) from `null` (clear).
#[derive(Debug, Default)]
pub enum Patch<T> {
    #[default]
    Absent,
    Null,
    Value(T),
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Patch<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        Ok(Option::<T>::deserialize(d)?.map_or(Patch::Null, Patch::Value))
    }
}

impl<T> Patch<T> {
    /// `None` to leave the field alone, `Some(None)` to clear it, `Some(Some(v))` to set it.
    pub fn into_change(self) -> Option<Option<T>> {
        match self {
            Patch::Absent => None,
            Patch::Null => Some(None),
            Patch::Value(v) => Some(Some(v)),
        }
    }
}

impl Patch<String> {
    /// [`Patch::into_change`], borrowed.
    pub fn as_input(&self) -> Option<Option<&str>> {
        match self {
            Patch::Absent => None,
            Patch::Null => Some(None),
            Patch::Value(v) => Some(Some(v.as_str())),
        }
    }
}
