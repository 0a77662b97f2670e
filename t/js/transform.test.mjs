// Page-side helpers (html/js/e2ee-transform.js) against fake browser objects and a
// fake Worker that runs the real worker core in-process.
import test from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { setImmediate as tick } from 'node:timers/promises';

import { E2EESession, detectTransformApi, preferE2EECodecs } from '../../html/js/e2ee-transform.js';
import { E2EEWorkerCore } from '../../html/js/e2ee-worker-core.js';
import { generateBaseKey } from '../../html/js/sframe-keys.js';
import { bytesToHex as hex } from '../../html/js/sframe.js';

/** A Worker whose messages cross a structured-clone boundary, as in a browser. */
class FakeWorker {
    constructor() {
        this.posted = [];
        this.terminated = false;
        this.core = new E2EEWorkerCore({
            post: (m) => queueMicrotask(() => this.onmessage?.({ data: structuredClone(m) })),
        });
    }

    postMessage(msg, transfer = []) {
        this.posted.push({ msg, transfer });
        // streams are transferred, not cloned
        this.core.handleMessage(msg.type === 'stream' ? msg : structuredClone(msg));
    }

    terminate() {
        this.terminated = true;
    }
}

/** RTCRtpScriptTransform stand-in: the "browser" later hands frames to the worker. */
class FakeScriptTransform {
    constructor(worker, options) {
        this.worker = worker;
        this.options = structuredClone(options);
    }

    /** What the browser does once media flows: fire rtctransform in the worker. */
    run(frames, extra = {}) {
        return runThrough(frames, (readable, writable) =>
            this.worker.core.attachTransformer({ readable, writable, options: this.options, ...extra }));
    }
}

class FakeFrame {
    constructor(bytes, mimeType) {
        this.data = Uint8Array.from(bytes).buffer;
        this.mimeType = mimeType;
    }

    getMetadata() {
        return { mimeType: this.mimeType };
    }
}

async function runThrough(frames, attach) {
    const out = [];
    let closed;
    const done = new Promise((r) => { closed = r; });
    const readable = new ReadableStream({
        start(c) {
            frames.forEach((f) => c.enqueue(f));
            c.close();
        },
    });
    const writable = new WritableStream({ write: (f) => { out.push(f); }, close: () => closed() });

    attach(readable, writable);
    await done;
    return out;
}

async function until(cond, what) {
    for (let i = 0; i < 10000; i++) {
        if (cond()) {
            return;
        }
        await tick();
    }
    assert.fail(`timed out waiting for ${what}`);
}

const scriptGlobal = () => ({ RTCRtpScriptTransform: FakeScriptTransform });

function legacyGlobal() {
    class RTCRtpSender {
        createEncodedStreams() {}
    }
    return { RTCRtpSender };
}

function vp8(key) {
    const b = new Uint8Array(randomBytes(80));

    b[0] = key ? b[0] & 0xfe : b[0] | 1;
    return b;
}

test('API detection prefers RTCRtpScriptTransform', () => {
    assert.equal(detectTransformApi(scriptGlobal()), 'script');
    assert.equal(detectTransformApi(legacyGlobal()), 'legacy');
    assert.equal(detectTransformApi({ ...legacyGlobal(), ...scriptGlobal() }), 'script');
    assert.equal(detectTransformApi({}), null);
    assert.throws(() => new E2EESession({ global: {}, worker: new FakeWorker() }), /encoded transform/);
});

test('rtcConfig adds encodedInsertableStreams only on the legacy path', () => {
    const base = { iceServers: [] };
    const s = new E2EESession({ global: scriptGlobal(), worker: new FakeWorker() });
    const l = new E2EESession({ global: legacyGlobal(), worker: new FakeWorker() });

    assert.deepEqual(s.rtcConfig(base), { iceServers: [] });
    assert.deepEqual(l.rtcConfig(base), { iceServers: [], encodedInsertableStreams: true });
    assert.deepEqual(base, { iceServers: [] });
});

test('script path: keys by request, sender and receiver transforms, status callbacks', async () => {
    const statuses = [];
    const events = [];
    const a = new E2EESession({ global: scriptGlobal(), worker: new FakeWorker() });
    const b = new E2EESession({ global: scriptGlobal(), worker: new FakeWorker(),
                                onStatus: (s) => statuses.push(s), onEvent: (e) => events.push(e) });
    const key = generateBaseKey();

    await a.setSendKey(77, 0, key);
    await b.setReceiveKey(77, 0, key);
    assert.ok(events.some((e) => e.type === 'key-added' && e.senderId === 77n));

    const sender = { track: { kind: 'video' } };
    const receiver = { track: { kind: 'video' } };
    const sid = a.attachSender(sender);
    const rid = b.attachReceiver(receiver, { streamId: 'remote-77-video', senderId: 77 });

    assert.ok(sender.transform instanceof FakeScriptTransform);
    assert.deepEqual(sender.transform.options, { direction: 'send', kind: 'video', streamId: sid });
    assert.deepEqual(receiver.transform.options, { direction: 'recv', kind: 'video', streamId: rid, senderId: 77 });
    assert.throws(() => a.attachSender(sender), /already has a transform/);

    const frames = [vp8(true), vp8(false), vp8(false)];
    const wire = await sender.transform.run(frames.map((f) => new FakeFrame(f, 'video/VP8')));
    const got = await receiver.transform.run(wire);

    assert.deepEqual(got.map((f) => hex(new Uint8Array(f.data))), frames.map((f) => hex(f)));
    await until(() => statuses.some((s) => s.streamId === 'remote-77-video' && s.state === 'closed'), 'closed');
    assert.ok(statuses.some((s) => s.streamId === 'remote-77-video' && s.state === 'ok'));

    const stats = await a.getStats();

    assert.ok(Array.isArray(stats));
    await assert.rejects(a.setSendKey(1, 0, new Uint8Array(3)), (e) => e.code === 'key');
});

test('legacy path: encoded streams go to the worker; keyframe requests reach the page', async () => {
    const kfr = [];
    const statuses = [];
    const worker = new FakeWorker();
    const b = new E2EESession({ global: legacyGlobal(), worker,
                                onKeyFrameRequest: (id) => kfr.push(id), onStatus: (s) => statuses.push(s) });
    let created = 0;
    let ends;
    const receiver = {
        track: { kind: 'video' },
        createEncodedStreams() {
            if (created++) {
                throw new Error('InvalidStateError: Encoded streams already created');
            }
            return ends;
        },
    };
    const frames = [new FakeFrame(vp8(true), 'video/VP8')];
    const out = await runThrough(frames, (readable, writable) => {
        ends = { readable, writable };
        b.attachReceiver(receiver, { streamId: 'legacy-r' });
    });
    const posted = worker.posted.find((p) => p.msg.type === 'stream');

    assert.deepEqual(posted.transfer, [ends.readable, ends.writable]);
    assert.equal(posted.msg.direction, 'recv');
    assert.equal(out.length, 0);                       // no key: dropped, not passed in clear
    await until(() => kfr.length === 1, 'keyframe request');
    assert.deepEqual(kfr, ['legacy-r']);
    await until(() => statuses.some((s) => s.state === 'failing' && s.lastError === 'nokey'), 'failing status');
    assert.throws(() => b.attachReceiver(receiver), /already created/);
    assert.throws(() => b.attachSender({ track: null }), /kind unknown/);
});

test('rotateSendKey resolves with what receivers need', async () => {
    const a = new E2EESession({ global: scriptGlobal(), worker: new FakeWorker() });

    await a.setSendKey(5, 7, generateBaseKey());

    const r = await a.rotateSendKey(5, undefined, 100);

    assert.equal(r.epoch, 8);
    assert.ok(r.key instanceof Uint8Array && r.key.length === 16);
    assert.equal(await a.activateSendKey(5), true);
    assert.equal(await a.activateSendKey(5), false);
});

test('preferE2EECodecs keeps VP8/VP9 only, on video transceivers', () => {
    const caps = { codecs: ['video/H264', 'video/VP9', 'video/AV1', 'video/VP8', 'video/rtx'].map((mimeType) => ({ mimeType })) };
    const g = { RTCRtpReceiver: { getCapabilities: (kind) => (kind === 'video' ? caps : null) } };
    let prefs = null;
    const video = { receiver: { track: { kind: 'video' } }, setCodecPreferences: (c) => { prefs = c; } };
    const audio = { receiver: { track: { kind: 'audio' } }, setCodecPreferences: () => assert.fail('audio') };

    assert.equal(preferE2EECodecs(video, g), true);
    assert.deepEqual(prefs.map((c) => c.mimeType), ['video/VP8', 'video/VP9', 'video/rtx']);
    assert.equal(preferE2EECodecs(audio, g), false);
});

test('close terminates the worker and rejects pending requests', async () => {
    const worker = new FakeWorker();
    const s = new E2EESession({ global: scriptGlobal(), worker });

    worker.core.handleMessage = () => new Promise(() => {});      // never answers
    const p = s.getStats();

    s.close();
    assert.equal(worker.terminated, true);
    await assert.rejects(p, /closed/);
});
