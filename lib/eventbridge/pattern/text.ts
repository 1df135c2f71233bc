import { childPath, fail, indexPath, describe } from './errors.js';
import { isObject } from '../../untrusted/json.js';
import { defineKey, parseField, type EventPattern } from './tree.js';

const hasOwn = Object.prototype.hasOwnProperty;

// ---------------------------------------------------------------------------------------------------
// Pattern text. EventBridge reads the text as a stream: a repeated key does not simply replace the
// earlier one. Repeated objects merge, and a field set twice keeps the last list, as JSON.parse would.

type JsonNode = string | number | boolean | null | JsonNode[] | JsonObject;
type JsonObject = Map<string, JsonNode>;

function validateShadowed(key: string, value: JsonNode, where: string): void {
  // The replaced value was still read (and validated) by EventBridge.
  if (Array.isArray(value)) parseField(toPlain(value) as unknown[], key, childPath(where, key));
  else if (!(value instanceof Map)) fail(childPath(where, key), `"${key}" must be an object or an array of match values`);
}

function insertKey(target: JsonObject, key: string, value: JsonNode, where: string): void {
  const previous = target.get(key);
  if (previous === undefined) {
    target.set(key, value);
    return;
  }
  if (previous instanceof Map && value instanceof Map) {
    for (const [k, v] of value) insertKey(previous, k, v, childPath(where, key));
    return;
  }
  if (key === '$or' && Array.isArray(previous) && Array.isArray(value)) {
    // Two $or lists both apply: (a|b) and (c|d) is a&(c|d) | b&(c|d).
    target.set(key, previous.map((alternative) => {
      if (!(alternative instanceof Map)) return alternative;
      const copy: JsonObject = new Map(alternative);
      insertKey(copy, '$or', value, where);
      return copy;
    }));
    return;
  }
  const object = previous instanceof Map ? previous : value instanceof Map ? value : null;
  if (object !== null && !object.has('$or')) {
    // A list and an object under one key are different paths (`a` and `a.b`): keep both, dotted.
    const list = previous instanceof Map ? value : previous;
    target.delete(key);
    for (const [k, v] of object) insertKey(target, `${key}.${k}`, v, where);
    target.set(key, list);
    return;
  }
  validateShadowed(key, previous, where);
  target.delete(key);
  target.set(key, value);
}

class JsonTextParser {
  private position = 0;

  constructor(private readonly text: string) {}

  parseDocument(): JsonNode {
    const value = this.parseValue('');
    this.skipWhitespace();
    if (this.position < this.text.length) this.error('unexpected text after the pattern');
    return value;
  }

  private error(message: string): never {
    return fail('', `invalid JSON at offset ${this.position}: ${message}`);
  }

  private skipWhitespace(): void {
    while (this.position < this.text.length) {
      const c = this.text[this.position];
      if (c !== ' ' && c !== '\t' && c !== '\n' && c !== '\r') return;
      this.position++;
    }
  }

  private expect(literal: string): void {
    if (!this.text.startsWith(literal, this.position)) this.error(`expected ${literal}`);
    this.position += literal.length;
  }

  private parseValue(where: string): JsonNode {
    this.skipWhitespace();
    const c = this.text[this.position];
    switch (c) {
      case '{': return this.parseObject(where);
      case '[': return this.parseArray(where);
      case '"': return this.parseString();
      case 't': this.expect('true'); return true;
      case 'f': this.expect('false'); return false;
      case 'n': this.expect('null'); return null;
      default:
        if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.parseNumber();
        return this.error(c === undefined ? 'unexpected end of text' : `unexpected character ${JSON.stringify(c)}`);
    }
  }

  private parseObject(where: string): JsonObject {
    const object: JsonObject = new Map();
    this.position++;
    this.skipWhitespace();
    if (this.text[this.position] === '}') {
      this.position++;
      return fail(where, 'empty objects are not allowed');
    }
    for (;;) {
      this.skipWhitespace();
      if (this.text[this.position] !== '"') this.error('expected a quoted key');
      const key = this.parseString();
      this.skipWhitespace();
      this.expect(':');
      insertKey(object, key, this.parseValue(childPath(where, key)), where);
      this.skipWhitespace();
      const c = this.text[this.position++];
      if (c === '}') return object;
      if (c !== ',') this.error('expected , or }');
    }
  }

  private parseArray(where: string): JsonNode[] {
    const array: JsonNode[] = [];
    this.position++;
    this.skipWhitespace();
    if (this.text[this.position] === ']') {
      this.position++;
      return array;
    }
    for (;;) {
      array.push(this.parseValue(indexPath(where, array.length)));
      this.skipWhitespace();
      const c = this.text[this.position++];
      if (c === ']') return array;
      if (c !== ',') this.error('expected , or ]');
    }
  }

  private parseString(): string {
    const start = this.position;
    this.position++;
    let out = '';
    for (;;) {
      const c = this.text[this.position];
      if (c === undefined) {
        this.position = start;
        return this.error('unterminated string');
      }
      if (c === '"') {
        this.position++;
        return out;
      }
      if (c < ' ') this.error('control character in string');
      if (c !== '\\') {
        out += c;
        this.position++;
        continue;
      }
      const escape = this.text[this.position + 1];
      const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
      if (escape !== undefined && hasOwn.call(simple, escape)) {
        out += simple[escape] ?? '';
        this.position += 2;
      } else if (escape === 'u' && /^[0-9a-fA-F]{4}$/.test(this.text.slice(this.position + 2, this.position + 6))) {
        out += String.fromCharCode(parseInt(this.text.slice(this.position + 2, this.position + 6), 16));
        this.position += 6;
      } else {
        this.error('invalid escape in string');
      }
    }
  }

  private parseNumber(): number {
    const match = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(this.text.slice(this.position));
    if (match === null) return this.error('invalid number');
    this.position += match[0].length;
    return Number(match[0]);
  }
}

function toPlain(node: JsonNode): unknown {
  if (Array.isArray(node)) return node.map(toPlain);
  if (node instanceof Map) {
    const object: Record<string, unknown> = {};
    for (const [key, value] of node) defineKey(object, key, toPlain(value));
    return object;
  }
  return node;
}

/**
 * Parses pattern JSON text as EventBridge reads it: strict JSON, empty objects rejected, and repeated
 * keys resolved the way EventBridge's streaming reader sees them (see insertKey), where JSON.parse
 * would silently keep only the last value.
 */
export function parsePatternText(text: string): EventPattern {
  const parsed = toPlain(new JsonTextParser(text).parseDocument());
  if (!isObject(parsed)) fail('', `an event pattern must be a JSON object, got ${describe(parsed)}`);
  return parsed;
}
