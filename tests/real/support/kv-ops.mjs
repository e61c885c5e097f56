// One KV operation as JSON text, run on any KVNamespace, its answer or error made
// comparable. Shared by the differential test in Node (memory KV) and its worker in
// workerd (Miniflare's KV), so both sides decode and normalise identically.

/** JSON text of an operation `[method, ...args]`, keeping bytes, undefined and NaN. */
export function encodeOperation(what) {
  return JSON.stringify(what, function (key, v) {
    const raw = this[key];
    if (raw === undefined) return { $undefined: 1 };
    if (typeof raw === "number" && Number.isNaN(raw)) return { $nan: 1 };
    if (raw instanceof ArrayBuffer) return { $arrayBuffer: [...new Uint8Array(raw)] };
    if (raw instanceof Uint8Array) return { $uint8: [...raw] };
    return v;
  });
}

export function decodeOperation(text) {
  const walk = (v) => {
    if (Array.isArray(v)) return v.map(walk);
    if (v === null || typeof v !== "object") return v;
    if ("$undefined" in v) return undefined;
    if ("$nan" in v) return NaN;
    if ("$arrayBuffer" in v) return Uint8Array.from(v.$arrayBuffer).buffer;
    if ("$uint8" in v) return Uint8Array.from(v.$uint8);
    const out = {};
    for (const [k, x] of Object.entries(v)) out[k] = walk(x);
    return out;
  };
  return walk(JSON.parse(text));
}

/** A comparable form of an answer: bytes as arrays, streams read, maps as entries. */
export async function normal(value) {
  if (value instanceof ArrayBuffer) return { bytes: [...new Uint8Array(value)] };
  if (value instanceof ReadableStream) return { stream: [...new Uint8Array(await new Response(value).arrayBuffer())] };
  if (value instanceof Map) {
    const out = [];
    for (const [k, v] of value) out.push([k, await normal(v)]);
    return { map: out };
  }
  if (Array.isArray(value)) return Promise.all(value.map(normal));
  if (value !== null && typeof value === "object") {
    const out = {};
    for (const [k, v] of Object.entries(value)) out[k] = await normal(v);
    return out;
  }
  return value === undefined ? { undefined: true } : value;
}

/** Runs an encoded operation on `kv`: `{ ok }` or `{ error, message }`. */
export async function runOperation(kv, text) {
  const [method, ...args] = decodeOperation(text);
  try {
    return { ok: await normal(await kv[method](...args)) };
  } catch (e) {
    return { error: e?.name ?? String(e), message: e?.message };
  }
}
