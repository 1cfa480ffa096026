"""schemathesis hooks of the contract run (infra/contract.sh sets SCHEMATHESIS_HOOKS to this module).

`POST /api/admin/users/import` takes `application/x-ndjson` (one JSON object per line), a media
type schemathesis has no serializer for: a generated string is sent as its UTF-8 text, anything
else (the coverage phase breaks the `type: string` constraint too) as one line of JSON.
"""

import json

import schemathesis


@schemathesis.serializer("application/x-ndjson")
def ndjson(ctx, value):
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8", "replace")
    return json.dumps(value).encode()
