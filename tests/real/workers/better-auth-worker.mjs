// Worker used by better-auth.test.mjs: Better Auth bundled with esbuild (the line under
// test as `better-auth`, its memory adapter as `@better-auth/memory-adapter`: see
// `bundle` in support/env.mjs) and the generated adapter (`qk-adapter`), running
// inside workerd. GET /__test/state reports the instrumentation; every other
// request goes to Better Auth.

import { memoryAdapter } from "@better-auth/memory-adapter";
import { betterAuth } from "better-auth";
import { betterAuthKvOptions } from "qk-adapter";
import { createTestAuth } from "../support/auth-app.mjs";

let app;

export default {
  async fetch(request, env) {
    app ??= createTestAuth({ betterAuth, memoryAdapter, betterAuthKvOptions, env });
    if (new URL(request.url).pathname === "/__test/state") {
      return Response.json(app.state());
    }
    return app.auth.handler(request);
  },
};
