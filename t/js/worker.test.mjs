// E2EE worker logic (html/js/e2ee-worker-core.js) and the worker shell (html/js/e2ee-worker.js),
// driven with Node's WHATWG streams and fake encoded frames.
import test from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { setImmediate as tick } from 'node:timers/promises';

import { E2EEWorkerCore, KEYFRAME_REQUEST_INTERVAL_MS } from '../../html/js/e2ee-worker-core.js';
import { generateBaseKey, makeKid } from '../../html/js/sframe-keys.js';
import { decodeHeader, bytesToHex as hex } from '../../html/js/sframe.js';

/** Stand-in for RTCEncodedVideoFrame / RTCEncodedAudioFrame. */
class FakeFrame {
    constructor(bytes, mimeType) {
        this.data = Uint8Array.from(bytes).buffer;
        this.mimeType = mimeType;
    }

    getMetadata() {
        return this.mimeType ? { mimeType: this.mimeType, synchronizationSource: 1234 } : {};
    }
}

function vp8(key, size = 100) {
    const b = new Uint8Array(randomBytes(size));

    b[0] = key ? b[0] & 0xfe : b[0] | 1;
    return b;
}

/** readable over the given frames, and a writable collecting what comes out. */
function pipeEnds(frames) {
    const out = [];
    let closed;
    const done = new Promise((r) => { closed = r; });
    const readable = new ReadableStream({
        start(c) {
            for (const f of frames) {
                c.enqueue(f);
            }
            c.close();
        },
    });
    const writable = new WritableStream({
        write(f) {
            out.push(f);
        },
        close() {
            closed();
        },
    });

    return { readable, writable, out, done };
}

/** A readable the test feeds frame by frame. */
function livePipe() {
    const out = [];
    let ctl;
    const readable = new ReadableStream({ start(c) { ctl = c; } });
    const writable = new WritableStream({ write(f) { out.push(f); } });

    return { readable, writable, out, push: (f) => ctl.enqueue(f), close: () => ctl.close() };
}

function core(clock = { t: 10000 }) {
    const msgs = [];
    const c = new E2EEWorkerCore({ post: (m) => msgs.push(m), now: () => clock.t });

    return { c, msgs, clock };
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

function reply(msgs, id) {
    return msgs.find((m) => m.type === 'reply' && m.id === id);
}

async function send(w, msg) {
    await w.c.handleMessage(msg);
    return msg.id === undefined ? undefined : reply(w.msgs, msg.id);
}

/** Run frames through a legacy-path stream of `w`; resolves with the output frames. */
async function run(w, options, frames) {
    const p = pipeEnds(frames);
    const r = await send(w, { type: 'stream', id: `s${Math.random()}`, ...options, readable: p.readable, writable: p.writable });

    assert.equal(r.ok, true, r.error);
    await p.done;
    return p.out;
}

async function connected() {
    const tx = core();
    const rx = core();
    const key = generateBaseKey();

    assert.equal((await send(tx, { type: 'setSendKey', id: 1, senderId: 42, epoch: 0, key })).ok, true);
    assert.equal((await send(rx, { type: 'setReceiveKey', id: 1, senderId: 42, epoch: 0, key })).ok, true);
    return { tx, rx, key };
}

test('legacy stream path: VP8 and Opus through sender and receiver workers', async () => {
    const { tx, rx } = await connected();
    const video = [vp8(true), vp8(false), vp8(false, 3), vp8(false, 500)];
    const audio = [randomBytes(60), randomBytes(1), randomBytes(200)].map((b) => new Uint8Array(b));
    const vSent = await run(tx, { direction: 'send', kind: 'video', streamId: 'v' },
                            video.map((b) => new FakeFrame(b, 'video/VP8')));
    const aSent = await run(tx, { direction: 'send', kind: 'audio', streamId: 'a' },
                            audio.map((b) => new FakeFrame(b, 'audio/opus')));

    assert.equal(vSent.length, 4);
    assert.equal(aSent.length, 3);
    vSent.forEach((f, i) => {
        const wire = new Uint8Array(f.data);
        const n = i === 0 ? 10 : 3;

        assert.equal(hex(wire.subarray(0, n)), hex(video[i].subarray(0, n)), `clear prefix of frame ${i}`);
        assert.equal(decodeHeader(wire.subarray(n)).kid, makeKid(42, 0, 'video'));
        assert.equal(decodeHeader(wire.subarray(n)).ctr, BigInt(i));
    });
    aSent.forEach((f) => assert.equal(decodeHeader(new Uint8Array(f.data)).kid, makeKid(42, 0, 'audio')));

    const vRecv = await run(rx, { direction: 'recv', kind: 'video', streamId: 'rv' }, vSent);
    const aRecv = await run(rx, { direction: 'recv', kind: 'audio', streamId: 'ra', senderId: 42 }, aSent);

    assert.deepEqual(vRecv.map((f) => hex(new Uint8Array(f.data))), video.map((b) => hex(b)));
    assert.deepEqual(aRecv.map((f) => hex(new Uint8Array(f.data))), audio.map((b) => hex(b)));

    const closed = (id) => rx.msgs.some((m) => m.type === 'status' && m.stream.streamId === id && m.stream.state === 'closed');

    await until(() => closed('rv') && closed('ra'), 'closed status');

    const st = rx.msgs.filter((m) => m.type === 'status').map((m) => m.stream);

    assert.ok(st.some((s) => s.streamId === 'rv' && s.state === 'ok'));
    assert.ok(st.some((s) => s.streamId === 'rv' && s.state === 'closed' && s.ok === 4 && s.failed === 0));
    assert.ok(st.some((s) => s.streamId === 'ra' && s.state === 'closed' && s.ok === 3 && s.codec === 'audio/opus'));
});

test('no receive key: frames dropped, failing status, rate-limited keyframe requests; a new key recovers', async () => {
    const tx = core();
    const clock = { t: 50000 };
    const rx = core(clock);
    const key = generateBaseKey();

    await send(tx, { type: 'setSendKey', senderId: 7, epoch: 3, key });

    const sent = await run(tx, { direction: 'send', kind: 'video' },
                           [vp8(true), ...Array.from({ length: 9 }, () => vp8(false))].map((b) => new FakeFrame(b, 'video/VP8')));
    const p = livePipe();

    await send(rx, { type: 'stream', direction: 'recv', kind: 'video', streamId: 'r', readable: p.readable, writable: p.writable });

    const failedCount = () => rx.c.streams.get('r').failed;
    const kfr = () => rx.msgs.filter((m) => m.type === 'keyframe-request' && m.streamId === 'r').length;

    p.push(sent[0]);
    p.push(sent[1]);
    await until(() => failedCount() === 2, 'two failures');
    assert.equal(p.out.length, 0);                                      // never passed on
    assert.equal(kfr(), 1);                                             // second one rate-limited
    assert.ok(rx.msgs.some((m) => m.type === 'status' && m.stream.state === 'failing' && m.stream.lastError === 'nokey'));

    clock.t += KEYFRAME_REQUEST_INTERVAL_MS;
    p.push(sent[2]);
    await until(() => failedCount() === 3, 'third failure');
    assert.equal(kfr(), 2);

    // the key arrives: event to the page and an immediate keyframe request
    await send(rx, { type: 'setReceiveKey', senderId: 7, epoch: 3, key });
    assert.ok(rx.msgs.some((m) => m.type === 'event' && m.event.type === 'key-added' && m.event.senderId === 7n));
    assert.equal(kfr(), 3);

    for (const f of sent.slice(3)) {
        p.push(f);
    }
    await until(() => p.out.length === 7, 'recovered frames');
    const stats = reply(rx.msgs, (await send(rx, { type: 'getStats', id: 'st' })).id).result;

    assert.deepEqual(stats.map((s) => [s.streamId, s.state, s.ok, s.failed, s.keyFrameRequests]), [['r', 'ok', 7, 3, 3]]);
    p.close();
});

test('after a loss, delta frames keep asking for a key frame (rate-limited) until one decrypts', async () => {
    const { tx, rx, key } = await connected();
    const clock = rx.clock;
    const frames = [vp8(false), vp8(false), vp8(false), vp8(false), vp8(true), vp8(false)];
    const sent = await run(tx, { direction: 'send', kind: 'video' }, frames.map((b) => new FakeFrame(b, 'video/VP8')));
    const p = livePipe();
    const kfr = () => rx.msgs.filter((m) => m.type === 'keyframe-request').length;

    await send(rx, { type: 'removeReceiveKeys', senderId: 42 });
    await send(rx, { type: 'stream', direction: 'recv', kind: 'video', streamId: 'r', readable: p.readable, writable: p.writable });
    p.push(sent[0]);
    await until(() => rx.c.streams.get('r').failed === 1, 'a dropped frame');
    assert.equal(kfr(), 1);

    // the key comes back within the interval: that request is throttled, as a server may throttle PLIs
    await send(rx, { type: 'setReceiveKey', senderId: 42, epoch: 0, key });
    assert.equal(kfr(), 2, 'forced request when the key arrives');
    p.push(sent[1]);
    await until(() => p.out.length === 1, 'a delta frame decrypts');
    assert.equal(kfr(), 2, 'rate-limited');

    clock.t += KEYFRAME_REQUEST_INTERVAL_MS;
    p.push(sent[2]);
    await until(() => p.out.length === 2, 'another delta frame');
    assert.equal(kfr(), 3, 'still no key frame: asked again');

    clock.t += KEYFRAME_REQUEST_INTERVAL_MS;
    p.push(sent[4]);
    await until(() => p.out.length === 3, 'the key frame');
    assert.equal(kfr(), 3, 'a key frame ends the asking');

    clock.t += KEYFRAME_REQUEST_INTERVAL_MS;
    p.push(sent[5]);
    await until(() => p.out.length === 4, 'delta after the key frame');
    assert.equal(kfr(), 3);

    // the browser's frame type wins over the payload bit
    const st = rx.c.streams.get('r');

    st.needKeyFrame = true;
    clock.t += KEYFRAME_REQUEST_INTERVAL_MS;
    const typed = new FakeFrame(new Uint8Array(sent[3].data), 'video/VP8');

    typed.type = 'key';
    p.push(typed);
    await until(() => p.out.length === 5, 'a frame typed key');
    assert.equal(st.needKeyFrame, false);
    assert.equal(kfr(), 3);
    p.close();
});

test('script transform path: sendKeyFrameRequest on the transformer, wrong key fails every frame', async () => {
    const { tx } = await connected();
    const clock = { t: 0 };
    const rx = core(clock);

    await send(rx, { type: 'setReceiveKey', senderId: 42, epoch: 0, key: generateBaseKey() });   // wrong key

    const sent = await run(tx, { direction: 'send', kind: 'video' }, [vp8(true), vp8(false), vp8(false)].map((b) => new FakeFrame(b, 'video/VP8')));
    const ends = pipeEnds(sent);
    let requests = 0;
    const transformer = {
        readable: ends.readable,
        writable: ends.writable,
        options: { direction: 'recv', kind: 'video', streamId: 'script-r' },
        sendKeyFrameRequest: () => { requests++; return Promise.resolve(); },
    };

    rx.c.attachTransformer(transformer);
    await ends.done;
    await until(() => !rx.c.streams.has('script-r'), 'stream end');
    assert.equal(ends.out.length, 0);
    assert.equal(requests, 1);                       // 3 failures within one interval
    assert.equal(rx.msgs.filter((m) => m.type === 'keyframe-request').length, 0);
    assert.ok(rx.msgs.some((m) => m.type === 'status' && m.stream.streamId === 'script-r'
                            && m.stream.state === 'closed' && m.stream.failed === 3 && m.stream.lastError === 'auth'));
});

test('send side fails closed: no key or refused codec means no frame leaves', async () => {
    const w = core();
    const plain = await run(w, { direction: 'send', kind: 'video', streamId: 'nokey' }, [new FakeFrame(vp8(true), 'video/VP8')]);

    assert.equal(plain.length, 0);
    assert.ok(w.msgs.some((m) => m.type === 'status' && m.stream.streamId === 'nokey' && m.stream.lastError === 'nokey'));

    await send(w, { type: 'setSendKey', senderId: 1, epoch: 0, key: generateBaseKey() });
    for (const mime of ['video/H264', 'video/AV1']) {
        const out = await run(w, { direction: 'send', kind: 'video', streamId: mime }, [new FakeFrame(vp8(true), mime)]);

        assert.equal(out.length, 0, mime);
        assert.ok(w.msgs.some((m) => m.type === 'status' && m.stream.streamId === mime && m.stream.state === 'refused'
                              && m.stream.lastError === 'codec'));
    }

    // no metadata: the stream's configured codec decides
    const out = await run(w, { direction: 'send', kind: 'video', codec: 'video/VP8' }, [new FakeFrame(vp8(false), undefined)]);

    const wire = new Uint8Array(out[0].data);

    assert.equal(out.length, 1);
    assert.equal(wire.length, 3 + decodeHeader(wire.subarray(3)).length + 97 + 16);   // clear, header, body, tag
    // empty frames pass untouched
    const empty = await run(w, { direction: 'send', kind: 'video' }, [new FakeFrame(new Uint8Array(0), 'video/VP8')]);

    assert.equal(empty.length, 1);
    assert.equal(empty[0].data.byteLength, 0);
});

test('receive stream checks sender and kind', async () => {
    const { tx, rx } = await connected();
    const a = await run(tx, { direction: 'send', kind: 'audio' }, [new FakeFrame(randomBytes(30), 'audio/opus')]);
    const v = await run(tx, { direction: 'send', kind: 'video' }, [new FakeFrame(vp8(false), 'video/VP9')]);

    assert.equal((await run(rx, { direction: 'recv', kind: 'audio', senderId: 43, streamId: 'x' }, a)).length, 0);
    assert.equal((await run(rx, { direction: 'recv', kind: 'audio', streamId: 'y' }, v.map((f) => new FakeFrame(new Uint8Array(f.data), 'audio/opus')))).length, 0);

    const st = (id) => rx.msgs.filter((m) => m.type === 'status' && m.stream.streamId === id).pop().stream;

    assert.equal(st('x').lastError, 'sender');
    assert.equal(st('y').lastError, 'kind');
    // audio streams never ask for key frames
    assert.equal(st('y').keyFrameRequests, 0);
});

test('rotation through messages: reply carries the new epoch and key', async () => {
    const { tx, rx } = await connected();
    const frames = () => [vp8(false), vp8(false)].map((b) => new FakeFrame(b, 'video/VP8'));
    const r = await send(tx, { type: 'rotateSendKey', id: 'rot', senderId: 42, activateAfterMs: 500 });

    assert.equal(r.ok, true);
    assert.equal(r.result.epoch, 1);
    assert.equal(r.result.key.length, 16);
    assert.ok(tx.msgs.some((m) => m.type === 'event' && m.event.type === 'send-key' && m.event.epoch === 1));

    const before = await run(tx, { direction: 'send', kind: 'video' }, frames());

    assert.equal(decodeHeader(new Uint8Array(before[0].data).subarray(3)).kid, makeKid(42, 0, 'video'));

    await send(rx, { type: 'setReceiveKey', senderId: 42, epoch: 1, key: r.result.key });
    assert.equal((await send(tx, { type: 'activateSendKey', id: 'act', senderId: 42 })).result, true);

    const after = await run(tx, { direction: 'send', kind: 'video' }, frames());

    assert.equal(decodeHeader(new Uint8Array(after[0].data).subarray(3)).kid, makeKid(42, 1, 'video'));
    assert.equal((await run(rx, { direction: 'recv', kind: 'video' }, [...before, ...after])).length, 4);
    assert.ok(rx.msgs.some((m) => m.type === 'event' && m.event.type === 'epoch-switched' && m.event.epoch === 1));
});

test('bad requests get error replies; closeStream ends a stream', async () => {
    const w = core();

    assert.equal((await send(w, { type: 'nope', id: 1 })).ok, false);
    assert.equal((await send(w, { type: 'stream', id: 2, direction: 'sideways', kind: 'video' })).code, 'request');
    assert.equal((await send(w, { type: 'setSendKey', id: 3, senderId: 1, epoch: 0, key: new Uint8Array(4) })).code, 'key');
    await send(w, { type: 'bogus' });
    assert.ok(w.msgs.some((m) => m.type === 'error' && m.request === 'bogus'));

    const p = livePipe();

    await send(w, { type: 'stream', direction: 'recv', kind: 'video', streamId: 'c', readable: p.readable, writable: p.writable });
    assert.equal((await send(w, { type: 'closeStream', id: 4, streamId: 'c' })).result, true);
    await until(() => w.msgs.some((m) => m.type === 'status' && m.stream.streamId === 'c' && m.stream.state === 'closed'), 'closed');
    assert.equal(w.c.streams.size, 0);
    assert.equal((await send(w, { type: 'closeStream', id: 5, streamId: 'c' })).result, false);

    // configure resets the keyring with the new suite
    await send(w, { type: 'configure', id: 6, suite: 1, replayWindow: 0 });
    assert.equal(w.c.keyring.suite, 1);
    assert.equal(w.c.keyring.replayWindow, 0);
});

test('worker shell wires self.onmessage and self.onrtctransform to the core', async () => {
    const posted = [];

    globalThis.self = { postMessage: (m) => posted.push(m) };
    try {
        await import('../../html/js/e2ee-worker.js');

        const key = generateBaseKey();

        self.onmessage({ data: { type: 'setSendKey', id: 1, senderId: 5, epoch: 0, key } });
        await until(() => posted.some((m) => m.type === 'reply' && m.id === 1), 'setSendKey reply');
        assert.equal(posted.find((m) => m.id === 1).ok, true);

        const ends = pipeEnds([new FakeFrame(randomBytes(50), 'audio/opus')]);

        self.onrtctransform({ transformer: { readable: ends.readable, writable: ends.writable,
                                             options: { direction: 'send', kind: 'audio', streamId: 'sh' } } });
        await ends.done;
        await until(() => posted.some((m) => m.type === 'status' && m.stream.streamId === 'sh' && m.stream.state === 'closed'),
                    'closed status');
        assert.equal(ends.out.length, 1);
        assert.equal(decodeHeader(new Uint8Array(ends.out[0].data)).kid, makeKid(5, 0, 'audio'));

        self.onrtctransform({ transformer: { readable: ends.readable, writable: ends.writable, options: {} } });
        assert.ok(posted.some((m) => m.type === 'error' && m.request === 'rtctransform'));
    } finally {
        delete globalThis.self;
    }
});
