//! `accounts-admin`: operator commands run from a terminal, with the same store and service
//! code as the functions:
//!
//! ```text
//! ACCOUNTS_ADMIN_PASSWORD=… accounts-admin create-admin --username NAME --email ADDRESS
//! accounts-admin rotate-signing-key [--stack NAME]
//! accounts-admin import --file users.jsonl [--invite]
//! accounts-admin export --out users.jsonl
//! accounts-admin check-times --file users.jsonl
//! ```
//!
//! `import` reads one JSON object per line (docs/migration.md) and imports the users with their
//! password hashes (`services::migration`): each line's result is printed when it failed, the
//! progress every 500 lines, the counts at the end; the run writes one admin audit entry (actor
//! `cli`). Running the same file again changes nothing. `--invite` mails the accounts created
//! without a hash a link to choose a password; it needs the functions' settings (`MAIL_FROM`,
//! `CODE_PEPPER`, `JWT_ISSUER`, … as for the `admin` function). `export` writes every account in
//! the same format, password hashes included, to a new file only its owner can read: it needs
//! IAM credentials for the table, and no HTTP route does the same. `check-times` times one
//! wrong-password check per hash scheme and cost in a file, next to today's argon2id and an
//! unknown account, and says which `PASSWORD_CHECK_FLOOR_MS` hides them (docs/migration.md,
//! "Timing"); run it where the functions run, or on a machine as fast.
//!
//! `rotate-signing-key` is one rotation step of the access-token signing keys
//! (`services::signing::rotate`): a new KMS key, tagged `accounts:signing=<stack>` (the tag the
//! issuing function's IAM policy requires; the stack name defaults to `accounts`), is published
//! at once and signs from 2 h 10 min later; keys whose tokens have all expired leave the ring and
//! their KMS keys are scheduled for deletion. It prints the ring with each key's role.
//!
//! creates an activated `admin` account through register's transaction (uniqueness markers,
//! activity entry, admin count, audit entry with actor `cli`). An existing username or email
//! is an error and changes nothing. The password comes from `ACCOUNTS_ADMIN_PASSWORD`, or is
//! read from standard input, never from the command line (it would show in `ps` and history).
//!
//! Settings: `TABLE_NAME` (required); AWS region and credentials the usual way
//! (`AWS_REGION`, `AWS_PROFILE`, …); `AWS_ENDPOINT_URL` only for a local emulator.
//! `make create-admin` sets them for the `make dev` stack.

use accounts_core::clock::{Clock as _, SystemClock, rfc3339};
use accounts_core::config::HashCost;
use accounts_core::domain::{PasswordPolicy, RotationRefused};
use accounts_core::kms::Kms;
use accounts_core::passwords::PasswordHasher;
use accounts_core::services::admin::{self, Actor, NewAccount};
use accounts_core::services::signing::{self, Rotation};
use accounts_core::store::Store;
use accounts_core::{Error, app};
use std::io::{BufRead as _, Write as _};

mod migration;
use std::process::ExitCode;

const USAGE: &str = "usage: ACCOUNTS_ADMIN_PASSWORD=… accounts-admin create-admin --username NAME --email ADDRESS\n\
                     \x20      accounts-admin rotate-signing-key [--stack NAME]\n\
                     \x20      accounts-admin import --file users.jsonl [--invite]\n\
                     \x20      accounts-admin export --out users.jsonl\n\
                     \x20      accounts-admin check-times --file users.jsonl\n\
                     (without ACCOUNTS_ADMIN_PASSWORD the password is read from standard input)\n\
                     settings: TABLE_NAME (required), AWS_REGION / credentials, AWS_ENDPOINT_URL (local emulator only)";

enum Args {
    CreateAdmin { username: String, email: String },
    RotateSigningKey { stack: String },
    Import { file: String, invite: bool },
    Export { out: String },
    CheckTimes { file: String },
}

fn parse_args(args: &[String]) -> Result<Args, String> {
    let mut it = args.iter();
    let command = match it.next().map(String::as_str) {
        Some(c @ ("create-admin" | "rotate-signing-key" | "import" | "export" | "check-times")) => c,
        Some("-h" | "--help") | None => return Err(USAGE.into()),
        Some(other) => return Err(format!("unknown command {other:?}\n{USAGE}")),
    };
    let (mut username, mut email, mut stack, mut path, mut invite) = (None, None, None, None, false);
    while let Some(flag) = it.next() {
        if (command, flag.as_str()) == ("import", "--invite") {
            invite = true;
            continue;
        }
        let value = it.next().cloned();
        match (command, flag.as_str()) {
            ("import" | "check-times", "--file") | ("export", "--out") => path = value.filter(|p| !p.trim().is_empty()),
            ("create-admin", "--username") => username = value,
            ("create-admin", "--email") => email = value,
            ("rotate-signing-key", "--stack") => stack = value,
            (_, other) => return Err(format!("unknown option {other:?}\n{USAGE}")),
        }
    }
    match (command, username, email) {
        ("import", ..) => path.map(|file| Args::Import { file, invite }).ok_or_else(|| format!("--file is required\n{USAGE}")),
        ("export", ..) => path.map(|out| Args::Export { out }).ok_or_else(|| format!("--out is required\n{USAGE}")),
        ("check-times", ..) => path.map(|file| Args::CheckTimes { file }).ok_or_else(|| format!("--file is required\n{USAGE}")),
        ("rotate-signing-key", ..) => match stack {
            Some(s) if s.trim().is_empty() => Err(format!("--stack needs a name\n{USAGE}")),
            s => Ok(Args::RotateSigningKey { stack: s.unwrap_or_else(|| "accounts".into()) }),
        },
        (_, Some(username), Some(email)) => Ok(Args::CreateAdmin { username, email }),
        _ => Err(format!("--username and --email are required\n{USAGE}")),
    }
}

fn password() -> Result<String, String> {
    if let Ok(p) = std::env::var("ACCOUNTS_ADMIN_PASSWORD")
        && !p.is_empty()
    {
        return Ok(p);
    }
    eprint!("password for the new admin: ");
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).map_err(|e| format!("reading the password: {e}"))?;
    let line = line.trim_end_matches(['\r', '\n']).to_owned();
    if line.is_empty() { Err("no password given (ACCOUNTS_ADMIN_PASSWORD or standard input)".into()) } else { Ok(line) }
}

/// What went wrong, in words an operator can act on.
fn explain(e: &Error) -> String {
    match e {
        Error::UsernameTaken => "that username is already taken; nothing was changed".into(),
        Error::EmailTaken => "that email is already registered; nothing was changed".into(),
        Error::Validation(fields) | Error::WeakPassword(fields) => {
            fields.iter().map(|f| format!("{}: {}", f.field, f.message)).collect::<Vec<_>>().join("\n")
        }
        Error::DependencyUnavailable(cause) | Error::Internal(cause) => {
            format!("{cause:#}\n(is the table reachable? check TABLE_NAME, AWS_REGION and credentials; locally, is `make dev` running?)")
        }
        other => other.to_string(),
    }
}

async fn run(args: Args) -> Result<String, String> {
    if let Args::CheckTimes { file } = &args {
        // Local work only: no table, no credentials.
        return migration::check_times(file).await;
    }
    let table = std::env::var("TABLE_NAME").ok().filter(|t| !t.trim().is_empty()).ok_or("TABLE_NAME is required")?;
    // The functions' retries, but an operator's time budget: the functions' 2 s per attempt is
    // sized to answer within Lambda's 10 s, while a bulk import or export only needs each call to
    // finish (a page of the export index took longer than 2 s on the emulator at 10 000 users).
    let mut loader = app::sdk_settings_within(
        aws_config::defaults(aws_config::BehaviorVersion::latest()),
        std::time::Duration::from_secs(30),
        std::time::Duration::from_secs(120),
    );
    if let Ok(url) = std::env::var("AWS_ENDPOINT_URL")
        && !url.is_empty()
    {
        loader = loader.endpoint_url(url);
    }
    let sdk = loader.load().await;
    let store = Store::new(aws_sdk_dynamodb::Client::new(&sdk), table);
    let (username, email) = match args {
        Args::CreateAdmin { username, email } => (username, email),
        Args::RotateSigningKey { stack } => return rotate_signing_key(&store, &Kms::new(aws_sdk_kms::Client::new(&sdk)), &stack).await,
        Args::Import { file, invite } => return migration::import(&store, &sdk, &file, invite).await,
        Args::Export { out } => return migration::export(&store, &out).await,
        Args::CheckTimes { .. } => return Err("check-times runs without a table".into()),
    };
    let password = password()?;
    let hasher = PasswordHasher::new(HashCost::OWASP);
    let input = NewAccount { username, email, password, role: "admin".into(), email_verified: true };
    // The deployment's password policy (the same settings the functions read).
    let min_length = match std::env::var("PASSWORD_MIN_LENGTH").ok().filter(|v| !v.trim().is_empty()) {
        Some(v) => Some(v.trim().parse::<usize>().map_err(|_| "PASSWORD_MIN_LENGTH must be a whole number (8-64)")?),
        None => None,
    };
    let policy_name = std::env::var("PASSWORD_POLICY").ok().filter(|v| !v.trim().is_empty()).unwrap_or_else(|| "classic".into());
    let policy = PasswordPolicy::parse(policy_name.trim(), min_length)?;
    let created =
        admin::create_account(&store, &hasher, &SystemClock, None, policy, &Actor::cli(), input).await.map_err(|e| explain(&e))?;
    let admins = store.admin_count().await.map_err(|e| explain(&e))?;
    Ok(format!("created admin {} ({}); admins in good standing: {admins}", created.user.username, created.user.id))
}

async fn rotate_signing_key(store: &Store, kms: &Kms, stack: &str) -> Result<String, String> {
    let now = SystemClock.now_unix();
    let outcome = signing::rotate(store, kms, stack, now).await.map_err(|e| match e {
        Error::Conflict => "another rotation step ran at the same time; nothing was changed by this one (run it again)".into(),
        e => explain(&e),
    })?;
    let mut out = match &outcome {
        Rotation::Started(key) => format!("the key ring was empty: key {} signs from now", key.kid),
        Rotation::Rotated { next, removed } => {
            let mut s = format!("published key {} (next); it signs from {}", next.kid, rfc3339(next.signs_from));
            for old in removed {
                s.push_str(&format!("\nretired key {} (its KMS key is scheduled for deletion in 7 days)", old.kid));
            }
            s
        }
        Rotation::Refused(RotationRefused::AlreadyUnderWay { kid, signs_from }) => {
            format!("nothing to do yet: key {kid} is published and signs from {}; run this again after that", rfc3339(*signs_from))
        }
    };
    let ring = store.get_key_ring().await.map_err(|e| explain(&e))?;
    out.push_str("\nkeys now:");
    for (key, role) in ring.roles(now) {
        out.push_str(&format!("\n  {:<8} {}  signs from {}  ({})", role.as_str(), key.kid, rfc3339(key.signs_from), key.key_ref));
    }
    Ok(out)
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args = match parse_args(&args) {
        Ok(a) => a,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    match run(args).await {
        Ok(message) => {
            let _ = writeln!(std::io::stdout(), "{message}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("accounts-admin failed: {message}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn create_admin_needs_a_username_and_an_email() {
        let Args::CreateAdmin { username, email } =
            parse_args(&args(&["create-admin", "--username", "root", "--email", "root@example.com"])).unwrap()
        else {
            panic!("not create-admin")
        };
        assert_eq!((username.as_str(), email.as_str()), ("root", "root@example.com"));
        assert!(parse_args(&args(&["create-admin", "--username", "root"])).is_err());
        assert!(parse_args(&args(&["create-admin", "--password", "x"])).is_err(), "no password flag: it would leak");
        assert!(parse_args(&args(&["drop-table"])).is_err());
        assert!(parse_args(&args(&[])).is_err());
    }

    #[test]
    fn import_needs_a_file_and_export_an_output() {
        assert!(
            matches!(parse_args(&args(&["import", "--file", "u.jsonl"])), Ok(Args::Import { file, invite: false }) if file == "u.jsonl")
        );
        assert!(matches!(parse_args(&args(&["import", "--invite", "--file", "u.jsonl"])), Ok(Args::Import { invite: true, .. })));
        assert!(matches!(parse_args(&args(&["export", "--out", "o.jsonl"])), Ok(Args::Export { out }) if out == "o.jsonl"));
        assert!(parse_args(&args(&["import"])).is_err());
        assert!(parse_args(&args(&["import", "--file", ""])).is_err());
        assert!(parse_args(&args(&["export"])).is_err());
        assert!(parse_args(&args(&["export", "--file", "x"])).is_err());
        assert!(parse_args(&args(&["import", "--out", "x"])).is_err());
    }

    #[test]
    fn rotate_signing_key_takes_an_optional_stack_name() {
        assert!(matches!(parse_args(&args(&["rotate-signing-key"])), Ok(Args::RotateSigningKey { stack }) if stack == "accounts"));
        assert!(
            matches!(parse_args(&args(&["rotate-signing-key", "--stack", "prod"])), Ok(Args::RotateSigningKey { stack }) if stack == "prod")
        );
        assert!(parse_args(&args(&["rotate-signing-key", "--stack", ""])).is_err());
        assert!(parse_args(&args(&["rotate-signing-key", "--username", "x"])).is_err());
    }
}
