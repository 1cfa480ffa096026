//! `GET /api/users/me/usage` (seed 000's shape) and `GET /api/users/me/stats` (seed 002's),
//! served by the `users` function: [`routes`] is merged into its router.

use crate::App;
use crate::domain::{Limit, UploadKind, day_string};
use crate::error::{Error, FieldError, Result};
use crate::http::{Query, ReadAccess, Reply};
use crate::services::usage::{self as svc, Period};
use axum::extract::State;
use axum::routing::get;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::sync::Arc;

/// The usage routes, to be merged into the users router (which adds state and the layers).
pub fn routes() -> crate::http::RouteTable {
    crate::http::RouteTable::new().route("/api/users/me/usage", get(usage)).route("/api/users/me/stats", get(stats))
}

#[derive(Deserialize)]
struct UsageQuery {
    period: Option<String>,
    detailed: Option<String>,
}

/// `used` as a percentage of `limit`, to two decimals (`None` when unlimited).
fn percentage(limit: Limit, used: i64) -> Option<f64> {
    limit.percentage(used).map(|p| (p * 100.0).round() / 100.0)
}

async fn usage(State(app): State<Arc<App>>, ReadAccess(c): ReadAccess, Query(q): Query<UsageQuery>) -> Result<Reply> {
    let mut errors = Vec::new();
    let period = match q.period.as_deref().filter(|v| !v.is_empty()) {
        None => Period::Month,
        Some(raw) => Period::parse(raw).unwrap_or_else(|| {
            errors.push(FieldError::new("period", "must be one of 7d, 30d, 90d, 1y"));
            Period::Month
        }),
    };
    let detailed = match q.detailed.as_deref() {
        None | Some("") | Some("false") | Some("0") => false,
        Some("true") | Some("1") => true,
        Some(_) => {
            errors.push(FieldError::new("detailed", "must be true or false"));
            false
        }
    };
    if !errors.is_empty() {
        return Err(Error::Validation(errors));
    }
    let r = svc::report(&app, &c.user, period).await?;
    let sum = |f: fn(&crate::domain::DayUsage) -> i64| r.days.iter().map(f).sum::<i64>();
    let (uploads, upload_bytes) = (sum(|d| d.uploads), sum(|d| d.upload_bytes));
    let breakdown: Map<String, Value> =
        UploadKind::ALL.iter().map(|k| (k.as_str().to_owned(), json!(r.counters.bytes_by_kind[k.index()]))).collect();
    let mut storage = json!({
        "used": r.counters.storage_used,
        "limit": r.storage_limit.as_wire(),
        "usagePercentage": percentage(r.storage_limit, r.counters.storage_used),
        "breakdown": breakdown,
        "files": r.counters.uploads_count,
    });
    let mut activity = json!({
        "uploads": {"count": uploads, "totalSize": upload_bytes, "avgSize": if uploads > 0 { upload_bytes / uploads } else { 0 }},
        "downloads": {"count": sum(|d| d.downloads), "totalSize": sum(|d| d.download_bytes)},
        "deletions": {"count": sum(|d| d.deletions), "reclaimedSpace": sum(|d| d.deleted_bytes)},
    });
    let mut trends = json!({
        "dailyUploads": r.days.iter().map(|d| json!({"date": day_string(d.date), "count": d.uploads, "size": d.upload_bytes})).collect::<Vec<_>>(),
        "storageGrowth": r.storage_by_day.iter().map(|(date, size)| json!({"date": day_string(*date), "size": size})).collect::<Vec<_>>(),
    });
    if detailed {
        storage["pending"] = json!({
            "files": r.counters.uploads_committed - r.counters.uploads_count,
            "bytes": r.counters.storage_committed - r.counters.storage_used,
        });
        let by_kind: Map<String, Value> = UploadKind::ALL
            .iter()
            .map(|k| {
                let (count, size) =
                    r.days.iter().fold((0, 0), |(c, s), d| (c + d.uploads_by_kind[k.index()].0, s + d.uploads_by_kind[k.index()].1));
                (k.as_str().to_owned(), json!({"count": count, "size": size}))
            })
            .collect();
        activity["uploads"]["byKind"] = Value::Object(by_kind);
        trends["daily"] = r
            .days
            .iter()
            .map(|d| {
                json!({
                    "date": day_string(d.date),
                    "uploads": d.uploads,
                    "uploadBytes": d.upload_bytes,
                    "downloads": d.downloads,
                    "downloadBytes": d.download_bytes,
                    "deletions": d.deletions,
                    "deletedBytes": d.deleted_bytes,
                })
            })
            .collect();
    }
    Ok(Reply::ok(&json!({
        "period": r.period.as_str(),
        "storage": storage,
        "activity": activity,
        "trends": trends,
        "generatedAt": crate::clock::rfc3339(r.generated_at),
    })))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct StatsResponse {
    total_uploads: i64,
    today_uploads: i64,
    storage_used: i64,
    storage_limit: i64,
    /// `"0.98%"` (seed 002); `null` when storage is unlimited.
    storage_usage: Option<String>,
    upload_trends: Vec<TrendPoint>,
}

#[derive(Serialize)]
struct TrendPoint {
    date: String,
    count: i64,
}

async fn stats(State(app): State<Arc<App>>, ReadAccess(c): ReadAccess) -> Result<Reply> {
    let s = svc::stats(&app, &c.user).await?;
    Ok(Reply::ok(&StatsResponse {
        total_uploads: s.total_uploads,
        today_uploads: s.today_uploads,
        storage_used: s.storage_used,
        storage_limit: s.storage_limit.as_wire(),
        storage_usage: percentage(s.storage_limit, s.storage_used).map(|p| format!("{p:.2}%")),
        upload_trends: s.upload_trend.into_iter().map(|(d, count)| TrendPoint { date: day_string(d), count }).collect(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_have_two_decimals_and_unlimited_has_none() {
        assert_eq!(percentage(Limit::Max(104_857_600), 1_024_000), Some(0.98));
        assert_eq!(percentage(Limit::Unlimited, 5), None);
    }
}
