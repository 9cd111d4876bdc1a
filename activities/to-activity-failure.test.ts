import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/activity';
import { ServerFullError } from '../lib/errors';
import { PanelRejectedError, PanelUnavailableError } from '../lib/xui/panel-errors';
import { asActivity, toActivityFailure } from './to-activity-failure';

describe('toActivityFailure', () => {
  it('types AppErrors by code with their retryable flag, and drops the cause chain', () => {
    const unavailable = toActivityFailure(
      new PanelUnavailableError('GET /panel/api/inbounds/list: connection failed', {
        reason: 'connection',
        cause: new Error('http://h/secret-base'),
      }),
    );
    assert.ok(unavailable instanceof ApplicationFailure);
    assert.equal(unavailable.type, 'PANEL_UNAVAILABLE');
    assert.equal(unavailable.nonRetryable, false);
    assert.equal(unavailable.cause, undefined);

    const rejected = toActivityFailure(new PanelRejectedError('refused'));
    assert.ok(rejected instanceof ApplicationFailure);
    assert.equal(rejected.type, 'PANEL_REJECTED');
    assert.equal(rejected.nonRetryable, true);

    const full = toActivityFailure(new ServerFullError());
    assert.ok(full instanceof ApplicationFailure && full.type === 'SERVER_FULL' && !full.nonRetryable);
  });

  it('passes ApplicationFailures and unexpected errors through', async () => {
    const failure = ApplicationFailure.nonRetryable('x', 'OTHER');
    assert.equal(toActivityFailure(failure), failure);
    const bug = new TypeError('bug');
    assert.equal(toActivityFailure(bug), bug);
    await assert.rejects(
      asActivity(() => Promise.reject(new PanelRejectedError('no'))),
      (error: unknown) => error instanceof ApplicationFailure,
    );
    assert.equal(await asActivity(() => Promise.resolve(7)), 7);
  });
});
