/**
 * Per-codec framing rules for SFrame inside WebRTC encoded transforms.
 *
 * Chrome's receiver parses parts of the codec payload *before* the receive
 * transform runs (measured with Chromium 156), so some bytes must stay in
 * clear.  Those bytes are passed to SFrame as `metadata`, i.e. they are
 * authenticated (part of the AAD) but not encrypted:
 *
 *   sent frame = clear prefix || SFrame(header || ciphertext || tag)
 *
 * | codec  | rule                                                          |
 * |--------|---------------------------------------------------------------|
 * | VP8    | 10 clear bytes on key frames, 3 on delta frames (frame tag,   |
 * |        | plus start code and size on key frames)                       |
 * | VP9    | whole frame encrypted (the RTP descriptor carries frame type) |
 * | audio  | whole frame encrypted (Opus, G.722, PCMU/PCMA decode fine)    |
 * | H.264  | refused: needs NAL-unit-aware encryption (clear NAL headers,   |
 * |        | no start-code emulation); neither whole frame nor 10/3 works  |
 * | AV1    | refused: the packetizer rewrites OBUs, so any SFrame over the |
 * |        | frame fails authentication; needs OBU-aware encryption        |
 * | other  | refused (fail closed: never send media in clear)              |
 *
 * The prefix length is computed from the frame's own first byte, so sender
 * and receiver agree without any signalling (the VP8 key-frame bit sits in
 * the clear prefix on both sides).
 *
 * @module sframe-codec
 */

import { SFrameError, toBytes } from './sframe.js';

/** VP8 clear bytes (RFC 6386 §9.1): 3-byte frame tag, + 7 on key frames. */
export const VP8_KEY_CLEAR = 10;
export const VP8_DELTA_CLEAR = 3;

/**
 * @typedef {object} CodecRule
 * @property {string} codec         lower-case MIME type, e.g. 'video/vp8'
 * @property {'prefix'|'whole'|'refuse'} mode
 * @property {string} [reason]      why a codec is refused
 */

const REFUSED = {
    'video/h264': 'H.264 needs NAL-unit-aware encryption (clear NAL headers, no start-code emulation)',
    'video/av1': 'AV1 needs OBU-aware encryption: the RTP packetizer rewrites OBUs',
    'video/h265': 'H.265 needs NAL-unit-aware encryption',
};

/**
 * The rule for a codec.
 * @param {string} mimeType  e.g. 'video/VP8' from frame.getMetadata().mimeType
 * @param {'audio'|'video'} [kind]  used when the MIME type is missing
 * @returns {CodecRule}
 */
export function codecRule(mimeType, kind) {
    const codec = (mimeType || '').toLowerCase();

    if (codec === 'video/vp8') {
        return { codec, mode: 'prefix' };
    }
    if (codec === 'video/vp9') {
        return { codec, mode: 'whole' };
    }
    if (codec.startsWith('audio/') || (!codec && kind === 'audio')) {
        return { codec: codec || 'audio/*', mode: 'whole' };
    }
    if (REFUSED[codec]) {
        return { codec, mode: 'refuse', reason: REFUSED[codec] };
    }
    return {
        codec: codec || 'video/?',
        mode: 'refuse',
        reason: codec ? `no E2EE framing rule for ${codec}` : 'video codec unknown (no mimeType)',
    };
}

/**
 * VP8 "show key frame" test: bit 0 of the first payload byte is 0 for a
 * key frame (RFC 6386 §9.1).
 */
export function vp8IsKeyFrame(firstByte) {
    return (firstByte & 0x01) === 0;
}

/**
 * Number of leading bytes of an encoded frame to leave in clear.
 * Throws SFrameError('codec') for refused codecs.
 * @param {string} mimeType
 * @param {Uint8Array} data  the encoded frame (plain on send, protected on receive)
 * @param {'audio'|'video'} [kind]
 */
export function clearPrefixLength(mimeType, data, kind) {
    const rule = codecRule(mimeType, kind);

    if (rule.mode === 'refuse') {
        throw new SFrameError('codec', rule.reason, { codec: rule.codec });
    }
    if (rule.mode === 'whole' || data.length === 0) {
        return 0;
    }

    const n = vp8IsKeyFrame(data[0]) ? VP8_KEY_CLEAR : VP8_DELTA_CLEAR;

    // A truncated frame keeps everything it has in clear; SFrame then
    // protects an empty payload and still authenticates the prefix.
    return Math.min(n, data.length);
}

/**
 * Split an encoded frame into the clear prefix (SFrame metadata) and the
 * rest (plaintext on send, the SFrame on receive).
 * @param {string} mimeType
 * @param {ArrayBuffer|Uint8Array} data
 * @param {'audio'|'video'} [kind]
 * @returns {{clear: Uint8Array, body: Uint8Array}}  views into `data`
 */
export function splitFrame(mimeType, data, kind) {
    const b = toBytes(data);
    const n = clearPrefixLength(mimeType, b, kind);

    return { clear: b.subarray(0, n), body: b.subarray(n) };
}

/**
 * clear || body as a fresh ArrayBuffer (what RTCEncoded*Frame.data takes).
 * @returns {ArrayBuffer}
 */
export function joinFrame(clear, body) {
    if (clear.length === 0 && body.byteOffset === 0 && body.byteLength === body.buffer.byteLength) {
        return body.buffer;              // whole-frame mode: no copy needed
    }

    const out = new Uint8Array(clear.length + body.length);

    out.set(clear, 0);
    out.set(body, clear.length);
    return out.buffer;
}

/**
 * Codec capabilities the receiving browser can depacketize with this
 * module's rules, in preference order; for setCodecPreferences().
 * Keeps RTX/RED/FEC entries, drops refused codecs.
 * @param {{mimeType: string}[]} codecs  RTCRtpReceiver.getCapabilities(kind).codecs
 */
export function e2eeCodecPreferences(codecs) {
    const rank = (c) => {
        const m = c.mimeType.toLowerCase();

        if (m === 'video/vp8') {
            return 0;
        }
        if (m === 'video/vp9') {
            return 1;
        }
        return 2;
    };
    const usable = (c) => {
        const m = c.mimeType.toLowerCase();

        return m.startsWith('audio/') || ['video/rtx', 'video/red', 'video/ulpfec', 'video/flexfec-03']
            .includes(m) || codecRule(m).mode !== 'refuse';
    };

    return codecs.filter(usable).map((c, i) => ({ c, i }))
        .sort((a, b) => rank(a.c) - rank(b.c) || a.i - b.i).map((x) => x.c);
}
