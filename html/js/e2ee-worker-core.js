/**
 * The logic of the E2EE worker, free of worker globals so that Node can
 * test it: a keyring, the per-frame SFrame transform with codec rules, per
 * stream counters, and the message protocol with the page.
 *
 * Page -> worker messages (`id` optional; when present a `reply` follows):
 *
 *   { type: 'configure', suite?, retainMs?, replayWindow?, maxEpochs? }   resets all keys
 *   { type: 'setSendKey', senderId, epoch, key, activateAfterMs? }
 *   { type: 'rotateSendKey', senderId, key?, activateAfterMs? }   -> result { epoch, key }
 *   { type: 'activateSendKey', senderId }
 *   { type: 'setReceiveKey', senderId, epoch, key }
 *   { type: 'removeReceiveKeys', senderId }  /  { type: 'removeSendKeys', senderId }
 *   { type: 'stream', streamId?, direction, kind, codec?, senderId?, readable, writable }
 *                                            legacy createEncodedStreams() path
 *   { type: 'closeStream', streamId }
 *   { type: 'getStats' }                      -> result [ stream status, ... ]
 *
 * Worker -> page messages:
 *
 *   { type: 'reply', id, ok: true, result } | { type: 'reply', id, ok: false, error, code }
 *   { type: 'status', stream: { streamId, direction, kind, state, ok, failed, lastError, ... } }
 *        on every state change: new -> ok | failing | refused | closed
 *   { type: 'event', event: { type: 'key-added' | 'epoch-switched' | ... } }   key lifecycle
 *   { type: 'keyframe-request', streamId }    legacy path only (no transformer to ask)
 *
 * Options of a stream (RTCRtpScriptTransform options, or the 'stream'
 * message): direction 'send' | 'recv', kind 'audio' | 'video', streamId,
 * codec (MIME type used when a frame has no getMetadata().mimeType),
 * senderId (send: which local sender's key; recv: accept only that sender).
 *
 * Frames that cannot be protected or authenticated are dropped, never
 * passed on in clear (RFC 9605 §4.4.4).
 *
 * @module e2ee-worker-core
 */

import { SFrameKeyring } from './sframe-keys.js';
import { splitFrame, joinFrame, vp8IsKeyFrame } from './sframe-codec.js';
import { SFrameError } from './sframe.js';

/** Minimum gap between two keyframe requests of one stream (ms). */
export const KEYFRAME_REQUEST_INTERVAL_MS = 300;

/** Key lifecycle events forwarded to the page (per-frame failures are not). */
const FORWARDED_EVENTS = new Set(['send-key', 'send-key-activated', 'key-added', 'key-removed',
                                  'epoch-switched', 'key-expired']);

export class E2EEWorkerCore {
    /**
     * @param {object} opts
     * @param {(msg: object) => void} opts.post   sends a message to the page
     * @param {() => number} [opts.now]           clock in ms
     * @param {object} [opts.keyring]             SFrameKeyring options
     */
    constructor(opts) {
        this.post = opts.post;
        this.now = opts.now ?? (() => Date.now());
        this.keyringOptions = opts.keyring ?? {};
        this.streams = new Map();
        this.nextStream = 1;
        this.resetKeyring(this.keyringOptions);
    }

    resetKeyring(options) {
        this.keyring = new SFrameKeyring({ ...options, now: this.now, onEvent: (ev) => this.onKeyEvent(ev) });
    }

    onKeyEvent(ev) {
        if (FORWARDED_EVENTS.has(ev.type)) {
            this.post({ type: 'event', event: ev });
        }
        if (ev.type === 'key-added') {
            // A key just arrived: streams that were dropping frames need a
            // fresh key frame to resume decoding.
            for (const s of this.streams.values()) {
                if (s.direction === 'recv' && s.state === 'failing') {
                    this.requestKeyFrame(s, true);
                }
            }
        }
        if (ev.type === 'send-key-activated') {
            for (const s of this.streams.values()) {
                if (s.direction === 'send' && s.kind === 'video') {
                    // Absent in Chromium 156; receivers ask instead.
                    s.transformer?.generateKeyFrame?.()?.catch?.(() => {});
                }
            }
        }
    }

    /* -------------------------------------------------------------- */
    /* messages                                                        */

    /**
     * Handle one message from the page.  Resolves when it is processed
     * (tests await this; the worker shell does not need to).
     */
    async handleMessage(msg) {
        try {
            const result = await this.dispatch(msg ?? {});

            if (msg?.id !== undefined) {
                this.post({ type: 'reply', id: msg.id, ok: true, result });
            }
        } catch (e) {
            if (msg?.id !== undefined) {
                this.post({ type: 'reply', id: msg.id, ok: false, error: String(e?.message ?? e), code: e?.code });
            } else {
                this.post({ type: 'error', request: msg?.type, error: String(e?.message ?? e), code: e?.code });
            }
        }
    }

    async dispatch(msg) {
        const k = this.keyring;

        switch (msg.type) {
        case 'configure':
            this.resetKeyring({ ...this.keyringOptions, ...pick(msg, ['suite', 'retainMs', 'replayWindow', 'maxEpochs']) });
            return undefined;
        case 'setSendKey':
            await k.setSendKey(msg.senderId, msg.epoch, msg.key, { activateAfterMs: msg.activateAfterMs });
            return undefined;
        case 'rotateSendKey': {
            const r = await k.rotateSendKey(msg.senderId, msg.key ?? undefined, { activateAfterMs: msg.activateAfterMs });

            return { epoch: r.epoch, key: r.baseKey };
        }
        case 'activateSendKey':
            return k.activatePendingSendKey(msg.senderId);
        case 'setReceiveKey':
            await k.setReceiveKey(msg.senderId, msg.epoch, msg.key);
            return undefined;
        case 'removeReceiveKeys':
            k.removeReceiveKeys(msg.senderId);
            return undefined;
        case 'removeSendKeys':
            k.removeSendKeys(msg.senderId);
            return undefined;
        case 'stream':
            return this.attach(msg.readable, msg.writable, msg, null).streamId;
        case 'closeStream':
            return this.closeStream(msg.streamId);
        case 'getStats':
            return [...this.streams.values()].map(publicStatus);
        default:
            throw new SFrameError('request', `unknown request ${msg.type}`);
        }
    }

    /* -------------------------------------------------------------- */
    /* streams                                                         */

    /**
     * RTCRtpScriptTransform entry point (the worker's onrtctransform).
     * @param {RTCRtpScriptTransformer} transformer
     */
    attachTransformer(transformer) {
        return this.attach(transformer.readable, transformer.writable, transformer.options ?? {}, transformer);
    }

    /**
     * Pipe readable -> SFrame transform -> writable.
     * @returns {object} the stream record
     */
    attach(readable, writable, options, transformer) {
        const direction = options.direction === 'send' ? 'send' : options.direction === 'recv' ? 'recv' : null;
        const kind = options.kind === 'audio' || options.kind === 'video' ? options.kind : null;

        if (!direction || !kind || !readable || !writable) {
            throw new SFrameError('request', 'stream needs direction send|recv, kind audio|video, readable, writable');
        }

        let streamId = options.streamId ?? `${direction}-${kind}-${this.nextStream++}`;

        if (this.streams.has(streamId)) {
            streamId = `${streamId}#${this.nextStream++}`;
        }

        const s = {
            streamId, direction, kind,
            codec: options.codec ?? null,
            senderId: options.senderId ?? null,
            state: 'new', ok: 0, failed: 0, lastError: null, lastCodec: null,
            keyFrameRequests: 0, lastKeyFrameRequest: -Infinity, needKeyFrame: false,
            transformer, abort: new AbortController(),
        };
        const ts = new TransformStream({
            transform: async (frame, controller) => {
                if (await this.transformFrame(s, frame)) {
                    controller.enqueue(frame);
                }
            },
        });

        this.streams.set(streamId, s);
        s.done = readable.pipeThrough(ts, { signal: s.abort.signal }).pipeTo(writable, { signal: s.abort.signal })
            .catch(() => {})
            .finally(() => this.finish(s));
        return s;
    }

    closeStream(streamId) {
        const s = this.streams.get(streamId);

        if (!s) {
            return false;
        }
        s.abort.abort();
        return true;
    }

    finish(s) {
        if (this.streams.get(s.streamId) === s) {
            this.streams.delete(s.streamId);
        }
        this.setState(s, 'closed');
    }

    setState(s, state) {
        if (s.state !== state) {
            s.state = state;
            this.post({ type: 'status', stream: publicStatus(s) });
        }
    }

    /**
     * Protect or unprotect one encoded frame in place.
     * @param {object} s  stream record
     * @param {{data: ArrayBuffer, getMetadata?: () => object}} frame
     * @returns {Promise<boolean>} whether to pass the frame on
     */
    async transformFrame(s, frame) {
        const data = frame.data;

        if (!data || data.byteLength === 0) {
            return true;                      // nothing to protect (e.g. empty video frames)
        }

        let mime = s.codec;

        try {
            mime = frame.getMetadata?.().mimeType || s.codec;
        } catch (e) {
            // no metadata: keep the configured codec
        }
        s.lastCodec = mime ?? null;

        try {
            const { clear, body } = splitFrame(mime, data, s.kind);

            if (s.direction === 'send') {
                frame.data = joinFrame(clear, await this.keyring.encrypt(s.senderId ?? undefined, s.kind, clear, body));
            } else {
                const r = await this.keyring.decrypt(clear, body, { senderId: s.senderId ?? undefined });

                if (r.kind !== s.kind) {
                    throw new SFrameError('kind', `${r.kind} frame on a ${s.kind} stream`);
                }
                frame.data = joinFrame(clear, r.plaintext);
                if (s.needKeyFrame) {
                    this.afterLoss(s, frame, mime, clear);
                }
            }
            s.ok++;
            this.setState(s, 'ok');
            return true;
        } catch (e) {
            s.failed++;
            s.lastError = e?.code ?? 'error';
            this.setState(s, e?.code === 'codec' ? 'refused' : 'failing');
            if (s.direction === 'recv') {
                s.needKeyFrame = s.kind === 'video';
                this.requestKeyFrame(s, false);
            }
            return false;
        }
    }

    /**
     * A frame decrypted after frames were dropped: the decoder cannot use
     * delta frames until a key frame comes, and one request may be lost or
     * throttled on the way to the sender (a PLI sent while the key was
     * still missing yields a key frame that is dropped too), so keep asking,
     * rate-limited, until a key frame gets through.
     */
    afterLoss(s, frame, mime, clear) {
        let key = frame.type === 'key';

        if (frame.type === undefined) {
            // no frame type (tests, old browsers): read VP8's, else stop asking
            key = /^video\/vp8$/i.test(mime ?? '') && clear.length > 0 ? vp8IsKeyFrame(clear[0]) : true;
        }
        if (key) {
            s.needKeyFrame = false;
        } else {
            this.requestKeyFrame(s, false);
        }
    }

    /** Ask the sender for a key frame, at most once per interval per stream. */
    requestKeyFrame(s, force) {
        const t = this.now();

        if (s.kind !== 'video' || (!force && t - s.lastKeyFrameRequest < KEYFRAME_REQUEST_INTERVAL_MS)) {
            return false;
        }
        s.lastKeyFrameRequest = t;
        s.keyFrameRequests++;
        if (s.transformer) {
            try {
                s.transformer.sendKeyFrameRequest?.()?.catch?.(() => {});
            } catch (e) {
                // not negotiated yet, or no such method: nothing to do
            }
        } else {
            this.post({ type: 'keyframe-request', streamId: s.streamId });
        }
        return true;
    }
}

function publicStatus(s) {
    return {
        streamId: s.streamId, direction: s.direction, kind: s.kind, state: s.state,
        ok: s.ok, failed: s.failed, lastError: s.lastError, codec: s.lastCodec ?? s.codec,
        keyFrameRequests: s.keyFrameRequests,
    };
}

function pick(o, keys) {
    const out = {};

    for (const k of keys) {
        if (o[k] !== undefined) {
            out[k] = o[k];
        }
    }
    return out;
}
