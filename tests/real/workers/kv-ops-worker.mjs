// Runs a batch of encoded KV operations (tests/real/support/kv-ops.mjs), in order, on
// env[?kv=] in workerd; answers their outcomes, each with the time it started, as a JSON array.
import { runOperation } from "../support/kv-ops.mjs";

export default {
  async fetch(request, env) {
    const binding = new URL(request.url).searchParams.get("kv") ?? "KV";
    const outcomes = [];
    for (const text of await request.json()) {
      // The clock the memory KV runs this operation at (workerd's advances with I/O).
      const now = Date.now();
      outcomes.push({ now, ...(await runOperation(env[binding], text)) });
    }
    return Response.json(outcomes);
  },
};
