import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CryptoLambdaError } from '../../src/domain/index.js';
import { fieldOfValidation, invalidParameter, serveError } from '../../src/serve/errors.js';
import { SERVE_ERROR_STATUS, toHttpError } from '../../src/serve/index.js';

const validationError = (issue: object, context = 'querystring') =>
  Object.assign(new Error('validation'), {
    validation: [issue],
    validationContext: context,
    statusCode: 400,
  });

describe('toHttpError', () => {
  it('maps schema-validation failures to 400 naming the field', () => {
    assert.deepEqual(
      toHttpError(
        validationError({ keyword: 'required', instancePath: '', params: { missingProperty: 'symbol' } }),
      ),
      {
        status: 400,
        body: {
          error: {
            code: 'INVALID_PARAMETER',
            message: 'query parameter "symbol" is required',
            field: 'symbol',
          },
        },
      },
    );
    const maximum = toHttpError(
      validationError({
        keyword: 'maximum',
        instancePath: '/limit',
        params: { limit: 10 },
        message: 'must be <= 10',
      }),
    );
    assert.equal(maximum.body.error.field, 'limit');
    assert.equal(maximum.body.error.message, 'query parameter "limit" must be <= 10');
    const enumError = toHttpError(
      validationError({
        keyword: 'enum',
        instancePath: '/interval',
        params: { allowedValues: ['1m', '5m'] },
      }),
    );
    assert.equal(enumError.body.error.message, 'query parameter "interval" must be one of 1m, 5m');
    const unknown = toHttpError(
      validationError({
        keyword: 'additionalProperties',
        instancePath: '',
        params: { additionalProperty: 'x' },
      }),
    );
    assert.equal(unknown.body.error.field, 'x');
    assert.equal(fieldOfValidation({ keyword: 'type', instancePath: '/a~1b/0', params: {} }), 'a/b');
    assert.equal(fieldOfValidation({ keyword: 'type', instancePath: '', params: {} }), 'query');
  });

  it('maps serve codes through the one status table', () => {
    assert.deepEqual(toHttpError(invalidParameter('from', 'bad')), {
      status: 400,
      body: { error: { code: 'INVALID_PARAMETER', message: 'bad', field: 'from' } },
    });
    assert.equal(
      toHttpError(serveError('UNKNOWN_SYMBOL', 'no', 'symbol')).status,
      SERVE_ERROR_STATUS.UNKNOWN_SYMBOL,
    );
    assert.equal(toHttpError(serveError('ROUTE_NOT_FOUND', 'no')).status, 404);
    assert.deepEqual(toHttpError(serveError('BATCH_UNAVAILABLE', 'no lake')), {
      status: 503,
      body: { error: { code: 'BATCH_UNAVAILABLE', message: 'no lake' } },
    });
  });

  it('hides the text of internal errors and says when to retry', () => {
    const internal = toHttpError(new TypeError('cannot read x of undefined at /srv/secret.js:1'));
    assert.deepEqual(internal, {
      status: 500,
      body: { error: { code: 'INTERNAL_ERROR', message: 'internal server error' } },
    });
    assert.equal(
      toHttpError(new CryptoLambdaError('LAKE_CORRUPT', '/data/lake/x.parquet')).body.error.message,
      'internal server error',
    );
    assert.equal(toHttpError(new CryptoLambdaError('LOG_DOWN', 'x', { retryable: true })).status, 503);
    assert.equal(toHttpError('a string').status, 500);
  });

  it('maps fastify client errors', () => {
    const status = (statusCode: number) => toHttpError(Object.assign(new Error('m'), { statusCode }));
    assert.equal(status(413).body.error.code, 'PAYLOAD_TOO_LARGE');
    assert.equal(status(415).body.error.code, 'UNSUPPORTED_MEDIA_TYPE');
    assert.deepEqual(status(400).body, { error: { code: 'BAD_REQUEST', message: 'm' } });
    assert.equal(status(503).body.error.code, 'INTERNAL_ERROR');
  });
});
