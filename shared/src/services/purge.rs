//! The scheduled purge (SPEC §3.7): permanently removes accounts whose grace period ended and
//! accounts never activated within `UNVERIFIED_TTL_DAYS`, with everything stored about them —
//! user item, uniqueness markers, sessions, activity, API keys, counters, avatar and uploaded
//! objects — and releases uploads reserved but never completed within 24 h and the quota holds of deleted
//! uploads whose URLs expired. It is idempotent (a second run finds nothing), resumable (it stops before the
//! deadline and the queue keeps what is left) and safe against a racing recovery (the point of
//! no return is one conditional transaction).

use crate::App;
use crate::error::Result;
use crate::store::{DueAccount, PURGE_SHARDS, PurgeKind};

/// What one run did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PurgeReport {
    /// Accounts removed after their grace period.
    pub deleted: usize,
    /// Never-activated accounts removed.
    pub unverified: usize,
    /// Queue entries dropped because the account no longer qualified (recovered, activated).
    pub skipped: usize,
    /// Pending uploads never completed within 24 h, released with their objects.
    pub stale_uploads: usize,
    /// Holds of deleted uploads whose URLs expired, released (objects deleted, quota freed).
    pub released_holds: usize,
    /// Table items and S3 objects removed.
    pub items: usize,
    pub objects: usize,
    /// False when the run stopped for its deadline with work left for the next run.
    pub complete: bool,
}

const PAGE: i32 = 25;

/// Runs until the queue holds nothing due or `should_stop` says the deadline is near.
pub async fn run(app: &App, should_stop: impl Fn() -> bool) -> Result<PurgeReport> {
    let mut report = PurgeReport::default();
    for shard in 0..PURGE_SHARDS {
        loop {
            if should_stop() {
                return Ok(report);
            }
            let due = app.store.due_accounts(shard, app.now(), PAGE).await?;
            for entry in &due {
                if should_stop() {
                    return Ok(report);
                }
                purge_one(app, entry, &mut report).await?;
            }
            if due.len() < PAGE as usize {
                break;
            }
        }
    }
    // Uploads reserved but never completed within 24 h: free the quota, drop the objects.
    let mut after = None;
    loop {
        if should_stop() {
            return Ok(report);
        }
        let page = crate::services::uploads::release_stale_pending(app, after.as_ref(), 100).await?;
        report.stale_uploads += page.released;
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    // Deleted uploads whose URLs are dead: delete what the URL may have written, free the quota.
    let mut after = None;
    loop {
        if should_stop() {
            return Ok(report);
        }
        let page = crate::services::uploads::release_due_holds(app, after.as_ref(), 100).await?;
        report.released_holds += page.released;
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    report.complete = true;
    Ok(report)
}

async fn purge_one(app: &App, due: &DueAccount, report: &mut PurgeReport) -> Result<()> {
    let now = app.now();
    if !due.cleaning
        && let Some(user) = app.store.get_user(&due.user_id).await?
    {
        let cutoff = now - i64::from(app.config.unverified_ttl_days) * 86_400;
        let reason = match due.kind {
            PurgeKind::Deletion => "deletion",
            PurgeKind::Unverified => "unverified",
        };
        let event = super::events::purged(&*app.clock, &user.id, reason);
        if !app.store.purge_identity(due, &user, now, cutoff, &event).await? {
            app.store.drop_queue_entry(due).await?;
            report.skipped += 1;
            return Ok(());
        }
    }
    // Past the point of no return (or resuming a run that got there): remove the leftovers.
    report.items += app.store.delete_user_items(&due.user_id).await?;
    for prefix in crate::objects::user_prefixes(due.user_id.as_str()) {
        report.objects += crate::objects::delete_prefix(&app.s3, &app.config.bucket_name, &prefix).await?;
    }
    app.store.finish_purge(due, now).await?;
    match due.kind {
        PurgeKind::Deletion => report.deleted += 1,
        PurgeKind::Unverified => report.unverified += 1,
    }
    Ok(())
}
