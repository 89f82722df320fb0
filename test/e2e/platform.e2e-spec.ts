import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApi, type TestApi } from '../support/api.js';

describe('platform endpoints over real HTTP', () => {
  let api: TestApi;
  before(async () => {
    api = await startTestApi();
  });
  after(async () => api?.close());

  test('health: live and ready (database checked)', async () => {
    const live = await fetch(`${api.baseUrl}/health/live`);
    assert.equal(live.status, 200);
    const ready = await fetch(`${api.baseUrl}/health/ready`);
    assert.equal(ready.status, 200);
    assert.deepEqual(await ready.json(), { status: 'ok', database: 'ok' });
  });

  test('OpenAPI document and UI are served', async () => {
    const json = await fetch(`${api.baseUrl}/docs-json`);
    assert.equal(json.status, 200);
    const doc = (await json.json()) as { openapi: string; paths: Record<string, unknown> };
    assert.match(doc.openapi, /^3\./);
    assert.ok(doc.paths['/health/ready']);
    const ui = await fetch(`${api.baseUrl}/docs`);
    assert.equal(ui.status, 200);
  });

  test('metrics in Prometheus text format with route templates', async () => {
    await fetch(`${api.baseUrl}/health/live`);
    const res = await fetch(`${api.baseUrl}/metrics`);
    const text = await res.text();
    assert.match(text, /harbour_http_requests_total\{method="GET",route="\/health\/live",status="200"\}/);
  });

  test('unknown routes answer the error shape with a correlation id', async () => {
    const res = await fetch(`${api.baseUrl}/no/such/route`, { headers: { 'X-Correlation-Id': 'test-corr-0001' } });
    assert.equal(res.status, 404);
    assert.equal(res.headers.get('x-correlation-id'), 'test-corr-0001');
    const body = (await res.json()) as Record<string, unknown>;
    assert.deepEqual(Object.keys(body).sort(), ['code', 'correlationId', 'message']);
    assert.equal(body['code'], 'route_not_found');
    assert.equal(body['correlationId'], 'test-corr-0001');
  });

  test('malformed JSON gets 400 invalid_request without echoing the body', async () => {
    const res = await fetch(`${api.baseUrl}/health/live`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"nhsNumber": "9434765919",',
    });
    assert.equal(res.status, 400);
    const text = await res.text();
    assert.doesNotMatch(text, /9434765919/);
    assert.equal((JSON.parse(text) as { code: string }).code, 'invalid_request');
  });
});
