import { ApiClient, ApiError, type Fetch } from './client';

function reply(status: number, body: unknown): Response {
  return new Response(typeof body === 'string' ? body : JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

describe('ApiClient', () => {
  it('sends the bearer token and JSON, and returns the parsed answer', async () => {
    const calls: { input: string; init: RequestInit }[] = [];
    const f: Fetch = async (input, init) => {
      calls.push({ input, init });
      return reply(201, { ok: 1 });
    };
    const c = new ApiClient('hone_token', f);
    await expect(c.post('/api/v1/x', { json: { a: 1 } })).resolves.toEqual({ ok: 1 });
    expect(calls[0].input).toBe('/api/v1/x');
    expect(calls[0].init.method).toBe('POST');
    expect((calls[0].init.headers as Record<string, string>).authorization).toBe('Bearer hone_token');
    expect((calls[0].init.headers as Record<string, string>)['content-type']).toBe('application/json');
    expect(calls[0].init.body).toBe('{"a":1}');
  });

  it('turns the server’s error body into an ApiError with its code, message and details', async () => {
    const c = new ApiClient('t', async () => reply(409, { error: { code: 'CONFLICT', message: 'you already ranked task x differently', details: { taskId: 'x' } } }));
    const e = await c.post('/p').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ApiError);
    expect(e).toMatchObject({ status: 409, code: 'CONFLICT', message: 'you already ranked task x differently', details: { taskId: 'x' } });
    expect((e as ApiError).transient).toBe(false);
  });

  it('retries transient failures (no answer, 503) up to the given attempts, then gives up', async () => {
    let n = 0;
    const retried: number[] = [];
    const f: Fetch = async () => {
      n++;
      if (n === 1) throw new TypeError('Failed to fetch');
      if (n === 2) return reply(503, { error: { code: 'DEPENDENCY_UNAVAILABLE', message: 'db down' } });
      return reply(200, { fine: true });
    };
    const c = new ApiClient('t', f, () => 1);
    await expect(c.post('/p', { json: {}, attempts: 3, onRetry: (a) => retried.push(a) })).resolves.toEqual({ fine: true });
    expect(retried).toEqual([1, 2]);

    let m = 0;
    const down = new ApiClient('t', async () => {
      m++;
      throw new TypeError('Failed to fetch');
    }, () => 1);
    await expect(down.get('/p', { attempts: 2 })).rejects.toMatchObject({ status: 0, code: 'NETWORK' });
    expect(m).toBe(2);
  });

  it('does not retry a POST unless asked, nor a client error', async () => {
    let n = 0;
    const c = new ApiClient('t', async () => {
      n++;
      return reply(503, { error: { code: 'DEPENDENCY_UNAVAILABLE', message: 'x' } });
    }, () => 1);
    await expect(c.post('/p')).rejects.toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE' });
    expect(n).toBe(1);
    let k = 0;
    const bad = new ApiClient('t', async () => {
      k++;
      return reply(400, { error: { code: 'VALIDATION_FAILED', message: 'nope' } });
    }, () => 1);
    await expect(bad.get('/p', { attempts: 5 })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(k).toBe(1);
  });

  it('reports answers that are not JSON or not the error shape', async () => {
    await expect(new ApiClient('t', async () => new Response('<html>', { status: 200 })).get('/p')).rejects.toMatchObject({ code: 'BAD_RESPONSE' });
    await expect(new ApiClient('t', async () => new Response('', { status: 404, statusText: 'Not Found' })).get('/p', { attempts: 1 })).rejects.toMatchObject({ status: 404, code: 'HTTP_404' });
  });
});
