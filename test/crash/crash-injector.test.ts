/**
 * The crash injector itself, without a server: a crash AFTER runs the activity (its effect
 * happens) and then fails retryably; a crash BEFORE fails without running it; the retry (attempt
 * 2) is let through; only first attempts count as steps, and a crash fires once per run.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createCrashInjector, INJECTED_CRASH } from './crash-injector';

describe('createCrashInjector', () => {
  function setup() {
    const effects: string[] = [];
    const injector = createCrashInjector({ retryDelayMs: 10 });
    const activities = injector.wrap({
      pay: async (id: string) => {
        effects.push(id);
        return `paid ${id}`;
      },
      read: async () => 'read',
    });
    const attempt = (n: number) => new MockActivityEnvironment({ attempt: n });
    return { effects, injector, activities, attempt };
  }

  it('after: the effect happens, the attempt fails retryably, the retry passes', async () => {
    const { effects, injector, activities, attempt } = setup();
    injector.arm({ activity: 'pay', occurrence: 1, mode: 'after' });
    await assert.rejects(
      attempt(1).run(activities.pay, 'a'),
      (error: unknown) => error instanceof ApplicationFailure && error.type === INJECTED_CRASH && !error.nonRetryable,
    );
    assert.deepEqual(effects, ['a']);
    assert.equal(injector.quietFor(), 0, 'a retry is awaited');
    assert.equal(await attempt(2).run(activities.pay, 'a'), 'paid a');
    assert.deepEqual(effects, ['a', 'a']);
    assert.equal(injector.fired(), true);
    assert.deepEqual(injector.steps(), [{ activity: 'pay', occurrence: 1 }]);
    assert.equal(await injector.idle(20, 1_000), true);
  });

  it('before: nothing happens, the crash fires once, only the chosen occurrence', async () => {
    const { effects, injector, activities, attempt } = setup();
    injector.arm({ activity: 'pay', occurrence: 2, mode: 'before' });
    assert.equal(await attempt(1).run(activities.read), 'read');
    assert.equal(await attempt(1).run(activities.pay, 'a'), 'paid a');
    await assert.rejects(
      attempt(1).run(activities.pay, 'b'),
      (error: unknown) => error instanceof ApplicationFailure && error.type === INJECTED_CRASH,
    );
    assert.deepEqual(effects, ['a']);
    assert.equal(await attempt(2).run(activities.pay, 'b'), 'paid b');
    assert.equal(await attempt(1).run(activities.pay, 'c'), 'paid c');
    assert.deepEqual(effects, ['a', 'b', 'c']);
    assert.deepEqual(
      injector.steps().map((step) => `${step.activity}#${step.occurrence}`),
      ['read#1', 'pay#1', 'pay#2', 'pay#3'],
    );
    injector.arm(null);
    assert.deepEqual(injector.steps(), []);
    assert.equal(injector.fired(), false);
  });
});
