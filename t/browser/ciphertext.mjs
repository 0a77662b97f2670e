// What the server forwards in the E2EE room is SFrame ciphertext.
//
// A Chromium page publishes through the VideoRoom demo page; the C test
// peer (build/peer/wr-peer) subscribes to that feed with real ICE, DTLS and
// SRTP and, with --dump, writes every RTP packet it received after SRTP
// unprotect, i.e. exactly what the server forwarded.  This file parses the
// dump and looks at the payloads: in room 5678 every VP8 frame must be the
// clear prefix of html/js/sframe-codec.js (10 bytes on key frames, 3 on
// delta frames) followed by an SFrame header (RFC 9605 §4.3) whose KID is
// the publisher's (html/js/sframe-keys.js: senderId << 9 | epoch << 1 |
// kind), with counters that rise and never repeat, and then bytes without
// structure (byte histogram: entropy and a chi-square test against
// uniform); every Opus packet must begin with such a header (kind audio).
// The same capture and checks on the plain room 1234 show the difference.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { until, demoState, joinRoom, skip, NO_MEDIA } from './lib.mjs';

const PEER = 'build/peer/wr-peer';
const CAPTURE_S = 4;

// A chi-square statistic above this (255 degrees of freedom: mean 255,
// sd 22.6) has a probability below 1e-9 for uniform bytes.
const CHI2_RANDOM_MAX = 420;

/**
 * Uniform bytes measured on n samples show about 255 / (2 n ln 2) bits
 * less than 8 (the plug-in estimator's bias); allow twice that and a bit.
 */
function entropyFloor(n) {
    return 8 - 2 * 255 / (2 * n * Math.LN2) - 0.002;
}

/** Parse a --dump file (t/peer/wp_dump.c) into records. */
export function parseDump(buf) {
    const out = [];
    let off = 0;

    while (off + 4 <= buf.length) {
        const len = buf.readUInt32BE(off);

        assert.ok(len >= 13 && off + 4 + len <= buf.length, `dump record at ${off} is whole`);
        out.push({
            kind: String.fromCharCode(buf[off + 4]),
            pt: buf[off + 5],
            marker: buf[off + 6] === 1,
            seq: buf.readUInt16BE(off + 7),
            ts: buf.readUInt32BE(off + 9),
            ssrc: buf.readUInt32BE(off + 13),
            payload: buf.subarray(off + 17, off + 4 + len),
        });
        off += 4 + len;
    }
    assert.equal(off, buf.length, 'the dump ends on a record boundary');
    return out;
}

/** The SFrame header at the start of b, or null if it does not fit. */
export function sframeHeader(b) {
    if (b.length < 1) {
        return null;
    }

    const cfg = b[0];
    const klen = cfg & 0x80 ? ((cfg >> 4) & 7) + 1 : 0;
    const clen = cfg & 0x08 ? (cfg & 7) + 1 : 0;
    const length = 1 + klen + clen;
    const num = (o, n) => {
        let v = 0n;

        for (let i = 0; i < n; i++) {
            v = (v << 8n) | BigInt(b[o + i]);
        }
        return v;
    };

    if (b.length < length) {
        return null;
    }
    return {
        kid: klen ? num(1, klen) : BigInt((cfg >> 4) & 7),
        ctr: clen ? num(1 + klen, clen) : BigInt(cfg & 7),
        length,
    };
}

/** Byte histogram statistics: Shannon entropy (bits/byte) and chi-square against uniform. */
export function byteStats(chunks) {
    const hist = new Float64Array(256);
    let n = 0;

    for (const c of chunks) {
        for (const x of c) {
            hist[x]++;
        }
        n += c.length;
    }

    let h = 0;
    let chi2 = 0;
    const e = n / 256;

    for (const k of hist) {
        if (k) {
            h -= (k / n) * Math.log2(k / n);
        }
        chi2 += (k - e) ** 2 / e;
    }
    return { bytes: n, entropy: h, chi2 };
}

/** Where the VP8 frame starts in an RTP payload (RFC 7741 §4.2 descriptor), and whether the packet starts a frame. */
export function vp8Descriptor(p) {
    let off = 1;

    if (p.length < 1) {
        return null;
    }
    if (p[0] & 0x80) {
        const x = p[1];

        off = 2;
        if (x & 0x80) {
            off += p[off] & 0x80 ? 2 : 1;       // PictureID, 7 or 15 bits
        }
        if (x & 0x40) {
            off++;                                // TL0PICIDX
        }
        if (x & 0x30) {
            off++;                                // TID / KEYIDX
        }
    }
    if (off > p.length) {
        return null;
    }
    return { start: (p[0] & 0x10) !== 0 && (p[0] & 0x07) === 0, off };
}

/**
 * Whole VP8 frames of a capture, each { ts, key, clear, parts }: clear is
 * the prefix that sframe-codec.js leaves in clear, parts the rest of the
 * frame, packet by packet.  Frames with a packet missing are dropped.
 */
export function vp8Frames(records) {
    const frames = [];
    let cur = null;

    for (const r of records.filter((x) => x.kind === 'v').sort((a, b) => a.xseq - b.xseq)) {
        const d = vp8Descriptor(r.payload);

        if (!d || r.payload.length === d.off) {
            continue;                             // padding or empty
        }

        const data = r.payload.subarray(d.off);

        if (d.start) {
            const key = (data[0] & 1) === 0;
            const n = Math.min(key ? 10 : 3, data.length);

            cur = { ts: r.ts, key, clear: data.subarray(0, n), parts: [data.subarray(n)], next: r.xseq + 1 };
        } else if (cur && cur.ts === r.ts && cur.next === r.xseq) {
            cur.parts.push(data);
            cur.next++;
        } else {
            cur = null;                           // a gap: this frame is incomplete
            continue;
        }
        if (r.marker) {
            frames.push(cur);                     // whole: first packet to marker, no gap
            cur = null;
        }
    }
    return frames;
}

/** Extend each SSRC's 16-bit sequence numbers so sorting survives a wrap. */
function extendSeq(records) {
    const last = new Map();

    for (const r of records) {
        const prev = last.get(r.ssrc);
        let x = r.seq + 0x10000;

        if (prev !== undefined) {
            x = prev + (((r.seq - (prev & 0xffff)) << 16) >> 16);
        }
        r.xseq = x;
        last.set(r.ssrc, prev === undefined ? x : Math.max(prev, x));
    }
    return records;
}

/**
 * The SFrame checks on one capture, for a publisher id.  Returns the
 * numbers and a list of what did not hold (empty: it is SFrame).
 */
export function analyse(records, publisherId) {
    const problems = [];
    const want = BigInt(publisherId);
    const frames = vp8Frames(records);
    const audio = records.filter((r) => r.kind === 'a' && r.payload.length > 0).sort((a, b) => a.xseq - b.xseq);
    const res = { videoPackets: records.filter((r) => r.kind === 'v').length, frames: frames.length,
                  keyFrames: frames.filter((f) => f.key).length, audioPackets: audio.length };

    // counters per KID in forwarding order: rising, so never repeated
    const rising = (what, items) => {
        const last = new Map();
        let bad = 0;
        const kids = new Set();

        for (const { kid, ctr } of items) {
            const k = String(kid);

            kids.add(k);
            if (last.has(k) && ctr <= last.get(k)) {
                bad++;
            }
            last.set(k, ctr);
        }
        const ctrs = items.map((i) => i.ctr);

        res[`${what}Kids`] = [...kids];
        res[`${what}CtrRange`] = ctrs.length ? [String(ctrs.reduce((a, b) => (b < a ? b : a))),
                                               String(ctrs.reduce((a, b) => (b > a ? b : a)))] : [];
        if (bad) {
            problems.push(`${what}: ${bad} counters not above the previous one of their KID`);
        }
        const distinct = new Set(items.map((i) => `${i.kid}/${i.ctr}`)).size;

        if (distinct !== items.length) {
            problems.push(`${what}: ${items.length - distinct} repeated (KID, CTR) pairs`);
        }
    };
    const ours = (what, items, kindBit) => {
        const wrong = items.filter(({ kid }) => (kid >> 9n) !== want || (kid & 1n) !== kindBit);

        if (wrong.length) {
            problems.push(`${what}: ${wrong.length} of ${items.length} SFrame headers do not carry KID `
                          + `${want} << 9 | epoch << 1 | ${kindBit} (first: ${wrong[0].kid})`);
        }
    };

    // video: the clear prefix really is VP8's, then the SFrame header
    const keysWithStartCode = frames.filter((f) => f.key && f.clear.length === 10
                                            && f.clear[3] === 0x9d && f.clear[4] === 0x01 && f.clear[5] === 0x2a);

    res.keyFramesWithStartCode = keysWithStartCode.length;

    const vh = [];
    const vbody = [];

    for (const f of frames) {
        const body = Buffer.concat(f.parts);
        const h = sframeHeader(body);

        if (!h) {
            problems.push('video: a frame too short for an SFrame header');
            continue;
        }
        vh.push({ kid: h.kid, ctr: h.ctr });
        // the encrypted part: ciphertext and tag, without the header
        vbody.push(body.subarray(h.length));
    }
    ours('video', vh, 1n);
    rising('video', vh);
    res.video = byteStats(vbody);

    // audio: the whole frame is SFrame
    const ah = [];
    const abody = [];

    for (const r of audio) {
        const h = sframeHeader(r.payload);

        if (!h) {
            problems.push('audio: a packet too short for an SFrame header');
            continue;
        }
        ah.push({ kid: h.kid, ctr: h.ctr });
        abody.push(r.payload.subarray(h.length));
    }
    ours('audio', ah, 0n);
    rising('audio', ah);
    res.audio = byteStats(abody);

    for (const s of ['video', 'audio']) {
        if (res[s].chi2 > CHI2_RANDOM_MAX) {
            problems.push(`${s}: bytes after the SFrame header are not uniform `
                          + `(chi-square ${res[s].chi2.toFixed(0)} > ${CHI2_RANDOM_MAX}, `
                          + `entropy ${res[s].entropy.toFixed(4)} bits/byte)`);
        }
    }
    return { res, problems };
}

/** Run the peer to completion; resolves { code, report, stderr }. */
function runPeer(args, ms) {
    return new Promise((resolve, reject) => {
        const p = spawn(PEER, args, { stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        let err = '';
        const timer = setTimeout(() => {
            p.kill('SIGTERM');
            reject(new Error(`wr-peer did not finish in ${ms} ms: ${err}`));
        }, ms);

        p.stdout.on('data', (d) => { out += d; });
        p.stderr.on('data', (d) => { err += d; });
        p.on('error', (e) => {
            clearTimeout(timer);
            reject(e);
        });
        p.on('close', (code) => {
            clearTimeout(timer);

            const line = out.split('\n').find((l) => l.startsWith('{'));

            resolve({ code, report: line ? JSON.parse(line) : null, stderr: err });
        });
    });
}

/**
 * A Chromium page publishes in `room`; the peer subscribes to it with
 * --dump for CAPTURE_S seconds.  Returns the publisher id and the records.
 */
async function capture(ctx, room, dir) {
    const page = await ctx.open(`videoroom.html?room=${room}`, { waitFor: () => window.demo });

    await joinRoom(page, { room, display: `pub-${room}`, passphrase: 'ciphertext test' });

    const st = await until(async () => {
        const s = await demoState(page);

        return ((s.publishAnswer && s.webrtcUp) || s.error) && s;
    }, 15000);

    assert.ok(st, `room ${room}: published and media up within 15 s`);
    assert.equal(st.error, null, `room ${room}: no error`);

    const file = path.join(dir, `room-${room}.dump`);
    const url = new URL(ctx.base);
    const args = ['subscribe', '--url', `ws://${url.host}/janus`, '--room', String(room),
                  '--feed', String(st.myId), '--local-ip', '127.0.0.1', '--duration', String(CAPTURE_S),
                  '--max-loss', '5', '--dump', file, ...(room === 5678 ? ['--e2ee'] : [])];
    const { code, report, stderr } = await runPeer(args, 60000);

    assert.equal(code, 0, `room ${room}: wr-peer passed: ${stderr} ${JSON.stringify(report)}`);
    assert.equal(report.e2ee_remote, room === 5678, `room ${room}: the subscription's offer says e2ee ${room === 5678}`);

    const records = extendSeq(parseDump(fs.readFileSync(file)));

    assert.equal(records.length, report.dumped, `room ${room}: the dump holds every packet the peer counted`);
    // RTX the subscriber's answer did not accept must not be forwarded
    assert.equal(report.dumped_unknown_pt, 0,
                 `room ${room}: no packet of a payload type the subscriber's answer did not accept `
                 + `(PT ${[...new Set(records.filter((r) => r.kind === '?').map((r) => r.pt))].join(', ')})`);
    await page.close();
    return { id: st.myId, records, report };
}

function summary(name, id, res) {
    const s = (x) => `${x.bytes} B, ${x.entropy.toFixed(4)} bits/byte, chi-square ${x.chi2.toFixed(0)}`;
    const k = (kids) => (kids.length <= 2 ? kids.join(',') : `${kids.length} distinct, e.g. ${kids.slice(0, 2).join(',')}`);

    return `${name}: publisher ${id}; video ${res.videoPackets} packets, ${res.frames} whole frames `
        + `(${res.keyFrames} key, ${res.keyFramesWithStartCode} with the VP8 start code in clear); `
        + `after the prefix+header: ${s(res.video)}; video KIDs ${k(res.videoKids)} CTR ${res.videoCtrRange.join('..')}; `
        + `audio ${res.audioPackets} packets: ${s(res.audio)}; audio KIDs ${k(res.audioKids)} CTR ${res.audioCtrRange.join('..')}`;
}

export const cases = [
    {
        name: 'E2EE VideoRoom: what the server forwards is SFrame ciphertext (C peer dump), unlike the plain room',
        timeoutMs: 120000,
        async run(ctx) {
            if (!await ctx.mediaPlane()) {
                skip(NO_MEDIA);
            }
            if (!fs.existsSync(PEER)) {
                skip(`${PEER} is not built: make peer`);
            }

            const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-'));

            try {
                const e2ee = await capture(ctx, 5678, dir);
                const plain = await capture(ctx, 1234, dir);
                const a = analyse(e2ee.records, e2ee.id);
                const b = analyse(plain.records, plain.id);

                ctx.note(summary('E2EE room 5678', e2ee.id, a.res));
                ctx.note(summary('plain room 1234', plain.id, b.res));
                ctx.note(`plain room 1234 read as SFrame: ${b.problems.join('; ')}`);

                for (const { res } of [a, b]) {
                    assert.ok(res.frames >= 20, `at least 20 whole VP8 frames (${res.frames})`);
                    assert.ok(res.keyFrames >= 1 && res.keyFramesWithStartCode === res.keyFrames,
                              `key frames arrived and show the VP8 start code in the clear prefix (${res.keyFramesWithStartCode}/${res.keyFrames})`);
                    assert.ok(res.audioPackets >= 50, `at least 50 Opus packets (${res.audioPackets})`);
                    assert.ok(res.video.bytes >= 20000, `at least 20000 video bytes to judge (${res.video.bytes})`);
                }

                // the E2EE room: SFrame everywhere, ciphertext that looks like noise
                assert.deepEqual(a.problems, [], 'E2EE room: every frame is SFrame from this publisher');
                for (const k of ['video', 'audio']) {
                    const { bytes, entropy } = a.res[k];

                    assert.ok(entropy > entropyFloor(bytes),
                              `E2EE room: ${k} at ${entropy.toFixed(4)} bits/byte, above `
                              + `${entropyFloor(bytes).toFixed(4)} (8 less twice the shortfall of uniform bytes in ${bytes})`);
                }

                // the plain room: the same reading finds no such thing
                const bad = (what) => b.problems.some((p) => p.startsWith(what));

                assert.ok(bad('video: ') && bad('audio: '), 'plain room: the SFrame reading fails for video and audio');
                assert.ok(b.res.video.chi2 > CHI2_RANDOM_MAX,
                          `plain room: VP8 bytes are far from uniform (chi-square ${b.res.video.chi2.toFixed(0)})`);
            } finally {
                fs.rmSync(dir, { recursive: true, force: true });
            }
        },
    },
];
