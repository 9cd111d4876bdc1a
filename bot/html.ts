/** Escapes text for Telegram's HTML parse mode (`&`, `<`, `>`; quotes too, for attribute values). */
export function escapeHtml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');
}
