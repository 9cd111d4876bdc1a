/**
 * The activity contracts: every activity the worker registers, as interfaces (types only).
 * Workflows proxy these (`import type`), never the implementations; activities/create-activities.ts
 * `satisfies Activities`, so a missing or changed activity fails the typecheck.
 */
import type { AlertDelivery } from './alert-activities';
import type { AuditActivities } from './audit-activities';
import type { BackupActivities } from './backup-activities';
import type { BroadcastActivities } from './broadcast-activities';
import type { FleetActivities } from './fleet-activities';
import type { InvariantActivities } from './invariant-activities';
import type { LifecycleActivities } from './lifecycle-activities';
import type { PanelActivities } from './panel-activities';
import type { PaymentActivities, PaymentMismatchActivities } from './payment-activities';
import type { PaymentReconcileActivities } from './payment-reconcile-activities';
import type { ReconcileActivities } from './reconcile-activities';
import type { SettingsActivities } from './settings-activities';
import type { StarsChargeActivities, StarsReconcileActivities } from './stars-charge-activities';
import type { SweepActivities } from './sweep-activities';

/** Every activity of the worker. */
export interface Activities
  extends
    AlertDelivery,
    AuditActivities,
    BackupActivities,
    BroadcastActivities,
    FleetActivities,
    InvariantActivities,
    LifecycleActivities,
    PanelActivities,
    PaymentActivities,
    PaymentMismatchActivities,
    PaymentReconcileActivities,
    ReconcileActivities,
    SettingsActivities,
    StarsChargeActivities,
    StarsReconcileActivities,
    SweepActivities {}
