#!/usr/bin/env python3
"""Access tokens of the running local stack, checked by an independent JWT library.

`python infra/jwt_check.py BASE_URL ACCESS_TOKEN` (infra/contract.sh runs it against its stack):

1. discovery: GET BASE/.well-known/openid-configuration names BASE as issuer and its jwks_uri;
2. PyJWT's PyJWKClient fetches that JWKS and verifies the token (RS256, iss, aud, exp) - what a
   team's own service does;
3. forged tokens - a tampered payload, HS256 keyed with the public key, `alg: none`, a token
   properly signed by an unknown key, and tokens properly signed by the stack's own KMS key but
   with a wrong `iss`, a wrong `aud` or an expired `exp` - are refused with 401 by a route of
   every function, while the same claims re-signed correctly are accepted (so each refusal is
   for the reason named, not for a broken test).

Exit status 0 when every check holds; each failure is printed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import sys
import time
import urllib.error
import urllib.request

import boto3
import jwt
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from local_env import settings

# A route of every function that needs an access token.
ROUTES = ["/api/auth/status", "/api/users/me", "/api/uploads", "/api/subscription", "/api/api-keys", "/api/admin/users"]


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def get(url: str, token: str | None = None) -> tuple[int, dict]:
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def main() -> int:
    base, token = sys.argv[1].rstrip("/"), sys.argv[2]
    values = settings()
    audience = values["JWT_AUDIENCE"]
    failures: list[str] = []

    def check(ok: bool, what: str) -> None:
        print(("ok    " if ok else "FAIL  ") + what)
        if not ok:
            failures.append(what)

    status, discovery = get(f"{base}/.well-known/openid-configuration")
    check(status == 200 and discovery.get("issuer") == base, f"discovery names the issuer {base}")
    check(discovery.get("jwks_uri") == f"{base}/.well-known/jwks.json", "discovery names the JWKS URL")
    check(discovery.get("id_token_signing_alg_values_supported") == ["RS256"], "discovery says RS256")

    # What a third-party service does: the JWKS URL and a standard library, nothing else.
    jwks = jwt.PyJWKClient(discovery["jwks_uri"])
    key = jwks.get_signing_key_from_jwt(token)
    claims = jwt.decode(token, key.key, algorithms=["RS256"], audience=audience, issuer=base)
    check(claims["typ"] == "access" and claims["sub"].startswith("usr_"), "PyJWT verifies the access token through the JWKS")

    header = json.loads(unb64(token.split(".")[0]))
    kid = header["kid"]
    kms = boto3.client(
        "kms",
        endpoint_url=values["AWS_ENDPOINT_URL"],
        region_name=values.get("AWS_REGION") or "us-east-1",
        aws_access_key_id=values.get("AWS_ACCESS_KEY_ID", "test"),
        aws_secret_access_key=values.get("AWS_SECRET_ACCESS_KEY", "test"),
    )

    def signed_by_stack(payload: dict) -> str:
        signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(payload).encode())}"
        sig = kms.sign(
            KeyId=values["SIGNING_KEY"], Message=signing_input.encode(), MessageType="RAW", SigningAlgorithm="RSASSA_PKCS1_V1_5_SHA_256"
        )["Signature"]
        return f"{signing_input}.{b64(sig)}"

    control = signed_by_stack(dict(claims, jti="control"))
    for route in ROUTES:
        status, _ = get(base + route, control)
        # A valid user token reaches every route; the admin route then refuses the role.
        check(status in (200, 403) if route.startswith("/api/admin") else status == 200, f"{route}: the re-signed valid token is accepted ({status})")

    h, p, s = token.split(".")
    tampered = f"{h}.{b64(json.dumps(dict(claims, role='admin')).encode())}.{s}"
    hs_header = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": kid}).encode())
    jwk = next(k for k in jwks.get_jwk_set().keys if k.key_id == kid)
    # The classic algorithm confusion: HMAC keyed with the public key's PEM.
    public_pem = jwk.key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    hs_input = f"{hs_header}.{p}"
    hs256 = f"{hs_input}.{b64(hmac.new(public_pem, hs_input.encode(), hashlib.sha256).digest())}"
    none = f"{b64(json.dumps({'alg': 'none', 'typ': 'JWT', 'kid': kid}).encode())}.{p}."

    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    nums = other.public_key().public_numbers()
    n = b64(nums.n.to_bytes((nums.n.bit_length() + 7) // 8, "big"))
    other_kid = b64(hashlib.sha256(json.dumps({"e": "AQAB", "kty": "RSA", "n": n}, separators=(",", ":")).encode()).digest())
    uk_input = f"{b64(json.dumps({'alg': 'RS256', 'typ': 'JWT', 'kid': other_kid}).encode())}.{p}"
    unknown_kid = f"{uk_input}.{b64(other.sign(uk_input.encode(), padding.PKCS1v15(), hashes.SHA256()))}"

    forged = {
        "a tampered payload": tampered,
        "HS256 keyed with the public key": hs256,
        "alg none": none,
        "an unknown kid (signed by another key)": unknown_kid,
        "a wrong iss (signed by the stack's key)": signed_by_stack(dict(claims, iss="https://evil.example")),
        "a wrong aud (signed by the stack's key)": signed_by_stack(dict(claims, aud="someone-else")),
        "an expired exp (signed by the stack's key)": signed_by_stack(dict(claims, exp=int(time.time()) - 1)),
    }
    for what, forgery in forged.items():
        for route in ROUTES:
            status, body = get(base + route, forgery)
            check(status == 401, f"{route}: {what} is refused ({status} {body.get('code')})")
    if failures:
        print(f"jwt_check: {len(failures)} check(s) failed", file=sys.stderr)
        return 1
    print("jwt_check: every check held")
    return 0


if __name__ == "__main__":
    sys.exit(main())
