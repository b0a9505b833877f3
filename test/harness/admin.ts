import { request } from 'undici';

/**
 * A thin admin-API caller for tests that set up or inspect a real dgate-server by hand (as a
 * user with curl would). The product's own client lives in src/cluster/.
 */
export async function adminCall(
  base: string,
  method: 'GET' | 'PUT' | 'DELETE',
  path: string,
  body?: unknown,
): Promise<{ status: number; json: any; headers: Record<string, string | string[] | undefined> }> {
  const res = await request(`${base}/api/v1${path}`, {
    method,
    body: body === undefined ? undefined : JSON.stringify(body),
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    headersTimeout: 30_000,
    bodyTimeout: 30_000,
  });
  const text = await res.body.text();
  let json: any = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = text;
  }
  return { status: res.statusCode, json, headers: res.headers };
}

export async function adminPut(base: string, kind: string, body: unknown): Promise<any> {
  const res = await adminCall(base, 'PUT', `/${kind}`, body);
  if (res.status >= 300) throw new Error(`PUT /${kind} answered ${res.status}: ${JSON.stringify(res.json)}`);
  return res.json;
}

/**
 * Whether the node has stopped answering writes. DGate wedges a node from a goroutine it starts
 * after the failing write has been answered, so a write sent at once can still win the race: this
 * sends up to `attempts` harmless writes, a moment apart, and reports whether one of them hung.
 */
export async function writesHang(base: string, attempts = 5, hangMs = 1500): Promise<boolean> {
  for (let attempt = 0; attempt < attempts; attempt++) {
    try {
      const res = await request(`${base}/api/v1/namespace`, {
        method: 'PUT',
        body: JSON.stringify({ name: `wedge-probe-${attempt}` }),
        headers: { 'content-type': 'application/json' },
        headersTimeout: hangMs,
      });
      await res.body.dump();
    } catch (error) {
      if (/timeout/i.test(String(error))) return true;
      throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return false;
}
