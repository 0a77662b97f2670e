/**
 * What the demo pages share: the server address, a log, the E2EE
 * indicator of a received stream, and RTP statistics.
 *
 * @module demo-common
 */

/** The Janus API on the server that served this page. */
export function serverUrl(transport) {
    if (transport === 'http') {
        return `${location.origin}/janus`;
    }
    return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/janus`;
}

export function $(id) {
    return document.getElementById(id);
}

/** Append a line to the page's log (and the console, for the tests' sake). */
export function log(text, isError = false) {
    const el = $('log');
    const line = `${new Date().toISOString().slice(11, 23)} ${text}`;

    if (el) {
        el.textContent += `${line}\n`;
        el.scrollTop = el.scrollHeight;
    }
    if (isError) {
        console.warn(line);
    }
}

/**
 * State of one received E2EE stream from two readings of its worker
 * counters (see JanusHandle.e2eeStats()), for the live indicator.
 * @param {object|undefined} prev  { ok, failed } a moment ago
 * @param {object|undefined} cur   { ok, failed, lastError, state } now
 * @returns {{state: 'ok'|'failing'|'waiting', text: string}}
 */
export function decryptState(prev, cur) {
    if (!cur) {
        return { state: 'waiting', text: 'no frames yet' };
    }

    const ok = cur.ok - (prev?.ok ?? 0);
    const failed = cur.failed - (prev?.failed ?? 0);

    if (ok > 0) {
        return { state: 'ok', text: `decrypting (${cur.ok} frames)` };
    }
    if (failed > 0 || cur.state === 'failing') {
        // auth: the frame does not authenticate under the key we hold
        const why = { auth: 'wrong key?', nokey: 'no key for it yet', replay: 'replayed frames' }[cur.lastError];

        return { state: 'failing', text: `cannot decrypt (${why ?? cur.lastError ?? 'error'})` };
    }
    return { state: 'waiting', text: cur.ok > 0 ? `no new frames (${cur.ok} so far)` : 'no frames yet' };
}

/**
 * Decoding counters of a PeerConnection's inbound streams, per kind.
 * @returns {Promise<{video: object, audio: object}>}
 */
export async function inboundStats(pc) {
    const out = {
        video: { packetsReceived: 0, framesReceived: 0, framesDecoded: 0, keyFramesDecoded: 0, frameWidth: 0 },
        audio: { packetsReceived: 0, totalSamplesReceived: 0 },
    };

    if (!pc) {
        return out;
    }
    for (const r of (await pc.getStats()).values()) {
        if (r.type !== 'inbound-rtp' || !out[r.kind]) {
            continue;
        }
        for (const k of Object.keys(out[r.kind])) {
            if (typeof r[k] === 'number') {
                out[r.kind][k] = k === 'frameWidth' ? Math.max(out[r.kind][k], r[k]) : out[r.kind][k] + r[k];
            }
        }
    }
    return out;
}

/** Camera and microphone (fake devices in the tests). */
export function getCamera() {
    return navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 640, height: 480 } });
}
