import { constants as bufferConstants } from 'node:buffer';

/**
 * Parsing replay input: a file's bytes, chunk by chunk, into items. A CloudTrail log file
 * ({"Records":[...]}), a JSON array or single event, or NDJSON, told apart from the text itself. Items
 * are not validated here (see lib/cloudtrail/wrap.ts and envelope.ts); a file or line that cannot be
 * parsed becomes an error item that says where and why.
 */

export type SourceItem =
  /** value: an envelope or a raw record, unvalidated. index counts events within the file, from 0. */
  | { kind: 'event'; value: unknown; origin: { path: string; index: number } }
  /** An unreadable/corrupt file (path is the file), or a line that is not JSON (path is file:line). */
  | { kind: 'error'; path: string; reason: string };

// Neither a JSON document nor a line can be longer than the longest string V8 can build.
const MAX_TEXT_BYTES = bufferConstants.MAX_STRING_LENGTH;
const MAX_REASON = 200;
const NEWLINE = 0x0a;

export function errorItem(where: string, reason: string): SourceItem {
  return { kind: 'error', path: where, reason };
}

/** Reasons end up in terminals and reports: one line, bounded, no control characters. */
function shortReason(text: string): string {
  const oneLine = text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return oneLine.length > MAX_REASON ? `${oneLine.slice(0, MAX_REASON - 1)}…` : oneLine;
}

/** A short reason without the path (the item carries it) for fs, zlib and other errors. */
export function reasonOf(err: unknown): string {
  if (!(err instanceof Error)) return shortReason(String(err));
  const { code, syscall } = err as NodeJS.ErrnoException;
  if (typeof code === 'string' && code.startsWith('Z_')) return shortReason(`gunzip failed: ${err.message}`);
  if (typeof syscall === 'string') {
    // fs messages read "ENOENT: no such file or directory, open '/the/path'": drop the path part.
    const cut = err.message.indexOf(`, ${syscall}`);
    return shortReason(cut === -1 ? err.message : err.message.slice(0, cut));
  }
  return shortReason(err.message);
}

function jsonReason(err: unknown): string {
  return shortReason(`invalid JSON: ${err instanceof Error ? err.message : String(err)}`);
}

// ---------------------------------------------------------------------------------------------------
// Parsing

function isBlank(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // space, tab, CR, LF, BOM
    if (c !== 0x20 && c !== 0x09 && c !== 0x0d && c !== 0x0a && c !== 0xfeff) return false;
  }
  return true;
}

function firstNonBlank(text: string): string {
  for (let i = 0; i < text.length; i++) {
    const c = text.charAt(i);
    if (!isBlank(c)) return c;
  }
  return '';
}

function lastNonBlank(text: string): string {
  for (let i = text.length - 1; i >= 0; i--) {
    const c = text.charAt(i);
    if (!isBlank(c)) return c;
  }
  return '';
}

/**
 * A first line that does not parse but starts an array or ends on an opener (`{"Records": [`) is the
 * head of a multi-line document; one that merely breaks off is more likely a damaged NDJSON line.
 */
function opensDocument(line: string): boolean {
  const last = lastNonBlank(line);
  return firstNonBlank(line) === '[' || last === '[' || last === '{' || last === ',';
}

function withoutBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** A CloudTrail log file body: {"Records":[...]}. */
function isLogFile(value: unknown): value is { Records: unknown[] } {
  return (
    value !== null &&
    typeof value === 'object' &&
    !Array.isArray(value) &&
    Array.isArray((value as { Records?: unknown }).Records) &&
    !('detail-type' in value)
  );
}

type Mode = 'detect' | 'lines' | 'document';

/**
 * Turns one file's bytes into items, without knowing its format in advance.
 *
 * Format is decided on the first non-blank lines, so NDJSON streams however large the file:
 * - the first line parses on its own: NDJSON (a one-line document, such as a real CloudTrail log
 *   file, is just NDJSON with one line and yields the same items);
 * - it does not, and opens a document (`[`, `{`, `{"Records": [`): one multi-line document, parsed
 *   whole at the end;
 * - otherwise the second line decides: it parses, so NDJSON with a broken first line; it does not, so
 *   one multi-line document.
 * Files named .ndjson/.jsonl are always NDJSON. Chunks are kept (by reference) only until the format
 * is known or, for a document, until the end.
 */
export class FileParser {
  private mode: Mode = 'detect';
  private pending: Buffer[] = []; // the current line's bytes, when it spans chunks
  private pendingBytes = 0;
  private kept: Buffer[] = []; // every chunk since the start, while detecting or reading a document
  private keptBytes = 0;
  private line = 0; // number of the last completed line, from 1
  private held: { line: number; reason: string } | undefined; // first line, when it did not parse
  private index = 0;
  private out: SourceItem[] = [];
  /** Set when the whole file is given up; nothing more is read. */
  failure: string | undefined;

  constructor(
    private readonly file: string,
    private readonly ndjsonByName: boolean,
  ) {}

  /** Items produced so far; the caller yields them. */
  take(): SourceItem[] {
    const items = this.out;
    if (items.length > 0) this.out = [];
    return items;
  }

  push(chunk: Buffer): void {
    if (this.mode !== 'lines') this.keep(chunk);
    if (!this.splittingLines()) return;
    let start = 0;
    for (let nl = chunk.indexOf(NEWLINE); nl !== -1; nl = chunk.indexOf(NEWLINE, start)) {
      this.completeLine(chunk, start, nl);
      start = nl + 1;
      // Became a document: the rest of this chunk is already kept for it.
      if (!this.splittingLines()) return;
    }
    if (start < chunk.length) {
      this.pending.push(start === 0 ? chunk : chunk.subarray(start));
      this.pendingBytes += chunk.length - start;
      if (this.pendingBytes > MAX_TEXT_BYTES) this.fail('a line is too long to parse');
    }
  }

  private splittingLines(): boolean {
    return this.mode !== 'document' && this.failure === undefined;
  }

  end(): void {
    if (this.failure !== undefined) return;
    if (this.mode !== 'document' && this.pending.length > 0) {
      // The last line need not end with a newline (a one-line log file body usually does not).
      this.line++;
      this.handleLine(this.pendingText(undefined, 0, 0), this.line);
    }
    // A lone first line that did not parse: the file is one (broken) document.
    if (this.mode === 'detect' && this.held !== undefined) this.mode = 'document';
    if (this.mode === 'document') this.parseDocument();
  }

  private keep(chunk: Buffer): void {
    this.kept.push(chunk);
    this.keptBytes += chunk.length;
    if (this.mode === 'document' && this.keptBytes > MAX_TEXT_BYTES) {
      this.fail('too large to parse as one JSON document (NDJSON has no such limit)');
    }
  }

  private fail(reason: string): void {
    this.failure = reason;
    this.kept = [];
    this.pending = [];
  }

  private pendingText(chunk: Buffer | undefined, start: number, end: number): string {
    if (chunk !== undefined) this.pending.push(chunk.subarray(start, end));
    // One piece (a whole file read at once) is decoded where it lies: concat would copy it first.
    const only = this.pending.length === 1 ? this.pending[0] : undefined;
    const text = (only ?? Buffer.concat(this.pending)).toString('utf8');
    this.pending = [];
    this.pendingBytes = 0;
    return text;
  }

  private completeLine(chunk: Buffer, start: number, end: number): void {
    this.line++;
    // A line inside one chunk is decoded straight from it; splitting on 0x0a never cuts a UTF-8 sequence.
    const text = this.pending.length === 0 ? chunk.toString('utf8', start, end) : this.pendingText(chunk, start, end);
    this.handleLine(text, this.line);
  }

  private handleLine(text: string, line: number): void {
    if (isBlank(text)) return;
    if (this.mode === 'lines') {
      this.parseLine(text, line);
      return;
    }
    this.detect(line === 1 ? withoutBom(text) : text, line);
  }

  private detect(text: string, line: number): void {
    if (this.ndjsonByName) {
      this.startLines();
      this.parseLine(text, line);
      return;
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      if (this.held === undefined && !opensDocument(text)) {
        this.held = { line, reason: jsonReason(err) };
      } else {
        this.startDocument();
      }
      return;
    }
    this.startLines();
    if (this.held !== undefined) this.out.push(errorItem(`${this.file}:${this.held.line}`, this.held.reason));
    this.held = undefined;
    this.expand(value);
  }

  private startLines(): void {
    this.mode = 'lines';
    this.kept = [];
    this.keptBytes = 0;
  }

  private startDocument(): void {
    this.mode = 'document';
    this.pending = [];
    this.pendingBytes = 0;
    this.held = undefined;
    if (this.keptBytes > MAX_TEXT_BYTES) this.fail('too large to parse as one JSON document');
  }

  private parseLine(text: string, line: number): void {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      this.out.push(errorItem(`${this.file}:${line}`, jsonReason(err)));
      return;
    }
    this.expand(value);
  }

  private parseDocument(): void {
    const bytes = this.kept.length === 1 && this.kept[0] !== undefined ? this.kept[0] : Buffer.concat(this.kept, this.keptBytes);
    this.kept = [];
    let value: unknown;
    try {
      value = JSON.parse(withoutBom(bytes.toString('utf8')));
    } catch (err) {
      this.fail(jsonReason(err));
      return;
    }
    this.expand(value);
  }

  /** An array or a log file's Records are several events; anything else is one, checked later. */
  private expand(value: unknown): void {
    const list = Array.isArray(value) ? value : isLogFile(value) ? value.Records : undefined;
    if (list === undefined) {
      this.emit(value);
      return;
    }
    for (const element of list) this.emit(element);
  }

  private emit(value: unknown): void {
    this.out.push({ kind: 'event', value, origin: { path: this.file, index: this.index++ } });
  }
}

