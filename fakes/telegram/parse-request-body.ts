/** A file uploaded in a multipart request, as a method parameter sees it. */
export interface UploadedFile {
  kind: 'upload';
  filename: string;
  data: Buffer;
}

/** Parameters of one Bot API call: strings from forms, any JSON value from JSON bodies. */
export type RawParams = Record<string, unknown>;

/** True when `value` is an {@link UploadedFile}. */
export function isUploadedFile(value: unknown): value is UploadedFile {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'upload';
}

/**
 * Turns a request body into Bot API parameters, as Telegram accepts them: JSON,
 * `application/x-www-form-urlencoded` or `multipart/form-data` (where files are referenced from
 * a field as `attach://<part name>` the way grammY sends them, or sent directly under the
 * parameter's own name).
 *
 * @param contentType the request's Content-Type header, if any
 * @param body the raw body bytes (empty for GET)
 * @throws Error when the body cannot be parsed; the caller answers 400
 */
export function parseRequestBody(contentType: string | undefined, body: Buffer): RawParams {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (body.length === 0) return {};
  if (type === 'application/json' || type === '') {
    const parsed: unknown = JSON.parse(body.toString('utf8'));
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new Error('JSON body must be an object');
    }
    return parsed as RawParams;
  }
  if (type === 'application/x-www-form-urlencoded') {
    return Object.fromEntries(new URLSearchParams(body.toString('utf8')));
  }
  if (type === 'multipart/form-data') {
    const boundary = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType ?? '');
    const value = boundary?.[1] ?? boundary?.[2];
    if (value === undefined) throw new Error('multipart body without boundary');
    return resolveAttachments(parseMultipart(body, value));
  }
  throw new Error(`unsupported content type ${type}`);
}

interface Part {
  name: string;
  filename: string | undefined;
  data: Buffer;
}

/**
 * A minimal RFC 7578 reader: splits on the boundary, reads each part's Content-Disposition
 * (name and optional filename, quoted or not, as grammY writes them without spaces) and keeps
 * the bytes between the blank line and the CRLF before the next delimiter.
 */
function parseMultipart(body: Buffer, boundary: string): Part[] {
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: Part[] = [];
  let position = body.indexOf(delimiter);
  if (position === -1) throw new Error('multipart body without its boundary');
  for (;;) {
    position += delimiter.length;
    if (body.subarray(position, position + 2).toString() === '--') break;
    position = skipCrlf(body, position);
    const next = body.indexOf(delimiter, position);
    if (next === -1) throw new Error('multipart body is truncated');
    const headerEnd = body.indexOf('\r\n\r\n', position);
    if (headerEnd === -1 || headerEnd > next) throw new Error('multipart part without headers');
    const headers = body.subarray(position, headerEnd).toString('utf8');
    const dataEnd = body[next - 2] === 0x0d && body[next - 1] === 0x0a ? next - 2 : next;
    const disposition = /content-disposition:\s*form-data\s*;(.*)/i.exec(headers)?.[1] ?? '';
    const name = readDispositionParam(disposition, 'name');
    if (name === undefined) throw new Error('multipart part without a name');
    parts.push({ name, filename: readDispositionParam(disposition, 'filename'), data: body.subarray(headerEnd + 4, dataEnd) });
    position = next;
  }
  return parts;
}

function skipCrlf(body: Buffer, position: number): number {
  return body[position] === 0x0d && body[position + 1] === 0x0a ? position + 2 : position;
}

function readDispositionParam(disposition: string, key: string): string | undefined {
  const match = new RegExp(`(?:^|;)\\s*${key}=(?:"([^"]*)"|([^;\\r\\n]*))`, 'i').exec(disposition);
  return match === null ? undefined : (match[1] ?? match[2]?.trim());
}

function resolveAttachments(parts: Part[]): RawParams {
  const files = new Map<string, UploadedFile>();
  const params: RawParams = {};
  for (const part of parts) {
    if (part.filename === undefined) params[part.name] = part.data.toString('utf8');
    else files.set(part.name, { kind: 'upload', filename: part.filename, data: Buffer.from(part.data) });
  }
  const attached = new Set<string>();
  for (const [key, value] of Object.entries(params)) {
    if (typeof value !== 'string' || !value.startsWith('attach://')) continue;
    const id = value.slice('attach://'.length);
    const file = files.get(id);
    if (file === undefined) throw new Error(`attach://${id} names no uploaded part`);
    params[key] = file;
    attached.add(id);
  }
  for (const [name, file] of files) if (!attached.has(name) && !(name in params)) params[name] = file;
  return params;
}
