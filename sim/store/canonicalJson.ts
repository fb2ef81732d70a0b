/**
 * canonicalJson — one fixed JSON text per value, so a resolved scenario can be stored and matched.
 *
 * Why: a run's identity is (resolved scenario, seed, code version) (DESIGN.md §3). `JSON.stringify` follows
 * property insertion order, so two equal scenarios built in a different order would print differently and a
 * resumable sweep would miss the finished run (STYLE.md: "JSON.stringify of objects as a hash or key").
 *
 * Method: object keys are sorted by UTF-16 code unit (`Array.prototype.sort` with no comparator: no locale);
 * arrays keep their order; `toJSON` is honoured (Date → ISO string). Values JSON cannot hold are written so
 * they stay distinct instead of collapsing to `null`:
 *   - bigint (wei, STYLE.md principle 7) → its decimal string, e.g. 10n → "10";
 *   - NaN / Infinity / -Infinity → the strings "NaN", "Infinity", "-Infinity".
 * `undefined` object members are dropped and `undefined` array items become null, as in JSON.stringify.
 * Functions, symbols, Map, Set and cycles throw a TypeError: they have no honest JSON form.
 */

export function canonicalJson(value: unknown): string {
  return write(value, new Set<object>(), "$");
}

function write(value: unknown, stack: Set<object>, where: string): string {
  switch (typeof value) {
    case "string":
      return JSON.stringify(value);
    case "boolean":
      return value ? "true" : "false";
    case "number":
      return Number.isFinite(value) ? JSON.stringify(value) : JSON.stringify(String(value));
    case "bigint":
      return JSON.stringify(value.toString());
    case "undefined":
      return "null";
    case "function":
    case "symbol":
      throw new TypeError(`canonicalJson: ${typeof value} at ${where} has no JSON form`);
    case "object":
      break;
  }
  if (value === null) return "null";
  const obj = value as object;
  if (obj instanceof Map || obj instanceof Set) {
    throw new TypeError(`canonicalJson: ${obj.constructor.name} at ${where} has no JSON form; convert it to an object or array`);
  }
  const toJSON = (obj as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === "function") return write(toJSON.call(obj), stack, where);
  if (stack.has(obj)) throw new TypeError(`canonicalJson: cycle at ${where}`);
  stack.add(obj);
  let out: string;
  if (Array.isArray(obj)) {
    const parts: string[] = [];
    for (let i = 0; i < obj.length; i++) parts.push(write(obj[i], stack, `${where}[${i}]`));
    out = `[${parts.join(",")}]`;
  } else {
    const record = obj as Record<string, unknown>;
    const parts: string[] = [];
    for (const key of Object.keys(record).sort()) {
      const item = record[key];
      if (item === undefined) continue;
      parts.push(`${JSON.stringify(key)}:${write(item, stack, `${where}.${key}`)}`);
    }
    out = `{${parts.join(",")}}`;
  }
  stack.delete(obj);
  return out;
}
