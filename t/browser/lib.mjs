// Helpers for the browser cases: headless Chromium through playwright-core,
// pages with their errors collected, waiting on conditions, skipping.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

/** The reason every media case gives while the server has no media plane. */
export const NO_MEDIA = 'needs the media plane (webrtcup)';

export class Skip extends Error {
    constructor(reason) {
        super(reason);
        this.name = 'Skip';
    }
}

export function skip(reason) {
    throw new Skip(reason);
}

const FLAGS = [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
    // the server's candidates are on 127.0.0.1: gather loopback candidates too
    '--allow-loopback-in-peer-connection',
];

/**
 * Start Chromium on a fresh profile inside a private scratch directory
 * (also its TMPDIR), removed by close().  The directory is short-named in
 * the system's temporary directory: Chromium puts a unix socket in it, and
 * those paths are limited to 107 bytes.
 */
export async function launch() {
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'bt-'));
    const udd = path.join(scratch, 'profile');
    const tmp = path.join(scratch, 'tmp');

    fs.mkdirSync(tmp);
    const ctx = await chromium.launchPersistentContext(udd, {
        executablePath: CHROMIUM,
        headless: true,
        args: FLAGS,
        env: { ...process.env, TMPDIR: tmp },
    });

    return {
        ctx,
        async close() {
            await ctx.close().catch(() => {});
            fs.rmSync(scratch, { recursive: true, force: true });
        },
    };
}

/**
 * A new page on `url` whose problems are collected in page.problems:
 * uncaught exceptions, console errors, failed requests and HTTP >= 400.
 */
export async function openPage(ctx, url, { waitFor } = {}) {
    const page = await ctx.newPage();
    const problems = [];

    page.problems = problems;
    page.on('pageerror', (e) => problems.push(`exception: ${e.message}`));
    page.on('console', (m) => {
        if (m.type() === 'error') {
            problems.push(`console error: ${m.text()} (${m.location()?.url ?? '?'})`);
        }
    });
    page.on('requestfailed', (r) => {
        // closing a page aborts its open long poll or media: not a page error
        if (!/ERR_ABORTED/.test(r.failure()?.errorText ?? '')) {
            problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`);
        }
    });
    page.on('response', (r) => {
        if (r.status() >= 400) {
            problems.push(`HTTP ${r.status()}: ${r.url()}`);
        }
    });
    await page.goto(url, { waitUntil: 'load' });
    if (waitFor) {
        await page.waitForFunction(waitFor, null, { timeout: 10000 });
    }
    return page;
}

/**
 * Poll fn until it returns a truthy value; returns that value, or
 * undefined after timeoutMs.
 */
export async function until(fn, timeoutMs, everyMs = 100) {
    const end = Date.now() + timeoutMs;

    for (;;) {
        const v = await fn();

        if (v) {
            return v;
        }
        if (Date.now() >= end) {
            return undefined;
        }
        await new Promise((r) => setTimeout(r, everyMs));
    }
}

/** Read window.demo.state of a demo page. */
export function demoState(page) {
    return page.evaluate(() => JSON.parse(JSON.stringify(window.demo.state)));
}

/** Start the EchoTest page through its form. */
export async function startEcho(page, { e2ee = true, passphrase = 'correct horse', transport = 'websocket' } = {}) {
    await page.setChecked('#e2ee', e2ee);
    if (e2ee) {
        await page.fill('#passphrase', passphrase);
    }
    await page.selectOption('#transport', transport);
    await page.click('#start');
}

/** Join the VideoRoom page through its form. */
export async function joinRoom(page, { room = 5678, display, passphrase = 'correct horse', transport = 'websocket' } = {}) {
    await page.selectOption('#room', String(room));
    await page.fill('#display', display);
    if (room === 5678) {
        await page.fill('#passphrase', passphrase);
    }
    await page.selectOption('#transport', transport);
    await page.click('#join');
}
