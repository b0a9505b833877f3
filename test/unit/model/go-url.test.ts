import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatGoUrl } from '../../../src/model/go-url.js';
import { normalizeUrl } from '../../../src/model/kinds/shared.js';

describe("formatGoUrl: Go's url.Parse(s).String()", () => {
  // Each answer is what Go 1.26 (the toolchain dgate-server v0.11.1 is built with) prints for
  // url.Parse(s).String(), undefined where url.Parse returns an error. The port was also checked
  // against Go on 20,000 generated URLs (spaces, escapes, reserved and non-ASCII characters).
  it.each<[string, string | undefined]>([
    ['http://127.0.0.1:9/a b', 'http://127.0.0.1:9/a%20b'],
    ['HTTP://Example.COM/x', 'http://Example.COM/x'],
    ['HtTpS://H/', 'https://H/'],
    ['http://h/a%20b', 'http://h/a%20b'],
    ['http://h/a b%2Fc', 'http://h/a%20b/c'],
    ['http://h/a%2fb', 'http://h/a%2fb'],
    ['http://h/%7e', 'http://h/%7e'],
    ['http://h/%41', 'http://h/%41'],
    ['http://h/café', 'http://h/caf%C3%A9'],
    ['http://h/caf%C3%A9', 'http://h/caf%C3%A9'],
    ['http://h/a"b<c>d`e{f}g|h\\i^j', 'http://h/a%22b%3Cc%3Ed%60e%7Bf%7Dg%7Ch%5Ci%5Ej'],
    ["http://h/a;b,c=d&e+f$g:h@i!'()*[x]", "http://h/a;b,c=d&e+f$g:h@i!'()*[x]"],
    ['http://h/a?b c#d e', 'http://h/a?b c#d%20e'],
    ['http://h/p?', 'http://h/p?'],
    ['http://h/p?a?', 'http://h/p?a?'],
    ['http://h/#', 'http://h/'],
    ['http://h/#a b', 'http://h/#a%20b'],
    ['http://h/#a%20b', 'http://h/#a%20b'],
    ['http://h/#%7e', 'http://h/#%7e'],
    ['http://h', 'http://h'],
    ['http://h/', 'http://h/'],
    ['http://u:p@h/x', 'http://u:p@h/x'],
    ['http://u%40:p%3a@h/', 'http://u%40:p%3A@h/'],
    ['http://u:p@ss@h/', 'http://u:p%40ss@h/'],
    ['http://[::1]:80/x y', 'http://[::1]:80/x%20y'],
    ['http://[fe80::1%25en0]/', 'http://[fe80::1%25en0]/'],
    ['mongodb://a:1,b:2/x', 'mongodb://a:1,b:2/x'],
    ['ftp://127.0.0.1:21/files', 'ftp://127.0.0.1:21/files'],
    ['http://h:80:90/', undefined],
    ['http://h/%zz', undefined],
    ['http://h/a\tb', undefined],
    ['http://h:abc/', undefined],
    ['http://exa mple.com/', undefined],
    ['http://héllo/', 'http://h%C3%A9llo/'],
    ['mailto:x@y', 'mailto:x@y'],
    ['http:/x', 'http:/x'],
    ['http:///x', 'http:///x'],
    ['http://h/a%20b%2F', 'http://h/a%20b%2F'],
    ['http://h/~user/..//./x', 'http://h/~user/..//./x'],
    // Brackets hold an IPv6 address only, with an optional non-empty zone.
    ['http://[1.2.3.4]/', undefined],
    ['http://[::1%25]/', undefined],
    ['http://[zz::1]/', undefined],
    ['http://[1::2::3]/', undefined],
    ['http://[::1:8081/', undefined],
    ['http://[::ffff:1.2.3.4]/', 'http://[::ffff:1.2.3.4]/'],
    ['http://[fe80::1%25en0]:8080/', 'http://[fe80::1%25en0]:8080/'],
    // Go takes what a browser's parser refuses.
    ['http://127.0.0.1:99999/', 'http://127.0.0.1:99999/'],
    ['http://1.2.3.256/', 'http://1.2.3.256/'],
  ])('%j -> %j', (input, go) => {
    expect(formatGoUrl(input)).toBe(go);
  });

  it('is stable: a URL DGate returns comes back unchanged', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 40 }),
        fc.constantFrom('http://h', 'https://u:p@h:8080', 'ftp://h/', 'x:'),
        (tail, head) => {
          const once = formatGoUrl(head + tail);
          if (once !== undefined) expect(formatGoUrl(once)).toBe(once);
        },
      ),
    );
  });
});

describe('normalizeUrl', () => {
  it('writes a URL as DGate returns it, and leaves one Go cannot parse as written', () => {
    expect(normalizeUrl('HTTP://127.0.0.1:9/a b')).toBe('http://127.0.0.1:9/a%20b');
    expect(normalizeUrl('http://h/%zz')).toBe('http://h/%zz');
  });
});
