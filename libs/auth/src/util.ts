const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids in paths are UUIDs; anything else cannot exist (and must not reach SQL as a uuid cast). */
export function isUuid(s: string): boolean {
  return UUID.test(s);
}
