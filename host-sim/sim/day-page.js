// The picture of a simulated day, drawn in the browser from the day's data
// (the JSON in <script id="day">, written by host-sim/sim/picture.ts). Plain
// browser JavaScript, inlined into the page: no network, no library.
// One lane per charger: taps coloured by decision, sessions per connector,
// records waiting for upload and acknowledgements, the list version in force;
// the outage and the power cut as bands; then the tally, counted from what
// was drawn and set beside the run's own figures.
(function () {
  'use strict';
  const day = JSON.parse(document.getElementById('day').textContent);
  const NS = 'http://www.w3.org/2000/svg';
  const W = 1240, LEFT = 118, RIGHT = 16, TOP = 34, MIN = 24 * 60;
  const CONN_H = 14, LANE_H = 30 + day.connectors * CONN_H + 44;
  const x = (m) => LEFT + (m / MIN) * (W - LEFT - RIGHT);
  const hhmm = (m) => `${String(Math.floor(m / 60) % 24).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
  const H = TOP + day.chargers.length * LANE_H + 8;

  function el(name, attrs, parent, text) {
    const e = document.createElementNS(NS, name);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
    if (text !== undefined) e.textContent = text;
    if (parent) parent.appendChild(e);
    return e;
  }
  const title = (e, text) => el('title', {}, e, text);

  /** accepted / accepted-offline / refused / refused-offline / ignored */
  function kind(decision) {
    if (decision.startsWith('ignored')) return 'ignored';
    return (decision.startsWith('accepted') ? 'accepted' : 'refused') + (decision.includes('(offline)') ? '-offline' : '');
  }

  const svg = el('svg', { id: 'lanes', width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': 'the simulated day, one lane per charger' });
  document.getElementById('picture').appendChild(svg);
  const defs = el('defs', {}, svg);
  const hatch = el('pattern', { id: 'hatch', width: 8, height: 8, patternUnits: 'userSpaceOnUse', patternTransform: 'rotate(45)' }, defs);
  el('rect', { width: 8, height: 8, fill: '#eef0f4' }, hatch);
  el('line', { x1: 0, y1: 0, x2: 0, y2: 8, stroke: '#c9ced8', 'stroke-width': 3 }, hatch);

  // The outage and the power cut behind everything.
  if (day.outage) {
    const band = el('rect', { class: 'outage', x: x(day.outage.start), y: TOP - 4, width: x(day.outage.end) - x(day.outage.start), height: H - TOP, fill: 'url(#hatch)', 'data-start': day.outage.start, 'data-end': day.outage.end }, svg);
    title(band, `OUTAGE ${hhmm(day.outage.start)}–${hhmm(day.outage.end)}: the site's uplink is down`);
    el('text', { class: 'band-label', x: x(day.outage.start) + 4, y: TOP + 8 }, svg, `uplink down ${hhmm(day.outage.start)}–${hhmm(day.outage.end)}`);
  }
  // Hours.
  for (let h = 0; h <= 24; h++) {
    el('line', { class: 'hour', x1: x(h * 60), x2: x(h * 60), y1: TOP - 6, y2: H - 8 }, svg);
    if (h % 2 === 0) el('text', { class: 'hour-label', x: x(h * 60), y: TOP - 12, 'text-anchor': 'middle' }, svg, hhmm(h * 60));
  }

  const maxOwed = Math.max(1, ...day.uploads.map((u) => u.journaled - u.acknowledged));
  day.chargers.forEach((id, lane) => {
    const y0 = TOP + lane * LANE_H;
    const g = el('g', { class: 'lane', 'data-charger': id }, svg);
    el('rect', { class: 'lane-bg', x: LEFT, y: y0, width: W - LEFT - RIGHT, height: LANE_H - 6 }, g);
    el('text', { class: 'lane-label', x: 8, y: y0 + 14 }, g, id);

    if (day.powerCut && day.powerCut.charger === id) {
      const cut = el('rect', { class: 'power-cut', x: x(day.powerCut.at), y: y0, width: Math.max(2, x(day.powerCut.back) - x(day.powerCut.at)), height: LANE_H - 6, 'data-at': day.powerCut.at }, g);
      title(cut, `POWER CUT ${hhmm(day.powerCut.at)}–${hhmm(day.powerCut.back)} on ${id}: ${day.powerCut.sessions} session(s) closed as PowerLoss at boot`);
      el('text', { class: 'band-label cut-label', x: x(day.powerCut.back) + 3, y: y0 + 24 + day.connectors * CONN_H + 6 }, g, 'power cut');
    }

    // Sessions, one row per connector.
    for (let k = 1; k <= day.connectors; k++) {
      const yk = y0 + 24 + (k - 1) * CONN_H;
      el('text', { class: 'conn-label', x: LEFT - 6, y: yk + 9, 'text-anchor': 'end' }, g, `connector ${k}`);
      for (const s of day.sessions.filter((s) => s.charger === id && s.connector === k)) {
        const r = el('rect', { class: `session ${s.ended.replace(/ /g, '-')}`, x: x(s.start), y: yk, width: Math.max(1.5, x(s.end) - x(s.start)), height: CONN_H - 4, rx: 2 }, g);
        title(r, `session on connector ${k}: ${hhmm(s.start)}–${s.end >= MIN ? '24:00' : hhmm(s.end)} (${s.ended})`);
      }
    }

    // Taps above the sessions.
    for (const t of day.taps.filter((t) => t.charger === id)) {
      const c = el('circle', { class: `tap ${kind(t.decision)}`, cx: x(t.at), cy: y0 + 13, r: 4.5, 'data-decision': t.decision }, g);
      title(c, `${hhmm(t.at)} ${t.who} ${t.uid} on connector ${t.connector}: ${t.decision} (${t.reason})`);
    }

    // Records waiting for upload (journaled, not acknowledged) and each acknowledgement.
    const yu = y0 + 24 + day.connectors * CONN_H + 18;
    const ups = day.uploads.filter((u) => u.charger === id);
    let d = `M ${x(0)} ${yu}`, prev;
    for (const u of ups) {
      const owed = u.journaled - u.acknowledged;
      d += ` H ${x(u.at)} V ${yu - (owed / maxOwed) * 14}`;
      if (prev && u.acknowledged > prev.acknowledged) {
        const a = el('path', { class: 'ack', d: `M ${x(u.at)} ${yu + 1} l -3.5 6 h 7 z`, 'data-count': u.acknowledged - prev.acknowledged }, g);
        title(a, `${hhmm(u.at)}: ${u.acknowledged - prev.acknowledged} record(s) acknowledged (${u.acknowledged} since 00:00)`);
      }
      prev = u;
    }
    d += ` H ${x(MIN)} V ${yu} Z`;
    title(el('path', { class: 'owed', d }, g), 'records journaled and not yet acknowledged by the backend');
    el('text', { class: 'row-label', x: LEFT - 6, y: yu, 'text-anchor': 'end' }, g, 'upload');

    // The list version in force.
    const yv = yu + 9;
    const vs = day.versions.filter((v) => v.charger === id);
    vs.forEach((v, i) => {
      const end = i + 1 < vs.length ? vs[i + 1].at : MIN;
      const r = el('rect', { class: `version v${v.version % 4}`, x: x(v.at), y: yv, width: Math.max(1, x(end) - x(v.at)), height: 10, 'data-version': v.version }, g);
      title(r, `list v${v.version} in force ${hhmm(v.at)}–${end >= MIN ? '24:00' : hhmm(end)}`);
      el('text', { class: 'version-label', x: x(v.at) + 3, y: yv + 8 }, g, `list v${v.version}`);
    });
    el('text', { class: 'row-label', x: LEFT - 6, y: yv + 8, 'text-anchor': 'end' }, g, 'list');
  });

  // The tally: counted from the marks drawn, beside the run's own figures.
  const drawn = {};
  for (const c of svg.querySelectorAll('circle.tap')) drawn[c.dataset.decision] = (drawn[c.dataset.decision] || 0) + 1;
  const t = day.tally;
  const rows = [['taps', svg.querySelectorAll('circle.tap').length, t.taps]];
  for (const k of Object.keys(t.decisions).sort((a, b) => t.decisions[b] - t.decisions[a])) rows.push([`  ${k}`, drawn[k] || 0, t.decisions[k], kind(k)]);
  for (const k of Object.keys(drawn)) if (!(k in t.decisions)) rows.push([`  ${k}`, drawn[k], 0, kind(k)]);
  // Every session drawn ends in one record (a PowerLoss one after the cut); every record recorded is acknowledged by the end.
  rows.push(['sessions', svg.querySelectorAll('rect.session').length, t.sessionsRecorded]);
  let acked = 0;
  for (const a of svg.querySelectorAll('path.ack')) acked += Number(a.dataset.count);
  rows.push(['records acknowledged', acked, t.recordsVerified]);
  const body = document.querySelector('#tally tbody');
  let agree = true;
  for (const [name, picture, run, cls] of rows) {
    const tr = document.createElement('tr');
    tr.dataset.name = name.trim();
    if (picture !== run) { tr.className = 'disagree'; agree = false; }
    tr.innerHTML = `<td>${cls ? `<span class="swatch ${cls}"></span>` : ''}${name.trim()}</td><td class="n drawn">${picture}</td><td class="n run">${run}</td>`;
    body.appendChild(tr);
  }
  const figures = [
    ['records uploaded', t.recordsUploaded],
    ['verified (signature and hash chain)', t.recordsVerified],
    ['retransmitted copies ignored', `${t.duplicatesIgnored} (of ${t.retransmissions} batch retransmissions)`],
    ['lists applied', `${t.listsApplied.full} full, ${t.listsApplied.differential} differential, ${t.listsApplied.mismatches} VersionMismatch`],
    ['versions in force', t.listVersions.join(', ')],
    ['real-time authorizations answered', t.authRequests],
    ['problems, gaps', `${t.problems}, ${t.gaps}`],
    ['LOST', t.lost],
  ];
  const fig = document.querySelector('#figures tbody');
  for (const [name, v] of figures) {
    const tr = document.createElement('tr');
    tr.dataset.name = name;
    tr.innerHTML = `<td>${name}</td><td class="n">${v}</td>`;
    fig.appendChild(tr);
  }
  const verdict = document.getElementById('verdict');
  verdict.textContent = agree ? 'The marks drawn agree with the run\'s tally.' : 'The marks drawn DISAGREE with the run\'s tally (rows marked).';
  verdict.className = agree ? 'agree' : 'disagree';
  document.body.dataset.drawn = 'yes';
})();
