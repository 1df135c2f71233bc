import { constants as bufferConstants } from 'node:buffer';
import type { Stats } from 'node:fs';
import { open, readdir, stat, type FileHandle } from 'node:fs/promises';
import * as path from 'node:path';
import { pipeline, type Readable } from 'node:stream';
import { createGunzip, type ZlibOptions } from 'node:zlib';

/**
 * The input side of `trailwatch replay`: CloudTrail events from files and directories, one item at
 * a time. Items are not validated here (see lib/cloudtrail/wrap.ts and envelope.ts): this module
 * only finds files, decompresses and parses them, and says which file or line could not be read.
 */

export type SourceItem =
  /** value: an envelope or a raw record, unvalidated. index counts events within the file, from 0. */
  | { kind: 'event'; value: unknown; origin: { path: string; index: number } }
  /** An unreadable/corrupt file (path is the file), or a line that is not JSON (path is file:line). */
  | { kind: 'error'; path: string; reason: string };

export interface ReadOptions {
  /** Called once per listed file as reading it starts, with its size on disk (0 if it cannot be opened). */
  onFile?: (path: string, bytes: number) => void;
}

// Large reads and inflate chunks: fewer stream round trips, fewer lines split across chunks.
const READ_CHUNK = 1 << 20;
const INFLATE_CHUNK = 1 << 18;
/** How much of the next file may be inflated ahead (CloudTrail log files are a few MB at most). */
const READ_AHEAD_BYTES = 16 << 20;
// Neither a JSON document nor a line can be longer than the longest string V8 can build.
const MAX_TEXT_BYTES = bufferConstants.MAX_STRING_LENGTH;
const MAX_REASON = 200;
const NEWLINE = 0x0a;

/** Names picked up inside directories; anything else there (digests, READMEs, other logs) is not ours. */
const INPUT_NAME = /\.(?:json|jsonl|ndjson)(?:\.gz)?$/i;
/** Names that promise NDJSON, so a broken first line is not mistaken for a broken document. */
const NDJSON_NAME = /\.(?:jsonl|ndjson)(?:\.gz)?$/i;
/** CloudTrail's delivery stamp: <account>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<id>.json.gz */
const LOG_FILE_STAMP = /_(\d{8}T\d{4}Z)_/;
/** Digest files are .json.gz too, in CloudTrail-Digest/ folders, with this in their name. */
const DIGEST_DIR = 'CloudTrail-Digest';
const DIGEST_NAME = '_CloudTrail-Digest_';

// ---------------------------------------------------------------------------------------------------
// Listing

interface Listing {
  files: string[];
  errors: SourceItem[];
}

/** True for entries a directory walk should not read, even when their name ends in .json. */
function skippedInWalk(name: string, isDirectory: boolean): boolean {
  if (name.startsWith('.')) return true; // .git, editor and OS droppings
  return isDirectory ? name === DIGEST_DIR : name.includes(DIGEST_NAME) || !INPUT_NAME.test(name);
}

/** CloudTrail's delivery time from a log file name, '' when the name has none. Sorts as text. */
export function fileStamp(file: string): string {
  return LOG_FILE_STAMP.exec(path.basename(file))?.[1] ?? '';
}

/** Delivery time first, so a whole AWSLogs tree (all accounts and regions) is read roughly in time order. */
export function sortInputFiles(files: readonly string[]): string[] {
  const keyed = files.map((file) => ({ file, stamp: fileStamp(file) }));
  // Plain code-unit comparison: deterministic whatever the locale.
  keyed.sort((a, b) => (a.stamp < b.stamp ? -1 : a.stamp > b.stamp ? 1 : a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  return keyed.map((k) => k.file);
}

async function collect(paths: readonly string[]): Promise<Listing> {
  const listing: Listing = { files: [], errors: [] };
  const seenFiles = new Set<string>(); // a file named explicitly and found in a directory is read once
  const seenDirs = new Set<string>(); // dev:inode, so symlink loops end
  const addFile = (file: string): void => {
    const key = path.resolve(file);
    if (seenFiles.has(key)) return;
    seenFiles.add(key);
    listing.files.push(file);
  };

  const walk = async (dir: string): Promise<void> => {
    let entries;
    try {
      const dirStat = await stat(dir);
      const key = `${dirStat.dev}:${dirStat.ino}`;
      if (seenDirs.has(key)) return;
      seenDirs.add(key);
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      listing.errors.push(errorItem(dir, reasonOf(err)));
      return;
    }
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      let isDirectory = entry.isDirectory();
      let isFile = entry.isFile();
      if (entry.isSymbolicLink()) {
        try {
          const target = await stat(full);
          isDirectory = target.isDirectory();
          isFile = target.isFile();
        } catch {
          continue; // a dangling link is not an input file
        }
      }
      if (skippedInWalk(entry.name, isDirectory)) continue;
      if (isDirectory) await walk(full);
      else if (isFile) addFile(full);
    }
  };

  for (const p of paths) {
    let st: Stats;
    try {
      st = await stat(p);
    } catch (err) {
      listing.errors.push(errorItem(p, reasonOf(err)));
      continue;
    }
    if (st.isDirectory()) await walk(p);
    else if (st.isFile()) addFile(p); // named explicitly: read whatever its name
    else listing.errors.push(errorItem(p, 'not a regular file or directory'));
  }
  listing.files = sortInputFiles(listing.files);
  return listing;
}

/** The sorted list of files readSources will read (for progress totals). */
export async function listInputFiles(paths: string[]): Promise<string[]> {
  return (await collect(paths)).files;
}

/** The files readSources will read, in its order, and the paths it could not list (as error items). */
export async function listInputs(paths: string[]): Promise<{ files: string[]; errors: SourceItem[] }> {
  return collect(paths);
}

// ---------------------------------------------------------------------------------------------------
// Errors

function errorItem(where: string, reason: string): SourceItem {
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
class FileParser {
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
    const text = Buffer.concat(this.pending).toString('utf8');
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

// ---------------------------------------------------------------------------------------------------
// Reading

async function isGzip(handle: FileHandle): Promise<boolean> {
  const magic = Buffer.alloc(2);
  const { bytesRead } = await handle.read(magic, 0, 2, 0);
  return bytesRead === 2 && magic[0] === 0x1f && magic[1] === 0x8b;
}

/** An opened input: its bytes (inflated when gzip, by content whatever the name says) and its size on disk. */
interface Opened {
  stream: Readable;
  size: number;
}

/** Opening failed: carries the original error, reported when the file's turn comes. */
class OpenError extends Error {
  override readonly name = 'OpenError';
  constructor(cause: unknown) {
    super(reasonOf(cause), { cause });
  }
}

async function openInput(file: string): Promise<Opened> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(file, 'r');
  } catch (err) {
    throw new OpenError(err);
  }
  try {
    const size = (await handle.stat()).size;
    const gzip = await isGzip(handle);
    // From here the stream owns the handle and closes it when it ends, fails or is destroyed.
    const raw = handle.createReadStream({ start: 0, highWaterMark: READ_CHUNK });
    handle = undefined;
    if (!gzip) return { stream: raw, size };
    // A deep buffer lets the next file inflate on the thread pool while this one is parsed.
    // (zlib streams accept Transform options; the ZlibOptions type does not list them.)
    const gunzip = createGunzip({ chunkSize: INFLATE_CHUNK, readableHighWaterMark: READ_AHEAD_BYTES } as ZlibOptions);
    // pipeline (not pipe) so a read error reaches the reader, and an abandoned reader frees the file.
    pipeline(raw, gunzip, () => {});
    return { stream: gunzip, size };
  } finally {
    await handle?.close();
  }
}

/** One file's items, a parsed chunk at a time. */
async function* readFile(file: string, opened: Promise<Opened>, onFile: ReadOptions['onFile']): AsyncGenerator<SourceItem[]> {
  const parser = new FileParser(file, NDJSON_NAME.test(file));
  let failure: string | undefined;
  try {
    // Progress is reported when the file's turn comes, whenever it was opened.
    let input: Readable;
    try {
      const o = await opened;
      onFile?.(file, o.size);
      input = o.stream;
    } catch (err) {
      onFile?.(file, 0);
      throw err instanceof OpenError ? err.cause : err;
    }
    for await (const chunk of input as AsyncIterable<Buffer>) {
      parser.push(chunk);
      const items = parser.take();
      if (items.length) yield items;
      if (parser.failure !== undefined) break; // leaving the loop destroys the stream
    }
    parser.end();
    const rest = parser.take();
    if (rest.length) yield rest;
    failure = parser.failure;
  } catch (err) {
    // Read or gunzip failure part-way: items already yielded stand, the partial line is dropped.
    failure = reasonOf(err);
  }
  if (failure !== undefined) yield [errorItem(file, failure)];
}

/**
 * Streams items from files and directories. Directories are walked recursively for .json, .jsonl,
 * .ndjson (each optionally .gz), skipping CloudTrail digests; a file named explicitly is read whatever
 * its name. Files are read one after another in sortInputFiles order, so at most one file's records
 * are held at once (and only a line's worth for NDJSON). Paths that cannot be listed come first, as
 * error items; a file that cannot be read or parsed yields one error item and reading goes on.
 */
export async function* readSources(paths: string[], opts: ReadOptions = {}): AsyncGenerator<SourceItem> {
  for await (const batch of readSourceBatches(paths, opts)) yield* batch;
}

/** readSources a parsed chunk at a time (replay's hot path: one async step per chunk, not per event). */
export async function* readSourceBatches(paths: string[], opts: ReadOptions = {}): AsyncGenerator<SourceItem[]> {
  const { files, errors } = await collect(paths);
  if (errors.length) yield errors;
  // The next file is opened (and starts inflating) as soon as this one is: the thread pool inflates it
  // while this one is parsed. Without it the main thread sat idle a fifth of a replay.
  const open = (file: string): Promise<Opened> => {
    const opened = openInput(file);
    opened.catch(() => undefined); // an error is reported when the file's turn comes, not as unhandled
    return opened;
  };
  let next = files[0] === undefined ? undefined : open(files[0]);
  try {
    for (let i = 0; i < files.length; i++) {
      const current = next as Promise<Opened>;
      next = i + 1 < files.length ? open(files[i + 1] as string) : undefined;
      yield* readFile(files[i] as string, current, opts.onFile);
    }
  } finally {
    // A reader that stops early must not leave the file opened ahead open.
    next?.then((o) => o.stream.destroy(), () => undefined);
  }
}
