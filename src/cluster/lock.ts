import { hostname } from 'node:os';
import { DgateError } from '../errors/dgate-error.js';
import type { AdminClient } from './client.js';
import {
  deleteSystemDocument,
  ensureSystemStore,
  locksCollection,
  readSystemDocuments,
  writeSystemDocument,
} from './system-store.js';

export interface LockRecord {
  holder: string;
  host: string;
  pid: number;
  command: string;
  acquiredAt: string;
  expiresAt: string;
}

export interface HeldLock {
  record: LockRecord;
  /** How many times the lease was renewed (each a write of ours to the cluster). */
  renewals: () => number;
  /** When the lease runs out unless renewed: when a lock left behind frees itself. */
  expiresAt: () => string;
  release: () => Promise<void>;
}

const lockId = 'apply';

/** A holder on this host whose process is gone died without releasing: its lock is free at once. */
function holderDied(lock: LockRecord): boolean {
  if (lock.host !== hostname()) return false;
  try {
    process.kill(lock.pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The holder of the apply lock, when one holds it now (not expired, and not a holder known to be gone). */
export async function liveLockHolder(client: AdminClient): Promise<LockRecord | undefined> {
  const current = await readLock(client);
  return current && Date.parse(current.expiresAt) > Date.now() && !holderDied(current) ? current : undefined;
}

async function readLock(client: AdminClient): Promise<LockRecord | undefined> {
  return (await readSystemDocuments<LockRecord>(client, locksCollection)).find((d) => d.id === lockId)?.data;
}

/**
 * Takes the cluster's apply lock: a lease document in the reserved namespace, renewed while
 * held, that expires by itself if its holder dies. DGate has no compare-and-set, so a claim is
 * written and then read back twice, a moment apart: of two claims made together, only the one
 * that survives both reads holds the lock. Waits up to `timeoutMs` for another holder. A lease
 * left by a holder on this host whose process is gone is free at once; one from another host
 * frees itself when it expires.
 */
export async function acquireApplyLock(
  client: AdminClient,
  opts: { holder: string; command: string; timeoutMs: number; leaseMs?: number; settleMs?: number },
): Promise<HeldLock> {
  const leaseMs = opts.leaseMs ?? 120_000;
  const settleMs = opts.settleMs ?? 150;
  const deadline = Date.now() + opts.timeoutMs;
  await ensureSystemStore(client);
  for (;;) {
    const current = await readLock(client);
    const free =
      !current || Date.parse(current.expiresAt) <= Date.now() || current.holder === opts.holder || holderDied(current);
    if (free) {
      const record: LockRecord = {
        holder: opts.holder,
        host: hostname(),
        pid: process.pid,
        command: opts.command,
        acquiredAt: new Date().toISOString(),
        expiresAt: new Date(Date.now() + leaseMs).toISOString(),
      };
      await writeSystemDocument(client, locksCollection, lockId, record);
      await sleep(settleMs);
      if ((await readLock(client))?.holder === opts.holder) {
        await sleep(settleMs);
        if ((await readLock(client))?.holder === opts.holder) return hold(client, record, leaseMs);
      }
      continue;
    }
    if (Date.now() >= deadline) {
      throw new DgateError({
        code: 'DG3006',
        message: `${client.baseUrl} is locked by another apply: ${current!.command} by ${current!.holder} on ${current!.host} (pid ${current!.pid}) since ${current!.acquiredAt}`,
        hint: `wait for it, or pass --lock-timeout to wait here; the lock expires by itself at ${current!.expiresAt} if its holder died`,
      });
    }
    await sleep(Math.min(500, Math.max(50, deadline - Date.now())));
  }
}

function hold(client: AdminClient, record: LockRecord, leaseMs: number): HeldLock {
  let current = record;
  let renewals = 0;
  const timer = setInterval(() => {
    current = { ...current, expiresAt: new Date(Date.now() + leaseMs).toISOString() };
    renewals++;
    writeSystemDocument(client, locksCollection, lockId, current).catch(() => undefined);
  }, leaseMs / 3);
  timer.unref();
  return {
    record,
    renewals: () => renewals,
    expiresAt: () => current.expiresAt,
    release: async () => {
      clearInterval(timer);
      if ((await readLock(client))?.holder === record.holder)
        await deleteSystemDocument(client, locksCollection, lockId);
    },
  };
}
