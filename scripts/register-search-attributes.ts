/**
 * `npm run temporal:setup`: registers the custom search attributes on TEMPORAL_NAMESPACE of the
 * Temporal cluster at TEMPORAL_ADDRESS (idempotent). `npm run dev` and the tests do this
 * themselves; a self-hosted deployment runs it once per namespace (docker compose does).
 */
import { Connection } from '@temporalio/client';
import { z } from 'zod';
import { temporalAddress, temporalNamespace } from '../lib/config/fields';
import { parseConfig } from '../lib/config/parse-config';
import { registerSearchAttributes } from '../clients/register-search-attributes';
import { SEARCH_ATTRIBUTES } from '../workflows/contract';
import { requireNode24 } from './stack/require-node';

requireNode24();
const config = parseConfig(z.object({ TEMPORAL_ADDRESS: temporalAddress, TEMPORAL_NAMESPACE: temporalNamespace }), process.env);
const deadline = Date.now() + 120_000;
let connection: Connection | undefined;
while (connection === undefined) {
  try {
    connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS, connectTimeout: 2_000 });
  } catch (error) {
    if (Date.now() > deadline) throw error;
    console.log(`waiting for Temporal at ${config.TEMPORAL_ADDRESS}...`);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
  }
}
try {
  const added = await registerSearchAttributes(connection, config.TEMPORAL_NAMESPACE, SEARCH_ATTRIBUTES);
  console.log(added.length === 0 ? 'search attributes: all registered' : `search attributes added: ${added.join(', ')}`);
} finally {
  await connection.close();
}
