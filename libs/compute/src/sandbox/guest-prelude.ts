/**
 * JavaScript evaluated inside the sandbox (QuickJS) before the job module: it builds the `harbour`
 * API over the raw host functions, then removes the raw functions from the global object so the
 * job sees only the documented API (the raw functions stay reachable only through this closure). Everything here runs with the job's own limits.
 *
 * Nothing in this file is trusted by the host: the job can redefine any global after it runs, so
 * the host re-validates every output. The checks here exist to give partners clear, early errors.
 *
 * Completion value: `{ harbour, describeError }`, read by the worker.
 */
export const GUEST_PRELUDE = String.raw`
(function (host) {
  'use strict';
  delete globalThis.__harbourHost;
  const freeze = Object.freeze;
  const isArray = Array.isArray;
  const parse = JSON.parse;
  const stringify = JSON.stringify;
  const asyncIterator = Symbol.asyncIterator;

  // Clock: one-second resolution is all an analysis needs; a finer clock only helps timing tricks.
  const RealDate = Date;
  const realNow = RealDate.now;
  const GRAIN_MS = 1000;
  const coarseNow = function now() {
    const t = realNow();
    return t - (t % GRAIN_MS);
  };
  const HarbourDate = function Date(...args) {
    if (new.target === undefined) return new RealDate(coarseNow()).toString();
    return Reflect.construct(RealDate, args.length === 0 ? [coarseNow()] : args, new.target);
  };
  HarbourDate.prototype = RealDate.prototype;
  HarbourDate.now = coarseNow;
  HarbourDate.parse = RealDate.parse;
  HarbourDate.UTC = RealDate.UTC;
  Object.defineProperty(RealDate.prototype, 'constructor', { value: HarbourDate, writable: true, configurable: true });
  Object.defineProperty(RealDate, 'now', { value: coarseNow, writable: false, configurable: false });
  Object.defineProperty(globalThis, 'Date', { value: HarbourDate, writable: true, configurable: true });

  // Logs would be an unreviewed way out of the airlock, so console exists (jobs written for Node
  // call it) but discards everything.
  const noop = function () {};
  globalThis.console = freeze({ log: noop, info: noop, warn: noop, error: noop, debug: noop, trace: noop });

  function deepFreeze(value) {
    if (value !== null && typeof value === 'object') {
      for (const key of Object.keys(value)) deepFreeze(value[key]);
      freeze(value);
    }
    return value;
  }

  function pageIterator(kind, arg) {
    let stream = -1;
    let finished = false;
    return {
      [asyncIterator]() {
        return this;
      },
      async next() {
        if (finished) return { done: true, value: undefined };
        if (stream < 0) stream = host.open(kind, arg);
        const json = await host.pull(stream);
        if (json === null) {
          finished = true;
          return { done: true, value: undefined };
        }
        return { done: false, value: parse(json) };
      },
      async return() {
        if (!finished) {
          finished = true;
          if (stream >= 0) host.close(stream);
        }
        return { done: true, value: undefined };
      },
    };
  }

  function recordIterator(pages) {
    let page = [];
    let i = 0;
    async function refill() {
      while (i >= page.length) {
        const r = await pages.next();
        if (r.done) return r;
        page = r.value;
        i = 0;
      }
      return { done: false, value: page[i++] };
    }
    return {
      [asyncIterator]() {
        return this;
      },
      // Not async: within a page this skips an async frame per record; only page ends wait for the host.
      next() {
        return i < page.length ? Promise.resolve({ done: false, value: page[i++] }) : refill();
      },
      return() {
        return pages.return();
      },
    };
  }

  function collection(kind, arg) {
    return freeze({
      pages() {
        return pageIterator(kind, arg);
      },
      [asyncIterator]() {
        return recordIterator(pageIterator(kind, arg));
      },
      async forEach(fn) {
        if (typeof fn !== 'function') throw new TypeError('forEach expects a function');
        for await (const page of pageIterator(kind, arg)) {
          for (let i = 0; i < page.length; i++) fn(page[i]);
        }
      },
    });
  }

  function checkName(name) {
    if (typeof name !== 'string') throw new TypeError('output name must be a string');
    return name;
  }

  function checkCell(cell, r, c) {
    const t = typeof cell;
    if (cell === null || t === 'string' || t === 'boolean') return;
    if (t === 'number' && Number.isFinite(cell)) return;
    throw new TypeError('table cell at row ' + r + ', column ' + c + ' must be a string, finite number, boolean or null');
  }

  const output = freeze({
    table(name, columns, rows) {
      checkName(name);
      if (!isArray(columns) || columns.length === 0 || columns.some((c) => typeof c !== 'string' || c === '')) {
        throw new TypeError('table columns must be a non-empty array of non-empty strings');
      }
      if (new Set(columns).size !== columns.length) throw new TypeError('table column names must be unique');
      if (!isArray(rows)) throw new TypeError('table rows must be an array of arrays');
      for (let r = 0; r < rows.length; r++) {
        const row = rows[r];
        if (!isArray(row) || row.length !== columns.length) {
          throw new TypeError('table row ' + r + ' must be an array of ' + columns.length + ' cells');
        }
        for (let c = 0; c < row.length; c++) checkCell(row[c], r, c);
      }
      host.output('table', name, stringify({ columns, rows }));
    },
    json(name, value) {
      checkName(name);
      const s = stringify(value);
      if (typeof s !== 'string') throw new TypeError('json output must be JSON-serialisable');
      host.output('json', name, s);
    },
    text(name, text) {
      checkName(name);
      if (typeof text !== 'string') throw new TypeError('text output must be a string');
      host.output('text', name, text);
    },
    png(name, bytes) {
      checkName(name);
      if (!(bytes instanceof Uint8Array)) throw new TypeError('png output must be a Uint8Array');
      const sig = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
      if (bytes.length < 8 || sig.some((b, k) => bytes[k] !== b)) throw new TypeError('png output is not a PNG file');
      host.output('png', name, bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    },
  });

  const harbour = freeze({
    params: deepFreeze(parse(host.paramsJson)),
    cohort() {
      return collection('cohort', null);
    },
    resources(type) {
      if (typeof type !== 'string') throw new TypeError('resources(type) expects a FHIR resource type such as "Observation"');
      return collection('resources', type);
    },
    dicom: freeze({
      studies() {
        return collection('dicomStudies', null);
      },
      async pixels(sopInstanceUid) {
        if (typeof sopInstanceUid !== 'string') throw new TypeError('pixels(sopInstanceUid) expects a string');
        const buffer = await host.pixels(sopInstanceUid);
        return buffer === null ? null : new Uint8Array(buffer);
      },
    }),
    output,
  });
  Object.defineProperty(globalThis, 'harbour', { value: harbour, writable: false, configurable: false, enumerable: false });

  // Called by the host, with the job's limits still applying, to read what the job threw.
  function describeError(e) {
    const clip = (s) => (s.length > 2000 ? s.slice(0, 2000) + '…' : s);
    if (e instanceof Error) {
      return stringify({ name: clip(String(e.name)), message: clip(String(e.message)), stack: clip(String(e.stack || '')) });
    }
    let text;
    try {
      text = typeof e === 'string' ? e : String(stringify(e));
    } catch {
      text = typeof e;
    }
    return stringify({ name: 'thrown value', message: clip(text) });
  }

  host.ready();
  return { harbour, describeError };
})(globalThis.__harbourHost);
`;
