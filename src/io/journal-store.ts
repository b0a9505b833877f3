import { readFileSync } from 'node:fs';
import { type FileHandle, mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { JournalRecord } from '../apply/journal.js';
import { sha256Hex } from '../state/canonical-json.js';
import { DgateError } from '../errors/dgate-error.js';
import { heldSecrets } from './held-secrets.js';

/** Where dgate-cli keeps its local state: `.dgate-cli/` in the working directory, or $DGATE_CLI_STATE_DIR. */
export function stateDirectory(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string {
  return path.resolve(cwd, env.DGATE_CLI_STATE_DIR ?? '.dgate-cli');
}

/** The journal of applies to one cluster (one file per admin URL). */
export class JournalStore {
  readonly file: string;

  constructor(stateDir: string, adminUrl: string) {
    this.file = path.join(stateDir, 'journal', `${sha256Hex(adminUrl).slice(0, 16)}.jsonl`);
  }

  /** Appends one record as a commit of its own, synced to disk (see `commit`). */
  async append(record: JournalRecord): Promise<void> {
    await this.commit([record]);
  }

  /**
   * Appends records as one commit: one write of all their lines. `sync` (the default) waits until
   * they are on disk, as a commit that announces writes must be before any is sent; without it
   * they only reach the OS (they survive the process, not the machine), and the next synced
   * commit of this file puts them on disk too, since syncing a file flushes all written to it.
   */
  async commit(records: readonly JournalRecord[], opts: { sync?: boolean } = {}): Promise<void> {
    if (records.length === 0) return;
    const text = records.map((r) => `${heldSecrets.redact(JSON.stringify(r))}\n`).join('');
    const file = await this.openForAppend();
    try {
      await file.writeFile(text);
      if (opts.sync !== false) await file.datasync();
    } finally {
      await file.close();
    }
  }

  private async openForAppend(): Promise<FileHandle> {
    // Owner-only: the journal holds the cluster's pre-state and server error text.
    try {
      return await open(this.file, 'a', 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      await mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
      return open(this.file, 'a', 0o600);
    }
  }

  async read(): Promise<JournalRecord[]> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    return parseJournal(text);
  }

  /** The records, read before anything else can run: for a signal handler about to exit. */
  readSync(): JournalRecord[] {
    try {
      return parseJournal(readFileSync(this.file, 'utf8'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  }

  /** Keeps the finished journal beside the live one, for inspection, and starts afresh. */
  async archive(): Promise<void> {
    await rename(this.file, this.file.replace(/\.jsonl$/, '.last.jsonl')).catch(async (err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT')
        throw new DgateError({
          code: 'DG0005',
          message: `cannot archive the journal ${this.file}: ${err.code}`,
          hint: 'check the state directory permissions',
        });
    });
  }

  async clear(): Promise<void> {
    await rm(this.file, { force: true });
  }
}

function parseJournal(text: string): JournalRecord[] {
  const records: JournalRecord[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      records.push(JSON.parse(line) as JournalRecord);
    } catch {
      // A line cut short by a kill: everything before it still counts.
      break;
    }
  }
  return records;
}
