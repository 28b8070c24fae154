import { uuidV7 } from './uuid-v7';

describe('uuidV7', () => {
  it('is a version-7, variant-10 UUID carrying the time', () => {
    const id = uuidV7(0x0190a0b0c0d0);
    expect(id).toMatch(/^0190a0b0-c0d0-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('sorts in creation order, also within one millisecond and when the clock steps back', () => {
    const ids = [...Array.from({ length: 5000 }, () => uuidV7(1_700_000_000_000)), uuidV7(1_699_999_999_000), uuidV7(1_700_000_000_500)];
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
