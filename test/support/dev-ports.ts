/**
 * The ports `npm run dev` binds, by the variable that sets each: tests of the dev stack give every
 * one a free port so their runs never collide with each other or a developer's dev stack.
 */
export const DEV_PORT_NAMES = [
  'DEV_POSTGRES_PORT',
  'DEV_TEMPORAL_PORT',
  'DEV_TEMPORAL_UI_PORT',
  'DEV_TEMPORAL_HTTP_PORT',
  'DEV_TEMPORAL_METRICS_PORT',
  'API_PORT',
  'FAKE_TELEGRAM_PORT',
  'FAKE_PANEL_PORT',
  'SANDBOX_PAY_PORT',
] as const;
