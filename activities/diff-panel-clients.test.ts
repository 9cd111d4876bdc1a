import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { diffPanelClients, EXPIRED_CLIENT_RETENTION_DAYS, type DbClientRow, type PanelClientEntry } from './diff-panel-clients';

const NOW = new Date('2026-06-01T12:00:00.000Z');
const DAY = 86_400_000;
const SERVER = 7;

function row(id: number, overrides: Partial<DbClientRow> = {}): DbClientRow {
  return {
    subscriptionId: id,
    status: 'active',
    serverId: SERVER,
    slotHeld: true,
    endsAtMs: NOW.getTime() + 10 * DAY,
    email: `sub-${id}-0123abcd`,
    uuid: `00000000-0000-5000-8000-${String(id).padStart(12, '0')}`,
    ...overrides,
  };
}

function clientOf(r: DbClientRow, overrides: Partial<PanelClientEntry> = {}): PanelClientEntry {
  return {
    inboundId: 1,
    email: r.email,
    uuid: r.uuid,
    enable: true,
    expiryTime: r.endsAtMs ?? 0,
    usedBytes: 0,
    totalBytes: 0,
    ...overrides,
  };
}

function diff(rows: DbClientRow[], clients: PanelClientEntry[]) {
  return diffPanelClients({ serverId: SERVER, rows }, { inboundIds: [1], clients }, NOW);
}

describe('diffPanelClients', () => {
  it('finds nothing when panel and database agree', () => {
    const a = row(1);
    const expired = row(2, { status: 'expired', slotHeld: false, endsAtMs: NOW.getTime() - DAY });
    assert.deepEqual(diff([a, expired], [clientOf(a), clientOf(expired, { enable: false })]), []);
  });

  it('re-creates a paid client the panel lost, but not one whose period is over or that is moving', () => {
    const lost = row(1);
    const overdue = row(2, { endsAtMs: NOW.getTime() - 1 });
    const moving = row(3, { slotHeld: false });
    assert.deepEqual(diff([lost, overdue, moving], []), [
      { kind: 'missing', fix: 'recreate', subscriptionId: 1, email: lost.email, expectedExpiryMs: lost.endsAtMs },
    ]);
  });

  it('leaves alone the client a two-phase move is making here (the row still names the old server)', () => {
    const incoming = row(1, { serverId: 9, moveTargetServerId: SERVER });
    const leftover = row(2, { serverId: 9, moveTargetServerId: 11 });
    assert.deepEqual(
      diff([incoming, leftover], [clientOf(incoming), clientOf(leftover)]).map((finding) => [
        finding.kind,
        'subscriptionId' in finding ? finding.subscriptionId : null,
      ]),
      [['extra', 2]],
    );
  });

  it('deletes clients of subscriptions that moved away, were cancelled, or expired long ago', () => {
    const moved = row(1, { serverId: 9 });
    const cancelled = row(2, { status: 'cancelled', slotHeld: false });
    const oldExpired = row(3, { status: 'expired', slotHeld: false, endsAtMs: NOW.getTime() - (EXPIRED_CLIENT_RETENTION_DAYS + 1) * DAY });
    const findings = diff([moved, cancelled, oldExpired], [clientOf(moved), clientOf(cancelled), clientOf(oldExpired, { enable: false })]);
    assert.deepEqual(
      findings.map((f) => (f.kind === 'extra' ? [f.subscriptionId, f.reason, f.fix] : f.kind)),
      [
        [1, 'moved', 'delete'],
        [2, 'cancelled', 'delete'],
        [3, 'expired', 'delete'],
      ],
    );
  });

  it('reports, never deletes, a client of a subscription living on another row of the same panel', () => {
    const sibling = row(1, { serverId: 8 });
    const movedAway = row(2, { serverId: 9 });
    const findings = diffPanelClients(
      { serverId: SERVER, rows: [sibling, movedAway], siblingServerIds: [8] },
      { inboundIds: [1], clients: [clientOf(sibling), clientOf(movedAway)] },
      NOW,
    );
    assert.deepEqual(findings, [
      { kind: 'other-row', fix: null, subscriptionId: 1, email: sibling.email, inboundId: 1, ownerServerId: 8 },
      { kind: 'extra', fix: 'delete', subscriptionId: 2, email: movedAway.email, inboundId: 1, reason: 'moved' },
    ]);
  });

  it("on a panel that keeps an inbound's last client (v2), leaves that client alone once disabled", () => {
    const v2 = (rows: DbClientRow[], clients: PanelClientEntry[], extra: { inboundSizes?: Map<number, number> } = {}) =>
      diffPanelClients({ serverId: SERVER, rows }, { inboundIds: [1], clients, keepsLastClient: true, ...extra }, NOW).map((f) => f.kind);
    const cancelled = row(1, { status: 'cancelled', slotHeld: false });
    assert.deepEqual(
      diffPanelClients(
        { serverId: SERVER, rows: [cancelled] },
        { inboundIds: [1], clients: [clientOf(cancelled, { enable: false })], keepsLastClient: true },
        NOW,
      ),
      [{ kind: 'kept-last', fix: null, subscriptionId: 1, email: cancelled.email, inboundId: 1, reason: 'cancelled' }],
    );
    // Still enabled, or not alone, or a panel that deletes last clients (v3): deleted as usual.
    assert.deepEqual(v2([cancelled], [clientOf(cancelled)]), ['extra']);
    const other = row(2);
    assert.deepEqual(v2([cancelled, other], [clientOf(cancelled, { enable: false }), clientOf(other)]), ['extra']);
    assert.deepEqual(
      diff([cancelled], [clientOf(cancelled, { enable: false })]).map((f) => f.kind),
      ['extra'],
    );
    // Judged alone (the repair's second look), the panel-wide count decides.
    assert.deepEqual(v2([cancelled], [clientOf(cancelled, { enable: false })], { inboundSizes: new Map([[1, 2]]) }), ['extra']);
  });

  it('updates a wrong expiry and a wrong enabled flag; the database is the truth for paid time', () => {
    const wrongExpiry = row(1);
    const disabled = row(2);
    const enabledAfterExpiry = row(3, { status: 'expired', slotHeld: false, endsAtMs: NOW.getTime() - DAY });
    const findings = diff(
      [wrongExpiry, disabled, enabledAfterExpiry],
      [clientOf(wrongExpiry, { expiryTime: 0 }), clientOf(disabled, { enable: false }), clientOf(enabledAfterExpiry, { enable: true })],
    );
    assert.deepEqual(findings, [
      {
        kind: 'drift',
        fix: 'update',
        subscriptionId: 1,
        email: wrongExpiry.email,
        inboundId: 1,
        expiryTime: { panel: 0, expected: wrongExpiry.endsAtMs },
      },
      { kind: 'drift', fix: 'update', subscriptionId: 2, email: disabled.email, inboundId: 1, enable: { panel: false, expected: true } },
      {
        kind: 'drift',
        fix: 'update',
        subscriptionId: 3,
        email: enabledAfterExpiry.email,
        inboundId: 1,
        enable: { panel: true, expected: false },
      },
    ]);
  });

  it('tolerates a second of expiry rounding and leaves a quota-disabled client alone', () => {
    const rounded = row(1);
    const quota = row(2);
    assert.deepEqual(
      diff(
        [rounded, quota],
        [
          clientOf(rounded, { expiryTime: (rounded.endsAtMs ?? 0) - 999 }),
          clientOf(quota, { enable: false, usedBytes: 10, totalBytes: 10 }),
        ],
      ),
      [],
    );
  });

  it('only reports foreign clients (counted, without their emails), unknown own-looking ones and identity conflicts', () => {
    const conflict = row(1);
    const findings = diff(
      [conflict],
      [
        clientOf(conflict, { uuid: '11111111-1111-4111-8111-111111111111' }),
        { inboundId: 1, email: 'alice@example.com', uuid: 'a', enable: true, expiryTime: 0, usedBytes: 0, totalBytes: 0 },
        { inboundId: 1, email: 'bob', uuid: 'b', enable: true, expiryTime: 0, usedBytes: 0, totalBytes: 0 },
        { inboundId: 2, email: 'elsewhere', uuid: 'c', enable: true, expiryTime: 0, usedBytes: 0, totalBytes: 0 },
        { inboundId: 1, email: 'sub-999-deadbeef', uuid: 'd', enable: true, expiryTime: 0, usedBytes: 0, totalBytes: 0 },
      ],
    );
    assert.deepEqual(findings, [
      { kind: 'identity-conflict', fix: null, subscriptionId: 1, email: conflict.email, inboundId: 1 },
      { kind: 'unverified', fix: null, email: 'sub-999-deadbeef', inboundId: 1, reason: 'no-subscription' },
      { kind: 'foreign', fix: null, inboundId: 1, clients: 2 },
    ]);
    assert.ok(findings.every((finding) => finding.fix === null));
  });

  it('reports duplicate emails and shared uuids without touching them', () => {
    const a = row(1);
    const b = row(2);
    const findings = diff([a, b], [clientOf(a), clientOf(a, { inboundId: 2 }), clientOf(b), { ...clientOf(b), email: 'copy-of-b' }]);
    assert.deepEqual(
      findings.filter((f) => f.kind === 'duplicate'),
      [
        { kind: 'duplicate', fix: null, by: 'email', email: a.email, subscriptionIds: [1], clients: 2 },
        { kind: 'duplicate', fix: null, by: 'uuid', email: null, subscriptionIds: [2], clients: 2 },
      ],
    );
    assert.ok(!findings.some((f) => f.kind === 'missing'), 'a duplicated client is not missing');
  });

  it('reports a pending or never-placed subscription whose client exists', () => {
    const pending = row(1, { status: 'pending', slotHeld: false, endsAtMs: null });
    const unplaced = row(2, { serverId: null, slotHeld: false });
    assert.deepEqual(
      diff([pending, unplaced], [clientOf(pending), clientOf(unplaced)]).map((f) => (f.kind === 'unverified' ? f.reason : f.kind)),
      ['pending', 'unplaced'],
    );
  });
});
