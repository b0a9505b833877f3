import { request } from 'undici';

/**
 * A thin admin-API caller for tests that set up or inspect a real dgate-server by hand (as a
 * user with curl would). The product's own client lives in src/cluster/.
 */
export async function adminCall(base: string, method: 'GET' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<{ status: number; json: any; headers: Record<string, string | string[] | undefined> }> {
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
