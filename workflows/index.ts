/** Every workflow the worker registers. */
export { subscriptionWorkflow } from './subscription-workflow';
export { paymentWorkflow } from './payment-workflow';
export { panelHealthWorkflow } from './panel-health-workflow';
export { serverFailoverWorkflow } from './server-failover-workflow';
export { trafficSyncWorkflow } from './traffic-sync-workflow';
export { panelReconcileWorkflow } from './panel-reconcile-workflow';
export { paymentReconcileWorkflow } from './payment-reconcile-workflow';
export { orphanSweepWorkflow } from './orphan-sweep-workflow';
export { invariantsCheckWorkflow } from './invariants-workflow';
export { starsChargeWorkflow } from './stars-charge-workflow';
export { starsReconcileWorkflow } from './stars-reconcile-workflow';
export { databaseBackupWorkflow } from './backup-workflow';
export { broadcastWorkflow } from './broadcast-workflow';
