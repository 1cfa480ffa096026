"""Password hashes made by independent libraries, at test time (tests/api/migration.rs).

Prints one JSON object per line: {"scheme", "password", "hash"}. Each hash is made by the library
a real system uses, pinned in infra/requirements.txt: Python's bcrypt ($2b$, $2a$, and PHP's $2y$
spelling of the same algorithm), argon2-cffi (argon2id with its defaults, argon2i), passlib's
PBKDF2 (sha256, sha512), hashlib.scrypt in the PHC string form, Django's own hashers
(make_password: pbkdf2_sha256, argon2, bcrypt_sha256), and Firebase's modified scrypt computed
from its published algorithm with hashlib.scrypt and the cryptography package's AES-256-CTR
(the published vector itself is checked by the Rust side).
"""

import base64
import hashlib
import json
import os
import secrets
import sys

import argon2
import bcrypt
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from passlib.hash import pbkdf2_sha256, pbkdf2_sha512

import django
from django.conf import settings

settings.configure(
    PASSWORD_HASHERS=[
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.Argon2PasswordHasher",
        "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    ]
)
django.setup()
from django.contrib.auth.hashers import make_password  # noqa: E402


def b64(raw: bytes, pad: bool = True) -> str:
    text = base64.b64encode(raw).decode()
    return text if pad else text.rstrip("=")


def scrypt_phc(password: str) -> str:
    salt = os.urandom(16)
    out = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)
    return f"$scrypt$ln=14,r=8,p=1${b64(salt, False)}${b64(out, False)}"


def firebase(password: str) -> str:
    signer_key, salt, separator = os.urandom(64), os.urandom(12), base64.b64decode("Bw==")
    key = hashlib.scrypt(password.encode(), salt=salt + separator, n=2**14, r=8, p=1, dklen=32)
    encryptor = Cipher(algorithms.AES(key), modes.CTR(b"\0" * 16)).encryptor()
    hashed = encryptor.update(signer_key) + encryptor.finalize()
    return f"$firescrypt$ln=14,r=8,p=1${b64(salt)}${b64(hashed)}${b64(separator)}${b64(signer_key)}"


def main() -> None:
    def password() -> str:
        return "Imported-" + secrets.token_urlsafe(9)

    makers = {
        "bcrypt-2b": lambda p: bcrypt.hashpw(p.encode(), bcrypt.gensalt(rounds=10)).decode(),
        "bcrypt-2a": lambda p: bcrypt.hashpw(p.encode(), bcrypt.gensalt(rounds=10, prefix=b"2a")).decode(),
        "bcrypt-2y": lambda p: "$2y$" + bcrypt.hashpw(p.encode(), bcrypt.gensalt(rounds=10)).decode()[4:],
        "argon2id": lambda p: argon2.PasswordHasher().hash(p),
        "argon2i": lambda p: argon2.PasswordHasher(type=argon2.Type.I).hash(p),
        "pbkdf2-sha256": lambda p: pbkdf2_sha256.hash(p),
        "pbkdf2-sha512": lambda p: pbkdf2_sha512.hash(p),
        "scrypt": scrypt_phc,
        "django-pbkdf2-sha256": lambda p: make_password(p, hasher="pbkdf2_sha256"),
        "django-argon2": lambda p: make_password(p, hasher="argon2"),
        "django-bcrypt-sha256": lambda p: make_password(p, hasher="bcrypt_sha256"),
        "firebase-scrypt": firebase,
    }
    wanted = sys.argv[1:] or list(makers)
    for scheme in wanted:
        p = password()
        print(json.dumps({"scheme": scheme, "password": p, "hash": makers[scheme](p)}))


if __name__ == "__main__":
    main()
