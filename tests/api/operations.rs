//! template.yaml's operations (issue 20), read the way CloudFormation will: every function has
//! its error and throttle alarms, every HTTP function a 5xx-rate alarm over exactly its routes,
//! the table, the purge, SES's reputation and every dead-letter queue theirs, all notifying the
//! `AlarmTopicArn` parameter; mail goes through the configuration set whose bounces and
//! complaints reach the mail-events function, which may touch nothing but its items; the
//! gateway denies by default and each public route says so.

use serde_yaml::Value;
use std::collections::{BTreeMap, BTreeSet};

fn template() -> Value {
    serde_yaml::from_str(include_str!("../../template.yaml")).unwrap()
}

/// A scalar through its `!Ref`/`!Sub`/`!GetAtt` tag (`!Ref X` → `X`).
fn text(v: &Value) -> String {
    match v {
        Value::Tagged(t) => text(&t.value),
        Value::String(s) => s.clone(),
        Value::Sequence(items) => items.iter().map(text).collect::<Vec<_>>().join("."),
        other => serde_yaml::to_string(other).unwrap().trim().to_owned(),
    }
}

fn tag(v: &Value) -> Option<String> {
    match v {
        Value::Tagged(t) => Some(t.tag.to_string()),
        _ => None,
    }
}

fn resources(t: &Value) -> BTreeMap<String, Value> {
    t["Resources"].as_mapping().unwrap().iter().map(|(k, v)| (text(k), v.clone())).collect()
}

fn of_type(t: &Value, ty: &str) -> BTreeMap<String, Value> {
    resources(t).into_iter().filter(|(_, r)| r["Type"] == ty).collect()
}

/// `(name, value)` of a metric's dimensions.
fn dimensions(metric: &Value) -> BTreeMap<String, String> {
    metric["Dimensions"].as_sequence().into_iter().flatten().map(|d| (text(&d["Name"]), text(&d["Value"]))).collect()
}

/// Every alarm notifies the topic parameter when it fires and when it clears.
fn assert_notifies(id: &str, alarm: &Value) {
    for actions in ["AlarmActions", "OKActions"] {
        let a = serde_yaml::to_string(&alarm["Properties"][actions]).unwrap();
        assert!(a.contains("HasAlarmTopic") && a.contains("AlarmTopicArn"), "{id}.{actions} must notify AlarmTopicArn: {a}");
    }
}

/// The HTTP API route keys of a function's `HttpApi` events, as API Gateway names them.
fn route_keys(function: &Value) -> BTreeSet<String> {
    function["Properties"]["Events"]
        .as_mapping()
        .into_iter()
        .flatten()
        .filter(|(_, e)| e["Type"] == "HttpApi")
        .map(|(_, e)| {
            let (path, method) = (text(&e["Properties"]["Path"]), text(&e["Properties"]["Method"]));
            if path == "$default" { path } else { format!("{method} {path}") }
        })
        .collect()
}

#[test]
fn every_function_has_error_and_throttle_alarms_and_every_http_function_a_5xx_rate_alarm_on_its_routes() {
    let t = template();
    let functions = of_type(&t, "AWS::Serverless::Function");
    let alarms = of_type(&t, "AWS::CloudWatch::Alarm");
    assert!(functions.len() >= 10, "{:?}", functions.keys());
    for (id, alarm) in &alarms {
        assert_notifies(id, alarm);
    }
    for (fid, function) in &functions {
        for metric in ["Errors", "Throttles"] {
            let found = alarms.values().any(|a| {
                let p = &a["Properties"];
                p["Namespace"] == "AWS/Lambda"
                    && p["MetricName"] == metric
                    && dimensions(p).get("FunctionName") == Some(fid)
                    && p["Threshold"].as_f64() == Some(0.0)
                    && p["ComparisonOperator"] == "GreaterThanThreshold"
            });
            assert!(found, "{fid} has no Lambda {metric} alarm");
        }
        let routes = route_keys(function);
        if routes.is_empty() {
            continue;
        }
        // The alarm's metric math reads 5xx and Count of exactly this function's routes.
        let rate = alarms.iter().find(|(_, a)| {
            let metrics = a["Properties"]["Metrics"].as_sequence().cloned().unwrap_or_default();
            let of = |name: &str| -> BTreeSet<String> {
                metrics
                    .iter()
                    .filter(|m| {
                        m["MetricStat"]["Metric"]["MetricName"] == name && m["MetricStat"]["Metric"]["Namespace"] == "AWS/ApiGateway"
                    })
                    .filter(|m| dimensions(&m["MetricStat"]["Metric"]).get("ApiId").map(String::as_str) == Some("HttpApi"))
                    .filter_map(|m| dimensions(&m["MetricStat"]["Metric"]).get("Route").cloned())
                    .collect()
            };
            of("5xx") == routes && of("Count") == routes
        });
        let (aid, alarm) = rate.unwrap_or_else(|| panic!("{fid} has no 5xx-rate alarm over its routes {routes:?}"));
        let p = &alarm["Properties"];
        let expression = p["Metrics"].as_sequence().unwrap().iter().find_map(|m| m["Expression"].as_str()).unwrap();
        assert!(
            expression.contains("100 *") && expression.contains(">= 20"),
            "{aid}: a percentage with a minimum of requests: {expression}"
        );
        assert_eq!(p["Threshold"].as_f64(), Some(5.0), "{aid}");
    }
    // The per-route metrics those alarms read are switched on.
    assert_eq!(resources(&t)["HttpApi"]["Properties"]["DefaultRouteSettings"]["DetailedMetricsEnabled"], true);
}

#[test]
fn the_table_the_purge_ses_reputation_and_every_dead_letter_queue_are_alarmed() {
    let t = template();
    let alarms = of_type(&t, "AWS::CloudWatch::Alarm");
    let find = |pred: &dyn Fn(&Value) -> bool| {
        alarms.iter().find(|(_, a)| pred(&a["Properties"])).map(|(id, a)| (id.clone(), a["Properties"].clone()))
    };

    // DynamoDB: throttled reads and writes of the table.
    let (id, p) = find(&|p| {
        p["Metrics"].as_sequence().is_some_and(|ms| {
            let names: BTreeSet<String> = ms.iter().map(|m| text(&m["MetricStat"]["Metric"]["MetricName"])).collect();
            names.contains("ReadThrottleEvents") && names.contains("WriteThrottleEvents")
        })
    })
    .expect("a DynamoDB throttles alarm");
    for m in p["Metrics"].as_sequence().unwrap().iter().filter(|m| !m["MetricStat"].is_null()) {
        assert_eq!(dimensions(&m["MetricStat"]["Metric"]).get("TableName").map(String::as_str), Some("Table"), "{id}");
    }

    // The purge: no successful run in two hours (missing data is a breach: it did not run).
    let (id, p) = find(&|p| p["MetricName"] == "PurgeRuns").expect("a purge alarm");
    assert_eq!(text(&p["Namespace"]), "Accounts/${AWS::StackName}", "{id}: the functions' METRICS_NAMESPACE");
    assert_eq!(p["ComparisonOperator"], "LessThanThreshold");
    assert_eq!(p["TreatMissingData"], "breaching", "{id}");
    let window = p["Period"].as_i64().unwrap() * p["EvaluationPeriods"].as_i64().unwrap();
    assert_eq!(window, 7200, "{id}: two hours");
    assert_eq!(text(&t["Globals"]["Function"]["Environment"]["Variables"]["METRICS_NAMESPACE"]), "Accounts/${AWS::StackName}");

    // SES reputation of this stack's configuration set, at SES's review thresholds.
    for (metric, threshold) in [("Reputation.BounceRate", 0.05), ("Reputation.ComplaintRate", 0.001)] {
        let (id, p) = find(&|p| p["MetricName"] == metric).unwrap_or_else(|| panic!("a {metric} alarm"));
        assert_eq!(p["Namespace"], "AWS/SES");
        assert_eq!(dimensions(&p).get("ses:configuration-set").map(String::as_str), Some("MailConfigurationSet"), "{id}");
        assert_eq!(p["Threshold"].as_f64(), Some(threshold), "{id}");
    }

    // Every queue something dead-letters into has a depth alarm.
    let resources = resources(&t);
    let mut dead_letter_queues = BTreeSet::new();
    for r in resources.values() {
        let s = serde_yaml::to_string(r).unwrap();
        for q in resources.keys().filter(|k| k.ends_with("DeadLetterQueue")) {
            if s.contains(&format!("{q}.Arn")) || s.contains(&format!("- {q}\n  - Arn")) {
                dead_letter_queues.insert(q.clone());
            }
        }
    }
    assert_eq!(dead_letter_queues, BTreeSet::from(["EventsDeadLetterQueue".to_owned(), "MailEventsDeadLetterQueue".to_owned()]));
    for q in &dead_letter_queues {
        let found = find(&|p| {
            p["Namespace"] == "AWS/SQS"
                && p["MetricName"] == "ApproximateNumberOfMessagesVisible"
                && dimensions(p).get("QueueName").is_some_and(|v| v == &format!("{q}.QueueName"))
        });
        assert!(found.is_some(), "{q} has no depth alarm");
    }

    // One dashboard showing the metrics the functions write.
    let dashboards = of_type(&t, "AWS::CloudWatch::Dashboard");
    assert_eq!(dashboards.len(), 1);
    let body = text(&dashboards.values().next().unwrap()["Properties"]["DashboardBody"]);
    for metric in ["SignUps", "SignIns", "SignInFailures", "Lockouts", "MailSent", "MailSuppressed", "PurgeRuns", "5xx", "Throttles"] {
        assert!(body.contains(&format!("\"{metric}\"")), "the dashboard does not show {metric}");
    }
    // Parameters of the signals.
    assert!(!t["Parameters"]["AlarmTopicArn"].is_null());
    assert_eq!(t["Parameters"]["Tracing"]["AllowedValues"], serde_yaml::from_str::<Value>("[Active, Disabled]").unwrap());
    assert_eq!(text(&t["Globals"]["Function"]["Tracing"]), "Tracing");
    assert_eq!(t["Globals"]["Function"]["LoggingConfig"]["LogFormat"], "JSON");
}

#[test]
fn bounces_and_complaints_reach_the_mail_events_function_through_the_configuration_set() {
    let t = template();
    let r = resources(&t);
    // Every mail names the configuration set; both identities use it; the domain signs with DKIM.
    assert_eq!(text(&t["Globals"]["Function"]["Environment"]["Variables"]["MAIL_CONFIGURATION_SET"]), "MailConfigurationSet");
    for identity in ["MailFromIdentity", "MailDomain"] {
        assert_eq!(text(&r[identity]["Properties"]["ConfigurationSetAttributes"]["ConfigurationSetName"]), "MailConfigurationSet");
    }
    assert_eq!(r["MailDomain"]["Properties"]["DkimSigningAttributes"]["NextSigningKeyLength"], "RSA_2048_BIT");
    let set = &r["MailConfigurationSet"]["Properties"];
    assert_eq!(set["ReputationOptions"]["ReputationMetricsEnabled"], true, "the reputation alarms need it");
    assert_eq!(set["SuppressionOptions"]["SuppressedReasons"], Value::Sequence(vec![]), "our list is the one an admin can clear");

    let destinations = of_type(&t, "AWS::SES::ConfigurationSetEventDestination");
    let feedback =
        destinations.values().find(|d| !d["Properties"]["EventDestination"]["SnsDestination"].is_null()).expect("an SNS destination");
    let events: BTreeSet<String> =
        feedback["Properties"]["EventDestination"]["MatchingEventTypes"].as_sequence().unwrap().iter().map(text).collect();
    assert_eq!(events, BTreeSet::from(["bounce".to_owned(), "complaint".to_owned()]));
    assert_eq!(text(&feedback["Properties"]["ConfigurationSetName"]), "MailConfigurationSet");
    let topic = text(&feedback["Properties"]["EventDestination"]["SnsDestination"]["TopicARN"]);
    assert_eq!(topic, "MailEventsTopic");
    // SES may publish to the topic (this account only), and the function is its subscriber.
    let policy = serde_yaml::to_string(&r["MailEventsTopicPolicy"]).unwrap();
    assert!(policy.contains("ses.amazonaws.com") && policy.contains("sns:Publish") && policy.contains("aws:SourceAccount"), "{policy}");
    let function = &r["MailEventsFunction"];
    let subscribed = function["Properties"]["Events"]
        .as_mapping()
        .unwrap()
        .values()
        .any(|e| e["Type"] == "SNS" && text(&e["Properties"]["Topic"]) == topic);
    assert!(subscribed, "MailEventsFunction is not subscribed to {topic}");
    assert_eq!(text(&function["Properties"]["DeadLetterQueue"]["TargetArn"]), "MailEventsDeadLetterQueue.Arn");
    // Per-kind send metrics from the `kind` message tag.
    let metrics = destinations
        .values()
        .find(|d| !d["Properties"]["EventDestination"]["CloudWatchDestination"].is_null())
        .expect("a CloudWatch destination");
    let dims = &metrics["Properties"]["EventDestination"]["CloudWatchDestination"]["DimensionConfigurations"][0];
    assert_eq!((dims["DimensionName"].as_str(), dims["DimensionValueSource"].as_str()), (Some("kind"), Some("messageTag")));
}

#[test]
fn the_mail_events_function_may_touch_only_the_table_items_it_writes() {
    let t = template();
    let function = &resources(&t)["MailEventsFunction"];
    let props = &function["Properties"];
    assert!(props["Environment"].is_null(), "it is given no secret nor setting of its own: {:?}", props["Environment"]);
    let mut grants = BTreeMap::new();
    for policy in props["Policies"].as_sequence().unwrap() {
        for statement in policy["Statement"].as_sequence().unwrap() {
            assert_eq!(statement["Effect"], "Allow");
            let actions: BTreeSet<String> = match &statement["Action"] {
                Value::Sequence(a) => a.iter().map(text).collect(),
                one => BTreeSet::from([text(one)]),
            };
            grants.insert(text(&statement["Resource"]), actions);
        }
    }
    let table = grants.remove("Table.Arn").expect("a grant on the table (not its indexes)");
    assert_eq!(
        table,
        BTreeSet::from(["dynamodb:GetItem", "dynamodb:UpdateItem"].map(str::to_owned)),
        "the suppression item (an upsert), the email marker (read) and the user's flag (a conditional update)"
    );
    let issuer = grants.remove("arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/${AWS::StackName}/accounts/issuer");
    assert_eq!(issuer, Some(BTreeSet::from(["ssm:GetParameters".to_owned()])), "the cold start's issuer read");
    assert!(grants.is_empty(), "nothing else: {grants:?}");
}

#[test]
fn the_gateway_denies_by_default_and_every_public_route_says_so() {
    let t = template();
    let api = &resources(&t)["HttpApi"]["Properties"];
    assert_eq!(api["Auth"]["DefaultAuthorizer"], "AWS_IAM");
    assert_eq!(api["Auth"]["EnableIamAuthorizer"], true);
    let mut routes = 0;
    for (fid, function) in of_type(&t, "AWS::Serverless::Function") {
        for (name, event) in function["Properties"]["Events"].as_mapping().into_iter().flatten() {
            if event["Type"] == "HttpApi" {
                routes += 1;
                assert_eq!(event["Properties"]["Auth"]["Authorizer"], "NONE", "{fid}.{}: public at the gateway, on purpose", text(name));
            }
        }
    }
    assert!(routes >= 13);
}

#[test]
fn the_table_is_protected_the_bucket_takes_browser_uploads_and_the_issuer_follows_the_domain() {
    let t = template();
    let r = resources(&t);
    assert_eq!(r["Table"]["Properties"]["DeletionProtectionEnabled"], true);
    let cors = serde_yaml::to_string(&r["Bucket"]["Properties"]["CorsConfiguration"]).unwrap();
    for needed in ["HasCorsOrigins", "PUT", "CorsAllowedOrigins", "content-type", "ETag"] {
        assert!(cors.contains(needed), "bucket CORS lacks {needed}: {cors}");
    }
    assert_eq!(tag(&r["Bucket"]["Properties"]["CorsConfiguration"]).as_deref(), Some("!If"));
    // With a domain the issuer is derived from it, and JwtIssuer must stay empty.
    let rule = serde_yaml::to_string(&t["Rules"]["IssuerFollowsCustomDomain"]).unwrap();
    assert!(rule.contains("DomainName") && rule.contains("JwtIssuer"), "{rule}");
    let issuer = serde_yaml::to_string(&r["IssuerParameter"]["Properties"]["Value"]).unwrap();
    assert!(issuer.contains("https://${DomainName}"), "{issuer}");
    assert!(serde_yaml::to_string(&r["HttpApi"]["Properties"]["DisableExecuteApiEndpoint"]).unwrap().contains("HasCustomDomain"));
}
