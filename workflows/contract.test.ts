import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { temporalTaskQueue } from '../lib/config/fields';
import { DEFAULT_TASK_QUEUE, WorkflowType, type WorkflowTypeName } from './contract';
import * as Workflows from './index';

/** Fails to compile when a name in WorkflowType is not an exported workflow. */
const typeNames: Record<keyof typeof WorkflowType, keyof typeof Workflows> = WorkflowType;
/** Fails to compile when an exported workflow has no name in WorkflowType. */
const exportedNames: Record<keyof typeof Workflows, WorkflowTypeName> = Object.fromEntries(
  Object.keys(Workflows).map((name) => [name, name]),
) as {
  [Name in keyof typeof Workflows]: Name;
};

describe('workflows/contract.ts', () => {
  it('names every workflow the worker registers, by its function name, once', () => {
    const registered = Object.entries(Workflows)
      .filter(([, value]) => typeof value === 'function')
      .map(([name]) => name)
      .sort();
    assert.deepEqual(Object.values(typeNames).sort(), registered);
    assert.deepEqual(Object.keys(exportedNames).sort(), registered);
    for (const [name, fn] of Object.entries(Workflows)) assert.equal(fn.name, name, `${name} is registered under its function name`);
  });

  it('has the configuration default task queue', () => {
    assert.equal(temporalTaskQueue.parse(undefined), DEFAULT_TASK_QUEUE);
  });
});
