import { defineConfig, defineAuth, defineStorage } from "@quickback/compiler";

export default defineConfig({
  name: "notes-api",
  providers: {
    storage: defineStorage("kv", { namespaceId: process.env.KV_NAMESPACE_ID ?? "00000000000000000000000000000004" }),
    auth: defineAuth("better-auth", { session: { expiresInDays: 7 } }),
  },
});
