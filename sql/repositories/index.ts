/**
 * The data layer's public surface: plain functions taking a slonik connection (a pool or a
 * transaction), so callers compose several in one `pool.transaction(...)`. Every state-changing
 * function runs in its own transaction (a savepoint when nested) and writes its audit_logs row there.
 */
export * from './audit-repository';
export * from './users-repository';
export * from './plans-repository';
export * from './servers-repository';
export * from './server-slots-repository';
export * from './server-credentials-repository';
export * from './subscriptions-repository';
export * from './payments-repository';
export * from './referrals-repository';
export * from './ledger-repository';
export * from './notifications-repository';
export * from './webhook-events-repository';
export * from './fleet-repository';
export * from './promo-codes-repository';
