import { defineConfig, defineAuth, defineStorage } from "@quickback/compiler";

// Two ids for one binding: the auth provider's `kvId` loses to the storage provider.
export default defineConfig({
  name: "notes-api",
  providers: {
    auth: defineAuth("better-auth", { /* Schlüssel 🔑 */ kvId: "3c9e5a1f7b2d4e6f8a0b1c2d3e4f5a6b", session: { storage: "kv" } }),
    storage: defineStorage("kv", { namespaceId: "0f2ac74b498b48028cb68387c421e279" }),
  },
});
