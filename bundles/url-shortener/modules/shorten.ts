// Short links. PARAMS and NAMES (this instance's parameters and resource names) are defined by
// dgate-cli in the line above this file's first line.
import { createHash } from 'dgate/crypto';
import { addDocument, getDocument } from 'dgate/state';

const collection = NAMES.links;

function allowed(url: string): boolean {
  const m = /^https?:\/\/([^/:?#]+)/.exec(url);
  if (!m) return false;
  return PARAMS.allowedHosts.length === 0 || PARAMS.allowedHosts.includes(m[1]);
}

export const requestHandler = (ctx: any) => {
  const req = ctx.request();
  const res = ctx.response();
  if (req.method === 'GET') {
    const id = ctx.pathParam('id');
    if (!id) return res.status(400).json({ error: 'id is required' });
    return getDocument(id, collection)
      .then((doc: any) => (doc?.data?.url ? res.redirect(doc.data.url) : res.status(404).json({ error: 'not found' })))
      .catch(() => res.status(404).json({ error: 'not found' }));
  }
  const url = req.query.get('url');
  if (!url || !allowed(url)) return res.status(400).json({ error: 'url must be an http(s) URL to an allowed host' });
  const id = createHash('sha256').update(url).digest('hex').slice(0, 10);
  return addDocument({ id, collection, data: { url } })
    .then(() => res.status(201).json({ id }))
    .catch((e: any) => res.status(500).json({ error: String(e?.message ?? e) }));
};
