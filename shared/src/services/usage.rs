//! Usage statistics (`GET /api/users/me/usage`, `/me/stats`): current storage from the counters
//! on the user item (already read by authentication) and activity from the per-day counters
//! (one `Query` of the period's day items). Days are UTC days of the injected clock.

use crate::App;
use crate::domain::User;
use crate::domain::{DayUsage, Limit, UsageCounters};
use crate::error::{Error, Result};
use time::{Date, Duration};

/// A statistics period (seed 000: `7d`, `30d`, `90d`, `1y`; default `30d`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Week,
    Month,
    Quarter,
    Year,
}

impl Period {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "7d" => Some(Self::Week),
            "30d" => Some(Self::Month),
            "90d" => Some(Self::Quarter),
            "1y" => Some(Self::Year),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Week => "7d",
            Self::Month => "30d",
            Self::Quarter => "90d",
            Self::Year => "1y",
        }
    }
    /// Days covered, today included.
    pub fn days(self) -> i64 {
        match self {
            Self::Week => 7,
            Self::Month => 30,
            Self::Quarter => 90,
            Self::Year => 365,
        }
    }
}

/// Everything the usage answer is made of.
#[derive(Debug, Clone)]
pub struct Report {
    pub period: Period,
    pub generated_at: i64,
    pub counters: UsageCounters,
    pub storage_limit: Limit,
    /// Every day of the period, oldest first (days without activity are zeros).
    pub days: Vec<DayUsage>,
    /// Bytes stored at the end of each day of the period, oldest first.
    pub storage_by_day: Vec<(Date, i64)>,
}

/// The days `from..=to`, with a zero day where the store had none.
fn fill(from: Date, to: Date, stored: Vec<DayUsage>) -> Vec<DayUsage> {
    let mut stored = stored.into_iter().peekable();
    let mut days = Vec::new();
    let mut d = from;
    while d <= to {
        while stored.peek().is_some_and(|s| s.date < d) {
            stored.next();
        }
        days.push(match stored.peek() {
            Some(s) if s.date == d => *s,
            _ => DayUsage::empty(d),
        });
        match d.next_day() {
            Some(next) => d = next,
            None => break,
        }
    }
    days
}

/// Storage at the end of each day, walking back from what is stored now.
fn storage_by_day(now_stored: i64, days: &[DayUsage]) -> Vec<(Date, i64)> {
    let mut out = Vec::with_capacity(days.len());
    let mut end_of_day = now_stored;
    for day in days.iter().rev() {
        out.push((day.date, end_of_day.max(0)));
        end_of_day -= day.net_bytes();
    }
    out.reverse();
    out
}

async fn days(app: &App, user: &User, count: i64) -> Result<(Date, Vec<DayUsage>)> {
    let today = app.clock.now().date();
    let from = today.checked_sub(Duration::days(count - 1)).ok_or_else(|| Error::internal(anyhow::anyhow!("date out of range")))?;
    let stored = app.store.usage_days(&user.id, from, today).await?;
    Ok((today, fill(from, today, stored)))
}

/// The usage report for `period`. Calls: authentication + one `Query`.
pub async fn report(app: &App, user: &User, period: Period) -> Result<Report> {
    let now = app.now();
    let (_, days) = days(app, user, period.days()).await?;
    let counters = user.usage;
    Ok(Report {
        period,
        generated_at: now,
        counters,
        storage_limit: super::billing::limits_for(user.effective_plan(now)).storage_bytes,
        storage_by_day: storage_by_day(counters.storage_used, &days),
        days,
    })
}

/// The short statistics (seed 002).
#[derive(Debug, Clone)]
pub struct Stats {
    pub total_uploads: i64,
    pub today_uploads: i64,
    pub storage_used: i64,
    pub storage_limit: Limit,
    /// The last 7 days, newest first: `(date, completed uploads)`.
    pub upload_trend: Vec<(Date, i64)>,
}

/// Calls: authentication + one `Query` (the last 7 day items).
pub async fn stats(app: &App, user: &User) -> Result<Stats> {
    let now = app.now();
    let (today, days) = days(app, user, 7).await?;
    let counters = user.usage;
    Ok(Stats {
        total_uploads: counters.uploads_total,
        today_uploads: days.iter().find(|d| d.date == today).map_or(0, |d| d.uploads),
        storage_used: counters.storage_used,
        storage_limit: super::billing::limits_for(user.effective_plan(now)).storage_bytes,
        upload_trend: days.iter().rev().map(|d| (d.date, d.uploads)).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn day(date: Date, upload_bytes: i64, deleted_bytes: i64) -> DayUsage {
        DayUsage { upload_bytes, deleted_bytes, uploads: i64::from(upload_bytes > 0), ..DayUsage::empty(date) }
    }

    #[test]
    fn periods_parse_from_the_seed_names_only() {
        assert_eq!(Period::parse("7d").map(Period::days), Some(7));
        assert_eq!(Period::parse("1y").map(Period::days), Some(365));
        assert_eq!(Period::parse("2w"), None);
    }

    #[test]
    fn missing_days_are_filled_with_zeros_in_order() {
        let days = fill(date!(2024 - 01 - 01), date!(2024 - 01 - 04), vec![day(date!(2024 - 01 - 02), 10, 0)]);
        assert_eq!(
            days.iter().map(|d| d.date).collect::<Vec<_>>(),
            [date!(2024 - 01 - 01), date!(2024 - 01 - 02), date!(2024 - 01 - 03), date!(2024 - 01 - 04)]
        );
        assert_eq!(days.iter().map(|d| d.upload_bytes).collect::<Vec<_>>(), [0, 10, 0, 0]);
    }

    #[test]
    fn storage_per_day_walks_back_from_today() {
        let days = vec![day(date!(2024 - 01 - 01), 100, 0), day(date!(2024 - 01 - 02), 0, 0), day(date!(2024 - 01 - 03), 30, 50)];
        let growth = storage_by_day(80, &days);
        assert_eq!(growth.iter().map(|(_, s)| *s).collect::<Vec<_>>(), [100, 100, 80]);
    }
}
