import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { startFakePanel, type FakePanel } from './fake-panel';
import { allStreamTypeInbounds } from './seed-inbounds';

const panels: FakePanel[] = [];
after(() => Promise.all(panels.map((panel) => panel.close())));

async function start(version: 'v2' | 'v3', extra: { apiToken?: string; webBasePath?: string } = {}) {
  const panel = await startFakePanel({ version, username: 'admin', password: 'pw', webBasePath: '/base', ...extra });
  panels.push(panel);
  return panel;
}

const cookieOf = (response: Response) => /3x-ui=([^;]*)/.exec(response.headers.getSetCookie().join('\n'))?.[1];

async function loginV2(panel: FakePanel, body: string, type: string) {
  return fetch(`${panel.url}/base/login`, { method: 'POST', headers: { 'content-type': type }, body });
}

async function loginV3(panel: FakePanel) {
  const tokenResponse = await fetch(`${panel.url}/base/csrf-token`);
  const csrf = ((await tokenResponse.json()) as { obj: string }).obj;
  const preCookie = cookieOf(tokenResponse);
  const response = await fetch(`${panel.url}/base/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie: `3x-ui=${preCookie}`, 'x-csrf-token': csrf },
    body: JSON.stringify({ username: 'admin', password: 'pw' }),
  });
  assert.equal(response.status, 200);
  const cookie = cookieOf(response);
  assert.ok(cookie && cookie !== preCookie, 'login rotates the session cookie');
  return { cookie: `3x-ui=${cookie}`, csrf };
}

describe('fake panel v2', () => {
  it('logs in with a form or JSON; sets the 3x-ui cookie with the base path', async () => {
    const panel = await start('v2');
    const form = await loginV2(panel, 'username=admin&password=pw', 'application/x-www-form-urlencoded');
    assert.deepEqual(await form.json(), { success: true, msg: 'Logged in successfully', obj: null });
    assert.match(form.headers.getSetCookie()[0] ?? '', /^3x-ui=[^;]+; Path=\/base\/; Max-Age=\d+; HttpOnly/);
    const json = await loginV2(panel, JSON.stringify({ username: 'admin', password: 'nope' }), 'application/json');
    assert.equal(json.status, 200);
    assert.equal(((await json.json()) as { success: boolean }).success, false);
    assert.equal(cookieOf(json), undefined);
  });

  it('hides the API with 404 (even with X-Requested-With) and has no v3 routes', async () => {
    const panel = await start('v2');
    for (const headers of [{}, { 'x-requested-with': 'XMLHttpRequest' }]) {
      assert.equal((await fetch(`${panel.url}/base/panel/api/inbounds/list`, { headers })).status, 404);
    }
    const cookie = `3x-ui=${cookieOf(await loginV2(panel, 'username=admin&password=pw', 'application/x-www-form-urlencoded'))}`;
    assert.equal((await fetch(`${panel.url}/base/panel/api/inbounds/list`, { headers: { cookie } })).status, 200);
    assert.equal((await fetch(`${panel.url}/base/panel/api/openapi.json`, { headers: { cookie } })).status, 404);
    assert.equal((await fetch(`${panel.url}/base/panel/api/clients/get/x`, { headers: { cookie } })).status, 404);
    assert.equal((await fetch(`${panel.url}/panel/api/inbounds/list`, { headers: { cookie } })).status, 404);
  });

  it('hands its state to onMutation after each write, so a panel restarted from it keeps its clients', async () => {
    let saved: string | undefined;
    const first = await startFakePanel({
      version: 'v2',
      username: 'admin',
      password: 'pw',
      onMutation: (state) => (saved = JSON.stringify(state.inbounds)),
    });
    panels.push(first);
    const login = await fetch(`${first.url}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: 'pw' }),
    });
    const cookie = `3x-ui=${cookieOf(login)}`;
    const added = await fetch(`${first.url}/panel/api/inbounds/addClient`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json' },
      body: JSON.stringify({ id: 1, settings: JSON.stringify({ clients: [{ id: 'u-kept', email: 'kept', enable: true }] }) }),
    });
    assert.equal(((await added.json()) as { success: boolean }).success, true);
    assert.ok(saved?.includes('kept'), 'the write reached onMutation');
    await first.close();
    const second = await startFakePanel({ version: 'v2', username: 'admin', password: 'pw', inbounds: JSON.parse(saved ?? '[]') });
    panels.push(second);
    assert.deepEqual(second.state.allEmails(), ['kept']);
    assert.equal(second.state.trafficOf('kept')?.enable, true);
  });

  it('stores clients inside settings with clientStats rows; refuses duplicates with HTTP 200', async () => {
    const panel = await start('v2');
    const cookie = `3x-ui=${cookieOf(await loginV2(panel, 'username=admin&password=pw', 'application/x-www-form-urlencoded'))}`;
    const add = (email: string, id: string) =>
      fetch(`${panel.url}/base/panel/api/inbounds/addClient`, {
        method: 'POST',
        headers: { cookie, 'content-type': 'application/json' },
        body: JSON.stringify({ id: 1, settings: JSON.stringify({ clients: [{ id, email, enable: true, totalGB: 5 }] }) }),
      });
    assert.equal(((await (await add('a', 'u-1')).json()) as { success: boolean }).success, true);
    const dup = await add('a', 'u-2');
    assert.equal(dup.status, 200);
    assert.deepEqual(await dup.json(), { success: false, msg: 'Something went wrong (Duplicate email: a)', obj: null });
    const list = (await (await fetch(`${panel.url}/base/panel/api/inbounds/list`, { headers: { cookie } })).json()) as {
      obj: Array<{ settings: string; clientStats: Array<{ email: string; total: number }> }>;
    };
    assert.equal(typeof list.obj[0]?.settings, 'string');
    assert.equal((JSON.parse(list.obj[0]?.settings ?? '{}') as { clients: unknown[] }).clients.length, 1);
    assert.deepEqual(
      list.obj[0]?.clientStats.map((row) => [row.email, row.total]),
      [['a', 5]],
    );
    const badBody = await fetch(`${panel.url}/base/panel/api/inbounds/addClient`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json' },
      body: '{"id":',
    });
    assert.equal(badBody.status, 200);
    assert.equal(((await badBody.json()) as { success: boolean }).success, false);
    const unknownInbound = await fetch(`${panel.url}/base/panel/api/inbounds/addClient`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json' },
      body: JSON.stringify({ id: 9, settings: JSON.stringify({ clients: [{ id: 'u-3', email: 'b' }] }) }),
    });
    assert.deepEqual(await unknownInbound.json(), { success: false, msg: 'Something went wrong (record not found)', obj: null });
    const lastOne = await fetch(`${panel.url}/base/panel/api/inbounds/1/delClientByEmail/a`, { method: 'POST', headers: { cookie } });
    assert.match(((await lastOne.json()) as { msg: string }).msg, /no client remained/);
  });

  it('records calls and can be down (connection reset or 503)', async () => {
    const panel = await start('v2');
    panel.controls.setDown(true);
    await assert.rejects(fetch(`${panel.url}/base/login`, { method: 'POST' }));
    panel.controls.setDown(true, '503');
    assert.equal((await fetch(`${panel.url}/base/login`, { method: 'POST' })).status, 503);
    panel.controls.setDown(false);
    assert.deepEqual(
      panel.controls.calls.map((call) => [call.method, call.path, call.status]),
      [
        ['POST', '/login', 0],
        ['POST', '/login', 503],
      ],
    );
  });
});

describe('fake panel v3', () => {
  it('answers 401 to X-Requested-With and 404 otherwise when unauthenticated', async () => {
    const panel = await start('v3');
    assert.equal((await fetch(`${panel.url}/base/panel/api/inbounds/list`)).status, 404);
    assert.equal(
      (await fetch(`${panel.url}/base/panel/api/inbounds/list`, { headers: { 'x-requested-with': 'XMLHttpRequest' } })).status,
      401,
    );
  });

  it('requires the CSRF token for login and cookie-session mutations, not for GETs or bearer calls', async () => {
    const panel = await start('v3', { apiToken: 'tok' });
    const bare = await fetch(`${panel.url}/base/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"username":"admin","password":"pw"}',
    });
    assert.equal(bare.status, 403);
    const { cookie, csrf } = await loginV3(panel);
    const body = JSON.stringify({ client: { email: 'e1', id: '11111111-2222-4333-8444-555555555555' }, inboundIds: [1] });
    const post = (headers: Record<string, string>) =>
      fetch(`${panel.url}/base/panel/api/clients/add`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body,
      });
    assert.equal((await post({ cookie })).status, 403);
    assert.equal((await post({ cookie, 'x-csrf-token': 'forged' })).status, 403);
    assert.equal((await post({ cookie, 'x-csrf-token': csrf })).status, 200);
    assert.equal((await fetch(`${panel.url}/base/panel/api/clients/get/e1`, { headers: { cookie } })).status, 200);
    assert.equal((await post({ authorization: 'Bearer tok' })).status, 200);
    assert.equal((await fetch(`${panel.url}/base/panel/api/openapi.json`, { headers: { authorization: 'Bearer tok' } })).status, 200);
  });

  it('returns inbound settings as objects and client records keyed by email', async () => {
    const panel = await start('v3', { apiToken: 'tok' });
    const auth = { authorization: 'Bearer tok', 'content-type': 'application/json' };
    const call = async (path: string, body?: unknown) =>
      (await (
        await fetch(`${panel.url}/base${path}`, {
          method: body ? 'POST' : 'GET',
          headers: auth,
          body: body ? JSON.stringify(body) : undefined,
        })
      ).json()) as {
        success: boolean;
        msg: string;
        obj: Record<string, unknown>;
      };
    assert.equal(
      (await call('/panel/api/clients/add', { client: { email: 'e2', subId: 's2', enable: false }, inboundIds: [1] })).success,
      true,
    );
    const got = await call('/panel/api/clients/get/e2');
    const record = got.obj['client'] as Record<string, unknown>;
    assert.match(String(record['uuid']), /^[0-9a-f-]{36}$/);
    assert.equal(record['enable'], true, 'the panel enables every created client');
    assert.deepEqual(got.obj['inboundIds'], [1]);
    assert.equal(
      (await call('/panel/api/clients/add', { client: { email: 'e2', subId: 'other' }, inboundIds: [1] })).msg,
      'Something went wrong (email already in use: e2)',
    );
    assert.equal((await call('/panel/api/clients/add', { client: { email: 'e2', subId: 's2' }, inboundIds: [1] })).success, true);
    assert.equal(panel.state.clients().length, 1, 'same email and subId on the same inbound is a no-op');
    const inbound = (await call('/panel/api/inbounds/get/1')).obj;
    assert.equal(typeof inbound['settings'], 'object');
    assert.equal((await call('/panel/api/clients/traffic/none')).obj, null);
    assert.match((await call('/panel/api/clients/del/none', {})).msg, /not found in any inbound/);
  });

  it('can seed every stream type and serve their links', async () => {
    const panel = await startFakePanel({
      version: 'v3',
      username: 'a',
      password: 'b',
      apiToken: 't',
      inbounds: allStreamTypeInbounds(),
      host: 'vpn.example.org',
    });
    panels.push(panel);
    const headers = { authorization: 'Bearer t', 'content-type': 'application/json' };
    const add = await fetch(`${panel.url}/panel/api/clients/add`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ client: { email: 'all', subId: 'sall' }, inboundIds: [1, 2, 3, 4, 5, 6, 7] }),
    });
    assert.equal(((await add.json()) as { success: boolean }).success, true);
    const links = ((await (await fetch(`${panel.url}/panel/api/clients/links/all`, { headers })).json()) as { obj: string[] }).obj;
    assert.equal(links.length, 8);
    assert.ok(links.every((link) => link.startsWith('vless://')));
  });
});
