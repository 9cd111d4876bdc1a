/**
 * Backups round-trip a database: the database-backup workflow (real pg_dump through the backup
 * activity, on the real Temporal test server) dumps the test database, rows are then changed and
 * deleted, and `npm run restore -- FILE --yes` (scripts/restore.ts, real pg_restore) brings them
 * back. The workflow reports to the operators' chat (fake Telegram) with the file, size and
 * duration; pruning keeps the newest BACKUP_KEEP; the restore refuses without --yes.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { sql } from 'slonik';
import { z } from 'zod';
import { createBackupActivities } from '../../activities/backup-activities';
import { pruneBackups } from '../../lib/db/backup-files';
import { createLogger } from '../../lib/logger';
import { databaseBackupWorkflow } from '../../workflows/backup-workflow';
import { newActiveSubscription, newUser } from '../support/db-fixtures';
import { startRealStack, type RealStack } from '../support/real-stack';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const OPERATOR_CHAT = 4242;

function runRestore(args: string[], databaseUrl: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/restore.ts', ...args], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: databaseUrl },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => resolve({ code, output }));
  });
}

describe('database backup and restore', () => {
  let stack: RealStack;
  let dir: string;
  before(async () => {
    stack = await startRealStack();
    dir = await mkdtemp(path.join(os.tmpdir(), 'backups-'));
    stack.deps.backups = { dir, keep: 2, databaseUrl: stack.database.url };
    stack.deps.alerts = { chatIds: [OPERATOR_CHAT], maxPerKindPerMinute: 5 };
  });
  after(async () => {
    await stack?.close();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('backs up through the workflow, reports it, and a restore brings changed and deleted rows back', async () => {
    const pool = stack.database.pool;
    const kept = await newUser(pool);
    const subscription = await newActiveSubscription(pool);
    const doomed = await newUser(pool);
    const before = await pool.oneFirst(sql.type(z.object({ n: z.number() }))`SELECT count(*)::int AS n FROM users`);

    const result = await stack.run(() =>
      stack.temporal.client.workflow.execute(databaseBackupWorkflow, {
        workflowId: `backup-test-${Date.now()}`,
        taskQueue: stack.taskQueue,
      }),
    );
    assert.match(result.file, /^backup-\d{8}T\d{6}Z\.dump$/);
    assert.ok(result.bytes > 1000, `a real dump (${result.bytes} bytes)`);
    assert.ok(result.durationMs > 0);
    assert.deepEqual(await readdir(dir), [result.file], 'only the finished dump, no .partial left');
    const report = await stack.telegram.waitFor((call) => call.method === 'sendMessage' && call.chatId === OPERATOR_CHAT);
    assert.match(
      String(report.params['text']),
      new RegExp(`backup_completed[\\s\\S]*${result.file.replace(/\./g, '\\.')}: \\d+\\.\\d\\d MB in \\d+\\.\\d s; 1 backup\\(s\\) kept`),
    );

    // Damage: a user deleted (with what cascades), a name changed, a subscription cancelled.
    await pool.query(sql.unsafe`DELETE FROM audit_logs WHERE user_id = ${doomed.id}`);
    await pool.query(sql.unsafe`DELETE FROM users WHERE id = ${doomed.id}`);
    await pool.query(sql.unsafe`UPDATE users SET first_name = 'Changed' WHERE id = ${kept.id}`);
    await pool.query(sql.unsafe`UPDATE subscriptions SET status = 'cancelled' WHERE id = ${subscription.id}`);

    const refused = await runRestore([path.join(dir, result.file)], stack.database.url);
    assert.equal(refused.code, 1, refused.output);
    assert.match(refused.output, /refusing without --yes/);
    assert.equal(
      await pool.oneFirst(sql.type(z.object({ n: z.number() }))`SELECT count(*)::int AS n FROM users`),
      before - 1,
      'a refused restore changes nothing',
    );

    const restored = await runRestore([path.join(dir, result.file), '--yes'], stack.database.url);
    assert.equal(restored.code, 0, restored.output);
    assert.match(restored.output, /restored .*backup-\d{8}T\d{6}Z\.dump/);
    assert.match(restored.output, new RegExp(`public\\.users: ${before} rows`));

    assert.equal(await pool.oneFirst(sql.type(z.object({ n: z.number() }))`SELECT count(*)::int AS n FROM users`), before);
    const names = await pool.any(
      sql.type(
        z.object({ id: z.number(), first_name: z.string().nullable() }),
      )`SELECT id, first_name FROM users WHERE id IN (${kept.id}, ${doomed.id}) ORDER BY id`,
    );
    assert.deepEqual(names, [
      { id: kept.id, first_name: 'Test' },
      { id: doomed.id, first_name: 'Test' },
    ]);
    const status = await pool.oneFirst(
      sql.type(z.object({ status: z.string() }))`SELECT status FROM subscriptions WHERE id = ${subscription.id}`,
    );
    assert.equal(status, 'active');
    // The database still enforces its rules after the restore (triggers came back): the ledger is append-only.
    await assert.rejects(pool.query(sql.unsafe`TRUNCATE balance_ledger`), (error: Error) => /append-only/.test(String(error.cause)));
  });

  it('keeps the newest BACKUP_KEEP dumps and answers a retry with the file already made', async () => {
    const own = await mkdtemp(path.join(os.tmpdir(), 'backups-keep-'));
    try {
      await writeFile(path.join(own, 'notes.txt'), 'not a backup');
      const activities = createBackupActivities({
        logger: createLogger({ level: 'silent' }),
        backups: { dir: own, keep: 2, databaseUrl: stack.database.url },
      });
      const names = ['backup-20260101T000000Z.dump', 'backup-20260102T000000Z.dump', 'backup-20260103T000000Z.dump'];
      for (const name of names) await activities.backupDatabase({ name });
      assert.deepEqual((await readdir(own)).sort(), ['backup-20260102T000000Z.dump', 'backup-20260103T000000Z.dump', 'notes.txt']);
      const retried = await activities.backupDatabase({ name: 'backup-20260103T000000Z.dump' });
      assert.equal(retried.durationMs, 0, 'the retry found the file instead of dumping again');
      assert.equal(retried.kept, 2);
      assert.deepEqual(await pruneBackups(own, 1), { kept: 1, deleted: ['backup-20260102T000000Z.dump'] });
      await assert.rejects(activities.backupDatabase({ name: '../etc/passwd' }), /backup name/);
    } finally {
      await rm(own, { recursive: true, force: true });
    }
  });
});
