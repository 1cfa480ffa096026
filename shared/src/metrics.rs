//! Business metrics as CloudWatch *embedded metric format* (EMF) log lines: one JSON object a
//! line on standard output, which CloudWatch Logs turns into metrics as it ingests the log.
//! No API call and no client: a metric costs a `write` to stdout (docs/operations.md "Signals").
//!
//! The names are the contract of the dashboard and the alarms in template.yaml: `SignUps`,
//! `SignIns`, `SignInFailures`, `Lockouts`, `MailSent`, `MailSuppressed`, `MailLimited`,
//! `MailFailed` (the mail ones also per `kind`), `PurgeRuns`. A line carries counts, the kind of
//! mail and nothing else: never an address, an id or a token (tests/api/observability.rs).
//! Written by hand with `serde_json` (the format is one small JSON object, documented by AWS);
//! tests read the lines from memory instead of stdout.

use serde_json::{Value, json};
use std::io::Write as _;
use std::sync::{Arc, Mutex};

/// Where metric lines go.
#[derive(Clone)]
enum Sink {
    Stdout,
    Memory(Arc<Mutex<Vec<String>>>),
}

/// The metrics of one function instance.
#[derive(Clone)]
pub struct Metrics {
    namespace: String,
    sink: Sink,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").field("namespace", &self.namespace).finish_non_exhaustive()
    }
}

/// A metric a function counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    /// An account was created by sign-up.
    SignUps,
    /// A session was opened (password, second factor, or another first factor).
    SignIns,
    /// A wrong password or second factor (unknown names included: they look the same).
    SignInFailures,
    /// A sign-in refused because the account is locked out after failures.
    Lockouts,
    /// The purge finished a run without failing (partial runs count: they resume next hour).
    PurgeRuns,
}

impl Metric {
    pub fn name(self) -> &'static str {
        match self {
            Self::SignUps => "SignUps",
            Self::SignIns => "SignIns",
            Self::SignInFailures => "SignInFailures",
            Self::Lockouts => "Lockouts",
            Self::PurgeRuns => "PurgeRuns",
        }
    }
}

/// What became of a mail (counted per kind).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailOutcome {
    Sent,
    /// Not sent: the address is on the suppression list.
    Suppressed,
    /// Not sent: the recipient's per-window limit.
    Limited,
    /// SES refused it or could not be reached.
    Failed,
}

impl MailOutcome {
    pub fn name(self) -> &'static str {
        match self {
            Self::Sent => "MailSent",
            Self::Suppressed => "MailSuppressed",
            Self::Limited => "MailLimited",
            Self::Failed => "MailFailed",
        }
    }
}

impl Metrics {
    /// Lines on standard output (what Lambda sends to CloudWatch Logs).
    pub fn stdout(namespace: &str) -> Self {
        Self { namespace: namespace.to_owned(), sink: Sink::Stdout }
    }

    /// Lines kept in memory, for tests: [`Metrics::lines`] returns them.
    pub fn in_memory(namespace: &str) -> Self {
        Self { namespace: namespace.to_owned(), sink: Sink::Memory(Arc::default()) }
    }

    /// The lines written so far (in-memory metrics only; empty for stdout).
    pub fn lines(&self) -> Vec<String> {
        match &self.sink {
            Sink::Memory(lines) => lines.lock().map(|l| l.clone()).unwrap_or_default(),
            Sink::Stdout => Vec::new(),
        }
    }

    /// Counts one `metric` at `at_ms` (unix milliseconds), with no dimension.
    pub fn count(&self, metric: Metric, at_ms: i64) {
        self.write(&line(&self.namespace, metric.name(), at_ms, None));
    }

    /// Counts one mail of `kind` (the mail's tag) with its outcome: the total and per kind.
    pub fn mail(&self, outcome: MailOutcome, kind: &str, at_ms: i64) {
        self.write(&line(&self.namespace, outcome.name(), at_ms, Some(("kind", kind))));
    }

    fn write(&self, line: &str) {
        match &self.sink {
            Sink::Stdout => {
                // One write of the whole line, so lines of concurrent requests never interleave.
                let mut out = std::io::stdout().lock();
                let _ = out.write_all(format!("{line}\n").as_bytes());
                let _ = out.flush();
            }
            Sink::Memory(lines) => {
                if let Ok(mut l) = lines.lock() {
                    l.push(line.to_owned());
                }
            }
        }
    }
}

/// One EMF object: `{"_aws": {Timestamp, CloudWatchMetrics: [{Namespace, Dimensions,
/// Metrics}]}, <dimension>: <value>, <metric>: 1}`. Without a dimension the metric has the
/// empty dimension set (one series); with one, also the series per value.
fn line(namespace: &str, metric: &str, at_ms: i64, dimension: Option<(&str, &str)>) -> String {
    let dimensions: Vec<Vec<&str>> = match dimension {
        None => vec![vec![]],
        Some((name, _)) => vec![vec![], vec![name]],
    };
    let mut doc = json!({
        "_aws": {
            "Timestamp": at_ms,
            "CloudWatchMetrics": [{
                "Namespace": namespace,
                "Dimensions": dimensions,
                "Metrics": [{"Name": metric, "Unit": "Count"}],
            }],
        },
        metric: 1,
    });
    if let (Some((name, value)), Value::Object(map)) = (dimension, &mut doc) {
        map.insert(name.to_owned(), Value::String(value.to_owned()));
    }
    doc.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_count_is_one_emf_object_with_the_metric_in_the_namespace() {
        let m = Metrics::in_memory("Accounts/test");
        m.count(Metric::SignIns, 1_700_000_000_000);
        let lines = m.lines();
        assert_eq!(lines.len(), 1);
        let v: Value = serde_json::from_str(&lines[0]).unwrap();
        assert_eq!(v["SignIns"], 1);
        assert_eq!(v["_aws"]["Timestamp"], 1_700_000_000_000_i64);
        let directive = &v["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(directive["Namespace"], "Accounts/test");
        assert_eq!(directive["Dimensions"], json!([[]]));
        assert_eq!(directive["Metrics"], json!([{"Name": "SignIns", "Unit": "Count"}]));
    }

    #[test]
    fn a_mail_counts_in_total_and_per_kind() {
        let m = Metrics::in_memory("Accounts");
        m.mail(MailOutcome::Suppressed, "password-reset", 5);
        let v: Value = serde_json::from_str(&m.lines()[0]).unwrap();
        assert_eq!(v["MailSuppressed"], 1);
        assert_eq!(v["kind"], "password-reset");
        assert_eq!(v["_aws"]["CloudWatchMetrics"][0]["Dimensions"], json!([[], ["kind"]]));
    }
}
