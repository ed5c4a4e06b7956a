// The picture of the simulated day: one self-contained HTML page (inline CSS,
// the day's data as JSON, the drawing script day-page.js inlined), opened
// without network access. test/sim/picture.test.ts opens it in Chromium.
import { accessSync, constants, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from './args.js';
import type { Day } from './day.js';

const SCRIPT = fileURLToPath(new URL('./day-page.js', import.meta.url));

const CSS = `
body { font: 13px/1.4 system-ui, sans-serif; margin: 16px 20px; color: #1d2330; background: #fff; }
h1 { font-size: 18px; margin: 0 0 2px; }
p.sub { margin: 0 0 10px; color: #566; }
#lanes text { font-size: 11px; fill: #344; }
#lanes .lane-label { font-weight: 600; font-size: 12px; }
#lanes .conn-label, #lanes .row-label { fill: #789; font-size: 10px; }
#lanes .hour { stroke: #e3e6ec; }
#lanes .hour-label { fill: #678; }
#lanes .lane-bg { fill: none; stroke: #d5d9e1; }
#lanes .band-label { font-size: 10px; fill: #556; font-style: italic; }
#lanes .cut-label { fill: #b02020; }
.power-cut { fill: #e0303033; stroke: #c02020; stroke-dasharray: 3 2; }
.session { fill: #8fc99a; }
.session.power-cut { fill: #e89a9a; stroke: none; stroke-dasharray: none; }
.session.end-of-day { fill: #b6d9bd; }
.tap { stroke: #fff; stroke-width: 1; }
.accepted, .swatch.accepted { fill: #2e9e44; background: #2e9e44; }
.accepted-offline, .swatch.accepted-offline { fill: #1f6fc4; background: #1f6fc4; }
.refused, .swatch.refused { fill: #d62728; background: #d62728; }
.refused-offline, .swatch.refused-offline { fill: #f08a12; background: #f08a12; }
.ignored, .swatch.ignored { fill: #9aa0a8; background: #9aa0a8; }
.owed { fill: #c8b6e8; stroke: #8a6cc4; stroke-width: 0.8; }
.ack { fill: #5b3ea8; }
.version { stroke: #fff; stroke-width: 0.5; }
.version.v0 { fill: #e6e9ef; } .version.v1 { fill: #d6e4f5; } .version.v2 { fill: #f3e3c3; } .version.v3 { fill: #dcefd9; }
#lanes .version-label { font-size: 9px; fill: #445; }
.legend { display: flex; flex-wrap: wrap; gap: 6px 16px; margin: 8px 0 14px; padding: 0; list-style: none; color: #344; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 5px; margin-right: 5px; vertical-align: -1px; }
.swatch.box { border-radius: 2px; }
table { border-collapse: collapse; margin: 4px 24px 10px 0; display: inline-table; vertical-align: top; }
td, th { padding: 2px 10px; border-bottom: 1px solid #eceef2; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
tr.disagree td { background: #fde2e2; }
#verdict.agree { color: #2e7d32; } #verdict.disagree { color: #c62828; font-weight: 600; }
pre { font-size: 12px; background: #f6f7f9; padding: 8px; overflow-x: auto; }
`;

const LEGEND = `<ul class="legend">
<li><span class="swatch accepted"></span>tap accepted (online)</li>
<li><span class="swatch accepted-offline"></span>accepted offline</li>
<li><span class="swatch refused"></span>refused (online)</li>
<li><span class="swatch refused-offline"></span>refused offline</li>
<li><span class="swatch ignored"></span>ignored (re-tap)</li>
<li><span class="swatch box" style="background:#8fc99a"></span>session charging</li>
<li><span class="swatch box" style="background:#e89a9a"></span>session ended by the power cut</li>
<li><span class="swatch box" style="background:#e0303055;outline:1px dashed #c02020"></span>charger without power</li>
<li><span class="swatch box" style="background:#c8b6e8"></span>records waiting for upload</li>
<li><span class="swatch box" style="background:#5b3ea8"></span>▲ records acknowledged</li>
<li><span class="swatch box" style="background:#d6e4f5"></span>list version in force</li>
<li><span class="swatch box" style="background:repeating-linear-gradient(45deg,#eef0f4 0 3px,#c9ced8 3px 5px)"></span>uplink down</li>
</ul>`;

const escapeHtml = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/** The page for a day: everything inline. */
export function dayPage(day: Day): string {
  const o = day.options;
  // JSON inside <script>: "<" escaped so no value can close the element.
  const data = JSON.stringify(day).replace(/</g, '\\u003c');
  const about = `${o.chargers} chargers, 2 partner networks × ${o.tokens.toLocaleString('en-US')} tokens, ${o.outageHours > 0 ? `an outage of ${o.outageHours} h from 10:00` : 'no outage'}, a power cut, seed ${o.seed}, broker ${o.broker}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>roam: the simulated day ${day.date}</title>
<style>${CSS}</style></head>
<body>
<h1>roam: a simulated day at a charging site, ${day.date}</h1>
<p class="sub">${escapeHtml(about)}. Times are the simulated clock (UTC); hover a mark for details.</p>
${LEGEND}
<div id="picture"></div>
<h2>Tally</h2>
<p id="verdict"></p>
<table id="tally"><thead><tr><th>counted from the picture</th><th>drawn</th><th>run</th></tr></thead><tbody></tbody></table>
<table id="figures"><thead><tr><th>the run's figures</th><th></th></tr></thead><tbody></tbody></table>
<details><summary>the text timeline (a selection)</summary><pre>${escapeHtml(day.timeline.join('\n'))}</pre></details>
<script type="application/json" id="day">${data}</script>
<script>${readFileSync(SCRIPT, 'utf8')}</script>
</body></html>
`;
}

/** Checks before the run that FILE can be written (its folder exists and is writable; FILE, if there, a writable file). */
export function checkPagePath(file: string): void {
  const why = (() => {
    const dir = dirname(file);
    if (!existsSync(dir) || !statSync(dir).isDirectory()) return `${dir} is not a directory`;
    if (existsSync(file) && !statSync(file).isFile()) return `${file} exists and is not a file`;
    try {
      accessSync(existsSync(file) ? file : dir, constants.W_OK);
    } catch {
      return `${existsSync(file) ? file : dir} is not writable`;
    }
    return undefined;
  })();
  if (why) throw new UsageError(`--html must be a file that can be written: ${why}`);
}

export function writeDayPage(file: string, day: Day): void {
  writeFileSync(file, dayPage(day));
}
