import { z } from 'zod';
import { badRequest } from './bot-api-error';
import { isUploadedFile, type RawParams, type UploadedFile } from './parse-request-body';

/*
 * Telegram accepts every parameter as a string (query string, form, multipart) or as a JSON
 * value. These fields accept both spellings, so one schema serves every content type.
 */

/** An integer given as a JSON number or a decimal string. */
export const intParam = z.coerce.number().int();

/** A boolean given as JSON or as the strings `true`/`false`. */
export const boolParam = z.preprocess((value) => (value === 'true' ? true : value === 'false' ? false : value), z.boolean());

/** A JSON-serialised object or array (forms carry them as JSON strings). */
export function jsonParam<T extends z.ZodType>(schema: T) {
  return z.preprocess((value) => {
    if (typeof value !== 'string') return value;
    try {
      return JSON.parse(value) as unknown;
    } catch {
      return value;
    }
  }, schema);
}

/** A file uploaded with the request. */
export const uploadParam = z.custom<UploadedFile>(isUploadedFile, 'expected an uploaded file');

const buttonSchema = z
  .object({
    text: z.string().min(1),
    callback_data: z
      .string()
      .refine((data) => Buffer.byteLength(data) >= 1 && Buffer.byteLength(data) <= 64, 'BUTTON_DATA_INVALID')
      .optional(),
    url: z.string().optional(),
    pay: z.boolean().optional(),
  })
  .loose();

/** `reply_markup`: an inline keyboard is checked like Telegram does (callback data 1–64 bytes). */
export const replyMarkupParam = jsonParam(z.object({ inline_keyboard: z.array(z.array(buttonSchema)).optional() }).loose());

/**
 * Validates `params` with `schema`, turning failures into Telegram-style 400 answers.
 *
 * @throws BotApiError 400 naming the offending parameters
 */
export function parseParams<T extends z.ZodType>(schema: T, params: RawParams): z.infer<T> {
  const result = schema.safeParse(params);
  if (result.success) return result.data;
  const detail = result.error.issues
    .map((issue) =>
      issue.message === 'BUTTON_DATA_INVALID' ? 'BUTTON_DATA_INVALID' : `${issue.path.join('.') || 'parameters'}: ${issue.message}`,
    )
    .join('; ');
  throw badRequest(detail);
}
