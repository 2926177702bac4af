// lan.js: the administrator's LAN page (docs/lan.md): the box's names and
// addresses, its certificate and the local CA (downloads for tablets and
// MDMs), uploading the school's own certificate or going back to the local
// one, and the network setting (DHCP or static) with its confirm-or-revert
// step: the box applies a change, and undoes it at the deadline unless it
// is confirmed from the new address.
import {
  t, h, field, select, show, say, fail, api, API, fmtTime, addPages, is, card, backLink, busy, every,
} from './core.js';
import { confirmInline } from './admin.js';

const CONFIRM_S_DEFAULT = 120;       // docs/api.md: confirm_s 5-900
const LAN_POLL_MS = 2000;            // while a change waits for its confirmation
const PEM_MAX = 16 * 1024;           // the box's body limit for the upload
// every certificate the box holds (docs/lan.md, "Expiry"): GET /lan warnings
const CERT_WHICH = ['server', 'ca', 'client', 'cloud_ca'];
const PHASES = ['idle', 'waiting', 'confirmed', 'reverted', 'refused', 'failed'];

const kvRow = (k, v) => h('tr', {}, h('th', { scope: 'row' }, t(k)), h('td', {}, v));

function certTable(c, ca) {
  return h('div', { class: 'table-wrap' }, h('table', { class: 'kv' }, h('tbody', {},
    kvRow('lan_subject', c.subject),
    ca ? null : kvRow('lan_source', t(c.source === 'uploaded' ? 'lan_source_uploaded' : 'lan_source_local')),
    kvRow('lan_issuer', c.issuer),
    ca ? null : kvRow('lan_names', (c.names || []).join(', ')),
    kvRow('lan_valid_until', `${fmtTime(c.not_after_ms)} (${t('lan_days_left', { n: c.days_left })})`),
    kvRow('lan_fingerprint', h('code', { class: 'hash' }, c.sha256)))));
}

function caSection(l) {
  if (!l.ca) return h('section', { class: 'subcard' }, h('h2', {}, t('lan_ca')), h('p', { class: 'note' }, t('lan_no_ca')));
  const dl = (file, key) => h('a', { href: `${API}/lan/${file}`, download: '', class: 'button secondary',
    'data-ca': file }, t(key));
  return h('section', { class: 'subcard' },
    h('h2', {}, t('lan_ca')),
    h('p', {}, t('lan_ca_note')),
    certTable(l.ca, true),
    h('div', { class: 'row' }, dl('ca.pem', 'lan_ca_pem'), dl('ca.der', 'lan_ca_der'),
      dl('ca.mobileconfig', 'lan_ca_mobileconfig')),
    h('p', {}, h('a', { href: '/ca-install.txt' }, t('lan_ca_howto'))));
}

async function readPem(input) {
  const f = input.files && input.files[0];
  if (!f) return null;
  if (f.size > PEM_MAX) return '';
  return f.text();
}

function certSection(l, slot) {
  const form = h('form', { class: 'subcard', novalidate: true },
    h('h2', {}, t('lan_upload_title')),
    h('p', { class: 'note' }, t('lan_upload_note')),
    field('lan-cert', t('lan_cert_file'), { type: 'file', accept: '.pem,.crt,.cer,application/x-pem-file' }),
    field('lan-key', t('lan_key_file'), { type: 'file', accept: '.pem,.key' }),
    h('div', { class: 'row' }, h('button', { type: 'submit' }, t('lan_upload'))));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    busy(form, async () => {
      const certificate = await readPem(form.querySelector('#lan-cert'));
      const key = await readPem(form.querySelector('#lan-key'));
      if (!certificate || !key) { say(t(certificate === '' || key === '' ? 'lan_pem_too_large' : 'lan_pem_missing'), 'error'); return; }
      const r = await api('PUT', '/lan/certificate', { certificate, key });
      if (!r.ok) { say(`${t('lan_cert_refused')} ${r.message}`, 'error'); return; }
      await viewLan();
      say(t('lan_cert_uploaded'));
    });
  });
  const remove = l.certificate && l.certificate.source === 'uploaded'
    ? h('div', { class: 'row' }, h('button', { type: 'button', class: 'danger', onclick: () =>
      confirmInline(slot, t('lan_remove_confirm'), t('lan_remove'), async () => {
        const r = await api('DELETE', '/lan/certificate');
        if (!r.ok) { fail(r); return; }
        await viewLan();
        say(t('lan_cert_removed'));
      }) }, t('lan_remove'))) : null;
  return h('section', { class: 'subcard' },
    h('h2', {}, t('lan_certificate')),
    l.certificate ? certTable(l.certificate, false) : h('p', { class: 'note' }, t('lan_no_cert')),
    remove, slot, form);
}

// ---- the network setting ---------------------------------------------------------

// Seconds left before the box reverts a change; SKEW_MS = box clock - ours.
function secondsLeft(n, skew) {
  return Math.max(0, Math.ceil((n.confirm_by_ms - (Date.now() + skew)) / 1000));
}

function pendingPanel(n, skew) {
  const req = n.request || {};
  const left = h('strong', { id: 'net-countdown' }, String(secondsLeft(n, skew)));
  const newUrl = req.mode === 'static' && req.address ? `https://${req.address.split('/')[0]}/#/lan` : null;
  const confirm = h('button', { type: 'button', id: 'net-confirm' }, t('lan_net_confirm'));
  confirm.addEventListener('click', async () => {
    confirm.disabled = true;
    const r = await api('POST', '/lan/network/confirm', { id: n.id });
    confirm.disabled = false;
    if (!r.ok) { say(r.code === 'confirm_from_new_address' ? t('lan_net_confirm_there', { url: newUrl || '' }) : r.message, 'error'); return; }
    await viewLan();
    say(t('lan_net_confirmed'));
  });
  const panel = h('div', { class: 'confirm', role: 'group', 'aria-label': t('lan_net_waiting_title') },
    h('p', {}, t('lan_net_waiting', { mode: t(`lan_mode_${req.mode === 'static' ? 'static' : 'dhcp'}`) }), ' ',
      left, ' ', t('lan_net_seconds')),
    newUrl ? h('p', {}, t('lan_net_open_new'), ' ', h('a', { href: newUrl }, newUrl)) : null,
    h('div', { class: 'row' }, confirm));
  every(panel, 1000, () => { left.textContent = String(secondsLeft(n, skew)); return true; });
  // the box's word on the outcome: confirmed, reverted, failed
  every(panel, LAN_POLL_MS, async () => {
    const r = await api('GET', '/lan');
    if (!r.ok || r.data.network.phase === 'waiting') return true;
    await viewLan();
    say(t(`lan_net_phase_${r.data.network.phase}`), r.data.network.phase === 'confirmed' ? 'ok' : 'error');
    return false;
  });
  return panel;
}

function networkForm(n) {
  const req = n.request || {};
  const form = h('form', { class: 'subcard', novalidate: true },
    h('h2', {}, t('lan_network')),
    h('p', { class: 'note', id: 'net-phase' },
      t(`lan_net_phase_${PHASES.includes(n.phase) ? n.phase : 'idle'}`), n.message ? ` ${n.message}` : ''),
    select('net-mode', t('lan_mode'), [['dhcp', t('lan_mode_dhcp')], ['static', t('lan_mode_static')]]),
    field('net-address', t('lan_address'), { placeholder: '192.168.10.5/24', value: req.address || '',
      autocomplete: 'off', spellcheck: 'false' }),
    field('net-gateway', t('lan_gateway'), { placeholder: '192.168.10.1', value: req.gateway || '',
      autocomplete: 'off', spellcheck: 'false' }),
    field('net-dns', t('lan_dns'), { placeholder: '192.168.10.1', value: (req.dns || []).join(' '),
      autocomplete: 'off', spellcheck: 'false' }),
    field('net-confirm-s', t('lan_confirm_s'), { type: 'number', min: '5', max: '900',
      value: String(req.confirm_s || CONFIRM_S_DEFAULT) }),
    h('p', { class: 'note' }, t('lan_net_note')),
    h('div', { class: 'row' }, h('button', { type: 'submit' }, t('lan_net_apply'))));
  const mode = form.querySelector('#net-mode');
  mode.value = req.mode === 'static' ? 'static' : 'dhcp';
  const staticOnly = ['#net-address', '#net-gateway', '#net-dns'].map((s) => form.querySelector(s));
  const sync = () => { for (const i of staticOnly) i.disabled = mode.value !== 'static'; };
  mode.addEventListener('change', sync);
  sync();
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    busy(form, async () => {
      const body = { mode: mode.value, confirm_s: Number(form.querySelector('#net-confirm-s').value) || CONFIRM_S_DEFAULT };
      if (mode.value === 'static') {
        body.address = form.querySelector('#net-address').value.trim();
        const gw = form.querySelector('#net-gateway').value.trim();
        const dns = form.querySelector('#net-dns').value.split(/[\s,]+/).filter(Boolean);
        if (!body.address) { say(t('lan_address_missing'), 'error'); return; }
        if (gw) body.gateway = gw;
        if (dns.length) body.dns = dns;
      }
      const r = await api('PUT', '/lan/network', body);
      if (!r.ok) { fail(r); return; }
      await viewLan();
      say(t('lan_net_applied'));
    });
  });
  return form;
}

// A request netcfg has not taken up yet (its state is of an older id):
// it applies it within a second or two; the page waits for its word.
function applyingPanel(n) {
  const panel = h('p', { class: 'note warn', id: 'net-applying', role: 'status' }, t('lan_net_applying'));
  every(panel, LAN_POLL_MS, async () => {
    const r = await api('GET', '/lan');
    const m = r.ok && r.data.network;
    if (!m || (m.request && m.request.id !== m.id)) return true;
    await viewLan();
    if (m.phase !== 'waiting')
      say(t(`lan_net_phase_${PHASES.includes(m.phase) ? m.phase : 'idle'}`), m.phase === 'confirmed' ? 'ok' : 'error');
    return false;
  });
  return panel;
}

function networkSection(n, skew) {
  if (!n || !n.configurable)
    return h('section', { class: 'subcard' }, h('h2', {}, t('lan_network')),
      h('p', { class: 'note', id: 'net-not-configurable' }, t('lan_net_not_configurable')));
  const applying = n.request && n.request.id !== n.id;
  return h('section', {},
    applying ? applyingPanel(n)
      : n.phase === 'waiting' && n.confirm_by_ms ? pendingPanel(n, skew) : null,
    networkForm(n));
}

async function viewLan() {
  const [r, st] = await Promise.all([api('GET', '/lan'), api('GET', '/status')]);
  if (!r.ok) { fail(r); return; }
  const l = r.data;
  const skew = st.ok && st.data.time ? st.data.time.now_ms - Date.now() : 0;
  const warnings = (l.warnings || []).filter((w) => CERT_WHICH.includes(w.which)).map((w) => {
    const expired = w.code === 'certificate_expired';
    return h('p', { class: `banner ${expired ? 'critical' : 'warning'}`, 'data-cert-warning': w.which },
      t(`lan_${expired ? 'expired' : 'warn'}_${w.which}`, { n: w.days_left, date: fmtTime(w.not_after_ms) }));
  });
  show(card(t('lan_title'),
    ...warnings,
    h('table', { class: 'kv' }, h('tbody', {},
      kvRow('lan_hostname', l.hostname || ''),
      kvRow('lan_mdns', l.mdns_name || t('lan_mdns_none')),
      kvRow('lan_addresses', (l.addresses || []).join(', ') || '—'))),
    caSection(l),
    certSection(l, h('div', {})),
    networkSection(l.network, skew),
    h('div', { class: 'row' }, backLink())));
}

addPages([
  { path: '/lan', nav: 'nav_lan', when: is.admin, view: viewLan },
]);
