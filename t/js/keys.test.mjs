// Key management (html/js/sframe-keys.js): KIDs, counters, rotation, replay.
import test from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';

import {
    SFrameKeyring, ReplayWindow, makeKid, parseKid, generateBaseKey, senderBaseKey,
    groupSecretFromPassphrase, MAX_SENDER_ID,
} from '../../html/js/sframe-keys.js';
import {
    decodeHeader, deriveKeyMaterial, computeNonce, bytesToHex as hex, SFrameError, CipherSuite,
    supportedSuites,
} from '../../html/js/sframe.js';

const META = Uint8Array.of(1, 2, 3);

function clock(start = 1000) {
    const c = { t: start, now: () => c.t };

    return c;
}

function pair(opts = {}) {
    const events = [];
    const c = clock();
    const a = new SFrameKeyring({ now: c.now, ...opts });
    const b = new SFrameKeyring({ now: c.now, onEvent: (e) => events.push(e), ...opts });

    return { a, b, c, events };
}

async function rejectsWith(promise, code) {
    await assert.rejects(promise, (e) => e instanceof SFrameError && e.code === code);
}

const frame = (n) => new Uint8Array(randomBytes(n));

test('KID layout: senderId << 9 | epoch mod 256 << 1 | kind', () => {
    assert.equal(makeKid(5, 3, 'video'), (5n << 9n) | (3n << 1n) | 1n);
    assert.equal(makeKid(5, 3, 'audio'), (5n << 9n) | (3n << 1n));
    assert.equal(makeKid(5, 259, 'audio'), makeKid(5, 3, 'audio'));
    assert.deepEqual(parseKid(makeKid(123456789n, 17, 'video')), { senderId: 123456789n, epochLow: 17, kind: 'video' });
    assert.ok(makeKid(MAX_SENDER_ID, 255, 'video') <= (1n << 64n) - 1n);
    assert.throws(() => makeKid(MAX_SENDER_ID + 1n, 0, 'audio'), RangeError);
    assert.throws(() => makeKid(1, 0, 'data'), TypeError);
    assert.throws(() => makeKid(1, -1, 'audio'), RangeError);
    assert.throws(() => makeKid(1, 1.5, 'audio'), RangeError);
});

test('send and receive between two keyrings, every suite', async () => {
    for (const suite of supportedSuites()) {
        const { a, b } = pair({ suite });
        const bk = generateBaseKey();

        await a.setSendKey(7, 0, bk);
        await b.setReceiveKey(7, 0, bk);

        for (const kind of ['audio', 'video']) {
            const pt = frame(500);
            const sf = await a.encrypt(undefined, kind, META, pt);
            const r = await b.decrypt(META, sf);

            assert.equal(hex(r.plaintext), hex(pt));
            assert.equal(r.senderId, 7n);
            assert.equal(r.kind, kind);
            assert.equal(r.epoch, 0);
            assert.equal(r.kid, makeKid(7, 0, kind));
        }
    }
});

test('send counter counts up per KID and never repeats, even concurrently', async () => {
    const { a } = pair();

    await a.setSendKey(1, 0, generateBaseKey());

    const first = await Promise.all(Array.from({ length: 40 }, () => a.encrypt(1, 'video', META, frame(10))));
    const ctrs = first.map((sf) => decodeHeader(sf).ctr);

    assert.equal(new Set(ctrs.map(String)).size, 40);
    assert.deepEqual(ctrs.slice().sort((x, y) => (x < y ? -1 : 1)), Array.from({ length: 40 }, (_, i) => BigInt(i)));

    // audio has its own KID, hence its own counter and key
    assert.equal(decodeHeader(await a.encrypt(1, 'audio', META, frame(10))).ctr, 0n);
    assert.equal(decodeHeader(await a.encrypt(1, 'video', META, frame(10))).ctr, 40n);
});

test('audio and video of one sender never share a (key, nonce) pair', async () => {
    const bk = generateBaseKey();
    const { a, b } = pair();

    await a.setSendKey(9, 4, bk);
    await b.setReceiveKey(9, 4, bk);

    const pairs = new Set();
    const material = {};

    for (const kind of ['audio', 'video']) {
        material[kind] = await deriveKeyMaterial(CipherSuite.AES_128_GCM_SHA256_128, makeKid(9, 4, kind), bk);
    }
    assert.notEqual(hex(material.audio.key), hex(material.video.key));
    for (let i = 0; i < 50; i++) {
        for (const kind of ['audio', 'video']) {
            const sf = await a.encrypt(9, kind, META, frame(20));
            const { kid, ctr } = decodeHeader(sf);

            assert.equal(parseKid(kid).kind, kind);
            pairs.add(hex(material[kind].key) + '/' + hex(computeNonce(material[kind].salt, ctr)));
        }
    }
    assert.equal(pairs.size, 100);

    // a video frame relabelled with the audio KID does not authenticate
    const v = await a.encrypt(9, 'video', META, frame(20));
    const klen = ((v[0] >> 4) & 7) + 1;             // X=1: KID in bytes 1..klen
    const relabelled = Uint8Array.from(v);

    assert.equal(v[0] & 0x80, 0x80);
    relabelled[klen] ^= 1;                          // kind bit is the KID's lowest bit
    assert.equal(decodeHeader(relabelled).kid, makeKid(9, 4, 'audio'));
    await rejectsWith(b.decrypt(META, relabelled), 'auth');
});

test('re-installing the same send key continues its counter; a new key restarts it', async () => {
    const { a } = pair();
    const bk = generateBaseKey();

    await a.setSendKey(3, 0, bk);
    for (let i = 0; i < 5; i++) {
        await a.encrypt(3, 'audio', META, frame(4));
    }
    await a.setSendKey(3, 0, Uint8Array.from(bk));
    assert.equal(decodeHeader(await a.encrypt(3, 'audio', META, frame(4))).ctr, 5n);

    await a.setSendKey(3, 0, generateBaseKey());
    assert.equal(decodeHeader(await a.encrypt(3, 'audio', META, frame(4))).ctr, 0n);
});

test('rotation: delayed activation, old epoch kept for retainMs, then dropped', async () => {
    const { a, b, c, events } = pair({ retainMs: 2000 });
    const k0 = generateBaseKey();

    await a.setSendKey(11, 0, k0);
    await b.setReceiveKey(11, 0, k0);

    const old1 = await a.encrypt(11, 'video', META, frame(30));
    const old2 = await a.encrypt(11, 'video', META, frame(30));

    await b.decrypt(META, old1);

    // rotate: the new key is announced first and used 1 s later
    const { epoch, baseKey } = await a.rotateSendKey(11, undefined, { activateAfterMs: 1000 });

    assert.equal(epoch, 1);
    await b.setReceiveKey(11, epoch, baseKey);
    assert.deepEqual(b.receiveEpochs(11), [0, 1]);
    assert.equal(parseKid(decodeHeader(await a.encrypt(11, 'video', META, frame(30))).kid).epochLow, 0);

    c.t += 1000;
    const fresh = await a.encrypt(11, 'video', META, frame(30));

    assert.equal(a.sendEpoch(11), 1);
    assert.equal(decodeHeader(fresh).kid, makeKid(11, 1, 'video'));
    assert.equal(decodeHeader(fresh).ctr, 0n);
    assert.equal((await b.decrypt(META, fresh)).epoch, 1);
    assert.ok(events.some((e) => e.type === 'epoch-switched' && e.epoch === 1 && e.retiring));

    // a late frame under epoch 0 still decrypts within the window ...
    c.t += 1999;
    assert.equal((await b.decrypt(META, old2)).epoch, 0);

    // ... but not after it
    const old3 = await (async () => {
        const x = new SFrameKeyring({ now: c.now });

        await x.setSendKey(11, 0, k0);
        for (let i = 0; i < 3; i++) {
            await x.encrypt(11, 'video', META, frame(1));
        }
        return x.encrypt(11, 'video', META, frame(30));      // ctr 3, epoch 0
    })();

    c.t += 1;
    await rejectsWith(b.decrypt(META, old3), 'nokey');
    assert.deepEqual(b.receiveEpochs(11), [1]);
    assert.ok(events.some((e) => e.type === 'key-expired' && e.epoch === 0));
    assert.ok(events.some((e) => e.type === 'decrypt-failed' && e.code === 'nokey' && e.senderId === 11n));
});

test('installing a new receive epoch before the sender switches keeps the old one usable', async () => {
    const { a, b, c } = pair({ retainMs: 100 });
    const k0 = generateBaseKey();

    await a.setSendKey(2, 0, k0);
    await b.setReceiveKey(2, 0, k0);
    await b.setReceiveKey(2, 1, generateBaseKey());
    c.t += 10000;                    // no frame under epoch 1 yet: epoch 0 must not expire
    assert.equal((await b.decrypt(META, await a.encrypt(2, 'audio', META, frame(9)))).epoch, 0);
});

test('at most maxEpochs receive epochs per sender; epoch wrap replaces the old KID', async () => {
    const { b } = pair({ maxEpochs: 2 });

    for (let e = 0; e < 4; e++) {
        await b.setReceiveKey(4, e, generateBaseKey());
    }
    assert.deepEqual(b.receiveEpochs(4), [2, 3]);

    const k = generateBaseKey();
    const a = new SFrameKeyring();

    await b.setReceiveKey(4, 258, k);        // same KIDs as epoch 2
    assert.deepEqual(b.receiveEpochs(4), [3, 258]);
    await a.setSendKey(4, 258, k);
    assert.equal((await b.decrypt(META, await a.encrypt(4, 'video', META, frame(9)))).epoch, 258);
});

test('anti-replay: duplicates and too-old counters are refused, reordering is fine', async () => {
    const { a, b, events } = pair({ replayWindow: 16 });
    const bk = generateBaseKey();

    await a.setSendKey(5, 0, bk);
    await b.setReceiveKey(5, 0, bk);

    const frames = [];

    for (let i = 0; i < 40; i++) {
        frames.push(await a.encrypt(5, 'video', META, frame(12)));
    }
    await b.decrypt(META, frames[1]);
    await b.decrypt(META, frames[0]);                  // reordered: accepted
    await rejectsWith(b.decrypt(META, frames[1]), 'replay');
    await b.decrypt(META, frames[30]);
    await rejectsWith(b.decrypt(META, frames[10]), 'replay');     // 20 behind, window 16
    await b.decrypt(META, frames[20]);                 // 10 behind: accepted once
    await rejectsWith(b.decrypt(META, frames[20]), 'replay');

    // a forged frame with a far-ahead CTR must not move the window
    const forged = Uint8Array.from(frames[39]);

    forged[forged.length - 1] ^= 0x80;
    await rejectsWith(b.decrypt(META, forged), 'auth');
    await b.decrypt(META, frames[25]);
    assert.ok(events.filter((e) => e.type === 'decrypt-failed' && e.code === 'replay').length >= 3);

    // without a window the same frame decrypts twice
    const { a: a2, b: b2 } = pair({ replayWindow: 0 });

    await a2.setSendKey(5, 0, bk);
    await b2.setReceiveKey(5, 0, bk);

    const f = await a2.encrypt(5, 'audio', META, frame(3));

    await b2.decrypt(META, f);
    await b2.decrypt(META, f);
});

test('ReplayWindow edge cases', () => {
    const w = new ReplayWindow(4);

    assert.equal(w.accept(0n), true);
    assert.equal(w.accept(0n), false);
    assert.equal(w.accept(100n), true);
    assert.equal(w.check(96n), false);       // 4 behind: outside a window of 4
    assert.equal(w.accept(97n), true);
    assert.equal(w.accept(97n), false);
    assert.equal(w.accept(101n), true);
    assert.equal(w.check(97n), false);
    assert.equal(w.check(98n), true);
});

test('expected sender, wrong metadata, wrong key, garbage', async () => {
    const { a, b, events } = pair();
    const bk = generateBaseKey();

    await a.setSendKey(6, 0, bk);
    await b.setReceiveKey(6, 0, bk);

    const sf = await a.encrypt(6, 'video', META, frame(64));

    await rejectsWith(b.decrypt(META, sf, { senderId: 8 }), 'sender');
    await rejectsWith(b.decrypt(Uint8Array.of(1, 2, 4), sf), 'auth');
    await rejectsWith(b.decrypt(META, new Uint8Array(0)), 'header');
    assert.equal((await b.decrypt(META, sf, { senderId: 6 })).senderId, 6n);

    const c = new SFrameKeyring();

    await c.setReceiveKey(6, 0, generateBaseKey());
    await rejectsWith(c.decrypt(META, sf), 'auth');

    const kinds = events.filter((e) => e.type === 'decrypt-failed').map((e) => e.code);

    assert.deepEqual(kinds, ['sender', 'auth', 'header']);
    assert.ok(events.some((e) => e.type === 'key-added' && e.senderId === 6n && e.epoch === 0));
});

test('no send key, exhausted counter, short base key', async () => {
    const k = new SFrameKeyring();

    await rejectsWith(k.encrypt(undefined, 'audio', META, frame(1)), 'nokey');
    await rejectsWith(k.rotateSendKey(1), 'nokey');
    await assert.rejects(k.setSendKey(1, 0, new Uint8Array(8)), (e) => e.code === 'key');

    await k.setSendKey(1, 0, generateBaseKey());
    k.send.get(1n).active.audio.ctr = (1n << 64n) - 1n;

    const last = await k.encrypt(1, 'audio', META, frame(1));

    assert.equal(decodeHeader(last).ctr, (1n << 64n) - 1n);
    await rejectsWith(k.encrypt(1, 'audio', META, frame(1)), 'counter');
    // two local senders: the sender must be named
    await k.setSendKey(2, 0, generateBaseKey());
    await rejectsWith(k.encrypt(undefined, 'video', META, frame(1)), 'nokey');
    assert.equal(decodeHeader(await k.encrypt(2, 'video', META, frame(1))).kid, makeKid(2, 0, 'video'));
});

test('a listener that throws does not break decryption', async () => {
    const bk = generateBaseKey();
    const a = new SFrameKeyring();
    const b = new SFrameKeyring({ onEvent: () => { throw new Error('listener bug'); } });

    await a.setSendKey(1, 0, bk);
    await b.setReceiveKey(1, 0, bk);
    assert.equal((await b.decrypt(META, await a.encrypt(1, 'audio', META, Uint8Array.of(42)))).plaintext[0], 42);
});

test('group-secret helpers are deterministic and separate senders and epochs', async () => {
    const g1 = await groupSecretFromPassphrase('correct horse', 'room-1', 1000);
    const g2 = await groupSecretFromPassphrase('correct horse', 'room-1', 1000);
    const g3 = await groupSecretFromPassphrase('correct horse', 'room-2', 1000);

    assert.equal(hex(g1), hex(g2));
    assert.notEqual(hex(g1), hex(g3));

    const k = await senderBaseKey(g1, 10, 0);

    assert.equal(k.length, 16);
    assert.equal(hex(k), hex(await senderBaseKey(g2, 10, 0)));
    assert.notEqual(hex(k), hex(await senderBaseKey(g1, 11, 0)));
    assert.notEqual(hex(k), hex(await senderBaseKey(g1, 10, 1)));
});
