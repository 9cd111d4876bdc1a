import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createFakePanelState, serializeInbound } from './fake-panel-state';
import { realityTcpInbound } from './seed-inbounds';

/** A state whose inbound 1 holds `count` clients, with readClients counted. */
function stateWithClients(count: number) {
  const state = createFakePanelState([realityTcpInbound()]);
  const inbound = state.findInbound(1);
  if (inbound === undefined) throw new Error('no seed inbound');
  const clients = Array.from({ length: count }, (_, index) => ({
    id: `uuid-${index}`,
    email: `user-${index}`,
    subId: `sub-${index}`,
    enable: true,
  }));
  state.writeClients(inbound, clients);
  for (const client of clients) state.addTrafficRow(1, client);
  const original = state.readClients;
  let reads = 0;
  state.readClients = (target) => {
    reads += 1;
    return original(target);
  };
  return { state, inbound, reads: () => reads };
}

describe('fake panel state: per-request cost', () => {
  it('serializing an inbound parses its clients once, however many there are (linear, not quadratic)', () => {
    for (const count of [10, 500]) {
      const { state, inbound, reads } = stateWithClients(count);
      const serialized = serializeInbound(state, inbound, 'v3') as { clientStats: Array<{ email: string; uuid: unknown; subId: unknown }> };
      assert.equal(reads(), 1, `${count} clients: readClients called ${reads()} times`);
      assert.equal(serialized.clientStats.length, count);
      assert.deepEqual(serialized.clientStats.at(-1), {
        ...serialized.clientStats.at(-1),
        email: `user-${count - 1}`,
        uuid: `uuid-${count - 1}`,
        subId: `sub-${count - 1}`,
      });
    }
  });

  it('still pairs every traffic row with its own client, and a row without a client gets empty ids', () => {
    const { state, inbound } = stateWithClients(3);
    state.addTrafficRow(1, { email: 'orphan', id: 'x' });
    state.writeClients(
      inbound,
      state.readClients(inbound).filter((client) => client['email'] !== 'orphan'),
    );
    const serialized = serializeInbound(state, inbound, 'v2') as { clientStats: Array<{ email: string; uuid: unknown; subId: unknown }> };
    assert.deepEqual(
      serialized.clientStats.map(({ email, uuid, subId }) => ({ email, uuid, subId })),
      [
        { email: 'user-0', uuid: 'uuid-0', subId: 'sub-0' },
        { email: 'user-1', uuid: 'uuid-1', subId: 'sub-1' },
        { email: 'user-2', uuid: 'uuid-2', subId: 'sub-2' },
        { email: 'orphan', uuid: '', subId: '' },
      ],
    );
  });
});
