// SFrame core (html/js/sframe.js): RFC 9605 test vectors, HKDF, tamper rejection.
import test from 'node:test';
import assert from 'node:assert/strict';
import { hkdfSync, randomBytes } from 'node:crypto';

import {
    CipherSuite, suiteParams, supportedSuites, encodeHeader, decodeHeader, deriveKeyMaterial,
    deriveSFrameKey, importSFrameKey, computeNonce, aeadEncrypt, aeadDecrypt, encryptFrame,
    decryptFrame, hkdfExtract, hkdfExpand, hexToBytes as h, bytesToHex as hex, concatBytes,
    constantTimeEqual, SFrameError,
} from '../../html/js/sframe.js';
import { loadVectors } from './vectors.mjs';

const V = loadVectors();

/** Assert that a promise rejects with an SFrameError of the given code. */
async function rejectsWith(promise, code) {
    await assert.rejects(promise, (e) => {
        assert.ok(e instanceof SFrameError, `expected SFrameError, got ${e}`);
        assert.equal(e.code, code);
        return true;
    });
}

function flipped(bytes, index, mask = 0x01) {
    const b = Uint8Array.from(bytes);

    b[index] ^= mask;
    return b;
}

test('vector file has the expected sections', () => {
    assert.equal(V.header.length, 289);
    assert.equal(V.aes_ctr_hmac.length, 3);
    assert.equal(V.sframe.length, 5);
    // the 64-bit values survived parsing
    assert.ok(V.header.some((v) => v.kid === 0xffffffffffffffffn && v.ctr === 0xffffffffffffffffn));
});

test('header vectors: encode and decode all 289', () => {
    for (const v of V.header) {
        const enc = encodeHeader(v.kid, v.ctr);

        assert.equal(hex(enc), v.encoded, `encode kid=${v.kid} ctr=${v.ctr}`);

        const bytes = h(v.encoded);
        const d = decodeHeader(concatBytes(bytes, h('abcdef')));

        assert.deepEqual(d, { kid: v.kid, ctr: v.ctr, length: bytes.length },
                         `decode ${v.encoded}`);
    }
});

test('header: every KID/CTR length form round-trips', () => {
    for (let klen = 0; klen <= 8; klen++) {
        for (let clen = 0; clen <= 8; clen++) {
            const kid = klen ? (1n << BigInt(8 * klen - 1)) : 5n;
            const ctr = clen ? (1n << BigInt(8 * clen)) - 1n : 7n;
            const enc = encodeHeader(kid, ctr);

            assert.equal(enc.length, 1 + klen + clen);
            assert.deepEqual(decodeHeader(enc), { kid, ctr, length: enc.length });
        }
    }
});

test('header: malformed and out-of-range input', () => {
    assert.throws(() => decodeHeader(new Uint8Array(0)), (e) => e.code === 'header');
    // X=1 with K=7 announces an 8-byte KID; only 3 bytes follow
    assert.throws(() => decodeHeader(h('f0010203')), (e) => e.code === 'header');
    // Y=1 with C=1 announces a 2-byte CTR; 1 byte follows
    assert.throws(() => decodeHeader(h('0901')), (e) => e.code === 'header');
    assert.throws(() => encodeHeader(1n << 64n, 0), RangeError);
    assert.throws(() => encodeHeader(0, -1), RangeError);
    // a non-minimal encoding still decodes (KID 1 in one extended byte)
    assert.deepEqual(decodeHeader(h('8001')), { kid: 1n, ctr: 0n, length: 2 });
});

test('HKDF matches RFC 5869 test case 1 and node:crypto', async () => {
    const prk = await hkdfExtract('SHA-256', h('000102030405060708090a0b0c'), new Uint8Array(22).fill(0x0b));

    assert.equal(hex(prk), '077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5');

    const okm = await hkdfExpand('SHA-256', prk, h('f0f1f2f3f4f5f6f7f8f9'), 42);

    assert.equal(hex(okm), '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865');

    for (const [hash, nodeHash] of [['SHA-256', 'sha256'], ['SHA-512', 'sha512']]) {
        for (const len of [1, 12, 32, 48, 64, 100]) {
            const ikm = randomBytes(32);
            const info = randomBytes(20);
            const mine = await hkdfExpand(hash, await hkdfExtract(hash, null, ikm), info, len);
            const ref = new Uint8Array(hkdfSync(nodeHash, ikm, Buffer.alloc(0), info, len));

            assert.equal(hex(mine), hex(ref), `${hash} L=${len}`);
        }
    }
});

test('AES-CTR-HMAC vectors (suites 1-3)', async () => {
    for (const v of V.aes_ctr_hmac) {
        const s = suiteParams(v.cipher_suite);
        const keyBytes = h(v.key);

        // §4.5.1 split of the AEAD key into the AES and HMAC keys
        assert.equal(hex(keyBytes.subarray(0, s.nka)), v.enc_key);
        assert.equal(hex(keyBytes.subarray(s.nka)), v.auth_key);

        const key = await importSFrameKey(v.cipher_suite, 0, keyBytes, new Uint8Array(s.nn));
        const nonce = h(v.nonce);
        const aad = h(v.aad);
        const ct = await aeadEncrypt(key, nonce, aad, h(v.pt));

        assert.equal(hex(ct), v.ct, `suite ${v.cipher_suite} encrypt`);
        assert.equal(hex(await aeadDecrypt(key, nonce, aad, h(v.ct))), v.pt);

        await rejectsWith(aeadDecrypt(key, nonce, aad, flipped(h(v.ct), h(v.ct).length - 1)), 'auth');
        await rejectsWith(aeadDecrypt(key, nonce, flipped(aad, 0), h(v.ct)), 'auth');
        await rejectsWith(aeadDecrypt(key, flipped(nonce, 11), aad, h(v.ct)), 'auth');
        await rejectsWith(aeadDecrypt(key, nonce, aad, flipped(h(v.ct), 0)), 'auth');
    }
});

test('SFrame vectors: key schedule, nonce, AAD, encrypt, decrypt (suites 1-5)', async () => {
    const seen = new Set();

    for (const v of V.sframe) {
        seen.add(v.cipher_suite);

        const m = await deriveKeyMaterial(v.cipher_suite, v.kid, h(v.base_key));

        assert.equal(hex(m.keyLabel), v.sframe_key_label);
        assert.equal(hex(m.saltLabel), v.sframe_salt_label);
        assert.equal(hex(m.secret), v.sframe_secret);
        assert.equal(hex(m.key), v.sframe_key);
        assert.equal(hex(m.salt), v.sframe_salt);
        assert.equal(hex(computeNonce(m.salt, v.ctr)), v.nonce);
        assert.equal(hex(concatBytes(encodeHeader(v.kid, v.ctr), h(v.metadata))), v.aad);

        const key = await deriveSFrameKey(v.cipher_suite, v.kid, h(v.base_key));
        const ct = await encryptFrame(key, v.ctr, h(v.metadata), h(v.pt));

        assert.equal(hex(ct), v.ct, `suite ${v.cipher_suite} encrypt`);

        const r = await decryptFrame((kid) => (kid === v.kid ? key : undefined), h(v.metadata), h(v.ct));

        assert.equal(hex(r.plaintext), v.pt);
        assert.equal(r.kid, v.kid);
        assert.equal(r.ctr, v.ctr);
    }
    assert.deepEqual([...seen].sort(), supportedSuites().sort());
});

test('SFrame vectors: tampering with header, KID, CTR, tag, ciphertext or metadata fails', async () => {
    for (const v of V.sframe) {
        const key = await deriveSFrameKey(v.cipher_suite, v.kid, h(v.base_key));
        const anyKid = () => key;              // a store that would hand out this key for any KID
        const ct = h(v.ct);
        const meta = h(v.metadata);
        const hlen = decodeHeader(ct).length;
        const body = ct.subarray(hlen);

        // every bit of the header (config byte, KID and CTR bytes)
        for (let i = 0; i < hlen; i++) {
            for (let bit = 0; bit < 8; bit++) {
                const t = flipped(ct, i, 1 << bit);
                let hdr;

                try {
                    hdr = decodeHeader(t);
                } catch (e) {
                    continue;                  // no longer parses: rejected anyway
                }
                await assert.rejects(decryptFrame(anyKid, meta, t), (e) => e instanceof SFrameError
                                     && (e.code === 'auth' || e.code === 'header'),
                                     `suite ${v.cipher_suite} byte ${i} bit ${bit} (kid ${hdr.kid})`);
            }
        }

        // a different CTR with the same KID
        await rejectsWith(decryptFrame(anyKid, meta, concatBytes(encodeHeader(v.kid, v.ctr + 1n), body)), 'auth');

        // a different KID whose key is derived from the same base key
        const other = v.kid ^ 1n;
        const otherKey = await deriveSFrameKey(v.cipher_suite, other, h(v.base_key));

        await rejectsWith(decryptFrame(() => otherKey, meta, concatBytes(encodeHeader(other, v.ctr), body)), 'auth');
        // ... and the same key relabelled with another KID
        await rejectsWith(decryptFrame(anyKid, meta, concatBytes(encodeHeader(other, v.ctr), body)), 'auth');
        // unknown KID
        await rejectsWith(decryptFrame(() => undefined, meta, ct), 'nokey');

        // tag, ciphertext, metadata, truncation
        await rejectsWith(decryptFrame(anyKid, meta, flipped(ct, ct.length - 1)), 'auth');
        await rejectsWith(decryptFrame(anyKid, meta, flipped(ct, hlen)), 'auth');
        await rejectsWith(decryptFrame(anyKid, flipped(meta, 0), ct), 'auth');
        await rejectsWith(decryptFrame(anyKid, new Uint8Array(0), ct), 'auth');
        await rejectsWith(decryptFrame(anyKid, meta, ct.subarray(0, ct.length - 1)), 'auth');
        await rejectsWith(decryptFrame(anyKid, meta, ct.subarray(0, hlen + 2)), 'auth');
        // the right key for the right KID still works after all that
        assert.equal(hex((await decryptFrame(anyKid, meta, ct)).plaintext), v.pt);
    }
});

test('round trip on every suite, with overhead = header + tag', async () => {
    for (const id of supportedSuites()) {
        const s = suiteParams(id);
        const key = await deriveSFrameKey(id, 0x1234n, randomBytes(16));

        for (const size of [0, 1, 15, 16, 17, 1200, 30000]) {
            const pt = new Uint8Array(randomBytes(size));
            const meta = new Uint8Array(randomBytes(size % 11));
            const ctr = BigInt(size) * 7919n;
            const sf = await encryptFrame(key, ctr, meta, pt);

            assert.equal(sf.length, encodeHeader(0x1234n, ctr).length + size + s.nt);
            if (size >= 16) {
                assert.notEqual(hex(sf.subarray(sf.length - s.nt - size, sf.length - s.nt)), hex(pt));
            }

            const r = await decryptFrame(() => key, meta, sf);

            assert.equal(hex(r.plaintext), hex(pt), `${s.name} size ${size}`);
        }
    }
});

test('suite table matches RFC 9605 §4.5', () => {
    const expect = {
        [CipherSuite.AES_128_CTR_HMAC_SHA256_80]: [48, 12, 10],
        [CipherSuite.AES_128_CTR_HMAC_SHA256_64]: [48, 12, 8],
        [CipherSuite.AES_128_CTR_HMAC_SHA256_32]: [48, 12, 4],
        [CipherSuite.AES_128_GCM_SHA256_128]: [16, 12, 16],
        [CipherSuite.AES_256_GCM_SHA512_128]: [32, 12, 16],
    };

    for (const [id, [nk, nn, nt]] of Object.entries(expect)) {
        const s = suiteParams(Number(id));

        assert.deepEqual([s.nk, s.nn, s.nt], [nk, nn, nt], s.name);
    }
    assert.throws(() => suiteParams(6), (e) => e.code === 'suite');
});

test('importSFrameKey rejects wrong key or salt length', async () => {
    await rejectsWith(importSFrameKey(4, 0, new Uint8Array(32), new Uint8Array(12)), 'key');
    await rejectsWith(importSFrameKey(1, 0, new Uint8Array(48), new Uint8Array(11)), 'key');
});

test('constantTimeEqual', () => {
    assert.equal(constantTimeEqual(h('0102'), h('0102')), true);
    assert.equal(constantTimeEqual(h('0102'), h('0103')), false);
    assert.equal(constantTimeEqual(h('0102'), h('01')), false);
});
