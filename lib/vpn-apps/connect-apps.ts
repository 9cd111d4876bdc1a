/**
 * The VPN client apps users are pointed to, per platform, with their one-tap import links, and
 * the https page (`<base>/import/<app>/<token>`, served by the api) that opens those links from a
 * Telegram button: Telegram buttons accept only http(s) and tg:// URLs, never an app's own scheme.
 */

/** Platforms with connection instructions. */
export const PLATFORMS = ['android', 'ios', 'windows', 'macos', 'linux'] as const;

/** One of {@link PLATFORMS}. */
export type Platform = (typeof PLATFORMS)[number];

/** Apps with an import scheme. */
export const IMPORT_APPS = ['happ', 'v2raytun', 'hiddify', 'streisand', 'v2rayng'] as const;

/** One of {@link IMPORT_APPS}. */
export type ImportApp = (typeof IMPORT_APPS)[number];

/*
 * Import schemes as the apps document them: Hiddify `hiddify://import/<url>` (hiddify.com
 * URL-Scheme page), Streisand `streisand://import/<url>` and v2rayNG
 * `v2rayng://install-config?url=<encoded>` (Marzban's URL-scheme list), Happ `happ://add/<url>`
 * and v2RayTun `v2raytun://import/<url>` (the forms subscription pages such as Remnawave's use).
 */
const IMPORT_LINKS: Readonly<Record<ImportApp, (subscriptionUrl: string) => string>> = {
  happ: (url) => `happ://add/${url}`,
  v2raytun: (url) => `v2raytun://import/${url}`,
  hiddify: (url) => `hiddify://import/${url}`,
  streisand: (url) => `streisand://import/${url}`,
  v2rayng: (url) => `v2rayng://install-config?url=${encodeURIComponent(url)}`,
};

/** The app's import deep link for a subscription URL. */
export function importLink(app: ImportApp, subscriptionUrl: string): string {
  return IMPORT_LINKS[app](subscriptionUrl);
}

/** A client app the instructions name; `app` is set when it has an import link (else: paste the link). */
export interface ConnectApp {
  name: string;
  app?: ImportApp;
}

const hiddify: ConnectApp = { name: 'Hiddify', app: 'hiddify' };
const happ: ConnectApp = { name: 'Happ', app: 'happ' };
const v2raytun: ConnectApp = { name: 'v2RayTun', app: 'v2raytun' };
const streisand: ConnectApp = { name: 'Streisand', app: 'streisand' };
const v2rayng: ConnectApp = { name: 'v2rayNG', app: 'v2rayng' };
/** Nekoray has no import scheme: its users paste the link. */
const nekoray: ConnectApp = { name: 'Nekoray' };

/** Apps per platform, the easiest first. */
export const CONNECT_APPS: Readonly<Record<Platform, readonly ConnectApp[]>> = {
  android: [v2rayng, hiddify, happ, v2raytun],
  ios: [happ, streisand, v2raytun, hiddify],
  windows: [hiddify, happ, v2raytun, nekoray],
  macos: [hiddify, happ, v2raytun, streisand],
  linux: [hiddify, nekoray],
};

/**
 * The https page that opens `app`'s import link for the subscription URL `<base>/sub/<token>`:
 * `<base>/import/<app>/<token>`; undefined for a URL of another shape.
 */
export function importPageUrl(subscriptionUrl: string, app: ImportApp): string | undefined {
  const match = /^(https?:\/\/.+)\/sub\/([A-Za-z0-9_-]{32,64})$/.exec(subscriptionUrl);
  return match === null ? undefined : `${match[1]}/import/${app}/${match[2]}`;
}
