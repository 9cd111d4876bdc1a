/**
 * The chat simulator page served by the standalone fake at `GET /`: pick a user, type messages,
 * press inline buttons, pay Stars invoices, and watch the bot's answers (polled once a second
 * from `/__sim/chat`). Everything is rendered with `textContent`, never as HTML.
 */
export const CHAT_SIMULATOR_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Fake Telegram — chat simulator</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  body { font-family: system-ui, sans-serif; margin: 0; background: #e6ebee; }
  header { background: #517da2; color: #fff; padding: 8px 12px; display: flex; gap: 12px; align-items: center; flex-wrap: wrap; }
  header input, header select { padding: 4px; }
  #log { max-width: 760px; margin: 0 auto; padding: 12px; display: flex; flex-direction: column; gap: 8px; padding-bottom: 90px; }
  .msg { max-width: 75%; padding: 8px 10px; border-radius: 10px; white-space: pre-wrap; word-wrap: break-word; }
  .bot { background: #fff; align-self: flex-start; }
  .user { background: #effdde; align-self: flex-end; }
  .meta { font-size: 11px; color: #8a8a8a; margin-top: 4px; }
  .row { display: flex; gap: 4px; margin-top: 4px; }
  .row button { flex: 1; padding: 6px; border: 0; border-radius: 6px; background: #dbe7f1; cursor: pointer; }
  .invoice { border-left: 3px solid #f5a623; padding-left: 8px; margin-bottom: 4px; }
  img { max-width: 260px; display: block; margin-bottom: 4px; }
  form { position: fixed; bottom: 0; left: 0; right: 0; display: flex; gap: 8px; padding: 10px; background: #fff; }
  form input { flex: 1; padding: 8px; }
  #errors { color: #b00020; font-size: 12px; max-width: 760px; margin: 0 auto; padding: 0 12px; }
</style>
</head>
<body>
<header>
  <strong id="title">Fake Telegram</strong>
  <label>User id <input id="uid" type="number" value="1001" style="width:110px"></label>
  <label>Name <input id="uname" value="Alice" style="width:100px"></label>
  <label>Language <select id="lang"><option>ru</option><option>en</option><option>uk</option><option>de</option></select></label>
</header>
<div id="errors"></div>
<div id="log"></div>
<form id="composer"><input id="text" placeholder="Message or /command" autocomplete="off"><button>Send</button></form>
<script>
const $ = (id) => document.getElementById(id);
let lastJson = '';
const user = () => ({ id: Number($('uid').value), first_name: $('uname').value || 'User', language_code: $('lang').value });
const post = (path, body) => fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  .then((r) => r.json()).then((r) => { if (r.error) alert(r.error); return r; }).then(refresh);
function el(tag, cls, text) { const e = document.createElement(tag); if (cls) e.className = cls; if (text !== undefined) e.textContent = text; return e; }
function render(chat) {
  $('title').textContent = 'Fake Telegram — @' + chat.bot;
  $('errors').textContent = chat.errors.join('\\n');
  const log = $('log'); log.replaceChildren();
  for (const m of chat.messages) {
    const box = el('div', 'msg ' + m.from);
    if (m.photo) { const img = el('img'); img.src = m.photo; box.append(img); }
    if (m.invoice) {
      const inv = el('div', 'invoice', m.invoice.title + '\\n' + m.invoice.description + '\\n' + m.invoice.total_amount + ' ⭐');
      box.append(inv);
      const row = el('div', 'row'); const pay = el('button', '', 'Pay ' + m.invoice.total_amount + ' ⭐');
      pay.onclick = () => post('/__sim/pay', { user: user(), payload: m.invoice.payload }); row.append(pay); box.append(row);
    }
    if (m.text) box.append(el('div', '', m.text));
    for (const buttons of m.buttons) {
      const row = el('div', 'row');
      for (const b of buttons) {
        if (b.pay) continue;
        const btn = el('button', '', b.text + (b.url ? ' ↗' : ''));
        btn.onclick = () => b.url ? window.open(b.url, '_blank') : post('/__sim/press', { user: user(), data: b.data, messageId: m.id });
        row.append(btn);
      }
      box.append(row);
    }
    box.append(el('div', 'meta', '#' + m.id + (m.edited ? ' · edited' : '')));
    log.append(box);
  }
  window.scrollTo(0, document.body.scrollHeight);
}
async function refresh() {
  const r = await fetch('/__sim/chat?user=' + encodeURIComponent($('uid').value));
  if (!r.ok) return;
  const text = await r.text();
  if (text !== lastJson) { lastJson = text; render(JSON.parse(text)); }
}
$('composer').onsubmit = (e) => { e.preventDefault(); const text = $('text').value.trim(); if (!text) return; $('text').value = ''; void post('/__sim/send', { user: user(), text }); };
$('uid').onchange = () => { lastJson = ''; void refresh(); };
setInterval(() => { void refresh(); }, 1000);
void refresh();
</script>
</body>
</html>
`;
