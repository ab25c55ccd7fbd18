'use strict';
// ward dashboard: polls the API and renders; every change asks for a
// confirmation first. No framework, no build step.

const state = { status: null, events: [], lastSeq: 0, page: 'overview', policy: null, checked: null };

function token() { return sessionStorage.getItem('ward-token') || ''; }

async function api(method, path, body) {
  const headers = { 'Accept': 'application/json' };
  if (token()) headers['Authorization'] = 'Bearer ' + token();
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const resp = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  let data = null;
  try { data = await resp.json(); } catch (e) { data = null; }
  if (!resp.ok) {
    const err = (data && data.error) || { code: 'http_' + resp.status, message: resp.statusText };
    const e = new Error(err.message);
    e.code = err.code;
    e.status = resp.status;
    throw e;
  }
  return data;
}

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const c of children) {
    if (c === null || c === undefined) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

function fill(tableId, rows, empty) {
  const tb = document.querySelector('#' + tableId + ' tbody');
  tb.replaceChildren();
  if (rows.length === 0) {
    const cols = document.querySelectorAll('#' + tableId + ' th').length;
    tb.append(el('tr', {}, el('td', { colspan: cols, class: 'muted' }, empty)));
    return;
  }
  for (const r of rows) tb.append(r);
}

function when(t) {
  if (!t || t.startsWith('0001')) return '';
  return new Date(t).toLocaleString();
}

function banner(msg, info) {
  const b = document.getElementById('banner');
  if (!msg) { b.classList.add('hidden'); return; }
  b.textContent = msg;
  b.className = 'banner' + (info ? ' info' : '');
}

// confirmAction shows the modal; extra is an optional element (a node
// chooser). It resolves to true on Confirm.
function confirmAction(text, extra) {
  return new Promise(resolve => {
    const m = document.getElementById('modal');
    document.getElementById('modal-text').textContent = text;
    const x = document.getElementById('modal-extra');
    x.replaceChildren();
    if (extra) x.append(extra);
    m.classList.remove('hidden');
    const done = ok => {
      m.classList.add('hidden');
      document.getElementById('modal-ok').onclick = null;
      document.getElementById('modal-cancel').onclick = null;
      resolve(ok);
    };
    document.getElementById('modal-ok').onclick = () => done(true);
    document.getElementById('modal-cancel').onclick = () => done(false);
  });
}

async function act(text, method, path, body, extra) {
  if (!await confirmAction(text, extra)) return;
  try {
    const b = typeof body === 'function' ? body() : body;
    await api(method, path, b);
    banner(text.split('?')[0] + ': done.', true);
    refresh();
  } catch (e) {
    banner(e.message + ' (' + e.code + ')');
  }
}

function renderStatus(st) {
  document.getElementById('cluster').textContent = st.cluster + ' — seen from ' + st.node;
  const q = st.quorum;
  const qe = document.getElementById('quorum');
  qe.textContent = (q.quorate ? 'quorate' : 'NO QUORUM') + ` (${q.votes} of ${q.expected} votes, ${q.needed} needed)`;
  qe.className = q.quorate ? 'ok' : 'bad';
  document.getElementById('dc').textContent = st.dc || 'none elected';
  document.getElementById('epoch').textContent = st.policy_epoch;
  const t = st.transition;
  document.getElementById('transition').textContent = !t ? '—' : (t.total === 0 ? 'idle (nothing to do)' : `#${t.id} ${t.state}: ${t.done}/${t.total}` + (t.failed ? `, ${t.failed} failed` : ''));

  const byNode = {};
  for (const r of st.resources) if (r.node) (byNode[r.node] = byNode[r.node] || []).push(r.id + (r.role !== 'Started' ? ' (' + r.role + ')' : ''));
  fill('nodes', st.nodes.map(n => {
    const flags = [n.standby ? 'standby' : '', n.maintenance ? 'maintenance' : ''].filter(Boolean).join(', ');
    const cls = n.state === 'online' ? 'ok' : (n.state === 'unclean' ? 'bad' : 'warn');
    const actions = el('td', {},
      n.standby
        ? el('button', { 'data-action': 'online', 'data-node': n.name, onclick: () => act(`Put ${n.name} online?`, 'POST', `/v1/nodes/${encodeURIComponent(n.name)}/online`) }, 'Online')
        : el('button', { 'data-action': 'standby', 'data-node': n.name, onclick: () => act(`Put ${n.name} in standby? Its resources move to other nodes.`, 'POST', `/v1/nodes/${encodeURIComponent(n.name)}/standby`) }, 'Standby'));
    return el('tr', { 'data-node': n.name }, el('td', {}, n.name), el('td', { class: cls }, n.state), el('td', {}, flags), el('td', { class: 'node-resources' }, (byNode[n.name] || []).join(', ')), actions);
  }), 'no nodes');

  fill('resources', st.resources.map(r => {
    const status = [r.failed ? 'FAILED' : '', r.blocked ? 'BLOCKED' : '', r.managed ? '' : 'unmanaged'].filter(Boolean).join(', ');
    const base = r.id.replace(/:\d+$/, '');
    const chooser = () => {
      const s = el('select', { id: 'move-target', 'aria-label': 'target node' });
      for (const n of st.nodes) if (n.name !== r.node) s.append(el('option', { value: n.name }, n.name));
      return s;
    };
    const actions = el('td', {},
      el('button', { 'data-action': 'move', onclick: () => { const c = chooser(); act(`Move ${base} to the chosen node?`, 'POST', `/v1/resources/${encodeURIComponent(base)}/move`, () => ({ node: c.value }), c); } }, 'Move'),
      el('button', { 'data-action': 'clear', onclick: () => act(`Clear the move and ban constraints of ${base}?`, 'POST', `/v1/resources/${encodeURIComponent(base)}/clear`) }, 'Clear'),
      el('button', { 'data-action': 'cleanup', onclick: () => act(`Clean up the failures of ${base} on every node?`, 'POST', `/v1/resources/${encodeURIComponent(base)}/cleanup`) }, 'Cleanup'));
    return el('tr', { 'data-resource': r.id }, el('td', {}, r.id), el('td', { class: 'muted' }, r.primitive || ''), el('td', {}, r.role), el('td', { class: 'resource-node' }, r.node || '—'),
      el('td', { class: status ? 'bad' : '' }, status), actions);
  }), 'no resources');

  fill('failed', (st.failed_actions || []).map(f => el('tr', {}, el('td', {}, f.resource), el('td', {}, f.node), el('td', {}, f.op + (f.interval ? ' ' + f.interval : '')),
    el('td', { class: 'bad' }, `rc ${f.rc} ${f.rc_name || ''} ${f.kind || ''}`), el('td', {}, f.output || ''), el('td', {}, when(f.at)))), 'no failed actions');
  fill('fencing', (st.fencing || []).slice().reverse().map(f => el('tr', {}, el('td', {}, f.node), el('td', {}, f.action), el('td', {}, f.device || ''),
    el('td', { class: f.result === 'ok' ? 'ok' : 'bad' }, f.result), el('td', {}, f.requested_by || ''), el('td', {}, when(f.at)))), 'no fencing');
}

function renderEvents() {
  fill('events', state.events.slice(-300).reverse().map(e => el('tr', {}, el('td', {}, when(e.at)), el('td', {}, e.kind),
    el('td', { class: e.severity === 'critical' ? 'bad' : (e.severity === 'warning' ? 'warn' : '') }, e.message))), 'no events yet');
}

// renderAvailability draws, per resource, the last 24 hours from the
// resource events: up, down (wanted but not running), off.
function renderAvailability() {
  const to = Date.now(), from = to - 24 * 3600 * 1000;
  const byRes = {};
  for (const e of state.events) if (e.kind === 'resource' && e.resource) (byRes[e.resource] = byRes[e.resource] || []).push(e);
  const box = document.getElementById('availability');
  box.replaceChildren();
  const ids = Object.keys(byRes).sort();
  if (ids.length === 0) { box.append(el('p', { class: 'muted' }, 'No resource events yet.')); return; }
  for (const id of ids) {
    const evs = byRes[id];
    const bar = el('div', { class: 'bar', 'data-resource': id });
    let observed = 0, down = 0;
    const first = Math.max(from, new Date(evs[0].at).getTime());
    const segs = [];
    for (let i = 0; i < evs.length; i++) {
      const s = Math.max(from, new Date(evs[i].at).getTime());
      const end = i + 1 < evs.length ? Math.min(to, new Date(evs[i + 1].at).getTime()) : to;
      if (end <= s) continue;
      const wanted = evs[i].wanted !== false;
      const kind = evs[i].to !== 'Stopped' ? 'up' : (wanted ? 'down' : 'off');
      observed += end - s;
      if (kind === 'down') down += end - s;
      segs.push([s, end, kind]);
    }
    if (first > from) segs.unshift([from, first, 'off']);
    for (const [s, e, k] of segs) {
      const span = el('span', { class: k, title: k + ' ' + new Date(s).toLocaleTimeString() + '–' + new Date(e).toLocaleTimeString() });
      span.style.width = ((e - s) * 100 / (to - from)).toFixed(3) + '%';
      bar.append(span);
    }
    const pct = observed > 0 ? ((observed - down) * 100 / observed) : 100;
    box.append(el('div', { class: 'avail-head' }, el('strong', {}, id), el('span', { class: pct < 100 ? 'warn' : 'ok' }, pct.toFixed(3) + '% up')), bar);
  }
}

async function loadPolicy() {
  try {
    const p = await api('GET', '/v1/policy');
    state.policy = p;
    document.getElementById('policy-epoch').textContent = '(epoch ' + p.epoch + ')';
    document.getElementById('policy-src').value = p.source;
  } catch (e) {
    banner(e.message + ' (' + e.code + ')');
  }
}

async function checkPolicy() {
  const src = document.getElementById('policy-src').value;
  const errs = document.getElementById('policy-errors');
  const eff = document.getElementById('policy-effect');
  const apply = document.getElementById('policy-apply');
  apply.disabled = true;
  eff.replaceChildren();
  try {
    const res = await api('POST', '/v1/policy', { source: src, dry_run: true });
    errs.classList.add('hidden');
    state.checked = src;
    apply.disabled = false;
    const changed = (res.diff || '').split('\n').filter(l => l.startsWith('+') || l.startsWith('-'));
    eff.append(el('h3', {}, 'Valid. Effect if applied:'));
    eff.append(el('pre', { id: 'policy-diff' }, changed.length ? changed.join('\n') : '(no change)'));
    const acts = res.actions || [];
    eff.append(el('p', {}, acts.length ? acts.length + ' actions:' : 'Nothing would move.'));
    if (acts.length) eff.append(el('ul', { id: 'policy-actions' }, ...acts.map(a => el('li', {}, `${a.kind} ${a.resource || ''}${a.interval ? ' every ' + a.interval : ''} on ${a.node}`))));
    for (const w of res.warnings || []) eff.append(el('p', { class: 'warn' }, 'warning: ' + w));
  } catch (e) {
    errs.textContent = e.message;
    errs.classList.remove('hidden');
  }
}

async function applyPolicy() {
  const src = document.getElementById('policy-src').value;
  if (src !== state.checked) { banner('The text changed since it was validated: validate again.'); return; }
  await act('Apply this policy to the whole cluster?', 'POST', '/v1/policy', { source: src });
  loadPolicy();
}

async function refresh() {
  if (!token()) {
    banner('Enter an API token (from the daemon\'s --tokens file) above.');
    return;
  }
  try {
    const st = await api('GET', '/v1/status');
    state.status = st;
    renderStatus(st);
    const evs = await api('GET', '/v1/events?after=' + state.lastSeq);
    if (evs.events.length) {
      state.events = state.events.concat(evs.events).slice(-5000);
      renderEvents();
      renderAvailability();
    }
    state.lastSeq = Math.max(state.lastSeq, evs.last);
    const b = document.getElementById('banner');
    if (!b.classList.contains('info')) banner('');
  } catch (e) {
    if (e.code === 'unauthorized') banner('Enter an API token (from the daemon\'s --tokens file) above.');
    else if (e.code !== 'unavailable') banner(e.message + ' (' + e.code + ')');
  }
}

function show(page) {
  state.page = page;
  for (const s of document.querySelectorAll('.page')) s.classList.toggle('hidden', s.id !== 'page-' + page);
  for (const a of document.querySelectorAll('nav a')) a.classList.toggle('active', a.dataset.page === page);
  if (page === 'policy') loadPolicy();
}

document.addEventListener('DOMContentLoaded', () => {
  document.getElementById('token-form').addEventListener('submit', ev => {
    ev.preventDefault();
    sessionStorage.setItem('ward-token', document.getElementById('token').value);
    document.getElementById('token').value = '';
    banner('');
    refresh();
  });
  document.getElementById('policy-check').addEventListener('click', checkPolicy);
  document.getElementById('policy-apply').addEventListener('click', applyPolicy);
  window.addEventListener('hashchange', () => show((location.hash || '#overview').slice(1)));
  show((location.hash || '#overview').slice(1));
  refresh();
  setInterval(refresh, 2000);
});
