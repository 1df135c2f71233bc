/** The one error class of the pattern language: where in the pattern, and why EventBridge would refuse it. */
export class InvalidPatternError extends Error {
  override readonly name = 'InvalidPatternError';
  /** Where in the pattern, e.g. `detail.eventName[0].prefix`; empty for the pattern itself. */
  readonly path: string;
  readonly reason: string;

  constructor(path: string, reason: string) {
    super(`Invalid event pattern at ${path === '' ? '(pattern)' : path}: ${reason}`);
    this.path = path;
    this.reason = reason;
  }
}

export function fail(path: string, reason: string): never {
  throw new InvalidPatternError(path, reason);
}

/** How a value reads in an error message. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

export function childPath(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

export function indexPath(path: string, index: number): string {
  return `${path}[${index}]`;
}

export function requireString(value: unknown, path: string, what: string): string {
  if (typeof value !== 'string') fail(path, `${what} must be a string, got ${describe(value)}`);
  return value;
}
