/**
 * Replays every recorded history in test/histories/ against the current workflow code. A change
 * that would break a running workflow (non-determinism) fails here, before it reaches a worker.
 * File names start with the workflow type's ID prefix: `subscription-*.json` and so on.
 */
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { before, describe, it } from 'node:test';
import { Worker, bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { WORKFLOWS_PATH } from '../../workers/create-worker';
import { installQuietRuntime } from '../support/test-temporal';

const HISTORIES_DIR = fileURLToPath(new URL('../histories/', import.meta.url));

describe('replay of recorded histories', async () => {
  const files = (await readdir(HISTORIES_DIR)).filter((name) => name.endsWith('.json')).sort();
  let workflowBundle: WorkflowBundleWithSourceMap;

  before(async () => {
    installQuietRuntime();
    workflowBundle = await bundleWorkflowCode({
      workflowsPath: WORKFLOWS_PATH,
      logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} },
    });
  });

  it('has at least one recorded history', () => {
    assert.ok(files.length > 0, `no histories in ${HISTORIES_DIR}`);
  });

  for (const file of files) {
    it(`replays ${file} without non-determinism`, async () => {
      const history: unknown = JSON.parse(await readFile(path.join(HISTORIES_DIR, file), 'utf8'));
      await Worker.runReplayHistory({ workflowBundle }, history, path.basename(file, '.json'));
    });
  }
});
