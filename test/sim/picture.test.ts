// The picture of the simulated day, opened in a real browser (Debian's
// chromium, headless, every network request sent to a dead proxy): what its
// script draws is counted from the DOM and compared with the run's tally.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { runSite, type SiteSummary } from '../../host-sim/sim/site.js';
import { checkPagePath, dayPage, writeDayPage } from '../../host-sim/sim/picture.js';
import { UsageError } from '../../host-sim/sim/args.js';
import { ROOT } from '../../host-sim/xs/bundle.js';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
// .ci/run installs chromium; outside CI a machine without it skips the browser checks, saying so.
const browser = CHROMIUM !== undefined || process.env.ROAM_CI !== undefined;
if (!browser) console.warn('picture.test: SKIPPED the browser checks: no chromium (apt-get install chromium)');

/** The page after its script ran, as Chromium holds it. */
function renderedDom(file: string): string {
  if (!CHROMIUM) throw new Error('chromium is not installed (apt-get install chromium)');
  return execFileSync(CHROMIUM, [
    '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--proxy-server=127.0.0.1:9', '--proxy-bypass-list=<-loopback>',
    `--user-data-dir=${mkdtempSync(join(tmpdir(), 'roam-chromium-'))}`, '--dump-dom', pathToFileURL(file).href,
  ], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 60_000 });
}

const attrs = (tag: string) => Object.fromEntries([...tag.matchAll(/([\w-]+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
const elements = (dom: string, name: string, cls: RegExp) => [...dom.matchAll(new RegExp(`<${name}\\b[^>]*>`, 'g'))].map((m) => attrs(m[0])).filter((a) => cls.test(a.class ?? ''));

describe('the picture of the day', () => {
  const dir = mkdtempSync(join(tmpdir(), 'roam-day-'));
  const file = join(dir, 'day.html');
  let s: SiteSummary;
  let dom: string;
  beforeAll(async () => {
    s = await runSite({ chargers: 3, tokens: 300, outageHours: 4, seed: 7, log: () => {} });
    writeDayPage(file, s.day);
    if (browser) dom = renderedDom(file);
  });

  it('is one self-contained page: nothing fetched, no src or href', () => {
    const html = readFileSync(file, 'utf8');
    expect(html).not.toMatch(/\b(src|href)\s*=|@import|url\((?!#)/i);
    expect(html).toContain('<script type="application/json" id="day">');
  });

  it.runIf(browser)('the browser drew one lane per charger and every tap, coloured by its decision, as many of each as the run tallied', () => {
    expect(dom).toContain('data-drawn="yes"');
    expect(elements(dom, 'g', /^lane$/).map((g) => g['data-charger'])).toEqual(['site1-cp1', 'site1-cp2', 'site1-cp3']);
    const taps = elements(dom, 'circle', /^tap /);
    expect(taps.length).toBe(s.taps);
    const byDecision: Record<string, number> = {};
    for (const t of taps) byDecision[t['data-decision']] = (byDecision[t['data-decision']] ?? 0) + 1;
    expect(byDecision).toEqual(s.decisions);
    // The colour class follows the decision.
    for (const t of taps) {
      const d = t['data-decision'];
      const want = d.startsWith('ignored') ? 'ignored' : `${d.startsWith('accepted') ? 'accepted' : 'refused'}${d.includes('(offline)') ? '-offline' : ''}`;
      expect(t.class).toBe(`tap ${want}`);
    }
    expect(taps.some((t) => t.class === 'tap accepted-offline')).toBe(true);
  });

  it.runIf(browser)('sessions drawn are the sessions recorded; acknowledgements drawn add up to the records verified', () => {
    const sessions = elements(dom, 'rect', /^session /);
    expect(sessions.length).toBe(s.sessionsRecorded);
    expect(sessions.filter((r) => r.class === 'session power-cut').length).toBe(s.day.powerCut!.sessions);
    expect(s.day.powerCut!.sessions).toBeGreaterThan(0);
    const acked = elements(dom, 'path', /^ack$/).reduce((n, a) => n + Number(a['data-count']), 0);
    expect(acked).toBe(s.recordsVerified);
  });

  it.runIf(browser)('the outage spans 10:00 to 14:00 on the hour lines; the power cut is on its charger\'s lane; each lane ends on the list version in force', () => {
    const hours = elements(dom, 'line', /^hour$/);
    const outage = elements(dom, 'rect', /^outage$/);
    expect(outage).toHaveLength(1);
    expect(Number(outage[0].x)).toBeCloseTo(Number(hours[10].x1), 6);
    expect(Number(outage[0].x) + Number(outage[0].width)).toBeCloseTo(Number(hours[14].x1), 6);
    const lanes = dom.split('<g class="lane"').slice(1);
    const cutLane = lanes.findIndex((l) => /<rect class="power-cut"/.test(l));
    expect(s.day.chargers[cutLane]).toBe(s.day.powerCut!.charger);
    lanes.forEach((lane, i) => {
      const versions = elements(lane, 'rect', /^version /).map((v) => Number(v['data-version']));
      expect(versions.at(-1)).toBe(s.listVersions[i]);
      expect(versions).toEqual([1, 2]);
    });
  });

  it.runIf(browser)('the tally the page shows agrees with the run, row by row, and with the text summary\'s figures', () => {
    expect(dom).toMatch(/<p id="verdict" class="agree">/);
    expect(dom).not.toContain('class="disagree"');
    const row = (name: string) => {
      const m = new RegExp(`<tr data-name="${name.replace(/[()]/g, '\\$&')}">(.*?)</tr>`).exec(dom);
      return m ? [...m[1].matchAll(/<td class="n[^"]*">([^<]*)<\/td>/g)].map((c) => c[1]) : undefined;
    };
    expect(row('taps')).toEqual([String(s.taps), String(s.taps)]);
    for (const [k, n] of Object.entries(s.decisions)) expect(row(k)).toEqual([String(n), String(n)]);
    expect(row('sessions')).toEqual([String(s.sessionsRecorded), String(s.sessionsRecorded)]);
    expect(row('records acknowledged')).toEqual([String(s.recordsVerified), String(s.recordsVerified)]);
    expect(row('records uploaded')).toEqual([String(s.recordsUploaded)]);
    expect(row('LOST')).toEqual([String(s.lost)]);
    expect(row('versions in force')).toEqual([s.listVersions.join(', ')]);
  });

  it.runIf(browser)('a day whose tally does not match its marks is flagged on the page', () => {
    const wrong = { ...s.day, tally: { ...s.day.tally!, decisions: { ...s.day.tally!.decisions, 'accepted: Accepted': s.decisions['accepted: Accepted'] + 1 } } };
    const bad = join(dir, 'wrong.html');
    writeDayPage(bad, wrong);
    const d = renderedDom(bad);
    expect(d).toMatch(/<p id="verdict" class="disagree">The marks drawn DISAGREE/);
    expect(d).toMatch(/<tr data-name="accepted: Accepted" class="disagree">/);
  });

  it('a value cannot close the data element', () => {
    const day = { ...s.day, timeline: ['</script><script>alert(1)</script>'] };
    const html = dayPage(day);
    expect(html.match(/<\/script>/g)).toHaveLength(2);
  });
});

describe('npm start --html', () => {
  it('a path that cannot be written is refused before the run', () => {
    expect(() => checkPagePath('/nonexistent-dir/day.html')).toThrow(UsageError);
    expect(() => checkPagePath('/nonexistent-dir/day.html')).toThrow('--html must be a file that can be written: /nonexistent-dir is not a directory');
    expect(() => checkPagePath(tmpdir())).toThrow(`--html must be a file that can be written: ${tmpdir()} exists and is not a file`);
  });

  it('npm start writes the page where --html says', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'roam-day-')), 'x.html');
    const r = spawnSync(join(ROOT, 'node_modules/.bin/tsx'), [join(ROOT, 'host-sim/sim/main.ts'), '--chargers', '1', '--tokens', '100', '--html', out], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`picture of the day: ${out} (one lane per charger; open it in a browser)`);
    expect(readFileSync(out, 'utf8')).toMatch(/^<!doctype html>/);
  });
});
