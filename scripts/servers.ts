/**
 * `npm run servers -- <command>` / `node dist/servers.js <command>` (in the worker's container: it
 * has DATABASE_URL and PANEL_CREDENTIALS_KEY): operators add, test, edit, close, re-open and
 * remove 3X-UI panel servers. `npm run servers -- help` prints the commands (scripts/servers-cli.ts).
 */
import { runServersCli } from './servers-cli';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

process.exitCode = await runServersCli(process.argv.slice(2), {
  env: process.env,
  readStdin,
  out: (line) => console.log(line),
  err: (line) => console.error(line),
});
