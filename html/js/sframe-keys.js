/**
 * SFrame key management for the demo pages: per-sender keys indexed by KID,
 * send counters, key rotation and anti-replay.
 *
 * KID layout (choice of this project, in the spirit of RFC 9605 §5.2):
 *
 *     KID = senderId << 9 | (epoch mod 256) << 1 | kind      kind: 0 audio, 1 video
 *
 *  - senderId identifies the sending participant (e.g. the Janus publisher
 *    id, < 2^55).  It must be unique per sending session: a sender that
 *    comes back with the same senderId and the same base key would restart
 *    its counters and reuse nonces, so use fresh ids or fresh base keys.
 *  - epoch is the key generation of that sender; only its low 8 bits travel
 *    in the KID, and at most a few epochs of a sender coexist, so wrapping
 *    is harmless (installing epoch e replaces whatever held e mod 256).
 *  - kind separates audio from video.  RFC 9605 derives the key and salt
 *    from the KID, so audio and video of one sender use different keys and
 *    never share a (key, nonce) pair even though both counters start at 0.
 *
 * Send counters live with the send key, not with a stream, so every stream
 * that encrypts under one KID in this keyring (several video tracks,
 * simulcast layers) shares one counter.  Use one keyring (one worker) per
 * page for sending.
 *
 * Rotation without renegotiation: a sender installs a new epoch (optionally
 * activated later, so receivers can install it first, RFC 9605 §4.4.1);
 * receivers keep the previous epochs until `retainMs` after the first frame
 * under a newer epoch decrypts, then drop them.
 *
 * @module sframe-keys
 */

import {
    DEFAULT_SUITE, SFrameError, suiteParams, deriveSFrameKey, encryptFrame, decryptFrame,
    decodeHeader, toBytes, bytesToHex, concatBytes, encodeBigEndian,
} from './sframe.js';

export const KIND_AUDIO = 0;
export const KIND_VIDEO = 1;
export const EPOCH_BITS = 8;
export const MAX_SENDER_ID = (1n << 55n) - 1n;

const U64_MAX = (1n << 64n) - 1n;
const EPOCH_MASK = (1n << BigInt(EPOCH_BITS)) - 1n;
const encoder = new TextEncoder();

/** @param {'audio'|'video'|number} kind */
function kindBit(kind) {
    if (kind === 'audio' || kind === KIND_AUDIO) {
        return KIND_AUDIO;
    }
    if (kind === 'video' || kind === KIND_VIDEO) {
        return KIND_VIDEO;
    }
    throw new TypeError(`bad media kind ${kind}`);
}

function toSenderId(id) {
    const v = BigInt(id);

    if (v < 0n || v > MAX_SENDER_ID) {
        throw new RangeError(`senderId out of range: ${id}`);
    }
    return v;
}

function toEpoch(epoch) {
    if (!Number.isInteger(epoch) || epoch < 0 || epoch > 0xffffffff) {
        throw new RangeError(`epoch must be an integer in [0, 2^32): ${epoch}`);
    }
    return epoch;
}

/**
 * KID of a sender's stream kind at an epoch.
 * @param {bigint|number} senderId
 * @param {number} epoch
 * @param {'audio'|'video'} kind
 * @returns {bigint}
 */
export function makeKid(senderId, epoch, kind) {
    return (toSenderId(senderId) << BigInt(EPOCH_BITS + 1))
        | ((BigInt(toEpoch(epoch)) & EPOCH_MASK) << 1n) | BigInt(kindBit(kind));
}

/**
 * Inverse of makeKid (epoch only in its low bits).
 * @returns {{senderId: bigint, epochLow: number, kind: 'audio'|'video'}}
 */
export function parseKid(kid) {
    const k = BigInt(kid);

    return {
        senderId: k >> BigInt(EPOCH_BITS + 1),
        epochLow: Number((k >> 1n) & EPOCH_MASK),
        kind: (k & 1n) ? 'video' : 'audio',
    };
}

/** A fresh random base key (16 bytes by default). */
export function generateBaseKey(length = 16) {
    return globalThis.crypto.getRandomValues(new Uint8Array(length));
}

/**
 * Group secret from a passphrase shared out of band (demo key distribution):
 * PBKDF2-SHA-256, salted with a room name.
 * @param {string} passphrase
 * @param {string} room
 * @returns {Promise<Uint8Array>} 32 bytes
 */
export async function groupSecretFromPassphrase(passphrase, room, iterations = 100000) {
    const subtle = globalThis.crypto.subtle;
    const k = await subtle.importKey('raw', encoder.encode(passphrase), 'PBKDF2', false, ['deriveBits']);
    const salt = encoder.encode(`ngx_webrtc e2ee room ${room}`);

    return new Uint8Array(await subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations },
                                                   k, 256));
}

/**
 * Base key of one sender at one epoch, derived from a group secret with
 * HKDF-SHA-256 (info = label || senderId(u64) || epoch(u32)).  Everyone
 * holding the group secret can compute every sender's key, so this protects
 * against the server, not against other members.
 * @returns {Promise<Uint8Array>} 16 bytes
 */
export async function senderBaseKey(groupSecret, senderId, epoch) {
    const subtle = globalThis.crypto.subtle;
    const k = await subtle.importKey('raw', toBytes(groupSecret), 'HKDF', false, ['deriveBits']);
    const info = concatBytes(encoder.encode('ngx_webrtc sframe sender '),
                             encodeBigEndian(toSenderId(senderId), 8), encodeBigEndian(toEpoch(epoch), 4));

    return new Uint8Array(await subtle.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info },
                                                   k, 128));
}

async function keyDigest(suite, baseKey) {
    const d = await globalThis.crypto.subtle.digest('SHA-256', concatBytes(encodeBigEndian(suite, 2), baseKey));

    return bytesToHex(new Uint8Array(d));
}

/**
 * Sliding anti-replay window over counters of one receive key (the idea of
 * RFC 9605 §9.3, like SRTP's): a counter may lag the highest one seen by
 * less than `size`, and each counter is accepted once.
 */
export class ReplayWindow {
    /** @param {number} size  window in frames, > 0 */
    constructor(size) {
        this.size = BigInt(size);
        this.mask = (1n << this.size) - 1n;
        this.highest = -1n;
        this.bits = 0n;          // bit i set: counter (highest - i) seen
    }

    /** Whether `ctr` would be accepted now (no state change). */
    check(ctr) {
        if (ctr > this.highest) {
            return true;
        }

        const d = this.highest - ctr;

        return d < this.size && ((this.bits >> d) & 1n) === 0n;
    }

    /** Mark `ctr` seen; false if it was not acceptable. */
    accept(ctr) {
        if (!this.check(ctr)) {
            return false;
        }
        if (ctr > this.highest) {
            const shift = ctr - this.highest;

            this.bits = shift >= this.size ? 1n : ((this.bits << shift) | 1n) & this.mask;
            this.highest = ctr;
        } else {
            this.bits |= 1n << (this.highest - ctr);
        }
        return true;
    }
}

/**
 * @typedef {object} KeyringEvent
 * @property {string} type  'send-key' | 'send-key-activated' | 'key-added' | 'key-removed'
 *                          | 'epoch-switched' | 'key-expired' | 'decrypt-failed'
 * @property {bigint} [senderId]
 * @property {number} [epoch]
 * @property {bigint} [kid]
 * @property {string} [code]   for 'decrypt-failed': auth | nokey | replay | header | sender
 */

/**
 * Keys of one endpoint: its own send keys and the receive keys of others.
 * Each key is used for encryption or for decryption, never both.
 */
export class SFrameKeyring {
    /**
     * @param {object} [opts]
     * @param {number} [opts.suite]          cipher suite, default AES_128_GCM_SHA256_128
     * @param {number} [opts.retainMs]       how long old receive epochs stay after a newer one is used
     * @param {number} [opts.maxEpochs]      receive epochs kept per sender at most
     * @param {number} [opts.replayWindow]   anti-replay window in frames, 0 to disable
     * @param {() => number} [opts.now]      clock in ms (injectable for tests)
     * @param {(ev: KeyringEvent) => void} [opts.onEvent]
     */
    constructor(opts = {}) {
        this.suite = suiteParams(opts.suite ?? DEFAULT_SUITE).id;
        this.retainMs = opts.retainMs ?? 5000;
        this.maxEpochs = opts.maxEpochs ?? 3;
        this.replayWindow = opts.replayWindow ?? 128;
        this.now = opts.now ?? (() => Date.now());
        this.onEvent = opts.onEvent ?? (() => {});

        /** senderId -> { active, pending, seq } ; active/pending: { epoch, audio, video, activateAt } */
        this.send = new Map();
        /** send KID -> { digest, entry } : counters survive a re-install of the same key */
        this.sendHistory = new Map();
        /** receive KID -> entry */
        this.recv = new Map();
        this.installSeq = 0;
        this.nextExpiry = Infinity;     // earliest expiresAt among receive keys
    }

    emit(ev) {
        try {
            this.onEvent(ev);
        } catch (e) {
            // a faulty listener must not break the media path
        }
    }

    /* -------------------------------------------------------------- */
    /* sending                                                         */

    async makeSendEntry(senderId, epoch, kind, baseKey) {
        const kid = makeKid(senderId, epoch, kind);
        const key = await deriveSFrameKey(this.suite, kid, baseKey);
        const digest = await keyDigest(this.suite, baseKey);
        const old = this.sendHistory.get(kid);

        if (old && old.digest === digest) {
            // Same KID and key again: continue its counter, never restart it.
            return old.entry;
        }

        const entry = { kid, key, ctr: 0n };

        this.sendHistory.set(kid, { digest, entry });
        return entry;
    }

    /**
     * Install this endpoint's send key for an epoch (audio and video KIDs).
     * @param {bigint|number} senderId
     * @param {number} epoch
     * @param {Uint8Array} baseKey
     * @param {{activateAfterMs?: number}} [opts]  > 0: keep encrypting with the
     *        current key that long, so receivers can install the new one first
     */
    async setSendKey(senderId, epoch, baseKey, opts = {}) {
        const sid = toSenderId(senderId);
        const bk = checkBaseKey(baseKey);
        const st = this.send.get(sid) ?? { active: null, pending: null, seq: 0 };
        const seq = ++st.seq;

        this.send.set(sid, st);

        const gen = {
            epoch,
            audio: await this.makeSendEntry(sid, epoch, 'audio', bk),
            video: await this.makeSendEntry(sid, epoch, 'video', bk),
            activateAt: this.now() + (opts.activateAfterMs ?? 0),
        };

        if (seq !== st.seq) {
            return;                   // a later setSendKey call superseded this one
        }
        if (!st.active || !(opts.activateAfterMs > 0)) {
            st.active = gen;
            st.pending = null;
            this.emit({ type: 'send-key-activated', senderId: sid, epoch });
        } else {
            st.pending = gen;
            this.emit({ type: 'send-key', senderId: sid, epoch });
        }
    }

    /**
     * Next epoch with a new base key (random unless given).
     * @returns {Promise<{epoch: number, baseKey: Uint8Array}>} what receivers need
     */
    async rotateSendKey(senderId, baseKey = generateBaseKey(), opts = {}) {
        const st = this.send.get(toSenderId(senderId));
        const cur = st?.pending ?? st?.active;

        if (!cur) {
            throw new SFrameError('nokey', `no send key for sender ${senderId} to rotate`);
        }

        const epoch = cur.epoch + 1;

        await this.setSendKey(senderId, epoch, baseKey, opts);
        return { epoch, baseKey };
    }

    /** Switch to a pending send key now. */
    activatePendingSendKey(senderId) {
        const sid = toSenderId(senderId);
        const st = this.send.get(sid);

        if (st?.pending) {
            st.active = st.pending;
            st.pending = null;
            this.emit({ type: 'send-key-activated', senderId: sid, epoch: st.active.epoch });
            return true;
        }
        return false;
    }

    /** Epoch currently used for sending, or undefined. */
    sendEpoch(senderId) {
        return this.send.get(toSenderId(senderId))?.active?.epoch;
    }

    /** The only local sender when there is exactly one. */
    defaultSender() {
        return this.send.size === 1 ? this.send.keys().next().value : undefined;
    }

    /**
     * Encrypt one frame for `senderId`'s stream of `kind`.
     * @param {bigint|number|undefined} senderId  undefined: the only local sender
     * @param {'audio'|'video'} kind
     * @param {Uint8Array} metadata  clear bytes to authenticate
     * @param {Uint8Array} plaintext
     * @returns {Promise<Uint8Array>} the SFrame
     */
    encrypt(senderId, kind, metadata, plaintext) {
        const sid = senderId === undefined || senderId === null ? this.defaultSender() : toSenderId(senderId);
        const st = sid === undefined ? undefined : this.send.get(sid);

        if (st?.pending && this.now() >= st.pending.activateAt) {
            this.activatePendingSendKey(sid);
        }

        const entry = st?.active?.[kindBit(kind) === KIND_VIDEO ? 'video' : 'audio'];

        if (!entry) {
            return Promise.reject(new SFrameError('nokey', 'no send key'));
        }
        if (entry.ctr > U64_MAX) {
            return Promise.reject(new SFrameError('counter', 'SFrame counter exhausted; rotate the key'));
        }

        // Reserve the counter synchronously: concurrent calls never share one.
        const ctr = entry.ctr++;

        return encryptFrame(entry.key, ctr, metadata, plaintext);
    }

    /* -------------------------------------------------------------- */
    /* receiving                                                       */

    /**
     * Install the receive keys (audio and video) of a sender's epoch.
     * A key already held under the same KID (epoch mod 256) is replaced.
     */
    async setReceiveKey(senderId, epoch, baseKey) {
        const sid = toSenderId(senderId);
        const bk = checkBaseKey(baseKey);
        const seq = ++this.installSeq;
        const entries = [];

        for (const kind of ['audio', 'video']) {
            const kid = makeKid(sid, epoch, kind);

            entries.push({
                kid, senderId: sid, epoch, kind, seq,
                key: await deriveSFrameKey(this.suite, kid, bk),
                expiresAt: Infinity,
                used: false,
                replay: this.replayWindow > 0 ? new ReplayWindow(this.replayWindow) : null,
            });
        }
        for (const e of entries) {
            this.recv.set(e.kid, e);
        }
        this.trimEpochs(sid);
        this.emit({ type: 'key-added', senderId: sid, epoch });
    }

    /** Keep at most maxEpochs epochs of a sender (by install order). */
    trimEpochs(sid) {
        const seqs = [...new Set(this.entriesOf(sid).map((e) => e.seq))].sort((a, b) => b - a);

        for (const old of seqs.slice(this.maxEpochs)) {
            this.dropWhere((e) => e.senderId === sid && e.seq === old, 'key-expired');
        }
    }

    entriesOf(sid) {
        return [...this.recv.values()].filter((e) => e.senderId === sid);
    }

    dropWhere(pred, type) {
        const gone = new Map();

        for (const [kid, e] of this.recv) {
            if (pred(e)) {
                this.recv.delete(kid);
                gone.set(`${e.senderId}/${e.seq}`, e);
            }
        }
        for (const e of gone.values()) {
            this.emit({ type, senderId: e.senderId, epoch: e.epoch });
        }
    }

    /** Forget a sender's receive keys (participant left). */
    removeReceiveKeys(senderId) {
        const sid = toSenderId(senderId);

        this.dropWhere((e) => e.senderId === sid, 'key-removed');
    }

    /** Forget a local sender's send keys. */
    removeSendKeys(senderId) {
        this.send.delete(toSenderId(senderId));
    }

    /** Drop receive epochs whose retention ran out. */
    prune() {
        const t = this.now();

        if (t < this.nextExpiry) {
            return;                      // the common case: nothing to look at
        }
        this.dropWhere((e) => e.expiresAt <= t, 'key-expired');
        this.nextExpiry = Math.min(Infinity, ...[...this.recv.values()].map((e) => e.expiresAt));
    }

    /** Receive epochs held for a sender, oldest first. */
    receiveEpochs(senderId) {
        const sid = toSenderId(senderId);
        const bySeq = new Map(this.entriesOf(sid).map((e) => [e.seq, e.epoch]));

        return [...bySeq.entries()].sort((a, b) => a[0] - b[0]).map((x) => x[1]);
    }

    /**
     * Decrypt one SFrame.  On failure emits 'decrypt-failed' and rejects with
     * an SFrameError (code auth | nokey | replay | header | sender); the caller
     * must drop the frame (RFC 9605 §4.4.4).
     * @param {Uint8Array} metadata
     * @param {Uint8Array} sframe
     * @param {{senderId?: bigint|number}} [opts]  accept only this sender's KIDs
     * @returns {Promise<{plaintext: Uint8Array, kid: bigint, ctr: bigint,
     *                    senderId: bigint, epoch: number, kind: string}>}
     */
    async decrypt(metadata, sframe, opts = {}) {
        let entry;

        try {
            const expect = opts.senderId === undefined || opts.senderId === null
                ? undefined : toSenderId(opts.senderId);

            this.prune();

            const res = await decryptFrame((kid, ctr) => {
                entry = this.recv.get(kid);
                if (expect !== undefined && parseKid(kid).senderId !== expect) {
                    throw new SFrameError('sender', `KID ${kid} is not from sender ${expect}`, { kid, ctr });
                }
                if (entry?.replay && !entry.replay.check(ctr)) {
                    throw new SFrameError('replay', `SFrame counter ${ctr} replayed or too old`, { kid, ctr });
                }
                return entry?.key;
            }, metadata, sframe);

            // Only authenticated frames move the window.
            if (entry.replay && !entry.replay.accept(res.ctr)) {
                throw new SFrameError('replay', `SFrame counter ${res.ctr} replayed`, { kid: res.kid, ctr: res.ctr });
            }
            if (!entry.used) {
                this.firstUse(entry);
            }
            return { plaintext: res.plaintext, kid: res.kid, ctr: res.ctr,
                     senderId: entry.senderId, epoch: entry.epoch, kind: entry.kind };
        } catch (e) {
            const err = e instanceof SFrameError ? e : new SFrameError('header', String(e?.message ?? e));

            if (err.kid === undefined) {
                try {
                    err.kid = decodeHeader(toBytes(sframe)).kid;
                } catch (x) {
                    // header unreadable: no KID to report
                }
            }
            this.emit({ type: 'decrypt-failed', code: err.code, kid: err.kid, ctr: err.ctr,
                        senderId: err.kid !== undefined ? parseKid(err.kid).senderId : undefined });
            throw err;
        }
    }

    /* The sender switched to this entry's epoch: start the clock on older ones. */
    firstUse(entry) {
        const t = this.now() + this.retainMs;
        let switched = false;

        for (const e of this.recv.values()) {
            if (e.senderId === entry.senderId) {
                if (e.seq === entry.seq) {
                    e.used = true;
                } else if (e.seq < entry.seq && e.expiresAt === Infinity) {
                    e.expiresAt = t;
                    this.nextExpiry = Math.min(this.nextExpiry, t);
                    switched = true;
                }
            }
        }
        this.emit({ type: 'epoch-switched', senderId: entry.senderId, epoch: entry.epoch, retiring: switched });
    }
}

function checkBaseKey(baseKey) {
    const b = toBytes(baseKey);

    if (b.length < 16) {
        throw new SFrameError('key', 'SFrame base key shorter than 16 bytes');
    }
    return Uint8Array.from(b);
}
