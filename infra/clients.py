"""The Python half of make test's generated-client check (infra/clients.sh): the package that
openapi-python-client generated from openapi.yaml (its folder is argv[1]) runs a short flow
against the contract step's stack (argv[2]) with the admin's token (argv[3]). Each answer is
parsed into the generated models (`from_dict` fails on a missing or mistyped field)."""

import sys
import time

sys.path.insert(0, sys.argv[1])
base, admin_token = sys.argv[2], sys.argv[3]

from accounts_client import AuthenticatedClient, Client  # noqa: E402
from accounts_client.api.admin import admin_list_users  # noqa: E402
from accounts_client.api.auth import login, register  # noqa: E402
from accounts_client.api.billing import list_plans  # noqa: E402
from accounts_client.api.users import get_me  # noqa: E402
from accounts_client.models import AdminUserPage, LoginRequest, RegisterRequest  # noqa: E402


def check(ok: bool, what: str) -> None:
    if not ok:
        sys.exit(f"python client flow: {what}")


anonymous = Client(base_url=base, raise_on_unexpected_status=True)
plans = list_plans.sync(client=anonymous)
check(plans is not None and any(p.id == "FREE" for p in plans.data), "GET /api/plans lists FREE")

suffix = format(int(time.time() * 1000), "x")
password = "Typed-Client-Pass-42"
created = register.sync(client=anonymous, body=RegisterRequest(username=f"py_{suffix}", email=f"py-{suffix}@example.com", password=password))
check(created is not None and created.data.email_verified is False, "POST /api/auth/register creates an unverified user")

tokens = login.sync(client=anonymous, body=LoginRequest(username=f"py_{suffix}", password=password))
check(tokens is not None and tokens.data.token_type == "Bearer", "POST /api/auth/login answers a Bearer pair")

signed_in = AuthenticatedClient(base_url=base, token=tokens.data.access_token, raise_on_unexpected_status=True)
me = get_me.sync(client=signed_in)
check(me is not None and me.data.email == f"py-{suffix}@example.com" and me.data.mail_suppression is None, "GET /api/users/me is the new user")

admin = AuthenticatedClient(base_url=base, token=admin_token, raise_on_unexpected_status=True)
page = admin_list_users.sync(client=admin, limit=5)
check(isinstance(page, AdminUserPage) and page.data and page.data[0].id.startswith("usr_") and page.page.limit == 5, "GET /api/admin/users is a typed page")
print(f"python client flow: ok ({me.data.id}, {len(page.data)} users on the admin's first page)")
