import type { Stats } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { errorItem, reasonOf, type SourceItem } from './parse.js';

/**
 * Finding replay input: the files under the paths given, CloudTrail digests and foreign files left
 * out, in delivery-time order, and the paths that could not be listed (as error items).
 */

/** Names picked up inside directories; anything else there (digests, READMEs, other logs) is not ours. */
const INPUT_NAME = /\.(?:json|jsonl|ndjson)(?:\.gz)?$/i;
/** Names that promise NDJSON, so a broken first line is not mistaken for a broken document. */
export const NDJSON_NAME = /\.(?:jsonl|ndjson)(?:\.gz)?$/i;
/** CloudTrail's delivery stamp: <account>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<id>.json.gz */
const LOG_FILE_STAMP = /_(\d{8}T\d{4}Z)_/;
/** Digest files are .json.gz too, in CloudTrail-Digest/ folders, with this in their name. */
const DIGEST_DIR = 'CloudTrail-Digest';
const DIGEST_NAME = '_CloudTrail-Digest_';

// ---------------------------------------------------------------------------------------------------
// Listing

export interface Listing {
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

export async function collect(paths: readonly string[]): Promise<Listing> {
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

