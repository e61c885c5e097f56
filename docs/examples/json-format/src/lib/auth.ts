import { betterAuth } from "better-auth";
import type { CloudflareBindings } from "../env";

export function createAuth(env: CloudflareBindings) {
  return betterAuth({
    secret: env.BETTER_AUTH_SECRET,
    emailAndPassword: { enabled: true },
  });
}
