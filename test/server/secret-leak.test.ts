import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminCall } from '../harness/admin.js';
import { dgateCli, type CliResult } from '../harness/cli.js';
import { startFaultProxy, type FaultProxy } from '../harness/fault-proxy.js';
import { editFile, everyFieldDir, useTempDirs } from '../harness/fixtures.js';
import { useOwnDgateNode } from '../harness/node.js';

/** Every file below `dir`, as text. */
async function readTree(dir: string): Promise<{ file: string; text: string }[]> {
  const out: { file: string; text: string }[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await readTree(full)));
    else out.push({ file: full, text: await readFile(full, 'utf8') });
  }
  return out;
}

/**
 * Secret values are unique random markers; every command's output, every file dgate-cli writes
 * and every resource read back from the server (but the secrets and keys themselves) is searched
 * for them, plain, base64 and URL-encoded.
 */
describe('secret values never leak', () => {
  const node = useOwnDgateNode();
  const temps = useTempDirs();
  const marker = (name: string) => `LEAK${name}${randomBytes(6).toString('hex')}`;
  // The webhook URL of settings.notify is a credential too: it carries a marker of its own.
  const markers = {
    env: marker('env'),
    inline: marker('inline'),
    key: marker('key'),
    encrypted: marker('encrypted'),
    hook: marker('hook'),
  };
  let identity = '';
  const forms = Object.values(markers).flatMap((m) => [
    m,
    Buffer.from(m).toString('base64').replace(/=+$/, ''),
    encodeURIComponent(m),
  ]);
  const outputs: { what: string; result: CliResult }[] = [];
  let config: string;
  let state: string;
  let work: string;
  let proxy: FaultProxy;
  /** A local webhook receiver (node:http, standing in for Slack): every notice body it was sent. */
  let receiver: Server;
  const notices: string[] = [];
  let hookUrl = '';

  const run = async (what: string, args: string[], admin?: string) => {
    const result = await dgateCli(args, {
      env: {
        DGATE_ADMIN_URL: admin ?? node().adminUrl,
        EVERY_SECRET: markers.env,
        DGATE_CLI_STATE_DIR: state,
        DGATE_DOMAIN_KEY_EVERY_TLS: markers.key,
        DGATE_CLI_HASH_KEY: 'leak-test-hash-key',
        DGATE_CLI_AGE_IDENTITY: identity,
        LEAK_HOOK_URL: hookUrl,
      },
    });
    outputs.push({ what, result });
    return result;
  };

  beforeAll(async () => {
    config = await temps.make(everyFieldDir);
    state = await temps.make();
    work = await temps.make();
    await editFile(path.join(config, 'everything.yaml'), 'value: not-for-production', `value: ${markers.inline}`);
    await writeFile(
      path.join(config, 'tls/every.key'),
      `-----BEGIN PRIVATE KEY-----\n${markers.key}\n-----END PRIVATE KEY-----\n`,
    );
    proxy = await startFaultProxy(node().adminUrl);
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        if (req.url === `/hook/${markers.hook}`) notices.push(body);
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook/${markers.hook}`;
    // An age-encrypted secret, and releases that keep every value encrypted (so rollback restores them).
    const keygen = await run('secret keygen', ['secret', 'keygen']);
    identity = keygen.stdout.split('\n').find((l) => l.startsWith('AGE-SECRET-KEY-'))!;
    const recipient = /Public key: (age1\w+)/.exec(keygen.stderr)![1]!;
    const encrypted = await dgateCli(['secret', 'encrypt', '--recipient', recipient], { input: markers.encrypted });
    outputs.push({ what: 'secret encrypt', result: encrypted });
    await editFile(
      path.join(config, 'everything.yaml'),
      'settings: { allowPlaintextSecrets: true }',
      `settings: { allowPlaintextSecrets: true, ageRecipients: [${recipient}], notify: [{ url: { fromEnv: LEAK_HOOK_URL } }] }`,
    );
    await editFile(
      path.join(config, 'everything.yaml'),
      '      - { name: from-file, value: { fromFile: tls/every.key, trimTrailingNewline: false } }',
      `      - { name: from-file, value: { fromFile: tls/every.key, trimTrailingNewline: false } }\n      - name: encrypted\n        value:\n          encrypted: |\n${encrypted.stdout
        .trim()
        .split('\n')
        .map((l) => `            ${l}`)
        .join('\n')}`,
    );

    // These only read: side by side.
    await Promise.all([
      run('validate', ['validate', config]),
      run('compile', ['compile', config, '--out', path.join(work, 'state.json')]),
      ...['human', 'json', 'markdown'].map((format) =>
        run(`plan ${format}`, ['plan', config, '--format', format, '--debug']),
      ),
      run('plan --out', ['plan', config, '--out', path.join(work, 'plan.json')]),
    ]);
    // A failed apply first: the fifth write is refused, everything is rolled back.
    let writes = 0;
    proxy.setRule(({ method, path: p }) =>
      (method === 'PUT' || method === 'DELETE') && !p.includes('dgate-cli') && ++writes === 5
        ? { kind: 'status', status: 500 }
        : { kind: 'pass' },
    );
    await run('failed apply', ['apply', config, '--auto-approve', '--debug'], proxy.url);
    // A server that refuses secret and domain writes with an error echoing the request body,
    // value included (plain, JSON-escaped, base64): server text is a channel too.
    proxy.setRule(({ method, path: p }) =>
      method === 'PUT' && /^\/api\/v1\/(secret|domain)\b/.test(p) ? { kind: 'echo', status: 400 } : { kind: 'pass' },
    );
    await run('failed apply, echoed', ['apply', config, '--auto-approve', '--debug'], proxy.url);
    proxy.setRule(() => ({ kind: 'pass' }));
    await run('apply', ['apply', config, '--auto-approve']);
    await editFile(path.join(config, 'everything.yaml'), 'retries: 7', 'retries: 8');
    await run('second apply', ['apply', config, '--auto-approve']);
    await run('rollback', ['rollback', '--auto-approve']);
    await Promise.all([
      run('history', ['history', '--format', 'json']),
      run('history table', ['history']),
      run('dump', ['dump', '--out', path.join(work, 'dump')]),
      ...['secrets', 'domains', 'modules'].map((kind) => run(`get ${kind}`, ['get', kind, '--format', 'json'])),
    ]);
  });
  afterAll(async () => {
    await proxy?.close();
    receiver?.closeAllConnections();
    receiver?.close();
  });

  it('the commands ran (the leak search below is not vacuous)', () => {
    const codes = Object.fromEntries(outputs.map((o) => [o.what, o.result.code]));
    expect(codes).toMatchObject({
      'secret keygen': 0,
      'secret encrypt': 0,
      validate: 0,
      compile: 0,
      'plan json': 0,
      apply: 0,
      'second apply': 0,
      rollback: 0,
      history: 0,
      dump: 0,
      'failed apply': 1,
      'failed apply, echoed': 1,
    });
    // The echo reached dgate-cli and was shown, masked.
    const echoed = outputs.find((o) => o.what === 'failed apply, echoed')!.result;
    expect(echoed.stdout + echoed.stderr).toMatch(/invalid request body [^\n]*\(sensitive value\)/);
    expect(outputs.find((o) => o.what === 'apply')!.result.stdout).toContain('✓ create secret every/encrypted');
    expect(outputs.find((o) => o.what === 'failed apply')!.result.stderr).toContain(
      'rolled back: the cluster now equals its state before the apply.',
    );
  });

  it('in no webhook notice: failed, applied and rolled-back were sent, server text included, masked', () => {
    const events = notices.map((n) => (JSON.parse(n) as { event: string }).event);
    expect(events).toEqual(['failed', 'failed', 'applied', 'applied', 'rolled-back']);
    const echoed = JSON.parse(notices[1]!) as { text: string; error: { message: string } };
    expect(echoed.error.message).toMatch(/\(sensitive value\)/);
    for (const notice of notices)
      for (const form of forms) expect(notice, `a notice carried ${form}`).not.toContain(form);
  });

  it('in no stdout or stderr', () => {
    for (const { what, result } of outputs)
      for (const form of forms) expect(result.stdout + result.stderr, `${what} printed ${form}`).not.toContain(form);
  });

  it('in no file dgate-cli wrote: compiled state, plans, journals, dump', async () => {
    const files = [...(await readTree(work)), ...(await readTree(state))];
    expect(files.map((f) => path.basename(f.file))).toEqual(
      expect.arrayContaining(['state.json', 'plan.json', 'every.yaml']),
    );
    expect(files.some((f) => f.file.endsWith('.jsonl'))).toBe(true);
    // The journals hold pre-state and server text: owner-only.
    for (const { file } of files.filter((f) => f.file.endsWith('.jsonl')))
      expect((await stat(file)).mode & 0o777, file).toBe(0o600);
    for (const { file, text } of files)
      for (const form of forms) expect(text, `${file} holds ${form}`).not.toContain(form);
  });

  it('in no resource read back from the server but the secrets and keys themselves, release history included', async () => {
    const namespaces = ((await adminCall(node().adminUrl, 'GET', '/namespace')).json.data as { name: string }[]).map(
      (n) => n.name,
    );
    expect(namespaces).toContain('dgate-cli');
    const seen: string[] = [];
    for (const ns of namespaces) {
      for (const kind of ['service', 'module', 'route', 'collection', 'domain']) {
        const items = (await adminCall(node().adminUrl, 'GET', `/${kind}?namespace=${ns}`)).json.data as Record<
          string,
          unknown
        >[];
        // A domain's key is the secret itself: DGate returns it by design.
        for (const item of items) seen.push(JSON.stringify(kind === 'domain' ? { ...item, key: undefined } : item));
        if (kind === 'collection') {
          for (const c of items) {
            const docs = await adminCall(
              node().adminUrl,
              'GET',
              `/document?namespace=${ns}&collection=${c.name}&limit=0&offset=2147483647`,
            );
            seen.push(JSON.stringify(docs.json));
          }
        }
      }
    }
    const everything = seen.join('\n');
    expect(everything).toContain('"releases"');
    for (const form of forms) expect(everything, `the server holds ${form}`).not.toContain(form);
  });
});
