//! `accounts-admin import` and `export` (docs/migration.md): the file side of
//! `services::migration`. Progress goes to standard error; a failed line is printed with its
//! number, code and message (never its content: it may hold a hash).

use accounts_core::clock::SystemClock;
use accounts_core::services::admin::Actor;
use accounts_core::services::migration::{self, Importer, Outcome, Summary};
use accounts_core::store::Store;
use std::io::{BufRead as _, Write as _};
use std::time::Instant;

/// Lines handed to the importer at once (and how often progress is shown).
const CHUNK: usize = 500;

fn summary_text(s: &Summary, seconds: f64) -> String {
    let schemes: Vec<String> = s.schemes.iter().map(|(k, v)| format!("{k} {v}")).collect();
    let rate = if seconds > 0.0 { s.lines as f64 / seconds } else { 0.0 };
    let mut text = format!(
        "{} lines: {} created, {} unchanged, {} failed in {seconds:.1} s ({rate:.0} lines/s)",
        s.lines, s.created, s.unchanged, s.failed
    );
    if !schemes.is_empty() {
        text.push_str(&format!("; created by hash scheme: {}", schemes.join(", ")));
    }
    if s.invited > 0 {
        text.push_str(&format!("; {} invited to choose a password", s.invited));
    }
    text
}

pub async fn import(store: &Store, sdk: &aws_config::SdkConfig, file: &str, invite: bool) -> Result<String, String> {
    let reader = std::fs::File::open(file).map_err(|e| format!("cannot read {file}: {e}"))?;
    // The functions' App, only to mail invitations (it needs their settings).
    let app = if invite {
        let config = accounts_core::config::Config::from_env().map_err(|e| format!("--invite needs the functions' settings: {e}"))?;
        let app = accounts_core::App::new(config, sdk, std::sync::Arc::new(SystemClock)).await.map_err(|e| format!("{e:#}"))?;
        Some(app)
    } else {
        None
    };
    let actor = Actor::cli();
    let mut importer = Importer::new(store, &SystemClock, &actor);
    let started = Instant::now();
    let mut pending: Vec<(usize, String)> = Vec::with_capacity(CHUNK);
    let mut invited = 0;
    let mut lines = std::io::BufReader::new(reader).lines().enumerate().peekable();
    while lines.peek().is_some() {
        pending.clear();
        for (i, line) in lines.by_ref() {
            let line = line.map_err(|e| format!("{file}, line {}: {e}", i + 1))?;
            if !line.trim().is_empty() {
                pending.push((i + 1, line));
            }
            if pending.len() == CHUNK {
                break;
            }
        }
        let batch: Vec<(usize, &str)> = pending.iter().map(|(n, l)| (*n, l.trim())).collect();
        let results = importer.import(&batch).await;
        let mut stderr = std::io::stderr().lock();
        for r in &results {
            if let Outcome::Failed(e) = &r.outcome {
                let details: Vec<String> = e.details.iter().map(|d| format!("{}: {}", d.field, d.message)).collect();
                let details = if details.is_empty() { String::new() } else { format!(" ({})", details.join("; ")) };
                let _ = writeln!(stderr, "line {}: {}: {}{details}", r.line, e.code, e.message);
            }
        }
        if let Some(app) = &app {
            let ids: Vec<_> = results
                .iter()
                .filter_map(|r| match &r.outcome {
                    Outcome::Created { id, scheme: None } => Some(id),
                    _ => None,
                })
                .collect();
            invited += migration::invite_all(app, &actor, &ids).await;
        }
        let _ = writeln!(stderr, "import: {}", summary_text(importer.summary(), started.elapsed().as_secs_f64()));
    }
    let mut summary = importer.finish().await.map_err(|e| format!("the run's audit entry was not written: {e:#}"))?;
    summary.invited = invited;
    let text = summary_text(&summary, started.elapsed().as_secs_f64());
    if summary.failed > 0 {
        Err(format!("{text}\n(the failed lines are listed above; fix them and run the same file again)"))
    } else {
        Ok(text)
    }
}

pub async fn export(store: &Store, out: &str) -> Result<String, String> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        // Password hashes: readable by the operator only.
        options.mode(0o600);
    }
    let file = options.open(out).map_err(|e| format!("cannot create {out} (it must not exist yet): {e}"))?;
    let mut writer = std::io::BufWriter::new(file);
    let started = Instant::now();
    let mut shown = 0;
    let summary = migration::export(
        store,
        |line| writeln!(writer, "{line}"),
        |count| {
            if count >= shown + 1000 {
                shown = count;
                let _ = writeln!(std::io::stderr(), "export: {count} users");
            }
        },
    )
    .await
    .map_err(|e| format!("{e:#}"))?;
    writer.flush().map_err(|e| format!("writing {out}: {e}"))?;
    Ok(format!(
        "exported {} users to {out} in {:.1} s ({} without a password hash; {} left out: their deletion is scheduled)",
        summary.users,
        started.elapsed().as_secs_f64(),
        summary.without_password,
        summary.skipped_deleting
    ))
}

/// `check-times`: the time of one wrong-password check per scheme and cost in `file` (the
/// median of three), next to today's argon2id and an unknown account, on this machine.
pub async fn check_times(file: &str) -> Result<String, String> {
    use accounts_core::config::HashCost;
    use accounts_core::passwords::PasswordHasher;
    let text = std::fs::read_to_string(file).map_err(|e| format!("cannot read {file}: {e}"))?;
    let mut classes: std::collections::BTreeMap<String, String> = std::collections::BTreeMap::new();
    for (_, line) in migration::numbered_lines(&text) {
        let Ok(value) = serde_json::from_str::<serde_json::Value>(line) else { continue };
        let Some(hash) = value.get("passwordHash").and_then(|h| h.as_str()) else { continue };
        if let Ok(parsed) = accounts_core::legacy_hashes::parse(hash) {
            classes.entry(parsed.cost()).or_insert_with(|| hash.to_owned());
        }
    }
    let hasher = PasswordHasher::new(HashCost::OWASP);
    let own = hasher.hash("a-password-nobody-has-1").await.map_err(|e| format!("{e:#}"))?;
    let mut rows = vec![("no account (the dummy argon2id check)".to_owned(), None), ("argon2id, today's parameters".to_owned(), Some(own))];
    rows.extend(classes.into_iter().map(|(class, hash)| (class, Some(hash))));
    let mut out = String::from("one wrong-password check, median of 3, on this machine:");
    let mut slowest = std::time::Duration::ZERO;
    for (label, hash) in &rows {
        let mut times = Vec::new();
        for _ in 0..3 {
            let started = Instant::now();
            hasher.verify("not-the-password", hash.as_deref()).await.map_err(|e| format!("{e:#}"))?;
            times.push(started.elapsed());
        }
        times.sort();
        slowest = slowest.max(times[1]);
        out.push_str(&format!("\n  {:>7.1} ms  {label}", times[1].as_secs_f64() * 1000.0));
    }
    // A fifth more than the slowest, in tens of milliseconds: scheduling noise stays inside it.
    let floor = ((slowest.as_secs_f64() * 1200.0 / 10.0).ceil() * 10.0) as u64;
    out.push_str(&format!(
        "\nwith these hashes imported, set PASSWORD_CHECK_FLOOR_MS={floor} on the functions that check passwords \
         (auth, users, web): every check then takes {floor} ms, known account or not (docs/migration.md, \"Timing\")"
    ));
    Ok(out)
}
