/**
 * `GET /import/:app/:token`: the https page a bot button opens to add a subscription to a VPN app
 * in one tap. Telegram buttons take only http(s) and tg:// URLs, so the page hands over to the
 * app's own scheme (`happ://add/<sub-url>`, ...): at once by a refresh, and by a button should the
 * browser ask first. The token is only checked for its shape and put into `<PUBLIC_BASE_URL>/sub/<token>`;
 * nothing is looked up, so the page tells a guesser nothing the feed would not.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { IMPORT_APPS, importLink } from '../../lib/vpn-apps/connect-apps';

/** Options of {@link registerImportPageRoute}. */
export interface ImportPageOptions {
  /** Public base URL of the api, no trailing slash: the subscription URL is `<this>/sub/<token>`. */
  publicBaseUrl: string;
}

const params = z.object({ app: z.enum(IMPORT_APPS), token: z.string().regex(/^[A-Za-z0-9_-]{32,64}$/) });

const escapeHtml = (text: string) =>
  text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');

/** The page: a refresh to the app link and the same link as a button, in Russian and English. */
export function importPage(link: string): string {
  const href = escapeHtml(link);
  return `<!doctype html>
<html lang="ru"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="0;url=${href}"><meta name="referrer" content="no-referrer">
<title>VPN</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 32rem; margin: 3rem auto; padding: 0 1rem">
<p><a href="${href}" style="font-size: 1.25rem">Открыть в приложении / Open in the app</a></p>
<p>Если ничего не произошло, установите приложение и нажмите ссылку ещё раз.<br>Nothing happened? Install the app and tap the link again.</p>
</body></html>`;
}

/** Registers the import page; a malformed app or token is a plain 404. */
export function registerImportPageRoute(app: FastifyInstance, options: ImportPageOptions): void {
  app.get(
    '/import/:app/:token',
    { logSerializers: { req: (request) => ({ method: request.method, url: '/import/[redacted]' }) } },
    async (request, reply: FastifyReply) => {
      const parsed = params.safeParse(request.params);
      if (!parsed.success) return reply.code(404).type('text/plain; charset=utf-8').send('not found');
      const link = importLink(parsed.data.app, `${options.publicBaseUrl}/sub/${parsed.data.token}`);
      return reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(importPage(link));
    },
  );
}
