import { describe, expect, it } from 'vitest';
import { ApiError, apiErrorFrom, fieldErrorsOf } from './errors.ts';

describe('fieldErrorsOf', () => {
  it('maps validation issues to form fields', () => {
    const details = {
      issues: [
        { field: 'body.shippingAddress.phone', problem: 'must match pattern' },
        { field: 'body.title', problem: 'must NOT have fewer than 1 characters' },
        { field: 'body.title', problem: 'second problem of the same field' },
      ],
    };
    expect(fieldErrorsOf(details, 'x')).toEqual({
      'shippingAddress.phone': 'must match pattern',
      title: 'must NOT have fewer than 1 characters',
    });
  });

  it('puts a business error message on its field', () => {
    expect(fieldErrorsOf({ field: 'body.price' }, 'body.price must be above zero')).toEqual({
      price: 'body.price must be above zero',
    });
    expect(
      new ApiError('VALIDATION_FAILED', 'Too many photos', 422, { field: 'file' }).fieldErrors,
    ).toEqual({ file: 'Too many photos' });
  });

  it('is empty when no field is named', () => {
    expect(fieldErrorsOf({}, 'x')).toEqual({});
    expect(fieldErrorsOf({ issues: [null, { problem: 'no field' }] }, 'x')).toEqual({});
  });
});

describe('apiErrorFrom', () => {
  it('reads the error body', async () => {
    const res = new Response(
      JSON.stringify({
        error: { code: 'OUT_OF_STOCK', message: 'Only 3 left', details: { available: 3 } },
      }),
      { status: 409 },
    );
    const err = await apiErrorFrom(res);
    expect(err).toMatchObject({
      code: 'OUT_OF_STOCK',
      message: 'Only 3 left',
      status: 409,
      details: { available: 3 },
    });
  });

  it('copes with answers that are not ours', async () => {
    expect(
      await apiErrorFrom(new Response('<html>Bad gateway</html>', { status: 502 })),
    ).toMatchObject({ code: 'INTERNAL', status: 502 });
    expect(await apiErrorFrom(new Response('', { status: 404 }))).toMatchObject({
      code: 'NOT_FOUND',
    });
  });
});
