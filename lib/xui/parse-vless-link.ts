/**
 * `parseVlessLink`: splits a `vless://` share link into fields, for comparing links by meaning
 * (the panel's own links may differ in randomly chosen sni/sid).
 */

/** The fields of a VLESS share link. */
export interface ParsedVlessLink {
  uuid: string;
  /** Host without IPv6 brackets. */
  host: string;
  port: number;
  /** Decoded query parameters (`+` decoded as space, as Go encodes it). */
  params: Record<string, string>;
  /** Decoded fragment; '' when absent. */
  remark: string;
}

/**
 * Parses a `vless://uuid@host:port?query#remark` link.
 * @throws TypeError when the link is not of that form
 */
export function parseVlessLink(link: string): ParsedVlessLink {
  const match = /^vless:\/\/([^@/?#]+)@(\[[^\]]+\]|[^:/?#[\]]+):(\d{1,5})(?:\?([^#]*))?(?:#(.*))?$/.exec(link.trim());
  if (match === null) throw new TypeError('not a vless://uuid@host:port link');
  const [, uuid = '', rawHost = '', rawPort = '', query = '', fragment = ''] = match;
  const port = Number(rawPort);
  if (port < 1 || port > 65535) throw new TypeError('vless link port out of range');
  const params: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(query)) params[key] = value;
  let remark: string;
  try {
    remark = decodeURIComponent(fragment);
  } catch {
    throw new TypeError('vless link fragment is not valid percent-encoding');
  }
  return { uuid: decodeURIComponent(uuid), host: rawHost.replace(/^\[|\]$/g, ''), port, params, remark };
}
