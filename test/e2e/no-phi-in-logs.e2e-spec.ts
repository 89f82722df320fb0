import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import pino from 'pino';
import { startTestApi, type TestApi } from '../support/api.js';
import { createWorld, http, type World } from '../support/identity.js';

/**
 * Non-negotiable 3: planted identifiers must not reach logs or error bodies, even when a request
 * carries them into places that fail (bad ids, bad bodies, unknown routes with query strings).
 */
describe('no PHI in logs or error bodies', () => {
  let api: TestApi;
  let w: World;
  const lines: string[] = [];
  const NHS = '9434765919';
  const NAME = 'Zebedee Quartermaine';

  before(async () => {
    api = await startTestApi({ env: { LOG_LEVEL: 'info' } });
    // Capture everything the station logs from here on.
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        lines.push(chunk.toString());
        cb();
      },
    });
    const capture = pino({ level: 'trace' }, sink);
    for (const level of ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const) {
      (api.rt.logger as unknown as Record<string, unknown>)[level] = capture[level].bind(capture);
    }
    w = await createWorld(api);
  });
  after(async () => api?.close());

  test('identifiers sent in URLs, bodies and ids never come back in errors or logs', async () => {
    const bodies: string[] = [];
    const probe = async (method: string, path: string, body?: unknown): Promise<void> => {
      const res = await http(api, method, path, { token: w.tokens.partnerA, ...(body !== undefined ? { body } : {}) });
      bodies.push(JSON.stringify(res.body));
    };
    await probe('GET', `/projects/${NHS}`);
    await probe('GET', `/access-requests?status=${encodeURIComponent(NAME)}`);
    await probe('POST', '/access-requests', { title: NAME, purpose: NHS, nhsNumber: NHS });
    await probe('POST', `/trusts/${w.trustA}/lineage`, { nhsNumber: NHS });
    await probe('GET', `/nowhere?patient=${encodeURIComponent(NAME)}&nhs=${NHS}`);
    const res = await fetch(`${api.baseUrl}/access-requests`, {
      method: 'POST',
      headers: { authorization: `Bearer ${w.tokens.partnerA}`, 'content-type': 'application/json' },
      body: `{"title": "${NAME}", "nhs": "${NHS}",`,
    });
    bodies.push(await res.text());
    await new Promise((r) => setTimeout(r, 50));
    const everything = bodies.join('\n') + lines.join('');
    assert.ok(lines.length > 0, 'the logger captured the requests');
    const at = everything.indexOf(NHS);
    assert.equal(at, -1, `NHS number leaked: ${JSON.stringify(everything.slice(Math.max(0, at - 300), at + 60))}`);
    assert.equal(everything.includes('Zebedee'), false, 'name leaked');
  });
});
