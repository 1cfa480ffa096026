// The Node.js 20 peer of `make bench` (infra/bench.py coldstart): what a team would write instead
// of the `users` function for its first request, `GET /api/users/{id}` — one DynamoDB GetItem of
// the user item and a JSON answer, with the AWS SDK for JavaScript v3. As a real function would,
// it reads its configuration and builds the client at init, outside the handler.
//
// It does less than Accounts on purpose, so its numbers are a floor: no signing-key ring read at
// init, no token verification, no argon2 linked, no rate limits, no CORS or security headers
// beyond the two below, no request id. The leanest idiomatic SDK path: the bare DynamoDBClient
// (no document client) and util-dynamodb's unmarshall.
import { DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import { unmarshall } from "@aws-sdk/util-dynamodb";

const TABLE_NAME = process.env.TABLE_NAME;
if (!TABLE_NAME) {
  throw new Error("TABLE_NAME is required");
}
const PUBLIC_BASE_URL = (process.env.PUBLIC_BASE_URL || process.env.JWT_ISSUER || "").replace(/\/+$/, "");
// AWS_ENDPOINT_URL only for a local emulator (moto in the bench); unset in AWS.
const client = new DynamoDBClient(process.env.AWS_ENDPOINT_URL ? { endpoint: process.env.AWS_ENDPOINT_URL } : {});

const USER_ID = /^usr_[0-9A-HJKMNP-TV-Z]{26}$/;
const PATH = /^\/api\/users\/([^/]+)$/;

const answer = (statusCode, body) => ({
  statusCode,
  headers: { "content-type": "application/json", "cache-control": "no-store" },
  body: JSON.stringify(body),
});
const notFound = () => answer(404, { success: false, error: "User not found", code: "USER_NOT_FOUND" });

// Active as Accounts means it: activated, not banned (or the ban is over), no deletion scheduled.
const active = (u, now) =>
  u.emailVerified === true && !u.deletionScheduledAt && !(u.banned === true && (!u.bannedUntil || u.bannedUntil > now));

export const handler = async (event) => {
  const m = PATH.exec(event.rawPath ?? "");
  if (!m || !USER_ID.test(m[1])) {
    return notFound();
  }
  const id = m[1];
  const out = await client.send(
    new GetItemCommand({ TableName: TABLE_NAME, Key: { pk: { S: `USER#${id}` }, sk: { S: "PROFILE" } } }),
  );
  const user = out.Item ? unmarshall(out.Item) : null;
  if (!user || user.settings?.privacy?.publicProfile !== true || !active(user, Date.now() / 1000)) {
    return notFound();
  }
  return answer(200, {
    success: true,
    data: {
      id: user.id,
      username: user.username,
      name: user.name ?? null,
      bio: user.bio ?? null,
      location: user.location ?? null,
      website: user.website ?? null,
      avatarUrl: user.avatarKey ? `${PUBLIC_BASE_URL}/api/users/${id}/avatar` : null,
      createdAt: new Date(Number(user.createdAt) * 1000).toISOString().replace(/\.\d{3}Z$/, "Z"),
    },
  });
};
