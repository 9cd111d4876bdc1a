/**
 * `npm run demo`: starts the whole local stack (embedded Postgres, Temporal dev server, fake
 * Telegram, fake 3X-UI panel, sandbox checkout, worker, api, bot; see bench/lib/stack.ts), plays a
 * new user from /start to the English main menu (scripts/demo/journey.ts), prints what the user
 * saw, stops everything and exits 0; on failure prints why and exits 1.
 */
import { startBenchStack } from '../bench/lib/stack';
import type { Step } from './demo/chat-driver';
import { playNewUser } from './demo/journey';
import { renderTranscript } from './demo/transcript';

const log = (line: string) => console.error(`[demo] ${line}`);

async function main(): Promise<number> {
  const started = Date.now();
  log('starting the local stack (first run installs the Temporal CLI and Postgres binaries)…');
  const stack = await startBenchStack({ worker: true, api: true, bot: true, sandboxWebhooks: 'api', log });
  let code = 1;
  const steps: Step[] = [];
  try {
    await playNewUser(stack, steps);
    console.log(`\n=== What the new user saw ===\n\n${renderTranscript(steps)}`);
    log(`journey of ${steps.length} steps done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    code = 0;
  } catch (error) {
    console.log(`\n=== What the new user saw before the failure ===\n\n${renderTranscript(steps)}`);
    log(`FAILED: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    await stack.stop();
  }
  return code;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    log(`FAILED to start the stack: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);
