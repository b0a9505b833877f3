import { describe, expect, it } from 'vitest';
import { locateInPkl } from '../../../src/load/locate-pkl.js';

const module = `amends "modulepath:/dgate/Config.pkl"

// a comment with namespaces { new { name = "decoy" } }
namespaces {
  new {
    name = "shop"
    services {
      new { name = "catalog"; urls { "http://127.0.0.1:8081/" } }
      new {
        name = "orders"
        urls { "http://127.0.0.1:8082/" }
        retries = 5
      }
    }
    routes {
      for (s in List("a", "b")) {
        new { name = s; paths { "/\\(s)" }; methods { "GET" } }
      }
    }
  }
}
`;

const value = {
  namespaces: [
    {
      name: 'shop',
      services: [
        { name: 'catalog', urls: ['http://127.0.0.1:8081/'] },
        { name: 'orders', urls: ['http://127.0.0.1:8082/'], retries: 5 },
      ],
      routes: [
        { name: 'a', paths: ['/a'], methods: ['GET'] },
        { name: 'b', paths: ['/b'], methods: ['GET'] },
      ],
    },
  ],
};

describe('locateInPkl', () => {
  it('finds a list element by the name it sets, and a property inside it', () => {
    expect(locateInPkl(module, value, ['namespaces', 0, 'services', 1])).toEqual({ line: 9, col: 7 });
    expect(locateInPkl(module, value, ['namespaces', 0, 'services', 1, 'retries'])).toEqual({ line: 12, col: 19 });
    expect(locateInPkl(module, value, ['namespaces', 0, 'services', 1, 'retries'], { key: true })).toEqual({
      line: 12,
      col: 9,
    });
    expect(locateInPkl(module, value, ['namespaces', 0, 'services', 0, 'name'])).toEqual({ line: 8, col: 20 });
  });

  it('skips comments and strings', () => {
    expect(locateInPkl(module, value, ['namespaces', 0, 'name'])).toEqual({ line: 6, col: 12 });
  });

  it('falls back to the nearest place written in the text for computed elements', () => {
    // Routes are stamped out by a for loop: their names are not in the text.
    expect(locateInPkl(module, value, ['namespaces', 0, 'routes', 1, 'paths'])).toEqual({ line: 15, col: 5 });
  });

  it('falls back to the first line when nothing of the path is in the text', () => {
    expect(locateInPkl(module, value, ['targets', 0])).toEqual({ line: 1, col: 1 });
  });

  it('counts element blocks when the value is unknown (a required property left unset)', () => {
    expect(locateInPkl(module, undefined, ['namespaces', 0, 'services', 1, 'tags'])).toEqual({ line: 9, col: 7 });
    expect(locateInPkl(module, undefined, ['namespaces', 0, 'services', 1, 'name'])).toEqual({ line: 10, col: 16 });
  });
});
