import { defineConfig, defineStorage } from "@quickback/compiler";

export default defineConfig({
  name: "notes-api",
  providers: {
    storage: defineStorage("kv", { namespaceId: process.env.KV_NAMESPACE_ID ?? "00000000000000000000000000000004" }),
  },
});
