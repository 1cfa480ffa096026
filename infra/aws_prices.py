"""Published AWS prices docs/cost.md uses: the one place to update them.

US East (N. Virginia), on-demand, USD, no free tier applied (docs/cost.md says where a free
tier would change a number). Each price carries the page it is published on and the date it
was read. This machine has no web access: the prices were read through a search index of
stored public pages; `confirmed` says how sure each one is (AWS's own page, or pages that
quote it, or two sources that disagree, in which case the higher price is used).
"""

from __future__ import annotations

from dataclasses import dataclass

# When the prices below were read (the stored pages' dates are given per price).
READ_ON = "2026-12-07"


@dataclass(frozen=True)
class Price:
    usd: float
    unit: str
    source: str
    seen: str
    confirmed: str


PRICES: dict[str, Price] = {
    "lambda_arm_gb_second": Price(
        0.0000133334,
        "per GB-second, Arm (first 7.5 billion GB-s a month)",
        "https://aws.amazon.com/lambda/pricing/",
        "quoted by cloudchipr.com (2024) and a 2026 course page; the AWS page's own table was not in the index",
        "quoted, two sources agree",
    ),
    "lambda_request": Price(
        0.20 / 1e6,
        "per request",
        "https://aws.amazon.com/lambda/pricing/",
        "quoted by the same pages",
        "quoted, two sources agree",
    ),
    "apigw_http_request": Price(
        1.00 / 1e6,
        "per HTTP API request (first 300 million a month; metered in 512 KB increments)",
        "https://aws.amazon.com/api-gateway/pricing/",
        "quoted by awsforengineers.com (2025-05-19) and apigatewaycost.com; AWS whitepaper: 512 KB increments",
        "quoted, three sources agree",
    ),
    "dynamodb_write_request_unit": Price(
        0.625 / 1e6,
        "per write request unit, on-demand (after the November 2024 price cut)",
        "https://aws.amazon.com/dynamodb/pricing/on-demand/",
        "quoted by airbyte.com (2025-07-21)",
        "quoted, one source",
    ),
    "dynamodb_read_request_unit": Price(
        0.125 / 1e6,
        "per read request unit, on-demand",
        "https://aws.amazon.com/dynamodb/pricing/on-demand/",
        "quoted by airbyte.com (2025-07-21)",
        "quoted, one source",
    ),
    "dynamodb_storage_gb_month": Price(
        0.25,
        "per GB-month of table storage (Standard table class; first 25 GB free, not applied)",
        "https://aws.amazon.com/dynamodb/pricing/on-demand/",
        "not found in the index; AWS's long-standing list price",
        "not confirmed here",
    ),
    "dynamodb_pitr_gb_month": Price(
        0.20,
        "per GB-month of continuous backup (point-in-time recovery, on in template.yaml)",
        "https://aws.amazon.com/dynamodb/pricing/on-demand/",
        "not found in the index; AWS's long-standing list price",
        "not confirmed here",
    ),
    "ses_email": Price(
        0.10 / 1000,
        "per outbound message",
        "https://aws.amazon.com/ses/pricing/",
        "quoted by acecloudinterviews.com and sesmetric.com (2026-06-09)",
        "quoted, two sources agree",
    ),
    "s3_gb_month": Price(
        0.023,
        "per GB-month, S3 Standard (first 50 TB)",
        "https://aws.amazon.com/s3/pricing/",
        "quoted by deepeshsoni.com",
        "quoted, one source",
    ),
    "s3_put_request": Price(
        0.005 / 1000,
        "per PUT, COPY, POST or LIST request",
        "https://aws.amazon.com/s3/pricing/",
        "quoted by cloudkaramchari.com",
        "quoted, one source",
    ),
    "s3_get_request": Price(
        0.0004 / 1000,
        "per GET request",
        "https://aws.amazon.com/s3/pricing/",
        "not found in the index; AWS's long-standing list price",
        "not confirmed here",
    ),
    "kms_key_month": Price(
        1.00,
        "per KMS key per month (each rotated backing key another $1)",
        "https://aws.amazon.com/kms/pricing/",
        "AWS's page (stored copy, undated)",
        "AWS's page",
    ),
    "kms_symmetric_request": Price(
        0.03 / 10000,
        "per symmetric request (SSM's SecureString decryption at a cold start)",
        "https://aws.amazon.com/kms/pricing/",
        "quoted by wring.co (2026-03-15) and factualminds.com (2026-06-13)",
        "quoted, two sources agree",
    ),
    "kms_rsa_sign_request": Price(
        0.15 / 10000,
        "per RSA 2048 `Sign` (one per access token issued)",
        "https://aws.amazon.com/kms/pricing/",
        "sources disagree: wring.co (2026-03-15) lists $0.03 per 10,000 for asymmetric RSA, factualminds.com"
        " (2026-06-13) says asymmetric requests cost 5x symmetric ($0.15); the higher is used",
        "NOT confirmed: sources disagree",
    ),
    "eventbridge_custom_event": Price(
        1.00 / 1e6,
        "per custom event published (64 KB chunks)",
        "https://aws.amazon.com/eventbridge/pricing/",
        "quoted by cloudburn.io (2026-03-13) and factualminds.com (2026-06)",
        "quoted, two sources agree",
    ),
    "cloudwatch_logs_ingest_gb": Price(
        0.50,
        "per GB of log data ingested (standard class)",
        "https://aws.amazon.com/cloudwatch/pricing/",
        "quoted by go-cloud.io (2026)",
        "quoted, one source",
    ),
}

# Amazon Cognito user pools, per monthly active user (MAU) of the feature plan, as (MAUs up to,
# price per MAU in that band); the first band at 0 is the free tier.
COGNITO_SOURCE = "https://aws.amazon.com/cognito/pricing/"
COGNITO_SEEN = (
    "transcribed from AWS's page on 2026-09-20 (api-evangelist/amazon-cognito plans file, 'every price_text was found"
    " verbatim in the fetched page text'; the rates come from the page's worked billing examples)"
)
COGNITO_PLANS: dict[str, list[tuple[float, float]]] = {
    # Essentials (the default plan; passkeys, email one-time codes, managed login pages, access-token
    # customisation): 10,000 MAU free per account, then $0.015.
    "Essentials": [(10_000, 0.0), (float("inf"), 0.015)],
    # Plus (Essentials + threat protection: compromised-credential checks, adaptive authentication,
    # user-activity export): no free tier.
    "Plus": [(float("inf"), 0.020)],
    # Lite (password and social sign-in, no passkeys or email codes): 10,000 free, $0.0055 to
    # 100,000, $0.0046 to 1,000,000 (the page's example: "850,000 MAUs x $0.0046"). Bands above
    # 1 million were not in the transcription.
    "Lite": [(10_000, 0.0), (100_000, 0.0055), (1_000_000, 0.0046)],
}


def cognito_monthly(plan: str, mau: int) -> float:
    """Cognito's MAU charge for `plan` at `mau` monthly active users (the bands above)."""
    total, lower = 0.0, 0
    for upper, price in COGNITO_PLANS[plan]:
        if mau <= lower:
            break
        total += (min(mau, upper) - lower) * price
        lower = upper
    if mau > lower:
        raise ValueError(f"no published {plan} band above {lower:,} MAU")
    return total
