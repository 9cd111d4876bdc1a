/** Row schemas of every table, for `sql.type(schema)`. */
export * from './columns';
export * from './user-row';
export * from './subscription-plan-row';
export * from './vpn-server-row';
export * from './subscription-row';
export * from './payment-row';
export * from './referral-row';
export * from './balance-ledger-row';
export * from './audit-log-row';
export * from './notification-row';
export * from './webhook-event-row';
export * from './promo-code-row';
