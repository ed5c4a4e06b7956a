#!/usr/bin/env node
// Builds roam's XS engine for the host from the Moddable XS sources that
// @agoric/xsnap vendors: its xsnap-worker, with two changes made to a copy of
// the worker's C file (the package itself is left untouched):
//  1. creation parameters sized like a microcontroller: a small first chunk and
//     small growth steps, so XS collects garbage before it grows and the space
//     it reserves follows the live heap (an ESP32 gives XS ~157 KB in all);
//  2. each evaluation's reply also reports the peak chunk bytes and slot count
//     reached during that evaluation (XS tracks both in xsMemory.c) and what
//     was live when it began, so a runner can report peak heap growth;
//  3. roam's native token search (hal/moddable/token-search.c, the same file
//     the firmware compiles) as the global roamTokenSearch, metered one unit
//     per probe (ROAM_XS_METER), on a copy of the worker's makefile.
// Output: host-sim/xs/.build/bin/roam-xsnap-worker (git-ignored).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const pkg = dirname(require.resolve('@agoric/xsnap/package.json'));
const out = join(here, '.build');
const src = join(out, 'sources');
const bin = join(out, 'bin', 'roam-xsnap-worker');

function patch(text, from, to, what) {
  if (!text.includes(from)) throw new Error(`build-xsnap: cannot apply "${what}": @agoric/xsnap sources changed`);
  return text.replace(from, to);
}

const stamp = join(out, 'stamp.json');
const native = join(here, '..', '..', 'hal', 'moddable');
const nativeSource = readFileSync(join(native, 'token-search.c'), 'utf8');
const want = JSON.stringify({
  pkg: require('@agoric/xsnap/package.json').version,
  script: readFileSync(fileURLToPath(import.meta.url), 'utf8').length,
  native: createHash('sha256').update(nativeSource).digest('hex'),
});
if (existsSync(bin) && existsSync(stamp) && readFileSync(stamp, 'utf8') === want && !process.argv.includes('--force')) {
  console.log(`roam XS engine up to date: ${bin}`);
  process.exit(0);
}

mkdirSync(src, { recursive: true });
cpSync(join(pkg, 'xsnap-native/xsnap/sources'), src, { recursive: true });
let c = readFileSync(join(src, 'xsnap-worker.c'), 'utf8');
c = patch(c,
  `32 * 1024 * 1024,	/* initialChunkSize */
		4 * 1024 * 1024,	/* incrementalChunkSize */
		256 * 1024,			/* initialHeapCount */
		128 * 1024,			/* incrementalHeapCount */`,
  `32 * 1024,	/* initialChunkSize: small, so collections keep the reserve near the live heap */
		4 * 1024,	/* incrementalChunkSize: grow in small steps, after a collection */
		1024,			/* initialHeapCount */
		256,			/* incrementalHeapCount */`,
  'creation parameters');
c = patch(c,
  `			char command = *nsbuf;`,
  `			char command = *nsbuf;
			roamResetPeaks(machine, &roamBaseChunks, &roamBaseSlots);`,
  'reset peaks per command');
c = patch(c,
  `static int fxWriteOkay(FILE* outStream, xsUnsignedValue meterIndex, xsMachine *the, char* buf, size_t len);`,
  `static int fxWriteOkay(FILE* outStream, xsUnsignedValue meterIndex, xsMachine *the, char* buf, size_t len);
static size_t roamBaseChunks = 0, roamBaseSlots = 0;
extern void roamResetPeaks(xsMachine* the, size_t* chunks, size_t* slots);
extern void roamPeaks(xsMachine* the, size_t* chunks, size_t* slots, size_t* slotSize);`,
  'peak globals');
c = patch(c,
  `				  "\\"currentHeapCount\\":%u,"`,
  `				  "\\"peakChunks\\":%u,\\"peakSlots\\":%u,\\"baseChunks\\":%u,\\"baseSlots\\":%u,\\"slotSize\\":%u,"
				  "\\"currentHeapCount\\":%u,"`,
  'peak report format');
c = patch(c,
  `			 fxGetCurrentHeapCount(the),`,
  `			 (unsigned)roamPeakChunks, (unsigned)roamPeakSlots, (unsigned)roamBaseChunks, (unsigned)roamBaseSlots, (unsigned)roamSlotSize,
			 fxGetCurrentHeapCount(the),`,
  'peak report values');
c = patch(c,
  `	char numeral64[] = "12345678901234567890"; // big enough for 64bit numeral`,
  `	char numeral64[] = "12345678901234567890"; // big enough for 64bit numeral
	size_t roamPeakChunks, roamPeakSlots, roamSlotSize;
	roamPeaks(the, &roamPeakChunks, &roamPeakSlots, &roamSlotSize);`,
  'peak report read');
c = patch(c,
  `	xsResult = xsNewHostFunction(xs_issueCommand, 1);
	xsDefine(xsGlobal, xsID("issueCommand"), xsResult, xsDontEnum);`,
  `	xsResult = xsNewHostFunction(xs_issueCommand, 1);
	xsDefine(xsGlobal, xsID("issueCommand"), xsResult, xsDontEnum);
	xsResult = xsNewHostFunction(xs_roam_token_search, 3);
	xsDefine(xsGlobal, xsID("roamTokenSearch"), xsResult, xsDontEnum);`,
  'roam token search global');
c = patch(c,
  `static void xs_issueCommand(xsMachine* the);`,
  `static void xs_issueCommand(xsMachine* the);
extern void xs_roam_token_search(xsMachine* the);`,
  'roam token search declaration');
// Accessors live in the platform file, which sees the machine's fields.
let platform = readFileSync(join(src, 'xsnapPlatform.c'), 'utf8');
platform += `
void roamResetPeaks(txMachine* the, size_t* chunks, size_t* slots)
{
	*chunks = the->peakChunksSize = the->currentChunksSize;
	*slots = the->peakHeapCount = the->currentHeapCount;
}
void roamMeter(txMachine* the, uint32_t count)
{
	the->meterIndex += count;
}
void roamPeaks(txMachine* the, size_t* chunks, size_t* slots, size_t* slotSize)
{
	*chunks = the->peakChunksSize;
	*slots = the->peakHeapCount;
	*slotSize = sizeof(txSlot);
}
`;
writeFileSync(join(src, 'xsnapPlatform.c'), platform);
writeFileSync(join(src, 'xsnap-worker.c'), c);

// The worker's makefile, with roam's native module as one more object.
const makefiles = join(pkg, 'xsnap-native/xsnap/makefiles/lin');
let mk = readFileSync(join(makefiles, 'xsnap-worker.mk'), 'utf8');
mk = patch(mk, `\t$(TMP_DIR)/xsnapPlatform.o \\\n`, `\t$(TMP_DIR)/xsnapPlatform.o \\\n\t$(TMP_DIR)/token-search.o \\\n`, 'native object');
mk = patch(mk, `VPATH += $(SRC_DIR) $(TLS_DIR)\n`, `VPATH += $(SRC_DIR) $(TLS_DIR) ${native}\nC_OPTIONS += -DROAM_XS_METER=1\n`, 'native source path');
writeFileSync(join(out, 'roam-xsnap-worker.mk'), mk);

const t0 = Date.now();
execFileSync('make', [
  '-f', join(out, 'roam-xsnap-worker.mk'),
  `MODDABLE=${join(pkg, 'moddable')}`,
  `TLS_DIR=${src}`,
  `BUILD_DIR=${out}`,
  `BIN_DIR=${join(out, 'bin')}`,
  `TMP_DIR=${join(out, 'tmp')}`,
  'NAME=roam-xsnap-worker',
  'GOAL=release',
  `-j${Math.max(2, (await import('node:os')).cpus().length)}`,
], { cwd: makefiles, stdio: 'inherit' });
writeFileSync(stamp, want);
console.log(`roam XS engine built in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${bin}`);
