import { readFileSync, statSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { pipeline, Readable } from 'node:stream';
import { promisify } from 'node:util';
import { createGunzip, gunzip, gunzipSync, type ZlibOptions } from 'node:zlib';
import { collect, NDJSON_NAME, type Listing } from './list.js';
import { errorItem, FileParser, reasonOf, type SourceItem } from './parse.js';

/**
 * The input side of `trailwatch replay`: CloudTrail events from files and directories, a parsed chunk
 * at a time. list.ts finds the files, this module opens and inflates them (gzip told by content), and
 * parse.ts turns their bytes into items.
 */

export interface ReadOptions {
  /** Called once per listed file as reading it starts, with its size on disk (0 if it cannot be opened). */
  onFile?: (path: string, bytes: number) => void;
  /**
   * Where small files are inflated: on the thread pool while this thread parses the file before
   * (default), or on this thread (a replay worker, whose own thread is the one to use).
   */
  inflate?: 'thread-pool' | 'sync';
  /**
   * The paths' listing, when the caller already has it (replay lists once for sizing, workers and
   * reading; a worker is handed its files one at a time): used instead of listing them again. A file
   * that has gone since is reported as unreadable.
   */
  listing?: Promise<Listing> | Listing;
}

// Large reads and inflate chunks: fewer stream round trips, fewer lines split across chunks.
const READ_CHUNK = 1 << 20;
const INFLATE_CHUNK = 1 << 18;
/** How much of the next file may be inflated ahead (CloudTrail log files are a few MB at most). */
const READ_AHEAD_BYTES = 16 << 20;
/**
 * Files up to this size on disk (every CloudTrail log file) are read in one call and inflated in one
 * pass on the thread pool, while this thread parses the file before: a stream's chunk-by-chunk
 * inflate needs this thread between chunks, so it waited on zlib, and its buffers fed the garbage
 * collector (bench/RESULTS.md, "Replay on every core"). Larger files still stream.
 */
const WHOLE_FILE_BYTES = 32 << 20;
/** A small file inflating past this (a gzip bomb, or a huge NDJSON export) is streamed instead. */
const WHOLE_INFLATED_BYTES = 256 << 20;
const inflate = promisify(gunzip);
/**
 * Files opened (and inflating on the thread pool) ahead of the one being parsed. With one, this
 * thread still waited on zlib for about a twelfth of a replay: a file whose records no rule matches
 * parses faster than the next one inflates. Three keep it busy for a few MB more memory.
 */
const OPEN_AHEAD = 3;

const hasGzipMagic = (bytes: Buffer): boolean => bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;

async function isGzip(handle: FileHandle): Promise<boolean> {
  const magic = Buffer.alloc(2);
  const { bytesRead } = await handle.read(magic, 0, 2, 0);
  return hasGzipMagic(magic.subarray(0, bytesRead));
}

/** An opened input: its bytes (inflated when gzip, by content whatever the name says) and its size on disk. */
interface Opened {
  chunks: AsyncIterable<Buffer> | Iterable<Buffer>;
  size: number;
  /** Frees what reading holds (a stream's file handle) when the reader stops early. */
  destroy(): void;
}

/** Opening failed: carries the original error, reported when the file's turn comes. */
class OpenError extends Error {
  override readonly name = 'OpenError';
  constructor(cause: unknown) {
    super(reasonOf(cause), { cause });
  }
}

function streamed(stream: Readable, size: number): Opened {
  return { chunks: stream, size, destroy: () => stream.destroy() };
}

function gunzipStream(raw: Readable): Readable {
  // A deep buffer lets the next file inflate on the thread pool while this one is parsed.
  // (zlib streams accept Transform options; the ZlibOptions type does not list them.)
  const gunzipper = createGunzip({ chunkSize: INFLATE_CHUNK, readableHighWaterMark: READ_AHEAD_BYTES } as ZlibOptions);
  // pipeline (not pipe) so a read error reaches the reader, and an abandoned reader frees the file.
  pipeline(raw, gunzipper, () => {});
  // The reader sees a failure when it iterates. A stream opened ahead and abandoned (the reader stopped
  // early) may still report zlib's error once pipeline has let go of it: that must not crash replay.
  gunzipper.on('error', () => {});
  return gunzipper;
}

/**
 * A small file, whole: read at once (the page cache answers in microseconds) and inflated in a single
 * pass, sized from the gzip trailer's length field (a hint only: a wrong one costs more passes).
 */
async function openWhole(file: string, size: number, sync: boolean): Promise<Opened> {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    throw new OpenError(err);
  }
  const whole = (chunk: Buffer): Opened => ({ chunks: [chunk], size, destroy: () => {} });
  if (!hasGzipMagic(bytes)) return whole(bytes);
  // One output chunk the size the trailer announces: zlib then writes the text where it stays, where
  // its default 16 KB chunks cost a pass each and a copy to join them (a quarter of inflating).
  const hinted = bytes.length >= 18 ? bytes.readUInt32LE(bytes.length - 4) : 0;
  const options = { chunkSize: Math.min(Math.max(hinted + 64, 64 << 10), WHOLE_INFLATED_BYTES), maxOutputLength: WHOLE_INFLATED_BYTES };
  try {
    if (sync) return whole(gunzipSync(bytes, options));
    return whole(await inflate(bytes, options));
  } catch {
    // Too large to hold, or corrupt part-way: the stream yields what inflates before the damage and
    // reports the failure as streaming always has.
    return streamed(gunzipStream(Readable.from([bytes])), size);
  }
}

/**
 * A regular file's size on disk; -1 for anything else or an error (the open that follows reports it).
 * Synchronous: a small file is then read synchronously anyway, and an asynchronous stat queued on the
 * thread pool behind the files inflating ahead.
 */
function sizeOf(file: string): number {
  try {
    const s = statSync(file);
    return s.isFile() ? s.size : -1;
  } catch {
    return -1;
  }
}

async function openInput(file: string, sync: boolean): Promise<Opened> {
  const size = sizeOf(file);
  if (size >= 0 && size <= WHOLE_FILE_BYTES) return openWhole(file, size, sync);
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
    return streamed(gzip ? gunzipStream(raw) : raw, size);
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
    let input: Opened['chunks'];
    try {
      const o = await opened;
      onFile?.(file, o.size);
      input = o.chunks;
    } catch (err) {
      onFile?.(file, 0);
      throw err instanceof OpenError ? err.cause : err;
    }
    for await (const chunk of input) {
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
  const { files, errors } = await (opts.listing ?? collect(paths));
  if (errors.length) yield errors;
  // The next files are opened (and start inflating) as soon as this one is: the thread pool inflates
  // them while this one is parsed. Without it the main thread sat idle a fifth of a replay.
  const open = (file: string): Promise<Opened> => {
    const opened = openInput(file, opts.inflate === 'sync');
    opened.catch(() => undefined); // an error is reported when the file's turn comes, not as unhandled
    return opened;
  };
  const ahead: Array<Promise<Opened>> = [];
  let opened = 0;
  try {
    for (let i = 0; i < files.length; i++) {
      while (opened < files.length && opened <= i + OPEN_AHEAD) ahead.push(open(files[opened++] as string));
      yield* readFile(files[i] as string, ahead.shift() as Promise<Opened>, opts.onFile);
    }
  } finally {
    // A reader that stops early must not leave the files opened ahead open.
    for (const o of ahead) o.then((x) => x.destroy(), () => undefined);
  }
}
