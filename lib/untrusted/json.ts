/** A JSON object (not an array, not null): the one check every parser of untrusted JSON here uses. */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
