// The Better Auth instance the end-to-end tests drive, shared by the Node run
// (better-auth.test.mjs) and the worker bundled into workerd
// (workers/better-auth-worker.mjs). It is built exactly as the adapter's users are
// told to: `betterAuth({ database, ...betterAuthKvOptions(env) })`, plus the test's
// own settings. The storage returned by betterAuthKvOptions is instrumented in place
// (same object, methods wrapped) to count every call. The database has no
// `rateLimit` table, like Quickback's schema: a rate limit counted in the database
// would throw "Model rateLimit not found".

export const BASE_URL = "http://localhost:8787";
export const SECRET = "quickback-kv-real-tests-secret-0123456789abcdef";
/** General rate limit used by the tests (sign-in has its own rule below). */
export const RATE_LIMIT = { window: 60, max: 5 };

const STORAGE_MEMBERS = ["get", "set", "delete", "getAndDelete", "increment"];

export function createTestAuth({ betterAuth, memoryAdapter, betterAuthKvOptions, env }) {
  const db = { user: [], session: [], account: [], verification: [] };
  const resetTokens = [];
  const calls = Object.fromEntries(STORAGE_MEMBERS.map((m) => [m, 0]));

  const kvOptions = betterAuthKvOptions(env);
  const storage = kvOptions.secondaryStorage;
  for (const member of STORAGE_MEMBERS) {
    const original = storage[member];
    storage[member] = (...args) => {
      calls[member] += 1;
      return original.apply(storage, args);
    };
  }

  const auth = betterAuth({
    baseURL: BASE_URL,
    secret: SECRET,
    database: memoryAdapter(db),
    ...kvOptions,
    emailAndPassword: {
      enabled: true,
      revokeSessionsOnPasswordReset: true,
      async sendResetPassword({ token }) {
        resetTokens.push(token);
      },
    },
    rateLimit: {
      ...kvOptions.rateLimit,
      enabled: true,
      ...RATE_LIMIT,
      // Better Auth's own rule is 3 per 10 s; a longer window keeps the test
      // independent of how fast password hashing runs.
      customRules: { "/sign-in/email": { window: 60, max: 3 } },
    },
    advanced: { ipAddress: { ipAddressHeaders: ["x-forwarded-for"] } },
    telemetry: { enabled: false },
    logger: { level: "error" },
  });

  return {
    auth,
    kvOptions,
    state() {
      return {
        calls: { ...calls },
        resetTokens: [...resetTokens],
        rows: Object.fromEntries(Object.entries(db).map(([k, v]) => [k, v.length])),
      };
    },
  };
}
