/**
 * Canonical JSON in the manner of RFC 8785 (JCS) for the values the trail holds: object keys
 * sorted by UTF-16 code units, no whitespace, strings and numbers as ECMAScript
 * `JSON.stringify` writes them (which is what JCS specifies). `undefined` members are dropped,
 * non-finite numbers refused, so the same entry always hashes the same on any machine.
 */
export function canonicalJson(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError('canonicalJson: non-finite number');
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(',')}]`;
      const obj = value as Record<string, unknown>;
      const keys = Object.keys(obj)
        .filter((k) => obj[k] !== undefined)
        .sort();
      return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
    }
    default:
      throw new TypeError(`canonicalJson: unsupported ${typeof value}`);
  }
}

/**
 * The canonical JSON of an object split around one integer member: `prefix + String(n) + suffix`
 * equals `canonicalJson({ ...obj, [key]: n })`. Lets the database fill in a number it assigns
 * (the sequence number, under the chain lock) and hash the exact same bytes.
 */
export function canonicalJsonAround(obj: Readonly<Record<string, unknown>>, key: string): { prefix: string; suffix: string } {
  const keys = Object.keys(obj)
    .filter((k) => k !== key && obj[k] !== undefined)
    .concat(key)
    .sort();
  const i = keys.indexOf(key);
  const member = (k: string): string => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`;
  const before = keys.slice(0, i).map(member);
  const after = keys.slice(i + 1).map(member);
  return {
    prefix: `{${[...before, `${JSON.stringify(key)}:`].join(',')}`,
    suffix: `${after.length ? `,${after.join(',')}` : ''}}`,
  };
}
