import { createJsonLogger, redact } from './logger';

describe('redact', () => {
  it('drops secret-named fields and masks anything that looks like a token, at any depth', () => {
    const token = `hone_${'A'.repeat(43)}`;
    expect(
      redact({ authorization: `Bearer ${token}`, nested: { token, note: `it was ${token}!`, list: [token] }, password: 'x', tokenPrefix: 'hone_AAAAAAA', n: 1n }),
    ).toEqual({ authorization: '[redacted]', nested: { token: '[redacted]', note: 'it was hone_[redacted]!', list: ['hone_[redacted]'] }, password: '[redacted]', tokenPrefix: 'hone_AAAAAAA', n: '1' });
  });

  it('turns errors into name, message and code', () => {
    const e = Object.assign(new Error(`bad hone_${'b'.repeat(43)}`), { code: 'P2002' });
    expect(redact(e)).toEqual({ name: 'Error', message: 'bad hone_[redacted]', code: 'P2002' });
  });
});

describe('createJsonLogger', () => {
  it('writes one JSON line per event at or above its level', () => {
    const lines: string[] = [];
    const log = createJsonLogger({ level: 'info', write: (l) => lines.push(l) });
    log.debug('hidden');
    log.info('shown', { a: 1 });
    log.error('also', { secret: 's' });
    expect(lines).toHaveLength(2);
    expect(lines.every((l) => l.endsWith('\n'))).toBe(true);
    expect(JSON.parse(lines[0])).toMatchObject({ level: 'info', msg: 'shown', a: 1, name: 'hone-server' });
    expect(JSON.parse(lines[1])).toMatchObject({ level: 'error', secret: '[redacted]' });
  });
});
