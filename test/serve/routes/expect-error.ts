import assert from 'node:assert/strict';

interface Response {
  statusCode: number;
  body: string;
  json(): unknown;
}

/** Asserts a JSON error with `code` (and `field`, named in its message), without a stack trace. */
export function expectError(response: Response, status: number, code: string, field?: string): void {
  assert.equal(response.statusCode, status, response.body);
  const { error } = response.json() as { error: { code: string; message: string; field?: string } };
  assert.equal(error.code, code);
  assert.equal(error.field, field);
  if (field !== undefined) assert.ok(error.message.includes(field), error.message);
  assert.ok(!response.body.includes('    at '), 'no stack trace');
}
