import { defineConfig, defineAuth, defineDatabase, defineRuntime, defineStorage } from "@quickback/compiler";

// Namespace ids of this project. Pipelines override the KV id per deployment.
const IDS = {
  kv: process.env.KV_NAMESPACE_ID ?? "0f2ac74b498b48028cb68387c421e279",
  d1: "d1d7a6b0-5e8f-4c2a-9b1e-2f3a4b5c6d7e",
} as const;

export default defineConfig({
  name: "acme-api",
  template: "hono",
  features: ["organizations", "api-keys"],
  providers: {
    runtime: defineRuntime("cloudflare", { compatibilityDate: "2026-06-01" }),
    database: defineDatabase("cloudflare-d1", {
      binding: "DB",
      databaseId: IDS.d1,
      kvNamespaceId: IDS.kv,
    }),
    auth: defineAuth("better-auth", {
      kvId: IDS.kv,
      session: {
        storage: "kv",
        keyPrefix: "session:",
        expiresInDays: 30,
        updateAge: 60 * 60 * 24,
      },
      hooks: {
        async onSignUp(user: { id: string }) {
          console.log("new user", user.id);
        },
      },
    }),
    storage: defineStorage("kv", { namespaceId: IDS.kv }),
  },
  handlers: {
    health: () => new Response("ok"),
  },
} satisfies Record<string, unknown>);
