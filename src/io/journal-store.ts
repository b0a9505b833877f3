import { readFileSync } from 'node:fs';
import { appendFile, mkdir, readFile, rename, rm } from 'node:fs/promises';
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

  /** Appends one record. The write reaches the OS before the caller sends what it announces. */
  async append(record: JournalRecord): Promise<void> {
    // Owner-only: the journal holds the cluster's pre-state and server error text.
    await mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
    await appendFile(this.file, `${heldSecrets.redact(JSON.stringify(record))}\n`, { mode: 0o600 });
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
