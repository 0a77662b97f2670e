// The browser tests: runs every case of the case files against a server
// already running (t/030-browser.t starts one with the demo's
// configuration), in one headless Chromium with a fresh profile.
//
//   node t/browser/run.mjs http://127.0.0.1:PORT/ [case-name-regex]
//
// Prints one JSON line per case, {"case", "result": pass|fail|skip,
// "reason"?, "notes"?, "ms"}, and exits 1 if a case failed.

import { launch, openPage, startEcho, until, demoState, Skip } from './lib.mjs';
import { cases as signalingCases } from './signaling.mjs';
import { cases as mediaCases } from './media.mjs';
import { cases as janusjsCases } from './janusjs.mjs';
import { cases as ciphertextCases } from './ciphertext.mjs';

const [base, only] = process.argv.slice(2);

if (!base) {
    console.error('usage: node t/browser/run.mjs http://127.0.0.1:PORT/ [case-regex]');
    process.exit(2);
}

const filter = only ? new RegExp(only) : null;
const browser = await launch();

// the harness stops a runner that overstays with SIGTERM: leave nothing behind
process.once('SIGTERM', () => browser.close().finally(() => process.exit(143)));
let pages = [];
let notes = [];
let probe = null;

const ctx = {
    base,
    url: (p) => new URL(p, base).href,

    /** A measurement worth reporting with the result (e.g. a recovery time). */
    note: (text) => notes.push(text),

    /** A page of this case; closed when the case ends. */
    async open(p, opts) {
        const page = await openPage(browser.ctx, ctx.url(p), opts);

        pages.push(page);
        return page;
    },

    /**
     * Whether the server carries media: a plain EchoTest call must reach
     * webrtcup within 10 s.  Asked once; signaling failures are errors.
     */
    mediaPlane() {
        probe ??= (async () => {
            const page = await openPage(browser.ctx, ctx.url('echotest.html'), { waitFor: () => window.demo });

            try {
                await startEcho(page, { e2ee: false });

                const answered = await until(async () => (await demoState(page)).answer
                                             || (await demoState(page)).error, 10000);

                if (!answered || typeof answered === 'string') {
                    throw new Error(`media probe: the EchoTest did not negotiate: ${answered ?? 'timeout'}`);
                }
                return !!await until(async () => (await demoState(page)).webrtcUp, 10000);
            } finally {
                await page.close();
            }
        })();
        return probe;
    },
};

let failed = 0;

for (const c of [...signalingCases, ...mediaCases, ...janusjsCases, ...ciphertextCases]) {
    if (filter && !filter.test(c.name)) {
        continue;
    }

    const t0 = Date.now();
    const out = { case: c.name };
    let timer;

    try {
        await Promise.race([
            c.run(ctx),
            new Promise((_, reject) => {
                timer = setTimeout(() => reject(new Error(`timed out after ${c.timeoutMs ?? 60000} ms`)),
                                   c.timeoutMs ?? 60000);
            }),
        ]);
        out.result = 'pass';
    } catch (e) {
        if (e instanceof Skip) {
            out.result = 'skip';
            out.reason = e.message;
        } else {
            out.result = 'fail';
            out.reason = String(e?.stack ?? e);
            failed++;
        }
    } finally {
        clearTimeout(timer);
        await Promise.all(pages.map((p) => p.close().catch(() => {})));
        pages = [];
    }
    if (notes.length) {
        out.notes = notes;
        notes = [];
    }
    out.ms = Date.now() - t0;
    console.log(JSON.stringify(out));
}

await browser.close();
process.exit(failed ? 1 : 0);
