/**
 * Go's `url.Parse(s).String()`, ported from net/url (Go 1.26, the toolchain dgate-server v0.11.1
 * is built with). DGate parses each upstream URL of a service with `url.Parse` and returns
 * `u.String()` (pkg/spec/transformers.go), so a URL comes back rewritten: the scheme lower-cased,
 * a space in the path as `%20`, an empty fragment dropped. Comparing the config's URL in that same
 * form keeps plans free of changes that no apply can make go away.
 *
 * Go works on bytes: the text is handled as a string of UTF-8 bytes (one char per byte) and turned
 * back at the end. What Go copies verbatim (a query, an opaque part) keeps its bytes; what it
 * escapes becomes ASCII, so the result is valid UTF-8 again.
 */

/**
 * URLs already formatted: a config and the cluster's answer name the same few upstreams again
 * and again (every service compiled, and read back, at each plan), and the port is slow.
 * Bounded, so that a long-running process does not keep every URL it ever saw.
 */
const formatted = new Map<string, string | undefined>();
const formattedLimit = 10_000;

/** What `url.Parse` makes of `text` (scheme and host), or undefined where it returns an error. */
export function goUrlParts(text: string): { scheme: string; host: string } | undefined {
  const parsed = parse(toByteString(text));
  return parsed && { scheme: parsed.scheme, host: fromByteString(parsed.host) };
}

/** The result of `url.Parse(text).String()`, or undefined where `url.Parse` returns an error. */
export function formatGoUrl(text: string): string | undefined {
  if (formatted.has(text)) return formatted.get(text);
  const bytes = toByteString(text);
  const parsed = parse(bytes);
  const out = parsed === undefined ? undefined : fromByteString(format(parsed));
  if (formatted.size >= formattedLimit) formatted.clear();
  formatted.set(text, out);
  return out;
}

interface GoUrl {
  scheme: string;
  opaque: string;
  user?: { username: string; password?: string };
  host: string;
  path: string;
  rawPath: string;
  rawQuery: string;
  forceQuery: boolean;
  omitHost: boolean;
  fragment: string;
  rawFragment: string;
}

type Mode = 'path' | 'host' | 'zone' | 'userPassword' | 'fragment';

/** Thrown inside the parser only; formatGoUrl turns it into undefined. */
class GoUrlError extends Error {}

function parse(raw: string): GoUrl | undefined {
  try {
    const hash = raw.indexOf('#');
    const url = parseWithoutFragment(hash === -1 ? raw : raw.slice(0, hash));
    const frag = hash === -1 ? '' : raw.slice(hash + 1);
    if (frag !== '') {
      url.fragment = percentDecode(frag, 'fragment');
      url.rawFragment = percentEncode(url.fragment, 'fragment') === frag ? '' : frag;
    }
    return url;
  } catch (err) {
    if (err instanceof GoUrlError) return undefined;
    throw err;
  }
}

function parseWithoutFragment(raw: string): GoUrl {
  for (let i = 0; i < raw.length; i++) {
    const b = raw.charCodeAt(i);
    if (b < 0x20 || b === 0x7f) throw new GoUrlError('invalid control character in URL');
  }
  const url: GoUrl = {
    scheme: '',
    opaque: '',
    host: '',
    path: '',
    rawPath: '',
    rawQuery: '',
    forceQuery: false,
    omitHost: false,
    fragment: '',
    rawFragment: '',
  };
  if (raw === '*') {
    url.path = '*';
    return url;
  }
  let rest: string;
  [url.scheme, rest] = getScheme(raw);
  url.scheme = url.scheme.toLowerCase();

  if (rest.endsWith('?') && rest.indexOf('?') === rest.length - 1) {
    url.forceQuery = true;
    rest = rest.slice(0, -1);
  } else {
    const q = rest.indexOf('?');
    if (q !== -1) {
      url.rawQuery = rest.slice(q + 1);
      rest = rest.slice(0, q);
    }
  }

  if (!rest.startsWith('/')) {
    if (url.scheme !== '') {
      url.opaque = rest;
      return url;
    }
    const slash = rest.indexOf('/');
    if ((slash === -1 ? rest : rest.slice(0, slash)).includes(':'))
      throw new GoUrlError('first path segment in URL cannot contain colon');
  }

  if ((url.scheme !== '' || !rest.startsWith('///')) && rest.startsWith('//')) {
    let authority = rest.slice(2);
    rest = '';
    const slash = authority.indexOf('/');
    if (slash >= 0) {
      rest = authority.slice(slash);
      authority = authority.slice(0, slash);
    }
    parseAuthority(url, authority);
  } else if (url.scheme !== '' && rest.startsWith('/')) {
    url.omitHost = true;
  }

  url.path = percentDecode(rest, 'path');
  url.rawPath = percentEncode(url.path, 'path') === rest ? '' : rest;
  return url;
}

function getScheme(raw: string): [string, string] {
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (/[a-zA-Z]/.test(c)) continue;
    if (/[0-9+.-]/.test(c)) {
      if (i === 0) return ['', raw];
      continue;
    }
    if (c === ':') {
      if (i === 0) throw new GoUrlError('missing protocol scheme');
      return [raw.slice(0, i), raw.slice(i + 1)];
    }
    return ['', raw];
  }
  return ['', raw];
}

function parseAuthority(url: GoUrl, authority: string): void {
  const at = authority.lastIndexOf('@');
  url.host = parseHost(url.scheme, at < 0 ? authority : authority.slice(at + 1));
  if (at < 0) return;
  const userinfo = authority.slice(0, at);
  if (!/^[A-Za-z0-9\-._:~!$&'()*+,;=%@]*$/.test(userinfo)) throw new GoUrlError('invalid userinfo');
  const colon = userinfo.indexOf(':');
  url.user =
    colon === -1
      ? { username: percentDecode(userinfo, 'userPassword') }
      : {
          username: percentDecode(userinfo.slice(0, colon), 'userPassword'),
          password: percentDecode(userinfo.slice(colon + 1), 'userPassword'),
        };
}

function parseHost(scheme: string, host: string): string {
  const open = host.lastIndexOf('[');
  if (open > 0) throw new GoUrlError('invalid IP-literal');
  if (open === 0) {
    const close = host.lastIndexOf(']');
    if (close < 0) throw new GoUrlError("missing ']' in host");
    const colonPort = host.slice(close + 1);
    if (!validOptionalPort(colonPort)) throw new GoUrlError('invalid port');
    const port = percentDecode(colonPort, 'host');
    const hostname = host.slice(1, close);
    const zone = hostname.indexOf('%25');
    const unescaped =
      zone >= 0
        ? percentDecode(hostname.slice(0, zone), 'host') + percentDecode(hostname.slice(zone), 'zone')
        : percentDecode(hostname, 'host');
    // Only an IPv6 address may stand in brackets (netip.ParseAddr, then not IPv4), with an
    // optional non-empty zone. The address is checked by the WHATWG URL parser's IPv6 rules,
    // which read the same text forms (RFC 4291, an embedded IPv4 included).
    const percent = unescaped.indexOf('%');
    const address = percent === -1 ? unescaped : unescaped.slice(0, percent);
    if (percent === unescaped.length - 1 || !URL.canParse(`http://[${address}]/`)) throw new GoUrlError('invalid host');
    return `[${unescaped}]${port}`;
  }
  let i = host.indexOf(':');
  if (i !== -1) {
    const last = host.lastIndexOf(':');
    // Go accepts several colons in the host only for schemes other than http and https.
    if (last !== i && scheme !== 'http' && scheme !== 'https') i = last;
    if (!validOptionalPort(host.slice(i))) throw new GoUrlError('invalid port');
  }
  return percentDecode(host, 'host');
}

function validOptionalPort(port: string): boolean {
  return port === '' || /^:[0-9]*$/.test(port);
}

const isHex = (c: string | undefined): boolean => c !== undefined && /^[0-9a-fA-F]$/.test(c);

function percentDecode(s: string, mode: Mode): string {
  for (let i = 0; i < s.length; ) {
    const c = s[i]!;
    if (c === '%') {
      if (!isHex(s[i + 1]) || !isHex(s[i + 2])) throw new GoUrlError('invalid URL escape');
      const v = Number.parseInt(s.slice(i + 1, i + 3), 16);
      if (mode === 'host' && v < 0x80 && s.slice(i, i + 3) !== '%25') throw new GoUrlError('invalid URL escape');
      if (mode === 'zone' && s.slice(i, i + 3) !== '%25' && v !== 0x20 && shouldEscape(v, 'host'))
        throw new GoUrlError('invalid URL escape');
      i += 3;
    } else {
      const b = s.charCodeAt(i);
      if ((mode === 'host' || mode === 'zone') && b < 0x80 && shouldEscape(b, mode))
        throw new GoUrlError('invalid character in host name');
      i++;
    }
  }
  return s.replace(/%([0-9a-fA-F]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
}

function percentEncode(s: string, mode: Mode): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const b = s.charCodeAt(i);
    out += shouldEscape(b, mode) ? `%${b.toString(16).toUpperCase().padStart(2, '0')}` : s[i];
  }
  return out;
}

/** net/url's shouldEscape (gen_encoding_table.go) for the modes a URL's String() uses. */
function shouldEscape(b: number, mode: Mode): boolean {
  const c = String.fromCharCode(b);
  if (/^[a-zA-Z0-9]$/.test(c)) return false;
  if ((mode === 'host' || mode === 'zone') && `!$&'()*+,;=:[]<>"`.includes(c)) return false;
  if ('-_.~'.includes(c)) return false;
  if ('$&+,/:;=?@'.includes(c)) {
    switch (mode) {
      case 'path':
        return c === '?';
      case 'userPassword':
        return '@/?:'.includes(c);
      case 'fragment':
        return false;
      default:
        break;
    }
  }
  if (mode === 'fragment' && '!()*'.includes(c)) return false;
  return true;
}

/** A path or fragment as written, when it needs no escaping that Go would add. */
function validEncoded(s: string, mode: Mode): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if ("!$&'()*+,;=:@[]%".includes(c)) continue;
    if (shouldEscape(s.charCodeAt(i), mode)) return false;
  }
  return true;
}

function escapedPath(u: GoUrl): string {
  if (u.rawPath !== '' && validEncoded(u.rawPath, 'path') && safeUnescape(u.rawPath, 'path') === u.path)
    return u.rawPath;
  if (u.path === '*') return '*';
  return percentEncode(u.path, 'path');
}

function escapedFragment(u: GoUrl): string {
  if (
    u.rawFragment !== '' &&
    validEncoded(u.rawFragment, 'fragment') &&
    safeUnescape(u.rawFragment, 'fragment') === u.fragment
  )
    return u.rawFragment;
  return percentEncode(u.fragment, 'fragment');
}

function safeUnescape(s: string, mode: Mode): string | undefined {
  try {
    return percentDecode(s, mode);
  } catch (err) {
    if (err instanceof GoUrlError) return undefined;
    throw err;
  }
}

function format(u: GoUrl): string {
  let out = '';
  if (u.scheme !== '') out += `${u.scheme}:`;
  if (u.opaque !== '') {
    out += u.opaque;
  } else {
    if (u.scheme !== '' || u.host !== '' || u.user) {
      if (!(u.omitHost && u.host === '' && !u.user)) {
        if (u.host !== '' || u.path !== '' || u.user) out += '//';
        if (u.user) {
          out += percentEncode(u.user.username, 'userPassword');
          if (u.user.password !== undefined) out += `:${percentEncode(u.user.password, 'userPassword')}`;
          out += '@';
        }
        if (u.host !== '') out += percentEncode(u.host, 'host');
      }
    }
    const path = escapedPath(u);
    if (path !== '' && path[0] !== '/' && u.host !== '') out += '/';
    if (out === '') {
      const slash = path.indexOf('/');
      if ((slash === -1 ? path : path.slice(0, slash)).includes(':')) out += './';
    }
    out += path;
  }
  if (u.forceQuery || u.rawQuery !== '') out += `?${u.rawQuery}`;
  if (u.fragment !== '') out += `#${escapedFragment(u)}`;
  return out;
}

function toByteString(text: string): string {
  let out = '';
  for (const b of new TextEncoder().encode(text)) out += String.fromCharCode(b);
  return out;
}

function fromByteString(bytes: string): string {
  return new TextDecoder().decode(Uint8Array.from(bytes, (c) => c.charCodeAt(0)));
}
