/**
 * Page-side helpers: run SFrame on RTCPeerConnection senders and receivers
 * through the E2EE worker, with whichever encoded-transform API the
 * browser has.
 *
 * Contract for the page:
 *
 *  1. Create one E2EESession per page and pass `session.rtcConfig(config)`
 *     to `new RTCPeerConnection(...)`.  On the legacy path this adds
 *     `encodedInsertableStreams: true`, which that path requires (Chrome
 *     holds media until the encoded streams exist); with
 *     RTCRtpScriptTransform the config is returned unchanged.
 *  2. Attach transforms BEFORE negotiation: `attachSender()` right after
 *     addTrack()/addTransceiver() and before createOffer()/createAnswer();
 *     `attachReceiver()` in `ontrack` (it fires inside
 *     setRemoteDescription, before the answer) or right after
 *     addTransceiver().  Chrome silently ignores a transform set once media
 *     flows, and the media then goes out UNENCRYPTED.
 *  3. Keep the negotiated video codec to VP8 or VP9 (preferE2EECodecs()):
 *     H.264 and AV1 frames are refused by the worker and dropped.
 *  4. Install keys with setSendKey()/setReceiveKey(); until a key exists,
 *     frames are dropped, never sent in clear.  Key distribution is the
 *     application's job (sframe-keys.js has group-secret helpers).
 *
 * @module e2ee-transform
 */

import { e2eeCodecPreferences } from './sframe-codec.js';

export { e2eeCodecPreferences };

/**
 * Which encoded-transform API this browser offers.
 * @param {object} [g]  global object (injectable for tests)
 * @returns {'script'|'legacy'|null}  RTCRtpScriptTransform preferred
 */
export function detectTransformApi(g = globalThis) {
    if (typeof g.RTCRtpScriptTransform === 'function') {
        return 'script';
    }
    if (g.RTCRtpSender?.prototype && 'createEncodedStreams' in g.RTCRtpSender.prototype) {
        return 'legacy';
    }
    return null;
}

/**
 * Reorder (and filter) a transceiver's codecs so that only codecs SFrame can
 * carry through this browser are negotiated, VP8 first.  Call before
 * negotiation.  No-op where setCodecPreferences is missing.
 * @param {RTCRtpTransceiver} transceiver
 * @param {object} [g]
 */
export function preferE2EECodecs(transceiver, g = globalThis) {
    const kind = transceiver.receiver?.track?.kind;

    if (kind !== 'video' || typeof transceiver.setCodecPreferences !== 'function') {
        return false;
    }

    const caps = g.RTCRtpReceiver?.getCapabilities?.('video');

    if (!caps) {
        return false;
    }
    transceiver.setCodecPreferences(e2eeCodecPreferences(caps.codecs));
    return true;
}

export class E2EESession {
    /**
     * @param {object} [opts]
     * @param {Worker} [opts.worker]          an e2ee-worker.js module worker (created if absent)
     * @param {'script'|'legacy'} [opts.api]  force an API (default: detect)
     * @param {(stream: object) => void} [opts.onStatus]   per-stream state changes
     * @param {(event: object) => void} [opts.onEvent]     key lifecycle events
     * @param {(streamId: string) => void} [opts.onKeyFrameRequest]
     *        legacy path only: a receive stream needs a key frame; the app
     *        can ask the sender through signalling
     * @param {object} [opts.global]          global object (tests)
     */
    constructor(opts = {}) {
        const g = opts.global ?? globalThis;

        this.g = g;
        this.api = opts.api ?? detectTransformApi(g);
        if (!this.api) {
            throw new Error('this browser has no WebRTC encoded transform API');
        }
        this.worker = opts.worker
            ?? new g.Worker(new URL('./e2ee-worker.js', import.meta.url), { type: 'module', name: 'e2ee' });
        this.onStatus = opts.onStatus ?? (() => {});
        this.onEvent = opts.onEvent ?? (() => {});
        this.onKeyFrameRequest = opts.onKeyFrameRequest ?? (() => {});
        this.pending = new Map();
        this.nextId = 1;
        this.nextStream = 1;
        this.worker.onmessage = (ev) => this.onMessage(ev.data);
    }

    /** RTCPeerConnection configuration for the chosen API (see contract 1). */
    rtcConfig(config = {}) {
        return this.api === 'legacy' ? { ...config, encodedInsertableStreams: true } : { ...config };
    }

    onMessage(msg) {
        switch (msg?.type) {
        case 'reply': {
            const p = this.pending.get(msg.id);

            if (p) {
                this.pending.delete(msg.id);
                if (msg.ok) {
                    p.resolve(msg.result);
                } else {
                    p.reject(Object.assign(new Error(msg.error), { code: msg.code }));
                }
            }
            break;
        }
        case 'status':
            this.onStatus(msg.stream);
            break;
        case 'event':
            this.onEvent(msg.event);
            break;
        case 'keyframe-request':
            this.onKeyFrameRequest(msg.streamId);
            break;
        case 'error':
            this.onEvent({ type: 'error', ...msg });
            break;
        default:
            break;
        }
    }

    /** Send a request to the worker; resolves with its result. */
    request(type, fields = {}, transfer = []) {
        const id = this.nextId++;

        return new Promise((resolve, reject) => {
            this.pending.set(id, { resolve, reject });
            this.worker.postMessage({ ...fields, type, id }, transfer);
        });
    }

    /** Cipher suite and key-retention settings; drops every installed key. */
    configure(settings) {
        return this.request('configure', settings);
    }

    /** This page's key for sending, as senderId at an epoch. */
    setSendKey(senderId, epoch, key, activateAfterMs = 0) {
        return this.request('setSendKey', { senderId, epoch, key, activateAfterMs });
    }

    /**
     * Move to the next epoch; resolves with { epoch, key } to distribute.
     * With activateAfterMs > 0 the old key stays in use that long.
     */
    rotateSendKey(senderId, key = undefined, activateAfterMs = 0) {
        return this.request('rotateSendKey', { senderId, key, activateAfterMs });
    }

    activateSendKey(senderId) {
        return this.request('activateSendKey', { senderId });
    }

    /** A remote sender's key at an epoch. */
    setReceiveKey(senderId, epoch, key) {
        return this.request('setReceiveKey', { senderId, epoch, key });
    }

    removeReceiveKeys(senderId) {
        return this.request('removeReceiveKeys', { senderId });
    }

    /** Per-stream counters: [{ streamId, direction, kind, state, ok, failed, ... }]. */
    getStats() {
        return this.request('getStats');
    }

    /**
     * Encrypt what this sender sends.  Call before negotiation.
     * @param {RTCRtpSender} sender
     * @param {{kind?: string, streamId?: string, senderId?: *, codec?: string}} [opts]
     * @returns {string} the stream id used in status reports
     */
    attachSender(sender, opts = {}) {
        return this.attach(sender, 'send', opts);
    }

    /**
     * Decrypt what this receiver receives.  Call before negotiation
     * completes (e.g. in ontrack).  opts.senderId restricts the stream to
     * one sender's keys.
     * @param {RTCRtpReceiver} receiver
     * @returns {string} the stream id
     */
    attachReceiver(receiver, opts = {}) {
        return this.attach(receiver, 'recv', opts);
    }

    attach(endpoint, direction, opts) {
        const kind = opts.kind ?? endpoint.track?.kind;

        if (kind !== 'audio' && kind !== 'video') {
            throw new Error('attach: media kind unknown; pass { kind }');
        }

        const options = {
            direction, kind,
            streamId: opts.streamId ?? `${direction}-${kind}-${this.nextStream++}`,
        };

        for (const k of ['senderId', 'codec']) {
            if (opts[k] !== undefined) {
                options[k] = opts[k];
            }
        }
        if (this.api === 'script') {
            if (endpoint.transform) {
                throw new Error(`attach: ${direction} already has a transform`);
            }
            endpoint.transform = new this.g.RTCRtpScriptTransform(this.worker, options);
        } else {
            // Throws InvalidStateError if called twice or too late.
            const { readable, writable } = endpoint.createEncodedStreams();

            this.worker.postMessage({ type: 'stream', ...options, readable, writable }, [readable, writable]);
        }
        return options.streamId;
    }

    /** Stop the worker; transforms stop with it. */
    close() {
        this.worker.terminate();
        for (const p of this.pending.values()) {
            p.reject(new Error('E2EE session closed'));
        }
        this.pending.clear();
    }
}
