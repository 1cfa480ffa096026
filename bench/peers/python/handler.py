"""The Python 3.11 peer of `make bench` (infra/bench.py coldstart): what a team would write
instead of the `users` function for its first request, `GET /api/users/{id}` - one DynamoDB
GetItem of the user item and a JSON answer, with boto3. As a real function would, it reads its
configuration and builds the client at init, outside the handler.

It does less than Accounts on purpose, so its numbers are a floor: no signing-key ring read at
init, no token verification, no argon2, no rate limits, no CORS or security headers beyond the
two below, no request id. The leanest idiomatic boto3 path: the low-level client (no resource
layer) and boto3's TypeDeserializer.
"""

import json
import os
import re
import time
from datetime import datetime, timezone

import boto3
from boto3.dynamodb.types import TypeDeserializer

TABLE_NAME = os.environ["TABLE_NAME"]
PUBLIC_BASE_URL = (os.environ.get("PUBLIC_BASE_URL") or os.environ.get("JWT_ISSUER") or "").rstrip("/")
# AWS_ENDPOINT_URL only for a local emulator (moto in the bench); unset in AWS.
DYNAMODB = boto3.client("dynamodb", endpoint_url=os.environ.get("AWS_ENDPOINT_URL") or None)
DESERIALIZE = TypeDeserializer().deserialize

USER_ID = re.compile(r"usr_[0-9A-HJKMNP-TV-Z]{26}")
PATH = re.compile(r"/api/users/([^/]+)")


def answer(status, body):
    return {
        "statusCode": status,
        "headers": {"content-type": "application/json", "cache-control": "no-store"},
        "body": json.dumps(body),
    }


def not_found():
    return answer(404, {"success": False, "error": "User not found", "code": "USER_NOT_FOUND"})


def active(user, now):
    """Active as Accounts means it: activated, not banned (or the ban is over), no deletion scheduled."""
    banned = user.get("banned") is True and (not user.get("bannedUntil") or user["bannedUntil"] > now)
    return user.get("emailVerified") is True and not user.get("deletionScheduledAt") and not banned


def handler(event, context):
    m = PATH.fullmatch(event.get("rawPath") or "")
    if not m or not USER_ID.fullmatch(m.group(1)):
        return not_found()
    user_id = m.group(1)
    out = DYNAMODB.get_item(TableName=TABLE_NAME, Key={"pk": {"S": f"USER#{user_id}"}, "sk": {"S": "PROFILE"}})
    item = out.get("Item")
    user = {k: DESERIALIZE(v) for k, v in item.items()} if item else None
    public = bool(user) and (user.get("settings") or {}).get("privacy", {}).get("publicProfile") is True
    if not public or not active(user, int(time.time())):
        return not_found()
    created = datetime.fromtimestamp(int(user["createdAt"]), tz=timezone.utc)
    return answer(
        200,
        {
            "success": True,
            "data": {
                "id": user["id"],
                "username": user["username"],
                "name": user.get("name"),
                "bio": user.get("bio"),
                "location": user.get("location"),
                "website": user.get("website"),
                "avatarUrl": f"{PUBLIC_BASE_URL}/api/users/{user_id}/avatar" if user.get("avatarKey") else None,
                "createdAt": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
            },
        },
    )
