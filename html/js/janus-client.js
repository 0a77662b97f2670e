/**
 * A small Janus API client for the demo pages: sessions and plugin handles
 * over WebSocket (subprotocol janus-protocol) or HTTP long-poll, one
 * RTCPeerConnection per handle, and end-to-end encryption the way the
 * Janus community spells it.
 *
 *     import { connect } from './janus-client.js';
 *
 *     const session = await connect('ws://127.0.0.1:8080/janus');   // or http://...
 *     const echo = await session.attach('janus.plugin.echotest', {
 *         onremotetrack: (track, info) => { ... },
 *         onwebrtcup: () => { ... },
 *     });
 *     const offer = await echo.createOffer({
 *         stream,                                   // what to send
 *         receive: { audio: true, video: true },    // what to receive (sendrecv)
 *         sframe: { outgoingId: 1, incomingId: 1, sharedKey: 'passphrase' },
 *     });                                           // offer.e2ee === true
 *     const { data, jsep } = await echo.send({ audio: true, video: true }, offer);
 *     await echo.handleRemoteJsep(jsep);
 *
 * End-to-end encryption options (createOffer / createAnswer):
 *
 *  - senderTransforms / receiverTransforms: { audio, video }, each an
 *    RTCRtpScriptTransform (the standard API: Chrome, Firefox, Safari), a
 *    TransformStream (Chrome's legacy createEncodedStreams path), or a
 *    function ({ kind, direction }) returning one of those, for handles with
 *    several senders or receivers of a kind.
 *  - sframe: { outgoingId, incomingId, sharedKey, keyPair? }: SFrame
 *    (RFC 9605) run by this library in a worker (e2ee-transform.js).
 *    outgoingId is the sender id of what this handle sends (in a VideoRoom,
 *    the publisher's participant id); incomingId the sender id of what it
 *    receives (a subscription's feed id; for the EchoTest, the same as
 *    outgoingId).  sharedKey is a passphrase (string, stretched with
 *    PBKDF2; `context`, e.g. the room, salts it) or a group secret of at
 *    least 16 bytes.  Each sender's SFrame base key is derived from it and
 *    from the sender id, so KIDs (and keys) differ per sender and kind.
 *    keyPair (per-frame signatures in earlier SFrame drafts) is not part of
 *    RFC 9605: passing one is refused rather than silently ignored.
 *
 *  When either is given, offers and answers carry `e2ee: true`, and the
 *  handle stays E2EE (as the server's flag is sticky).  Every kind the
 *  handle sends or receives must then be covered by a transform or by
 *  sframe: the library refuses rather than let one kind flow in clear.
 *  Transforms are attached before negotiation, since Chrome ignores a
 *  transform set once media flows (and then sends in clear).
 *
 *  An incoming offer flagged e2ee (jsep.e2ee, e.g. a VideoRoom
 *  subscription) is shown to the app in the event's jsep; createAnswer()
 *  refuses it unless receive transforms or sframe are supplied.
 *
 * Replies: send() resolves with the plugin's answer { data, jsep } (the
 * synchronous `success`, or the asynchronous `event` carrying the same
 * transaction, whichever order ack and event arrive in), and rejects with
 * a JanusError for core errors and plugin error_code replies.  Plugin
 * events that answer no request go to the handle's onmessage(data, jsep).
 *
 * @module janus-client
 */

import { E2EESession, detectTransformApi, e2eeCodecPreferences } from './e2ee-transform.js';
import { groupSecretFromPassphrase, senderBaseKey } from './sframe-keys.js';

const REQUEST_TIMEOUT_MS = 30000;
const KEEPALIVE_MS = 25000;
const AUDIO_LEVEL_EXT = 'urn:ietf:params:rtp-hdrext:ssrc-audio-level';

export class JanusError extends Error {
    /**
     * @param {number|string} code   Janus or plugin error code, or a word for local errors
     * @param {string} reason
     */
    constructor(code, reason, details = {}) {
        super(`${reason} (${code})`);
        this.name = 'JanusError';
        this.code = code;
        this.reason = reason;
        Object.assign(this, details);
    }
}

function randomTransaction() {
    const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
    const r = globalThis.crypto.getRandomValues(new Uint8Array(12));

    return Array.from(r, (b) => abc[b % abc.length]).join('');
}

/* ------------------------------------------------------------------ */
/* transports: both hand every JSON message they receive to `deliver`  */

class WebSocketTransport {
    constructor(url, deliver, onlost) {
        this.url = url;
        this.deliver = deliver;
        this.onlost = onlost;
        this.name = 'websocket';
    }

    open(timeoutMs) {
        return new Promise((resolve, reject) => {
            const ws = new WebSocket(this.url, 'janus-protocol');
            const timer = setTimeout(() => {
                ws.close();
                reject(new JanusError('transport', `WebSocket ${this.url}: no answer`));
            }, timeoutMs);

            this.ws = ws;
            ws.onopen = () => {
                clearTimeout(timer);
                resolve();
            };
            ws.onerror = () => {
                clearTimeout(timer);
                reject(new JanusError('transport', `WebSocket ${this.url}: cannot connect`));
            };
            ws.onmessage = (ev) => {
                let msg;

                try {
                    msg = JSON.parse(ev.data);
                } catch (e) {
                    return;                      // not JSON: nothing a Janus server sends
                }
                this.deliver(msg);
            };
            ws.onclose = (ev) => {
                if (!this.closing) {
                    this.onlost(`WebSocket closed (${ev.code})`);
                }
            };
        });
    }

    /** The reply comes back through deliver(), matched by transaction. */
    async send(msg) {
        if (this.ws?.readyState !== WebSocket.OPEN) {
            throw new JanusError('transport', 'WebSocket is not open');
        }
        this.ws.send(JSON.stringify(msg));
    }

    /** A session lives only on its socket; nothing to start or stop. */
    startEvents() {}

    stopEvents() {}

    close() {
        this.closing = true;
        this.ws?.close(1000);
    }
}

class HttpTransport {
    constructor(url, deliver, onlost, opts) {
        this.url = url.replace(/\/+$/, '');
        this.deliver = deliver;
        this.onlost = onlost;
        this.opts = opts;
        this.name = 'http';
        this.stopped = false;
    }

    async open() {}

    /** POST to the path the request's level needs; the reply is delivered like any event. */
    async send(msg) {
        let path = '';

        if (msg.session_id !== undefined && msg.janus !== 'claim') {
            path += `/${msg.session_id}`;
            if (msg.handle_id !== undefined) {
                path += `/${msg.handle_id}`;
            }
        }

        const r = await fetch(this.url + path, {
            method: 'POST',
            headers: { 'Content-Type': 'application/json' },
            body: JSON.stringify(msg),
        });

        if (!r.ok) {
            throw new JanusError('transport', `HTTP ${r.status} from ${this.url + path}`);
        }
        this.deliver(await r.json());
    }

    /** Long poll for the session's events until close(). */
    startEvents(sessionId) {
        this.abort = new AbortController();
        this.poll(sessionId);
    }

    async poll(sessionId) {
        let failures = 0;

        while (!this.stopped) {
            const q = new URLSearchParams({ rid: String(Date.now()), maxev: '10' });

            for (const k of ['apisecret', 'token']) {
                if (this.opts[k]) {
                    q.set(k, this.opts[k]);
                }
            }
            try {
                const r = await fetch(`${this.url}/${sessionId}?${q}`, { signal: this.abort.signal });

                if (!r.ok) {
                    // 404: the server forgot the session; no point in polling on
                    throw new JanusError('transport', `long poll: HTTP ${r.status}`, { fatal: r.status === 404 });
                }

                const body = await r.json();

                failures = 0;
                for (const msg of Array.isArray(body) ? body : [body]) {
                    this.deliver(msg);
                }
            } catch (e) {
                if (this.stopped) {
                    return;
                }
                if (e.fatal || ++failures > 3) {
                    this.onlost(`long poll failed: ${e.message}`);
                    return;
                }
                await new Promise((r) => setTimeout(r, 250 * failures));
            }
        }
    }

    /** Stop polling; requests still go out (destroy must not race a poll). */
    stopEvents() {
        this.stopped = true;
        this.abort?.abort();
    }

    close() {
        this.stopEvents();
    }
}

/* ------------------------------------------------------------------ */
/* sessions                                                            */

/**
 * Connect and create a session.
 * @param {string} server  ws(s)://…/janus or http(s)://…/janus
 * @param {object} [opts]
 * @param {string} [opts.apisecret]
 * @param {string} [opts.token]
 * @param {number} [opts.keepAliveMs]   default 25 s, as janus.js
 * @param {(reason: string) => void} [opts.onclose]  the session is gone
 * @returns {Promise<JanusSession>}
 */
export async function connect(server, opts = {}) {
    const session = new JanusSession(server, opts);

    await session.open();
    return session;
}

export class JanusSession {
    constructor(server, opts = {}) {
        this.server = server;
        this.opts = opts;
        this.id = null;
        this.handles = new Map();
        this.pending = new Map();
        this.onclose = opts.onclose ?? (() => {});
        this.e2eeSession = null;
        this.closed = false;

        const deliver = (msg) => this.dispatch(msg);
        const lost = (why) => this.lost(why);

        this.transport = /^wss?:/i.test(server)
            ? new WebSocketTransport(server, deliver, lost)
            : new HttpTransport(server, deliver, lost, opts);
    }

    /** 'websocket' or 'http' */
    get transportName() {
        return this.transport.name;
    }

    async open() {
        await this.transport.open(this.opts.connectTimeoutMs ?? 10000);

        const r = await this.request({ janus: 'create' });

        this.id = r.data.id;
        this.transport.startEvents(this.id);
        this.keepalive = setInterval(() => {
            this.request({ janus: 'keepalive', session_id: this.id }).catch(() => {});
        }, this.opts.keepAliveMs ?? KEEPALIVE_MS);
    }

    /**
     * Send a request; resolves with the reply that settles it.
     * @param {object} msg
     * @param {{async?: boolean, timeoutMs?: number}} [o]  async: an `ack`
     *        only acknowledges; the answer is an `event` (or `success`)
     */
    request(msg, o = {}) {
        if (this.closed && msg.janus !== 'destroy') {
            return Promise.reject(new JanusError('closed', 'session closed'));
        }

        const transaction = randomTransaction();
        const full = { ...msg, transaction };

        for (const k of ['apisecret', 'token']) {
            if (this.opts[k]) {
                full[k] = this.opts[k];
            }
        }

        return new Promise((resolve, reject) => {
            const timer = setTimeout(() => {
                this.pending.delete(transaction);
                reject(new JanusError('timeout', `no reply to ${msg.janus}`));
            }, o.timeoutMs ?? REQUEST_TIMEOUT_MS);

            this.pending.set(transaction, {
                async: !!o.async,
                resolve: (m) => { clearTimeout(timer); resolve(m); },
                reject: (e) => { clearTimeout(timer); reject(e); },
            });
            this.transport.send(full).catch((e) => {
                const p = this.pending.get(transaction);

                this.pending.delete(transaction);
                p?.reject(e);
            });
        });
    }

    /** Route one message from the server. */
    dispatch(msg) {
        const p = msg.transaction !== undefined ? this.pending.get(msg.transaction) : undefined;

        switch (msg.janus) {
        case 'ack':
            if (p && !p.async) {
                this.pending.delete(msg.transaction);
                p.resolve(msg);
            }
            return;
        case 'success':
        case 'server_info':
        case 'pong':
            if (p) {
                this.pending.delete(msg.transaction);
                p.resolve(msg);
            }
            return;
        case 'error':
            if (p) {
                this.pending.delete(msg.transaction);
                p.reject(new JanusError(msg.error?.code ?? 'error', msg.error?.reason ?? 'error'));
            }
            return;
        case 'keepalive':
            return;                              // an idle long poll
        case 'timeout':
            this.lost('session timed out');
            return;
        case 'event':
            if (p) {
                this.pending.delete(msg.transaction);
                p.resolve(msg);
                return;
            }
            break;
        default:
            break;
        }

        this.handles.get(msg.sender)?.onServerMessage(msg);
    }

    lost(why) {
        if (this.closed) {
            return;
        }
        this.shutdown(new JanusError('closed', why));
        this.onclose(why);
    }

    shutdown(err) {
        this.closed = true;
        clearInterval(this.keepalive);
        for (const p of this.pending.values()) {
            p.reject(err);
        }
        this.pending.clear();
        for (const h of this.handles.values()) {
            h.closePeerConnection();
        }
        this.handles.clear();
        this.transport.close();
        this.e2eeSession?.close();
        this.e2eeSession = null;
    }

    /** Server information (Janus `info`). */
    async info() {
        return this.request({ janus: 'info' });
    }

    /**
     * Attach to a plugin.
     * @param {string} plugin  e.g. 'janus.plugin.echotest'
     * @param {object} [callbacks]  onmessage(data, jsep, msg), onwebrtcup(),
     *        onmedia(msg), onhangup(reason), ondetached(), onslowlink(msg),
     *        onlocaltrack(track), onremotetrack(track, info) with info
     *        { mid, transceiver, streamId }, onremovetrack(track, info),
     *        one2eestatus(status), onconnectionstate(state)
     * @returns {Promise<JanusHandle>}
     */
    async attach(plugin, callbacks = {}) {
        const msg = { janus: 'attach', session_id: this.id, plugin };

        if (callbacks.opaqueId) {
            msg.opaque_id = callbacks.opaqueId;
        }

        const r = await this.request(msg);
        const h = new JanusHandle(this, r.data.id, plugin, callbacks);

        this.handles.set(h.id, h);
        return h;
    }

    /** Destroy the session on the server and close everything here. */
    async destroy() {
        if (this.closed) {
            return;
        }
        // A poll still open when the session goes would come back 404.
        this.transport.stopEvents();
        try {
            await this.request({ janus: 'destroy', session_id: this.id }, { timeoutMs: 5000 });
        } finally {
            this.shutdown(new JanusError('closed', 'session destroyed'));
        }
    }

    /** The page's SFrame worker, shared by all handles (one keyring per page). */
    e2ee() {
        if (!this.e2eeSession) {
            this.e2eeSession = new E2EESession({
                onStatus: (st) => {
                    const m = /^h(\d+)-/.exec(st.streamId);

                    this.handles.get(m && Number(m[1]))?.callbacks.one2eestatus?.(st);
                },
                onEvent: (ev) => this.opts.one2eeevent?.(ev),
            });
        }
        return this.e2eeSession;
    }
}

/* ------------------------------------------------------------------ */
/* E2EE helpers                                                        */

const KINDS = ['audio', 'video'];

function isLegacyTransform(t) {
    return !!t && typeof t === 'object' && 'readable' in t && 'writable' in t;
}

/** Group secret from sframe.sharedKey: a passphrase or raw bytes. */
async function groupSecret(sharedKey, context) {
    if (typeof sharedKey === 'string') {
        if (sharedKey.length === 0) {
            throw new JanusError('e2ee', 'sframe.sharedKey: empty passphrase');
        }
        return groupSecretFromPassphrase(sharedKey, String(context ?? 'janus'));
    }

    const b = sharedKey instanceof ArrayBuffer ? new Uint8Array(sharedKey)
        : ArrayBuffer.isView(sharedKey) ? new Uint8Array(sharedKey.buffer, sharedKey.byteOffset, sharedKey.byteLength)
            : null;

    if (!b || b.length < 16) {
        throw new JanusError('e2ee', 'sframe.sharedKey must be a passphrase or at least 16 bytes');
    }
    return Uint8Array.from(b);
}

function senderIdOf(v, what) {
    if (v === undefined || v === null) {
        return null;
    }

    const ok = typeof v === 'bigint' ? v >= 0n
        : typeof v === 'number' ? Number.isSafeInteger(v) && v >= 0
            : typeof v === 'string' && /^\d+$/.test(v);

    if (!ok) {
        throw new JanusError('e2ee', `sframe.${what} must be a non-negative integer id`);
    }
    return typeof v === 'string' ? BigInt(v) : v;
}

/** The MIME type of an m-line's first payload type in an SDP, for transforms without getMetadata().mimeType. */
export function codecOfMid(sdp, mid) {
    for (const section of sdp.split(/\r?\nm=/).slice(1)) {
        if (!new RegExp(`\\r?\\na=mid:${String(mid).replace(/[^\w-]/g, '\\$&')}\\r?(\\n|$)`).test(`\n${section}`)) {
            continue;
        }

        const m = /^(\w+) \d+ \S+ (\d+)/.exec(section);
        const pt = m && new RegExp(`a=rtpmap:${m[2]} ([^/\\s]+)`).exec(section);

        return pt ? `${m[1]}/${pt[1]}` : null;
    }
    return null;
}

/* ------------------------------------------------------------------ */
/* handles                                                             */

export class JanusHandle {
    constructor(session, id, plugin, callbacks) {
        this.session = session;
        this.id = id;
        this.plugin = plugin;
        this.callbacks = callbacks;
        this.pc = null;
        this.e2ee = null;            // { senderTransforms, receiverTransforms, sframe } once E2EE
        this.remoteE2ee = false;     // the last remote jsep said e2ee
        this.jsepSent = false;
        this.candidates = [];
        this.attached = new WeakSet();
        this.streamIds = new Map();  // RTCRtpReceiver/RTCRtpSender -> E2EE stream id
        this.nextStream = 1;
        this.webrtcIsUp = false;
        this.webrtcUp = new Promise((resolve) => { this.resolveWebrtcUp = resolve; });
    }

    /**
     * A message to the plugin; resolves with { data, jsep }.
     * @param {object} body
     * @param {object} [jsep]  from createOffer()/createAnswer()
     */
    async send(body, jsep) {
        const msg = { janus: 'message', session_id: this.session.id, handle_id: this.id, body };

        if (jsep) {
            msg.jsep = { type: jsep.type, sdp: jsep.sdp };
            if (jsep.e2ee) {
                msg.jsep.e2ee = true;
            }
        }

        const reply = this.session.request(msg, { async: true, timeoutMs: this.callbacks.messageTimeoutMs });

        if (jsep) {
            // The server takes candidates once it has our SDP.
            this.jsepSent = true;
            this.flushCandidates();
        }

        const r = await reply;
        const data = r.plugindata?.data;

        if (data?.error_code !== undefined) {
            throw new JanusError(data.error_code, data.error ?? 'plugin error', { data });
        }
        if (r.jsep) {
            this.remoteE2ee = !!r.jsep.e2ee;
        }
        return { data, jsep: r.jsep, raw: r };
    }

    /** Events for this handle that answer no request of ours. */
    onServerMessage(msg) {
        const cb = this.callbacks;

        switch (msg.janus) {
        case 'event':
            if (msg.jsep) {
                this.remoteE2ee = !!msg.jsep.e2ee;
            }
            cb.onmessage?.(msg.plugindata?.data, msg.jsep, msg);
            break;
        case 'webrtcup':
            this.webrtcIsUp = true;
            this.resolveWebrtcUp();
            cb.onwebrtcup?.();
            break;
        case 'media':
            cb.onmedia?.(msg);
            break;
        case 'slowlink':
            cb.onslowlink?.(msg);
            break;
        case 'trickle':
            if (msg.candidate && !msg.candidate.completed) {
                this.pc?.addIceCandidate(msg.candidate).catch(() => {});
            }
            break;
        case 'hangup':
            this.closePeerConnection();
            cb.onhangup?.(msg.reason);
            break;
        case 'detached':
            this.closePeerConnection();
            this.session.handles.delete(this.id);
            cb.ondetached?.();
            break;
        default:
            break;
        }
    }

    /* -------------------------------------------------------------- */
    /* PeerConnection                                                  */

    ensurePeerConnection() {
        if (this.pc) {
            return this.pc;
        }

        let config = { iceServers: [], bundlePolicy: 'max-bundle' };

        if (this.e2ee?.sframe) {
            config = this.session.e2ee().rtcConfig(config);
        }
        if (this.e2ee?.legacy) {
            // Chrome then holds media until every encoded stream exists:
            // fail closed if an endpoint were missed.
            config.encodedInsertableStreams = true;
        }

        const pc = new RTCPeerConnection(config);

        this.pc = pc;
        pc.onicecandidate = (ev) => {
            this.candidates.push(ev.candidate ? ev.candidate.toJSON() : { completed: true });
            this.flushCandidates();
        };
        pc.ontrack = (ev) => {
            const info = { mid: ev.transceiver.mid, transceiver: ev.transceiver, streams: ev.streams,
                           streamId: this.streamIds.get(ev.receiver) };

            this.callbacks.onremotetrack?.(ev.track, info);
            ev.track.addEventListener('ended', () => this.callbacks.onremovetrack?.(ev.track, info));
        };
        pc.onconnectionstatechange = () => this.callbacks.onconnectionstate?.(pc.connectionState);
        return pc;
    }

    flushCandidates() {
        if (!this.jsepSent || this.candidates.length === 0 || this.session.closed) {
            return;
        }

        const list = this.candidates.splice(0);
        const msg = { janus: 'trickle', session_id: this.session.id, handle_id: this.id };

        if (list.length === 1) {
            msg.candidate = list[0];
        } else {
            msg.candidates = list;
        }
        this.session.request(msg).catch(() => {});
    }

    closePeerConnection() {
        if (this.pc) {
            this.pc.close();
            this.pc = null;
        }
        this.jsepSent = false;
        this.candidates = [];
    }

    /* -------------------------------------------------------------- */
    /* E2EE                                                            */

    /** Take the E2EE options of createOffer/createAnswer (sticky once given). */
    async prepareE2EE(opts) {
        const { senderTransforms: st, receiverTransforms: rt, sframe: sf } = opts;

        if (!st && !rt && !sf) {
            return;
        }
        if (this.pc && !this.e2ee) {
            throw new JanusError('e2ee', 'E2EE must be set up on the first negotiation of a handle');
        }

        const e = this.e2ee ?? { senderTransforms: {}, receiverTransforms: {}, sframe: null, legacy: false };

        for (const kind of KINDS) {
            for (const [mine, given] of [[e.senderTransforms, st], [e.receiverTransforms, rt]]) {
                if (given?.[kind]) {
                    mine[kind] = given[kind];
                    e.legacy ||= isLegacyTransform(given[kind]);
                }
            }
        }
        if (e.legacy && !(globalThis.RTCRtpSender && 'createEncodedStreams' in RTCRtpSender.prototype)) {
            throw new JanusError('e2ee', 'TransformStream transforms need createEncodedStreams (Chrome); '
                                 + 'pass RTCRtpScriptTransform objects instead');
        }
        if (sf && e.sframe) {
            // Keys of a running handle change with setSframeKey(), not by
            // renegotiating (which would fall back to the first epoch).
        } else if (sf) {
            if (sf.keyPair) {
                throw new JanusError('e2ee', 'sframe.keyPair: SFrame signatures are not part of RFC 9605 '
                                     + 'and not supported; use sharedKey');
            }
            if (!detectTransformApi()) {
                throw new JanusError('e2ee', 'this browser has no encoded transform API: E2EE impossible');
            }

            const outgoingId = senderIdOf(sf.outgoingId, 'outgoingId');
            const incomingId = senderIdOf(sf.incomingId, 'incomingId');

            if (outgoingId === null && incomingId === null) {
                throw new JanusError('e2ee', 'sframe needs outgoingId, incomingId or both');
            }
            e.sframe = { outgoingId, incomingId, context: sf.context, epoch: sf.epoch ?? 0,
                         secret: await groupSecret(sf.sharedKey, sf.context) };
            await this.installSframeKeys(e.sframe, e.sframe.epoch, 0);
        }
        this.e2ee = e;
    }

    async installSframeKeys(sf, epoch, activateAfterMs) {
        const w = this.session.e2ee();

        // Receive key first: in an echo our own frames come straight back.
        if (sf.incomingId !== null) {
            await w.setReceiveKey(sf.incomingId, epoch, await senderBaseKey(sf.secret, sf.incomingId, epoch));
        }
        if (sf.outgoingId !== null) {
            await w.setSendKey(sf.outgoingId, epoch, await senderBaseKey(sf.secret, sf.outgoingId, epoch),
                               activateAfterMs);
        }
    }

    /**
     * Change the SFrame key during a call: installs the receive key of
     * incomingId and the send key of outgoingId at `epoch` (default: the
     * next one).  Older receive keys stay until the sender has moved on.
     * Every participant must move to the same epoch with the same key.
     * @param {{sharedKey?: string|Uint8Array, epoch?: number, activateAfterMs?: number}} [o]
     * @returns {Promise<number>} the epoch now in use
     */
    async setSframeKey(o = {}) {
        const sf = this.e2ee?.sframe;

        if (!sf) {
            throw new JanusError('e2ee', 'this handle does not use sframe');
        }

        const epoch = o.epoch ?? sf.epoch + 1;
        const next = { ...sf, secret: o.sharedKey !== undefined ? await groupSecret(o.sharedKey, sf.context) : sf.secret };

        await this.installSframeKeys(next, epoch, o.activateAfterMs ?? 0);
        sf.secret = next.secret;
        sf.epoch = epoch;
        return epoch;
    }

    /** Counters of this handle's E2EE streams (sframe only): [{ streamId, direction, kind, state, ok, failed, ... }]. */
    async e2eeStats() {
        if (!this.e2ee?.sframe || !this.session.e2eeSession) {
            return [];
        }

        const all = await this.session.e2eeSession.getStats();

        return all.filter((s) => s.streamId.startsWith(`h${this.id}-`));
    }

    /** Put the transform (or SFrame) for kind on a sender or receiver, once. */
    attachTransform(endpoint, direction, kind, codec) {
        if (this.attached.has(endpoint)) {
            return;
        }
        this.attached.add(endpoint);

        const e = this.e2ee;

        if (!e) {
            return;
        }

        let t = (direction === 'send' ? e.senderTransforms : e.receiverTransforms)[kind];

        if (typeof t === 'function') {
            t = t({ kind, direction, endpoint });
        }
        if (t) {
            if (isLegacyTransform(t)) {
                const s = endpoint.createEncodedStreams();

                s.readable.pipeThrough(t).pipeTo(s.writable).catch(() => {});
            } else {
                endpoint.transform = t;
            }
            return;
        }

        const sf = e.sframe;
        const id = direction === 'send' ? sf?.outgoingId : sf?.incomingId;

        if (id === null || id === undefined) {
            if (e.legacy) {
                // held by encodedInsertableStreams: let it through, it is not ours to protect
                const s = endpoint.createEncodedStreams();

                s.readable.pipeTo(s.writable).catch(() => {});
            }
            throw new JanusError('e2ee', `E2EE handle ${direction === 'send' ? 'sends' : 'receives'} ${kind} `
                                 + `without a ${direction === 'send' ? 'sender' : 'receiver'} transform`);
        }

        const streamId = `h${this.id}-${direction}-${kind}-${this.nextStream++}`;
        const w = this.session.e2ee();
        const o = { kind, senderId: id, streamId };

        if (codec) {
            o.codec = codec;
        }
        if (direction === 'send') {
            w.attachSender(endpoint, o);
        } else {
            w.attachReceiver(endpoint, o);
        }
        this.streamIds.set(endpoint, streamId);
    }

    /**
     * E2EE-friendly codecs and no clear audio levels on what we send.
     * @returns {string|null} the only video codec that can be negotiated, if known
     */
    tuneTransceiver(tr, kind) {
        let codec = null;

        if (!this.e2ee) {
            return codec;
        }
        if (kind === 'video' && typeof tr.setCodecPreferences === 'function') {
            const caps = RTCRtpReceiver.getCapabilities?.('video');

            if (caps) {
                // VP8 only: its clear-prefix rule then applies even where
                // frames carry no mimeType (the worker falls back to this).
                tr.setCodecPreferences(e2eeCodecPreferences(caps.codecs)
                    .filter((c) => !/^video\/vp9$/i.test(c.mimeType)));
                codec = 'video/VP8';
            }
        }
        if (kind === 'audio' && typeof tr.getHeaderExtensionsToNegotiate === 'function') {
            // The audio level extension travels in clear: it tells the
            // server who is speaking.  Do not offer it with E2EE.
            try {
                tr.setHeaderExtensionsToNegotiate(tr.getHeaderExtensionsToNegotiate()
                    .map((x) => (x.uri === AUDIO_LEVEL_EXT ? { ...x, direction: 'stopped' } : x)));
            } catch (e) {
                // not supported here: the level stays visible, as without E2EE
            }
        }
        return codec;
    }

    /* -------------------------------------------------------------- */
    /* negotiation                                                     */

    /**
     * Create and apply a local offer.
     * @param {object} [o]
     * @param {MediaStream|MediaStreamTrack[]} [o.stream]  what to send
     * @param {{audio?: boolean, video?: boolean}} [o.receive]  kinds to receive too
     * @param {object} [o.senderTransforms] @param {object} [o.receiverTransforms] @param {object} [o.sframe]
     * @param {boolean} [o.iceRestart]
     * @returns {Promise<{type: 'offer', sdp: string, e2ee?: true}>}
     */
    async createOffer(o = {}) {
        await this.prepareE2EE(o);

        const pc = this.ensurePeerConnection();
        const tracks = o.stream ? (Array.isArray(o.stream) ? o.stream : o.stream.getTracks()) : [];
        const streams = o.stream && !Array.isArray(o.stream) ? [o.stream] : [];
        const receive = o.receive ?? {};
        const sent = new Set();

        for (const track of tracks) {
            const tr = pc.addTransceiver(track, { direction: receive[track.kind] ? 'sendrecv' : 'sendonly', streams });

            const codec = this.tuneTransceiver(tr, track.kind);

            sent.add(track.kind);
            this.attachTransform(tr.sender, 'send', track.kind, codec);
            if (receive[track.kind]) {
                this.attachTransform(tr.receiver, 'recv', track.kind, codec);
            }
            this.callbacks.onlocaltrack?.(track);
        }
        for (const kind of KINDS) {
            if (receive[kind] && !sent.has(kind)) {
                const tr = pc.addTransceiver(kind, { direction: 'recvonly' });

                this.attachTransform(tr.receiver, 'recv', kind, this.tuneTransceiver(tr, kind));
            }
        }

        const offer = await pc.createOffer({ iceRestart: !!o.iceRestart });

        await pc.setLocalDescription(offer);
        return this.localJsep();
    }

    /**
     * Answer a remote offer (e.g. a VideoRoom subscription).
     * @param {object} o
     * @param {{type: 'offer', sdp: string, e2ee?: boolean}} o.jsep
     * @param {MediaStream|MediaStreamTrack[]} [o.stream]  tracks to send back, if any
     * @param {object} [o.senderTransforms] @param {object} [o.receiverTransforms] @param {object} [o.sframe]
     */
    async createAnswer(o) {
        const jsep = o?.jsep;

        if (!jsep || jsep.type !== 'offer') {
            throw new JanusError('jsep', 'createAnswer needs the remote offer as jsep');
        }
        if (jsep.e2ee && !o.receiverTransforms && !o.sframe?.sharedKey && !this.e2ee) {
            throw new JanusError('e2ee', 'the offer is end-to-end encrypted (jsep.e2ee): '
                                 + 'supply receiverTransforms or sframe to decrypt it');
        }
        await this.prepareE2EE(o);
        this.remoteE2ee = !!jsep.e2ee;

        const pc = this.ensurePeerConnection();

        await pc.setRemoteDescription({ type: 'offer', sdp: jsep.sdp });

        const tracks = o.stream ? (Array.isArray(o.stream) ? o.stream : o.stream.getTracks()) : [];

        for (const tr of pc.getTransceivers()) {
            const kind = tr.receiver.track.kind;

            if (tr.currentDirection === 'stopped' || tr.stopped) {
                continue;
            }

            const offered = codecOfMid(jsep.sdp, tr.mid);

            if (/recv/.test(tr.direction) || tr.direction === 'inactive') {
                // Before the answer exists: no media has flowed on this receiver yet.
                this.attachTransform(tr.receiver, 'recv', kind, offered);
            }

            const i = tracks.findIndex((t) => t.kind === kind);

            if (i >= 0 && !tr.sender.track) {
                const [track] = tracks.splice(i, 1);

                await tr.sender.replaceTrack(track);
                tr.direction = 'sendrecv';
                this.attachTransform(tr.sender, 'send', kind, offered);
                this.callbacks.onlocaltrack?.(track);
            }
        }

        const answer = await pc.createAnswer();

        await pc.setLocalDescription(answer);
        return this.localJsep();
    }

    localJsep() {
        const d = this.pc.localDescription;
        const jsep = { type: d.type, sdp: d.sdp };

        if (this.e2ee) {
            jsep.e2ee = true;
        }
        return jsep;
    }

    /** Apply the server's answer to our offer. */
    async handleRemoteJsep(jsep) {
        if (!jsep) {
            throw new JanusError('jsep', 'no jsep');
        }
        if (jsep.type !== 'answer') {
            throw new JanusError('jsep', `handleRemoteJsep takes answers; answer offers with createAnswer (got ${jsep.type})`);
        }
        if (!this.pc) {
            throw new JanusError('jsep', 'an answer without an offer');
        }
        this.remoteE2ee = !!jsep.e2ee;
        await this.pc.setRemoteDescription({ type: 'answer', sdp: jsep.sdp });
    }

    /* -------------------------------------------------------------- */
    /* teardown                                                        */

    /** Tell the server to close this handle's PeerConnection, and close ours. */
    async hangup() {
        this.closePeerConnection();
        if (!this.session.closed) {
            await this.session.request({ janus: 'hangup', session_id: this.session.id, handle_id: this.id });
        }
    }

    /** Detach from the plugin. */
    async detach() {
        const sf = this.e2ee?.sframe;

        this.closePeerConnection();
        if (sf && sf.incomingId !== null && this.session.e2eeSession) {
            // that sender's keys are of no use to this page any more
            this.session.e2eeSession.removeReceiveKeys(sf.incomingId).catch(() => {});
        }
        this.session.handles.delete(this.id);
        if (!this.session.closed) {
            await this.session.request({ janus: 'detach', session_id: this.session.id, handle_id: this.id });
        }
    }
}
