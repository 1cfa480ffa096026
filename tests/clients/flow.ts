// A short flow with the TypeScript types openapi-typescript generates from openapi.yaml
// (generated/accounts.d.ts, made by infra/clients.sh): `tsc` type-checks every request body and
// every field read below against the document, then node runs it against the contract step's
// stack. Arguments: BASE_URL ADMIN_TOKEN.
import type { components, paths } from "./generated/accounts";

// Node's own global (no @types/node needed for this one use).
declare const process: { argv: string[] };

type Schemas = components["schemas"];
type Body<P extends keyof paths, M extends "post"> = paths[P][M] extends { requestBody?: { content: { "application/json": infer B } } } ? B : never;
type Ok<P extends keyof paths, M extends "get" | "post", S extends 200 | 201> = paths[P][M] extends {
  responses: { [K in S]: { content: { "application/json": infer R } } };
}
  ? R
  : never;

const [base, adminToken] = process.argv.slice(2);
if (!base || !adminToken) throw new Error("usage: node flow.js BASE_URL ADMIN_TOKEN");

async function call<T>(method: "GET" | "POST", path: string, body?: unknown, token?: string): Promise<{ status: number; data: T }> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers["content-type"] = "application/json";
  if (token) headers["authorization"] = `Bearer ${token}`;
  const res = await fetch(base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, data: (await res.json()) as T };
}

function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(`typescript client flow: ${what}`);
}

const plans = await call<Ok<"/api/plans", "get", 200>>("GET", "/api/plans");
check(plans.status === 200 && plans.data.data.some((p: Schemas["Plan"]) => p.id === "FREE"), "GET /api/plans lists FREE");

const suffix = Date.now().toString(36);
const register: Body<"/api/auth/register", "post"> = { username: `ts_${suffix}`, email: `ts-${suffix}@example.com`, password: "Typed-Client-Pass-42" };
const created = await call<Ok<"/api/auth/register", "post", 201>>("POST", "/api/auth/register", register);
check(created.status === 201 && created.data.data.emailVerified === false, "POST /api/auth/register creates an unverified user");

const login: Body<"/api/auth/login", "post"> = { username: register.username, password: register.password };
const tokens = await call<Ok<"/api/auth/login", "post", 200>>("POST", "/api/auth/login", login);
check(tokens.status === 200 && tokens.data.data.tokenType === "Bearer", "POST /api/auth/login answers a Bearer pair");

const me = await call<Ok<"/api/users/me", "get", 200>>("GET", "/api/users/me", undefined, tokens.data.data.accessToken);
const user: Schemas["User"] = me.data.data;
check(me.status === 200 && user.email === register.email && user.mailSuppression === null, "GET /api/users/me is the new user, mail not suppressed");

const page = await call<Schemas["AdminUserPage"]>("GET", "/api/admin/users?limit=5", undefined, adminToken);
const first: Schemas["AdminUser"] | undefined = page.data.data[0];
check(page.status === 200 && first !== undefined && first.id.startsWith("usr_") && page.data.page.limit === 5, "GET /api/admin/users is a typed page");

console.log(`typescript client flow: ok (${user.id}, ${page.data.data.length} users on the admin's first page)`);
