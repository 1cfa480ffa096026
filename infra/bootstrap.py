#!/usr/bin/env python3
"""Create the local AWS resources the functions need, in the emulator at AWS_ENDPOINT_URL.

- the DynamoDB table, from the Properties of template.yaml's `Table` resource (the single
  source of truth; TableName is replaced by $TABLE_NAME), then its TTL and point-in-time
  recovery settings;
- the S3 bucket $BUCKET_NAME (private, SSE-S3);
- the SES identity $MAIL_FROM (SES refuses to send from an unverified address);
- the KMS signing key under alias/accounts-signing (what SIGNING_KEY names locally).
- the lifecycle events' bus $EVENT_BUS_NAME, a rule for source $EVENT_SOURCE to the queue
  `<bus>-events` (what `make events` prints) and the relay's dead-letter queue `<bus>-dlq`.

Settings come from the environment, else from the local values in Cargo.toml
(`[workspace.metadata.lambda.env]`, see infra/local_env.py); MOTO_PORT moves the endpoint.
Idempotent: anything that already exists is left as it is. Run with the project venv's
python (infra/tools.sh installs boto3 and cfn-lint there).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError
from cfnlint.decode import decode

sys.path.insert(0, str(Path(__file__).resolve().parent))
from local_env import settings  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"
TABLE_LOGICAL_ID = "Table"


def log(msg: str) -> None:
    print(f"bootstrap: {msg}", flush=True)


def env(values: dict[str, str], name: str) -> str:
    value = values.get(name)
    if not value:
        sys.exit(f"bootstrap: setting {name} is missing (environment or Cargo.toml metadata)")
    return value


def load_template(template: Path = TEMPLATE) -> dict:
    """template.yaml as cfn-lint reads it: short-form tags (`!Ref x`, `!GetAtt a.b`, `!Sub ..`)
    become their long form ({"Ref": "x"}, {"Fn::GetAtt": ["a", "b"]}, ...), so the document
    parses as plain data and means what `make test`'s cfn-lint step checked."""
    doc, problems = decode(str(template))
    if problems or not isinstance(doc, dict):
        sys.exit(f"bootstrap: cannot read {template}: " + "; ".join(str(p) for p in problems))
    return doc


def table_properties(template: Path = TEMPLATE) -> dict:
    doc = load_template(template)
    try:
        resource = doc["Resources"][TABLE_LOGICAL_ID]
    except (KeyError, TypeError):
        sys.exit(f"bootstrap: {template} has no Resources.{TABLE_LOGICAL_ID}")
    if resource.get("Type") != "AWS::DynamoDB::Table":
        sys.exit(f"bootstrap: Resources.{TABLE_LOGICAL_ID} is not an AWS::DynamoDB::Table")
    return dict(resource["Properties"])


def create_table_request(props: dict, table_name: str) -> dict:
    """Map CloudFormation AWS::DynamoDB::Table Properties to a CreateTable request."""
    req: dict = {
        "TableName": table_name,
        "AttributeDefinitions": props["AttributeDefinitions"],
        "KeySchema": props["KeySchema"],
        "BillingMode": props.get("BillingMode", "PROVISIONED"),
    }
    if "GlobalSecondaryIndexes" in props:
        req["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
    if "LocalSecondaryIndexes" in props:
        req["LocalSecondaryIndexes"] = props["LocalSecondaryIndexes"]
    if "ProvisionedThroughput" in props:
        req["ProvisionedThroughput"] = props["ProvisionedThroughput"]
    sse = props.get("SSESpecification")
    if sse and sse.get("SSEEnabled"):
        req["SSESpecification"] = {"Enabled": True}
    stream = props.get("StreamSpecification")
    if stream:
        req["StreamSpecification"] = {"StreamEnabled": True, **stream}
    return req


def ensure_table(ddb, props: dict, table_name: str) -> None:
    try:
        ddb.create_table(**create_table_request(props, table_name))
        ddb.get_waiter("table_exists").wait(TableName=table_name, WaiterConfig={"Delay": 1})
        log(f"table {table_name} created")
    except ClientError as e:
        if e.response["Error"]["Code"] != "ResourceInUseException":
            raise
        log(f"table {table_name} exists")

    ttl = props.get("TimeToLiveSpecification")
    if ttl and ttl.get("Enabled"):
        current = ddb.describe_time_to_live(TableName=table_name)["TimeToLiveDescription"]
        if current.get("TimeToLiveStatus") in ("ENABLED", "ENABLING"):
            log(f"ttl on {current.get('AttributeName')} already enabled")
        else:
            ddb.update_time_to_live(
                TableName=table_name,
                TimeToLiveSpecification={"AttributeName": ttl["AttributeName"], "Enabled": True},
            )
            log(f"ttl on {ttl['AttributeName']} enabled")

    pitr = props.get("PointInTimeRecoverySpecification")
    if pitr and pitr.get("PointInTimeRecoveryEnabled"):
        try:
            ddb.update_continuous_backups(
                TableName=table_name,
                PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
            )
        except ClientError as e:  # not essential locally
            log(f"point-in-time recovery not set ({e.response['Error']['Code']})")


def ensure_bucket(s3, bucket: str, region: str) -> None:
    try:
        s3.head_bucket(Bucket=bucket)
        log(f"bucket {bucket} exists")
    except ClientError:
        kwargs: dict = {"Bucket": bucket}
        if region != "us-east-1":
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
        s3.create_bucket(**kwargs)
        log(f"bucket {bucket} created")
    s3.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    s3.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        },
    )


def ensure_identity(ses, address: str) -> None:
    if address in ses.list_identities(IdentityType="EmailAddress")["Identities"]:
        log(f"ses identity {address} already verified")
        return
    ses.verify_email_identity(EmailAddress=address)
    log(f"ses identity {address} verified")


SIGNING_ALIAS = "alias/accounts-signing"


def ensure_signing_key(kms) -> None:
    """The local stand-in for template.yaml's SigningKey: an RSA-2048 KMS key under the alias
    that SIGNING_KEY names. The auth function starts the key ring with it on first use."""
    aliases = kms.list_aliases()["Aliases"]
    if any(a["AliasName"] == SIGNING_ALIAS and a.get("TargetKeyId") for a in aliases):
        log(f"kms key {SIGNING_ALIAS} already exists")
        return
    key = kms.create_key(
        KeySpec="RSA_2048",
        KeyUsage="SIGN_VERIFY",
        Description="Accounts access-token signing key (local)",
        Tags=[{"TagKey": "accounts:signing", "TagValue": "local"}],
    )["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName=SIGNING_ALIAS, TargetKeyId=key)
    log(f"kms key {SIGNING_ALIAS} created")


def events_queue_name(bus: str) -> str:
    return f"{bus}-events"


def events_dlq_name(bus: str) -> str:
    return f"{bus}-dlq"


def ensure_events(events, sqs, bus: str, source: str) -> None:
    """The bus, a queue subscribed to every event of `source`, and the relay's DLQ (idempotent)."""
    try:
        events.create_event_bus(Name=bus)
        log(f"event bus {bus} created")
    except ClientError as e:
        if e.response["Error"]["Code"] != "ResourceAlreadyExistsException":
            raise
        log(f"event bus {bus} exists")
    url = sqs.create_queue(QueueName=events_queue_name(bus))["QueueUrl"]
    sqs.create_queue(QueueName=events_dlq_name(bus))
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    rule = f"{bus}-all"
    events.put_rule(Name=rule, EventBusName=bus, EventPattern=json.dumps({"source": [source]}))
    events.put_targets(Rule=rule, EventBusName=bus, Targets=[{"Id": "events-queue", "Arn": arn}])
    log(f"rule {rule}: source {source} -> queue {events_queue_name(bus)}")


def main() -> None:
    values = settings()
    endpoint = env(values, "AWS_ENDPOINT_URL")
    region = values.get("AWS_REGION") or "us-east-1"
    table = env(values, "TABLE_NAME")
    bucket = env(values, "BUCKET_NAME")
    mail_from = env(values, "MAIL_FROM")

    session = boto3.session.Session(
        aws_access_key_id=values.get("AWS_ACCESS_KEY_ID", "test"),
        aws_secret_access_key=values.get("AWS_SECRET_ACCESS_KEY", "test"),
        region_name=region,
    )
    cfg = Config(retries={"max_attempts": 3}, s3={"addressing_style": "path"})
    client = lambda name: session.client(name, endpoint_url=endpoint, config=cfg)  # noqa: E731

    log(f"endpoint {endpoint} (region {region})")
    ensure_table(client("dynamodb"), table_properties(), table)
    ensure_bucket(client("s3"), bucket, region)
    ensure_identity(client("ses"), mail_from)
    ensure_signing_key(client("kms"))
    ensure_events(client("events"), client("sqs"), env(values, "EVENT_BUS_NAME"), values.get("EVENT_SOURCE") or "accounts")
    log("done")


if __name__ == "__main__":
    main()
