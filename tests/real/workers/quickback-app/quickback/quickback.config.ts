/**
 * Quickback project definition (shaped like a Quickback v0.10 project's).
 * `quickback compile` generates src/, wrangler.toml and migrations/ from it;
 * `quickback-kv build` then binds KV and wires Better Auth's sessions into it.
 */
import { defineConfig, defineAuth, defineDatabase, defineRuntime } from "@quickback/compiler";

export default defineConfig({
  name: "qk-real-quickback-app",
  template: "hono",
  features: ["organizations"],
  providers: {
    runtime: defineRuntime("cloudflare", { compatibilityDate: "2026-07-30" }),
    database: defineDatabase("cloudflare-d1", {
      binding: "AUTH_DB",
      databaseId: "3f9c2a41-8d7e-4b6a-9c1d-5e2f7a8b9c0d",
      kvNamespaceId: "5b2e8f1c9d3a4e7b8c6d0f1a2b3c4d5e",
    }),
    auth: defineAuth("better-auth", {
      session: {
        expiresInDays: 7,
        updateAgeInDays: 1,
      },
    }),
  },
});
