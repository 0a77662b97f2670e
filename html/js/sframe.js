/**
 * SFrame (RFC 9605) core on WebCrypto: header codec, key schedule, the
 * AEADs of all five registered cipher suites, and frame encrypt/decrypt.
 *
 * Plain ES module without dependencies; runs in a window, a (module) worker
 * and Node >= 20 (globalThis.crypto).  KID and CTR are unsigned 64-bit
 * values and are handled as BigInt; functions accept a Number too.
 *
 * This module holds no state: key stores and counters live in
 * sframe-keys.js.
 *
 * @module sframe
 */

const subtle = globalThis.crypto.subtle;
const encoder = new TextEncoder();

const U64_MAX = (1n << 64n) - 1n;

/** Registered cipher suite identifiers (RFC 9605 §8.1). */
export const CipherSuite = Object.freeze({
    AES_128_CTR_HMAC_SHA256_80: 0x0001,
    AES_128_CTR_HMAC_SHA256_64: 0x0002,
    AES_128_CTR_HMAC_SHA256_32: 0x0003,
    AES_128_GCM_SHA256_128: 0x0004,
    AES_256_GCM_SHA512_128: 0x0005,
});

/**
 * @typedef {object} SuiteParams
 * @property {number} id     registry value
 * @property {string} name
 * @property {'ctr'|'gcm'} aead  AES-CTR + HMAC (§4.5.1) or AES-GCM
 * @property {string} hash   WebCrypto hash name for HKDF (and HMAC)
 * @property {number} nh     hash output length
 * @property {number} nk     AEAD key length (for CTR suites: Nka + Nh)
 * @property {number} nka    AES key length inside a CTR suite key
 * @property {number} nn     nonce length
 * @property {number} nt     tag length
 */

/** @type {Map<number, SuiteParams>} */
const SUITES = new Map();

function defineSuite(id, name, aead, hash, nh, nka, nk, nt) {
    SUITES.set(id, Object.freeze({ id, name, aead, hash, nh, nka, nk, nn: 12, nt }));
}

defineSuite(0x0001, 'AES_128_CTR_HMAC_SHA256_80', 'ctr', 'SHA-256', 32, 16, 48, 10);
defineSuite(0x0002, 'AES_128_CTR_HMAC_SHA256_64', 'ctr', 'SHA-256', 32, 16, 48, 8);
defineSuite(0x0003, 'AES_128_CTR_HMAC_SHA256_32', 'ctr', 'SHA-256', 32, 16, 48, 4);
defineSuite(0x0004, 'AES_128_GCM_SHA256_128', 'gcm', 'SHA-256', 32, 16, 16, 16);
defineSuite(0x0005, 'AES_256_GCM_SHA512_128', 'gcm', 'SHA-512', 64, 32, 32, 16);

/** The suite RFC 9605 makes mandatory to implement. */
export const DEFAULT_SUITE = CipherSuite.AES_128_GCM_SHA256_128;

/**
 * Parameters of a cipher suite.
 * @param {number} id
 * @returns {SuiteParams}
 */
export function suiteParams(id) {
    const s = SUITES.get(id);

    if (!s) {
        throw new SFrameError('suite', `unknown SFrame cipher suite ${id}`);
    }
    return s;
}

/** All suite identifiers this module implements. */
export function supportedSuites() {
    return [...SUITES.keys()];
}

/**
 * Error with a machine-readable code:
 * `header` (malformed), `nokey` (unknown KID), `auth` (authentication
 * failed), `replay` (counter already seen or too old), `counter` (send
 * counter exhausted), `suite`, `key` (bad key material), `sender` (KID of
 * an unexpected sender), `kind` (audio KID on a video stream or the
 * reverse), `codec` (codec refused), `request` (bad worker request).
 */
export class SFrameError extends Error {
    /**
     * @param {string} code
     * @param {string} message
     * @param {object} [details]  e.g. { kid, ctr }
     */
    constructor(code, message, details = {}) {
        super(message);
        this.name = 'SFrameError';
        this.code = code;
        Object.assign(this, details);
    }
}

/* ------------------------------------------------------------------ */
/* byte helpers                                                        */

/** @param {ArrayBuffer|ArrayBufferView} b */
export function toBytes(b) {
    if (b instanceof Uint8Array) {
        return b;
    }
    if (ArrayBuffer.isView(b)) {
        return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    }
    if (b instanceof ArrayBuffer) {
        return new Uint8Array(b);
    }
    throw new TypeError('expected bytes');
}

/** @param {...Uint8Array} parts */
export function concatBytes(...parts) {
    let len = 0;

    for (const p of parts) {
        len += p.length;
    }

    const out = new Uint8Array(len);
    let off = 0;

    for (const p of parts) {
        out.set(p, off);
        off += p.length;
    }
    return out;
}

export function hexToBytes(hex) {
    if (hex.length % 2 !== 0 || /[^0-9a-f]/i.test(hex)) {
        throw new TypeError('bad hex string');
    }

    const out = new Uint8Array(hex.length / 2);

    for (let i = 0; i < out.length; i++) {
        out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
    }
    return out;
}

export function bytesToHex(b) {
    return Array.from(toBytes(b), (x) => x.toString(16).padStart(2, '0')).join('');
}

/** Big-endian encoding of an unsigned integer into exactly `len` bytes. */
export function encodeBigEndian(value, len) {
    let v = BigInt(value);
    const out = new Uint8Array(len);

    for (let i = len - 1; i >= 0; i--) {
        out[i] = Number(v & 0xffn);
        v >>= 8n;
    }
    if (v !== 0n) {
        throw new RangeError(`${value} does not fit in ${len} bytes`);
    }
    return out;
}

function decodeBigEndian(bytes, off, len) {
    let v = 0n;

    for (let i = 0; i < len; i++) {
        v = (v << 8n) | BigInt(bytes[off + i]);
    }
    return v;
}

function toU64(value, what) {
    const v = BigInt(value);

    if (v < 0n || v > U64_MAX) {
        throw new RangeError(`${what} out of range: ${value}`);
    }
    return v;
}

/** Minimal number of bytes for an unsigned value (at least 1). */
function minLength(v) {
    let n = 1;

    while (v > 0xffn) {
        v >>= 8n;
        n++;
    }
    return n;
}

/** Constant-time comparison: the run time does not depend on where bytes differ. */
export function constantTimeEqual(a, b) {
    if (a.length !== b.length) {
        return false;
    }

    let diff = 0;

    for (let i = 0; i < a.length; i++) {
        diff |= a[i] ^ b[i];
    }
    return diff === 0;
}

/* ------------------------------------------------------------------ */
/* header (RFC 9605 §4.3)                                              */

/*
 * Config byte |X|K(3)|Y|C(3)|.  A KID (CTR) below 8 fits in K (C) with
 * X (Y) = 0; otherwise X (Y) = 1, K (C) holds length-1 and the value
 * follows in that many big-endian bytes, KID first.
 */

/**
 * Encode an SFrame header with minimal-length KID and CTR fields.
 * @param {bigint|number} kid
 * @param {bigint|number} ctr
 * @returns {Uint8Array}
 */
export function encodeHeader(kid, ctr) {
    const k = toU64(kid, 'KID');
    const c = toU64(ctr, 'CTR');
    const klen = k < 8n ? 0 : minLength(k);
    const clen = c < 8n ? 0 : minLength(c);
    const out = new Uint8Array(1 + klen + clen);

    out[0] = (klen ? 0x80 | ((klen - 1) << 4) : Number(k) << 4)
             | (clen ? 0x08 | (clen - 1) : Number(c));

    if (klen) {
        out.set(encodeBigEndian(k, klen), 1);
    }
    if (clen) {
        out.set(encodeBigEndian(c, clen), 1 + klen);
    }
    return out;
}

/**
 * Decode the SFrame header at the start of `data`.
 * Non-minimal encodings are accepted; the raw header bytes (not a
 * re-encoding) are what the AAD covers.
 * @param {Uint8Array} data
 * @returns {{kid: bigint, ctr: bigint, length: number}}
 */
export function decodeHeader(data) {
    const b = toBytes(data);

    if (b.length < 1) {
        throw new SFrameError('header', 'empty SFrame');
    }

    const cfg = b[0];
    const klen = cfg & 0x80 ? ((cfg >> 4) & 0x07) + 1 : 0;
    const clen = cfg & 0x08 ? (cfg & 0x07) + 1 : 0;
    const length = 1 + klen + clen;

    if (b.length < length) {
        throw new SFrameError('header', 'truncated SFrame header');
    }

    const kid = klen ? decodeBigEndian(b, 1, klen) : BigInt((cfg >> 4) & 0x07);
    const ctr = clen ? decodeBigEndian(b, 1 + klen, clen) : BigInt(cfg & 0x07);

    return { kid, ctr, length };
}

/* ------------------------------------------------------------------ */
/* HKDF (RFC 5869) on HMAC, so that Extract and Expand are separate    */
/* steps as in RFC 9605 §4.4.2 (WebCrypto's HKDF always does both).    */

async function hmac(hash, key, data) {
    const k = await subtle.importKey('raw', key, { name: 'HMAC', hash }, false, ['sign']);

    return new Uint8Array(await subtle.sign('HMAC', k, data));
}

/**
 * HKDF-Extract(salt, IKM); an empty salt means HashLen zero bytes.
 * @param {string} hash  'SHA-256' | 'SHA-512'
 */
export async function hkdfExtract(hash, salt, ikm) {
    const hashLen = hash === 'SHA-512' ? 64 : 32;
    const s = salt && salt.length ? salt : new Uint8Array(hashLen);

    return hmac(hash, s, toBytes(ikm));
}

/** HKDF-Expand(PRK, info, L). */
export async function hkdfExpand(hash, prk, info, length) {
    const k = await subtle.importKey('raw', prk, { name: 'HMAC', hash }, false, ['sign']);
    const out = new Uint8Array(length);
    let t = new Uint8Array(0);
    let off = 0;

    for (let i = 1; off < length; i++) {
        if (i > 255) {
            throw new RangeError('HKDF-Expand length too large');
        }
        t = new Uint8Array(await subtle.sign('HMAC', k, concatBytes(t, toBytes(info), Uint8Array.of(i))));
        out.set(t.subarray(0, Math.min(t.length, length - off)), off);
        off += t.length;
    }
    return out;
}

/* ------------------------------------------------------------------ */
/* key schedule (RFC 9605 §4.4.2)                                      */

function label(prefix, kid, suite) {
    return concatBytes(encoder.encode(prefix), encodeBigEndian(kid, 8), encodeBigEndian(suite, 2));
}

/**
 * Derive the per-KID key and salt from a base key, with every
 * intermediate value (the test vectors check them all).
 * @param {number} suite
 * @param {bigint|number} kid
 * @param {Uint8Array} baseKey
 */
export async function deriveKeyMaterial(suite, kid, baseKey) {
    const s = suiteParams(suite);
    const k = toU64(kid, 'KID');
    const keyLabel = label('SFrame 1.0 Secret key ', k, s.id);
    const saltLabel = label('SFrame 1.0 Secret salt ', k, s.id);
    const secret = await hkdfExtract(s.hash, null, toBytes(baseKey));
    const key = await hkdfExpand(s.hash, secret, keyLabel, s.nk);
    const salt = await hkdfExpand(s.hash, secret, saltLabel, s.nn);

    return { keyLabel, saltLabel, secret, key, salt };
}

/**
 * @typedef {object} SFrameKey
 * @property {SuiteParams} suite
 * @property {bigint} kid
 * @property {Uint8Array} salt
 * @property {CryptoKey} [gcmKey]   GCM suites
 * @property {CryptoKey} [encKey]   CTR suites: AES-CTR key
 * @property {CryptoKey} [authKey]  CTR suites: HMAC key
 */

/**
 * Import a raw SFrame key (`sframe_key`) and salt into WebCrypto keys.
 * The keys are non-extractable.
 * @returns {Promise<SFrameKey>}
 */
export async function importSFrameKey(suite, kid, key, salt) {
    const s = suiteParams(suite);
    const raw = toBytes(key);
    const out = { suite: s, kid: toU64(kid, 'KID'), salt: Uint8Array.from(toBytes(salt)) };

    if (raw.length !== s.nk || out.salt.length !== s.nn) {
        throw new SFrameError('key', 'bad key or salt length for suite');
    }
    if (s.aead === 'gcm') {
        out.gcmKey = await subtle.importKey('raw', raw, 'AES-GCM', false, ['encrypt', 'decrypt']);
    } else {
        // §4.5.1: the first Nka bytes are the AES key, the rest the HMAC key.
        out.encKey = await subtle.importKey('raw', raw.subarray(0, s.nka), 'AES-CTR', false,
                                            ['encrypt', 'decrypt']);
        out.authKey = await subtle.importKey('raw', raw.subarray(s.nka),
                                             { name: 'HMAC', hash: s.hash }, false, ['sign']);
    }
    return out;
}

/**
 * Base key -> ready-to-use SFrame key for one KID.
 * @returns {Promise<SFrameKey>}
 */
export async function deriveSFrameKey(suite, kid, baseKey) {
    const m = await deriveKeyMaterial(suite, kid, baseKey);

    return importSFrameKey(suite, kid, m.key, m.salt);
}

/* ------------------------------------------------------------------ */
/* nonce and AEAD                                                      */

/**
 * nonce = salt XOR big-endian(CTR, Nn), as corrected by RFC errata 8321.
 * @param {Uint8Array} salt
 * @param {bigint|number} ctr
 */
export function computeNonce(salt, ctr) {
    const c = encodeBigEndian(toU64(ctr, 'CTR'), salt.length);
    const out = new Uint8Array(salt.length);

    for (let i = 0; i < salt.length; i++) {
        out[i] = salt[i] ^ c[i];
    }
    return out;
}

/* §4.5.1: HMAC over len(aad) || len(ct) || Nt (8 bytes each) || nonce || aad || ct. */
async function ctrHmacTag(key, nonce, aad, ct) {
    const s = key.suite;
    const data = concatBytes(encodeBigEndian(aad.length, 8), encodeBigEndian(ct.length, 8),
                             encodeBigEndian(s.nt, 8), nonce, aad, ct);
    const tag = new Uint8Array(await subtle.sign('HMAC', key.authKey, data));

    return tag.subarray(0, s.nt);
}

function ctrParams(nonce) {
    // The 16-byte AES-CTR block is nonce || 32-bit block counter starting at 0.
    return { name: 'AES-CTR', counter: concatBytes(nonce, new Uint8Array(4)), length: 32 };
}

/**
 * AEAD.Encrypt of the key's suite; returns ciphertext || tag.
 * @param {SFrameKey} key
 */
export async function aeadEncrypt(key, nonce, aad, plaintext) {
    if (key.suite.aead === 'gcm') {
        return new Uint8Array(await subtle.encrypt(
            { name: 'AES-GCM', iv: nonce, additionalData: aad, tagLength: key.suite.nt * 8 },
            key.gcmKey, plaintext));
    }

    const ct = new Uint8Array(await subtle.encrypt(ctrParams(nonce), key.encKey, plaintext));
    const tag = await ctrHmacTag(key, nonce, aad, ct);

    return concatBytes(ct, tag);
}

/**
 * AEAD.Decrypt of the key's suite; throws SFrameError('auth') when the
 * tag does not verify.
 * @param {SFrameKey} key
 */
export async function aeadDecrypt(key, nonce, aad, ciphertext) {
    const s = key.suite;

    if (ciphertext.length < s.nt) {
        throw new SFrameError('auth', 'SFrame ciphertext shorter than its tag');
    }
    if (s.aead === 'gcm') {
        try {
            return new Uint8Array(await subtle.decrypt(
                { name: 'AES-GCM', iv: nonce, additionalData: aad, tagLength: s.nt * 8 },
                key.gcmKey, ciphertext));
        } catch (e) {
            throw new SFrameError('auth', 'SFrame authentication failed');
        }
    }

    const ct = ciphertext.subarray(0, ciphertext.length - s.nt);
    const tag = ciphertext.subarray(ciphertext.length - s.nt);
    const expect = await ctrHmacTag(key, nonce, aad, ct);

    // Encrypt-then-MAC: nothing is decrypted before the tag verifies.
    if (!constantTimeEqual(tag, expect)) {
        throw new SFrameError('auth', 'SFrame authentication failed');
    }
    return new Uint8Array(await subtle.decrypt(ctrParams(nonce), key.encKey, ct));
}

/* ------------------------------------------------------------------ */
/* frames (RFC 9605 §4.4.3, §4.4.4)                                    */

/**
 * Encrypt one frame: header || AEAD(key, nonce, header || metadata, pt).
 * The caller owns the counter and must never repeat it under one key.
 * @param {SFrameKey} key
 * @param {bigint|number} ctr
 * @param {Uint8Array} metadata  authenticated, not sent (e.g. clear codec bytes)
 * @param {Uint8Array} plaintext
 * @returns {Promise<Uint8Array>}
 */
export async function encryptFrame(key, ctr, metadata, plaintext) {
    const header = encodeHeader(key.kid, ctr);
    const nonce = computeNonce(key.salt, ctr);
    const aad = concatBytes(header, toBytes(metadata));
    const ct = await aeadEncrypt(key, nonce, aad, toBytes(plaintext));

    return concatBytes(header, ct);
}

/**
 * Decrypt one SFrame.
 * @param {(kid: bigint, ctr: bigint) => (SFrameKey|undefined)} lookup
 *        returns the receive key for a KID, or undefined
 * @param {Uint8Array} metadata
 * @param {Uint8Array} sframe  header || ciphertext || tag
 * @returns {Promise<{kid: bigint, ctr: bigint, plaintext: Uint8Array, key: SFrameKey}>}
 */
export async function decryptFrame(lookup, metadata, sframe) {
    const b = toBytes(sframe);
    const { kid, ctr, length } = decodeHeader(b);
    const key = lookup(kid, ctr);

    if (!key) {
        throw new SFrameError('nokey', `no SFrame key for KID ${kid}`, { kid, ctr });
    }

    const header = b.subarray(0, length);
    const nonce = computeNonce(key.salt, ctr);
    const aad = concatBytes(header, toBytes(metadata));

    try {
        const plaintext = await aeadDecrypt(key, nonce, aad, b.subarray(length));

        return { kid, ctr, plaintext, key };
    } catch (e) {
        if (e instanceof SFrameError) {
            e.kid = kid;
            e.ctr = ctr;
        }
        throw e;
    }
}
