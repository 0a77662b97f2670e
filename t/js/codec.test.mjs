// Per-codec framing (html/js/sframe-codec.js) together with the keyring.
import test from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';

import {
    codecRule, clearPrefixLength, splitFrame, joinFrame, vp8IsKeyFrame, e2eeCodecPreferences,
    VP8_KEY_CLEAR, VP8_DELTA_CLEAR,
} from '../../html/js/sframe-codec.js';
import { SFrameKeyring, generateBaseKey } from '../../html/js/sframe-keys.js';
import { decodeHeader, bytesToHex as hex, SFrameError } from '../../html/js/sframe.js';

/** A VP8-looking frame: byte 0 bit 0 is 0 for key frames. */
function vp8Frame(key, size = 200) {
    const b = new Uint8Array(randomBytes(size));

    b[0] = key ? (b[0] & 0xfe) : (b[0] | 0x01);
    if (key && size >= 6) {
        b.set([0x9d, 0x01, 0x2a], 3);        // key-frame start code
    }
    return b;
}

async function keyrings() {
    const bk = generateBaseKey();
    const tx = new SFrameKeyring();
    const rx = new SFrameKeyring();

    await tx.setSendKey(1, 0, bk);
    await rx.setReceiveKey(1, 0, bk);
    return { tx, rx };
}

/** What the transform does on send and on receive, without the streams. */
async function protect(tx, mime, kind, data) {
    const { clear, body } = splitFrame(mime, data, kind);

    return new Uint8Array(joinFrame(clear, await tx.encrypt(1, kind, clear, body)));
}

async function unprotect(rx, mime, kind, data) {
    const { clear, body } = splitFrame(mime, data, kind);

    return new Uint8Array(joinFrame(clear, (await rx.decrypt(clear, body)).plaintext));
}

test('codec rules', () => {
    assert.equal(codecRule('video/VP8').mode, 'prefix');
    assert.equal(codecRule('video/vp9').mode, 'whole');
    assert.equal(codecRule('audio/opus').mode, 'whole');
    assert.equal(codecRule('audio/G722').mode, 'whole');
    assert.equal(codecRule(undefined, 'audio').mode, 'whole');
    for (const m of ['video/H264', 'video/AV1', 'video/H265', 'video/foo', '']) {
        const r = codecRule(m, 'video');

        assert.equal(r.mode, 'refuse', m);
        assert.ok(r.reason.length > 0);
    }
    assert.match(codecRule('video/H264').reason, /NAL/);
    assert.match(codecRule('video/AV1').reason, /OBU/);
});

test('VP8 clear prefix: 10 bytes on key frames, 3 on delta frames', () => {
    assert.equal(vp8IsKeyFrame(0x10), true);
    assert.equal(vp8IsKeyFrame(0x11), false);
    assert.equal(clearPrefixLength('video/VP8', vp8Frame(true)), VP8_KEY_CLEAR);
    assert.equal(clearPrefixLength('video/VP8', vp8Frame(false)), VP8_DELTA_CLEAR);
    assert.equal(VP8_KEY_CLEAR, 10);
    assert.equal(VP8_DELTA_CLEAR, 3);
    assert.equal(clearPrefixLength('video/VP8', vp8Frame(true, 6)), 6);   // truncated frame
    assert.equal(clearPrefixLength('video/VP8', new Uint8Array(0)), 0);
    assert.equal(clearPrefixLength('video/VP9', vp8Frame(true)), 0);
    assert.equal(clearPrefixLength('audio/opus', vp8Frame(true)), 0);
    assert.throws(() => clearPrefixLength('video/H264', vp8Frame(true)), (e) => e instanceof SFrameError && e.code === 'codec');
    assert.throws(() => clearPrefixLength('video/AV1', vp8Frame(true)), (e) => e.code === 'codec');

    const f = vp8Frame(false, 20);
    const { clear, body } = splitFrame('video/VP8', f.buffer);

    assert.equal(clear.length, 3);
    assert.equal(hex(new Uint8Array(joinFrame(clear, body))), hex(f));
});

test('VP8 on the wire: the prefix stays readable, the rest is SFrame, all authenticated', async () => {
    const { tx, rx } = await keyrings();

    for (const key of [true, false]) {
        const n = key ? 10 : 3;
        const pt = vp8Frame(key);
        const wire = await protect(tx, 'video/VP8', 'video', pt);

        // the depacketizer sees the original VP8 header bytes
        assert.equal(hex(wire.subarray(0, n)), hex(pt.subarray(0, n)));
        assert.equal(vp8IsKeyFrame(wire[0]), key);
        // followed by an SFrame of the remaining bytes
        const hdr = decodeHeader(wire.subarray(n));

        assert.equal(wire.length, n + hdr.length + (pt.length - n) + 16);
        assert.notEqual(hex(wire.subarray(n + hdr.length, n + hdr.length + 16)), hex(pt.subarray(n, n + 16)));

        // the clear bytes are metadata: changing any of them breaks authentication
        // (tampered copies first: once the genuine frame is in, anti-replay would answer)
        for (let i = 0; i < n; i++) {
            const t = Uint8Array.from(wire);

            t[i] ^= i === 0 ? 0x02 : 0x01;      // keep byte 0's key bit: same prefix length
            await assert.rejects(unprotect(rx, 'video/VP8', 'video', t), (e) => e.code === 'auth', `byte ${i}`);
        }

        // flipping the key bit changes the prefix length: still rejected
        const t = Uint8Array.from(wire);

        t[0] ^= 0x01;
        await assert.rejects(unprotect(rx, 'video/VP8', 'video', t), (e) => e instanceof SFrameError);

        assert.equal(hex(await unprotect(rx, 'video/VP8', 'video', wire)), hex(pt));
    }
});

test('VP9 and Opus: the whole frame is encrypted', async () => {
    const { tx, rx } = await keyrings();

    for (const [mime, kind] of [['video/VP9', 'video'], ['audio/opus', 'audio']]) {
        const pt = new Uint8Array(randomBytes(120));
        const wire = await protect(tx, mime, kind, pt);
        const hdr = decodeHeader(wire);

        // the SFrame header comes first; no plaintext byte range survives
        assert.equal(wire.length, hdr.length + pt.length + 16);
        assert.notEqual(hex(wire.subarray(hdr.length, hdr.length + 8)), hex(pt.subarray(0, 8)));
        assert.equal(hex(await unprotect(rx, mime, kind, wire)), hex(pt));

        const t = Uint8Array.from(wire);

        t[0] ^= 0x01;                          // CTR inline bit
        await assert.rejects(unprotect(rx, mime, kind, t), (e) => e.code === 'auth');
    }
});

test('H.264 and AV1 are refused on both sides', async () => {
    const { tx, rx } = await keyrings();

    for (const mime of ['video/H264', 'video/AV1']) {
        await assert.rejects(protect(tx, mime, 'video', vp8Frame(true)), (e) => e.code === 'codec');
        await assert.rejects(unprotect(rx, mime, 'video', vp8Frame(true)), (e) => e.code === 'codec');
    }
});

test('codec preferences keep only codecs SFrame can carry, VP8 first', () => {
    const caps = ['video/H264', 'video/AV1', 'video/VP9', 'video/rtx', 'video/VP8', 'video/red',
                  'video/ulpfec', 'video/H264', 'video/VP9'].map((mimeType, i) => ({ mimeType, i }));
    const out = e2eeCodecPreferences(caps);

    assert.deepEqual(out.map((c) => c.mimeType),
                     ['video/VP8', 'video/VP9', 'video/VP9', 'video/rtx', 'video/red', 'video/ulpfec']);
    assert.ok(out.every((c) => caps.includes(c)));      // the same capability objects
});
