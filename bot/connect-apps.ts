import type { Platform } from './callback-data';

/** A client app the instructions name, with its one-tap import link when the app has one. */
export interface ConnectApp {
  name: string;
  /** The app's import deep link for a subscription URL; absent where the app has none (copy the link). */
  importLink?: (subscriptionUrl: string) => string;
}

/*
 * Import schemes as the apps document them: Hiddify `hiddify://import/<url>` (hiddify.com
 * URL-Scheme page), Streisand `streisand://import/<url>` and v2rayNG
 * `v2rayng://install-config?url=<encoded>` (Marzban's URL-scheme list), Happ `happ://add/<url>`
 * and v2RayTun `v2raytun://import/<url>` (the forms subscription pages such as Remnawave's use).
 * Nekoray has no import scheme: its users paste the link.
 */
const hiddify: ConnectApp = { name: 'Hiddify', importLink: (url) => `hiddify://import/${url}` };
const happ: ConnectApp = { name: 'Happ', importLink: (url) => `happ://add/${url}` };
const v2raytun: ConnectApp = { name: 'v2RayTun', importLink: (url) => `v2raytun://import/${url}` };
const streisand: ConnectApp = { name: 'Streisand', importLink: (url) => `streisand://import/${url}` };
const v2rayng: ConnectApp = { name: 'v2rayNG', importLink: (url) => `v2rayng://install-config?url=${encodeURIComponent(url)}` };
const nekoray: ConnectApp = { name: 'Nekoray' };

/** Apps per platform, the easiest first. */
export const CONNECT_APPS: Readonly<Record<Platform, readonly ConnectApp[]>> = {
  android: [v2rayng, hiddify, happ, v2raytun],
  ios: [happ, streisand, v2raytun, hiddify],
  windows: [hiddify, happ, v2raytun, nekoray],
  macos: [hiddify, happ, v2raytun, streisand],
  linux: [hiddify, nekoray],
};
