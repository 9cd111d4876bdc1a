/**
 * Smoke test of `npm run servers` against a fake 3X-UI panel and a real database: the real entry
 * point adds a panel with its password from stdin (never argv), lists it as JSON; the rest of the
 * commands run in-process through the same runServersCli, with their exit codes.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { startFakePanel, type FakePanel } from '../fakes/xui-panel/fake-panel';
import { realityTcpInbound, tcpHttpInbound } from '../fakes/xui-panel/seed-inbounds';
import { createTestDatabase, type TestDatabase } from '../test/support/test-database';
import { runServersCli } from './servers-cli';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PASSWORD = 'cli-panel-pass-0123456789';
const KEY = randomBytes(32).toString('hex');
let db: TestDatabase;
let panel: FakePanel;

before(async () => {
  db = await createTestDatabase();
  panel = await startFakePanel({
    version: 'v3',
    username: 'admin',
    password: PASSWORD,
    inbounds: [realityTcpInbound(1, 443), tcpHttpInbound(2, 8080)],
  });
});
after(async () => {
  await panel?.close();
  await db?.drop();
});

function env(extra: Record<string, string> = {}): Record<string, string | undefined> {
  return { PATH: process.env.PATH, DATABASE_URL: db.url, PANEL_CREDENTIALS_KEY: KEY, ...extra };
}

/** Runs scripts/servers.ts as a process, `stdin` written to it. */
async function spawnCli(args: string[], stdin: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'scripts', 'servers.ts'), ...args], {
    cwd: root,
    env: env(),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin.end(stdin);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { code, stdout, stderr };
}

/** Runs one command in-process. */
async function cli(args: string[], extraEnv: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runServersCli(args, {
    env: env(extraEnv),
    readStdin: async () => '',
    out: (line) => out.push(line),
    err: (line) => err.push(line),
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('npm run servers', () => {
  it('adds a panel with the password from stdin, lists it, and runs the other commands', async () => {
    const added = await spawnCli(
      [
        'add',
        '--name',
        'NL-reality',
        '--panel-url',
        panel.url,
        '--username',
        'admin',
        '--inbound',
        '1',
        '--location',
        'Netherlands',
        '--password-stdin',
      ],
      `${PASSWORD}\n`,
    );
    assert.equal(added.code, 0, added.stderr);
    assert.match(added.stdout, /panel OK: 3X-UI v3/);
    assert.match(added.stdout, /inbound 1: vless tcp\/reality port 443/);
    assert.match(added.stdout, /inbound 2: vless tcp\/none port 8080/);
    const id = Number(/server (\d+) 'NL-reality' added/.exec(added.stdout)?.[1]);
    assert.ok(id > 0);
    assert.ok(!`${added.stdout}${added.stderr}`.includes(PASSWORD), 'the password is never printed');

    const listed = await cli(['list', '--json']);
    assert.equal(listed.code, 0);
    const servers = JSON.parse(listed.out) as Array<{
      id: number;
      name: string;
      endpoint: string;
      auth: string;
      open: boolean;
      inboundId: number;
    }>;
    assert.deepEqual(
      servers.map((server) => [server.id, server.name, server.endpoint, server.auth, server.open, server.inboundId]),
      [[id, 'NL-reality', '127.0.0.1:443', 'password', true, 1]],
    );

    const sibling = await cli([
      'add',
      '--name',
      'NL-tcp',
      '--same-panel-as',
      String(id),
      '--inbound',
      '2',
      '--endpoint',
      'nl.example.com:8080',
      '--max-users',
      '200',
    ]);
    assert.equal(sibling.code, 0, sibling.err);
    assert.match((await cli(['list'])).out, /NL-tcp\s+open\s+up.*0\/200 \(0%\)\s+2\s+\?\/password\s+nl\.example\.com:8080/);

    assert.match((await cli(['test', String(id)])).out, /panel OK/);
    const wrong = await cli(['test', '--panel-url', panel.url, '--username', 'admin'], { PANEL_PASSWORD: 'not-the-password' });
    assert.equal(wrong.code, 1);
    assert.match(wrong.out, /panel test FAILED: PANEL_AUTH_FAILED/);

    assert.equal((await cli(['edit', String(id), '--max-users', '10', '--location', 'Amsterdam'])).code, 0);
    assert.match((await cli(['show', String(id)])).out, /0\/10 .*Amsterdam/);
    assert.equal(
      (await cli(['credentials', String(id)], { PANEL_PASSWORD: 'wrong-new-password' })).code,
      1,
      'untested credentials are not stored',
    );
    assert.equal((await cli(['credentials', String(id)], { PANEL_PASSWORD: PASSWORD })).code, 0);

    assert.match((await cli(['disable', String(id)])).out, /is closed to new subscriptions/);
    const reopen = await cli(['reopen', String(id)], { PANEL_REOPEN_AFTER_SECONDS: '3600' });
    assert.equal(reopen.code, 1);
    assert.match(reopen.err, /not re-opened: its panel is down \(or not probed up yet\); --force opens it anyway/);
    assert.equal((await cli(['reopen', String(id), '--force'])).code, 0);
    assert.match((await cli(['enable', String(id)])).out, /is open/);

    const missing = await cli(['add', '--name', 'x', '--panel-url', panel.url, '--username', 'admin', '--inbound', '7'], {
      PANEL_PASSWORD: PASSWORD,
    });
    assert.equal(missing.code, 1);
    assert.match(missing.err, /INVALID_INPUT: the panel has no inbound 7/);
    const usage = await cli(['frobnicate']);
    assert.equal(usage.code, 2);
    assert.match(usage.err, /unknown command 'frobnicate'[\s\S]*Usage: npm run servers/);
    assert.equal((await cli(['edit', String(id + 1), '--panel-url', ''])).code, 0);
    assert.equal(
      JSON.parse((await cli(['show', String(id + 1), '--json'])).out).panelUrl,
      null,
      "--panel-url '' retires the row from probing",
    );
    assert.equal((await cli(['remove', String(id + 1)])).code, 0);
    assert.equal(JSON.parse((await cli(['list', '--json'])).out).length, 1);
  });
});
