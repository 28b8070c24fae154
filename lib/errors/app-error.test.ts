import { AppError, ERROR_CODES, httpStatus, isAppError, isErrorCode, isRetryable } from '.';

describe('AppError', () => {
  it('maps every code to a 4xx or 5xx status', () => {
    for (const code of ERROR_CODES) {
      const s = httpStatus(code);
      expect(s >= 400 && s < 600).toBe(true);
    }
    expect(httpStatus('NOT_FOUND')).toBe(404);
    expect(httpStatus('VALIDATION_FAILED')).toBe(400);
    expect(httpStatus('CONFLICT')).toBe(409);
  });

  it('carries code, message, details and cause, and serialises for the API', () => {
    const cause = new Error('boom');
    const e = new AppError('CONFLICT', 'artifact x differs', { key: 'x' }, { cause });
    expect(e).toBeInstanceOf(Error);
    expect(e.status).toBe(409);
    expect(e.cause).toBe(cause);
    expect(JSON.parse(JSON.stringify(e))).toEqual({ error: { code: 'CONFLICT', message: 'artifact x differs', details: { key: 'x' } } });
    expect(isAppError(e)).toBe(true);
    expect(isAppError(new Error('plain'))).toBe(false);
  });

  it('knows which codes are permanent', () => {
    expect(isRetryable('VALIDATION_FAILED')).toBe(false);
    expect(isRetryable('DEPENDENCY_UNAVAILABLE')).toBe(true);
  });

  it('recognises only its own codes', () => {
    expect(isErrorCode('NOT_FOUND')).toBe(true);
    expect(isErrorCode('toString')).toBe(false);
    expect(isErrorCode(42)).toBe(false);
  });
});
