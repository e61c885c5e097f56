// Runs one encoded KV operation (tests/real/support/kv-ops.mjs) on env.KV in workerd.
import { runOperation } from "../support/kv-ops.mjs";

export default {
  async fetch(request, env) {
    const binding = new URL(request.url).searchParams.get("kv") ?? "KV";
    return Response.json(await runOperation(env[binding], await request.text()));
  },
};
