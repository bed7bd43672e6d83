// The operator console: reads the admin API with a bearer token kept in sessionStorage.
const $ = (s) => document.querySelector(s);
const api = async (path, method = 'GET') => {
  const r = await fetch(path, { method, headers: { Authorization: 'Bearer ' + sessionStorage.getItem('fp-admin') } });
  if (!r.ok) throw new Error(r.status === 401 ? 'wrong admin token' : 'HTTP ' + r.status);
  return r.json();
};
const cell = (text) => { const td = document.createElement('td'); td.textContent = text ?? ''; return td; };
const row = (tbody, cells, cls) => {
  const tr = document.createElement('tr');
  if (cls) tr.className = cls;
  for (const c of cells) tr.append(c instanceof Node ? c : cell(c));
  tbody.append(tr);
  return tr;
};
const button = (label, onclick) => {
  const b = document.createElement('button'); b.type = 'button'; b.className = 'link'; b.textContent = label; b.onclick = onclick;
  const td = document.createElement('td'); td.append(b); return td;
};
const when = (t) => (t ? new Date(t).toLocaleString() : '');

async function showApp(app) {
  $('#plans-app').textContent = `(app ${app.app_id})`;
  $('#sessions-app').textContent = `(app ${app.app_id})`;
  const plans = await api('/admin/api/plans?app=' + encodeURIComponent(app.app_id));
  const pt = $('#plans tbody'); pt.replaceChildren();
  for (const p of plans || []) {
    const o = p.options;
    row(pt, [p.plan_id, p.name, p.version, o.identity_input, o.compare_source, `${o.liveness.mode} (${o.liveness.level})`, o.similarity_threshold,
      (o.callback_events && o.callback_events.length ? o.callback_events : ['session.finished']).join(', '),
      o.callback_url ? button('test callback', () => testCallback(p)) : cell('no callback')]);
  }
  const sessions = await api('/admin/api/sessions?app=' + encodeURIComponent(app.app_id));
  const st = $('#sessions tbody'); st.replaceChildren();
  for (const s of sessions || []) {
    row(st, [when(s.created_at), s.state, [s.name, s.id_number].filter(Boolean).join(' '), s.reason, s.attempts.length,
      button('explain', () => { $('#detail').textContent = JSON.stringify({ consent: s.consent, attempts: s.attempts, diagnostics: s.diagnostics, steps: s.steps }, null, 2); }),
      button('deliveries', () => showDeliveries(s))], s.state);
  }
}

// A session's callback deliveries (lifecycle events), with a re-send per row.
async function showDeliveries(s) {
  $('#deliveries-session').textContent = `(session ${s.id})`;
  const ds = await api('/admin/api/sessions/' + encodeURIComponent(s.id) + '/deliveries');
  const dt = $('#deliveries tbody'); dt.replaceChildren();
  for (const d of ds || []) {
    row(dt, [d.id, d.event, d.event_id, d.status, d.attempts, when(d.created_at), when(d.done_at), d.last_error,
      button('re-send', async () => {
        try { await api('/admin/api/deliveries/' + d.id + '/resend', 'POST'); await showDeliveries(s); } catch (e) { $('#status').textContent = e.message; }
      })], d.status);
  }
}

async function testCallback(p) {
  try {
    const r = await api('/admin/api/plans/' + encodeURIComponent(p.plan_id) + '/test-callback', 'POST');
    $('#status').textContent = r.ok ? `test event ${r.event_id}: HTTP ${r.status}` : `test event failed: ${r.error}`;
  } catch (e) { $('#status').textContent = e.message; }
}

async function load() {
  const apps = await api('/admin/api/apps');
  const at = $('#apps tbody'); at.replaceChildren();
  for (const a of apps || []) row(at, [a.app_id, a.name, a.api_key, a.qps || 'default', a.disabled ? 'yes' : 'no', button('plans & sessions', () => showApp(a))]);
  const audit = await api('/admin/api/audit');
  const au = $('#audit tbody'); au.replaceChildren();
  for (const e of audit || []) row(au, [when(e.at), e.actor, e.action, e.target, e.detail]);
  $('#login').hidden = true; $('#main').hidden = false;
  if (apps && apps.length) await showApp(apps[0]);
}

$('#login').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  sessionStorage.setItem('fp-admin', $('#token').value.trim());
  try { await load(); $('#status').textContent = ''; } catch (e) { $('#status').textContent = e.message; }
});
if (sessionStorage.getItem('fp-admin')) load().catch((e) => { $('#status').textContent = e.message; });
