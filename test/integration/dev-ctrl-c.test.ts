/**
 * `npm run dev` as a user runs it: through npm, in a terminal's foreground process group, with
 * its data in a folder the `postgres` OS user cannot enter (a clone in /root). Ctrl-C pressed
 * twice (SIGINT to the whole group, each also forwarded by npm) stops every process it started.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { freePorts, waitForPort } from '../../scripts/stack/free-port';
import { DEV_PORT_NAMES } from '../support/dev-ports';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Pids of live processes whose environment carries `marker` (every process dev starts inherits it). */
function processesWith(marker: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (/\) Z /.test(stat)) continue; // a zombie is already dead
      if (readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0').includes(marker)) found.push(Number(entry));
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return found;
}

describe('npm run dev and Ctrl-C', () => {
  let home: string | undefined;
  let pgid: number | undefined;
  let marker = '';
  after(async () => {
    if (pgid !== undefined && processesWith(marker).length > 0) {
      for (const pid of processesWith(marker)) process.kill(pid, 'SIGKILL');
    }
    if (home === undefined) return;
    const record = path.join(home, 'clone', '.data', 'postgres', 'cluster-location');
    if (existsSync(record)) await rm((await readFile(record, 'utf8')).trim(), { recursive: true, force: true });
    await rm(home, { recursive: true, force: true });
  });

  it('starts with its data in a 0700 folder and stops every process on a double Ctrl-C', async () => {
    home = await mkdtemp(path.join(os.tmpdir(), 'vless-root-home-')); // 0700, like /root
    const dataDir = path.join(home, 'clone', '.data');
    marker = `DEV_DATA_DIR=${dataDir}`;
    const env: NodeJS.ProcessEnv = { ...process.env, DEV_DATA_DIR: dataDir, LOG_LEVEL: 'warn' };
    for (const name of ['DATABASE_URL', 'TEMPORAL_ADDRESS', 'TELEGRAM_BOT_TOKEN', 'TELEGRAM_API_ROOT']) delete env[name];
    const ports = await freePorts(DEV_PORT_NAMES.length);
    DEV_PORT_NAMES.forEach((name, index) => (env[name] = String(ports[index])));

    // detached: a new session and process group led by npm, as a terminal's foreground job.
    const npm = spawn('npm', ['run', '--silent', 'dev'], { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    pgid = npm.pid;
    let output = '';
    npm.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    npm.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => npm.once('exit', (code) => resolve(code)));
    const deadline = Date.now() + 180_000;
    while (!/ready in [\d.]+ s/.test(output)) {
      if (npm.exitCode !== null || Date.now() > deadline) assert.fail(`dev did not become ready:\n${output.slice(-3000)}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const started = processesWith(marker);
    assert.ok(started.length >= 8, `expected npm, the launcher, Postgres, Temporal and the services; saw ${started.length}`);

    assert.ok(pgid !== undefined);
    process.kill(-pgid, 'SIGINT');
    await new Promise((resolve) => setTimeout(resolve, 300));
    process.kill(-pgid, 'SIGINT');
    const code = await Promise.race([exited, new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 90_000).unref())]);
    assert.notEqual(code, 'timeout', `dev did not stop:\n${output.slice(-3000)}`);
    assert.deepEqual(processesWith(marker), [], `processes left running after Ctrl-C:\n${output.slice(-3000)}`);
    for (const port of ports) assert.equal(await waitForPort('127.0.0.1', port, 300), false, `port ${port} still open`);
    assert.match(output, /still stopping in order/, 'the second Ctrl-C reached the launcher and did not cut the shutdown short');
  });
});
