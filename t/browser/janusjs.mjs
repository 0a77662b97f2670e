// Stock janus.js 1.4.2 (npm janus-gateway) carrying media through the
// server: an EchoTest over both transports, and a two-party VideoRoom with
// the multistream API, each checked by the video the browser decodes.  Like
// the cases in media.mjs they skip while the server carries no media, and
// give themselves a long deadline (slow).

import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { until, skip, NO_MEDIA } from './lib.mjs';

const require = createRequire(import.meta.url);

const FILES = {
    'janus.es.js': require.resolve('janus-gateway'),
    'adapter.js': require.resolve('webrtc-adapter/out/adapter.js'),
};

// janus.js destroys its session with a long poll still open, which then
// gets 404 (as from Janus itself): not a problem of the page
const LATE_POLL = /404.*\/janus\/\d+\?rid=/;

/**
 * Runs inside the page (injected as source): window.jt drives janus.js and
 * keeps what happened in jt.state, which the test polls.
 */
function pageLib() {
    const jt = { handles: {}, state: null, janus: null, Janus: null };
    const why = (e) => (typeof e === 'string' ? e : e?.message ?? JSON.stringify(e));

    window.jt = jt;

    jt.init = async () => {
        const { default: Janus } = await import('/__janusjs/janus.es.js');

        await new Promise((resolve) => Janus.init({
            debug: false, callback: resolve,
            dependencies: Janus.useDefaultDependencies({ adapter: window.adapter }),
        }));
        jt.Janus = Janus;
    };

    /** One session on url; calls then() once it is up. */
    const session = (st, url, then) => {
        jt.janus = new jt.Janus({
            server: url,
            success: then,
            error: (e) => { st.error ??= `session: ${why(e)}`; },
        });
    };

    const fail = (st, what) => (e) => { st.error ??= `${what}: ${why(e)}`; };

    /** Video receive counters of a handle's PeerConnection, summed over its inbound video streams. */
    jt.video = async (name) => {
        const pc = jt.handles[name]?.webrtcStuff?.pc;
        const out = { streams: 0, packetsReceived: 0, framesReceived: 0, framesDecoded: 0, pliCount: 0 };

        if (!pc) {
            return null;
        }
        (await pc.getStats()).forEach((s) => {
            if (s.type === 'inbound-rtp' && s.kind === 'video') {
                out.streams++;
                for (const k of ['packetsReceived', 'framesReceived', 'framesDecoded', 'pliCount']) {
                    out[k] += s[k] ?? 0;
                }
            }
        });
        return out;
    };

    jt.echo = (url) => {
        const st = jt.state = { up: false, result: null, answer: null, error: null, hangup: null };

        session(st, url, () => jt.janus.attach({
            plugin: 'janus.plugin.echotest',
            error: fail(st, 'attach'),
            success: (h) => {
                jt.handles.echo = h;
                h.createOffer({
                    tracks: [{ type: 'audio', capture: true, recv: true },
                             { type: 'video', capture: true, recv: true }],
                    success: (jsep) => h.send({ message: { audio: true, video: true }, jsep,
                                                error: fail(st, 'send') }),
                    error: fail(st, 'createOffer'),
                });
            },
            webrtcState: (up, reason) => {
                st.up = up;
                if (!up) {
                    st.hangup = reason ?? 'down';
                }
            },
            onmessage: (msg, jsep) => {
                if (msg.error) {
                    st.error ??= `echotest: ${msg.error_code} ${msg.error}`;
                }
                st.result = msg.result ?? st.result;
                if (jsep) {
                    jt.handles.echo.handleRemoteJsep({
                        jsep,
                        success: () => { st.answer = { type: jsep.type, e2ee: !!jsep.e2ee }; },
                        error: fail(st, 'handleRemoteJsep'),
                    });
                }
            },
        }));
    };

    /**
     * A VideoRoom participant: joins as publisher, publishes audio and video
     * with `request` ("configure" or "publish"), and subscribes, on one
     * multistream subscriber handle, to every publisher it hears of.
     */
    jt.room = ({ url, room, display, request }) => {
        const st = jt.state = {
            myId: null, privateId: null, pubAnswer: null, pubUp: false,
            subAnswered: 0, subUp: false, feeds: [], subStreams: [], error: null, hangup: null,
        };
        let sub = null;     // a promise of the subscriber handle, once there is one

        const subscriber = (streams) => new Promise((resolve) => jt.janus.attach({
            plugin: 'janus.plugin.videoroom',
            error: fail(st, 'attach subscriber'),
            success: (h) => {
                jt.handles.sub = h;
                h.send({ message: { request: 'join', ptype: 'subscriber', room, streams,
                                    private_id: st.privateId },
                         error: fail(st, 'subscriber join') });
                resolve(h);
            },
            webrtcState: (up, reason) => {
                st.subUp = up;
                if (!up) {
                    st.hangup = `subscriber: ${reason ?? 'down'}`;
                }
            },
            onmessage: (msg, jsep) => {
                const h = jt.handles.sub;

                if (msg.error) {
                    st.error ??= `subscriber: ${msg.error_code} ${msg.error}`;
                }
                if (msg.streams) {
                    st.subStreams = msg.streams.map((s) => ({ mid: s.mid, type: s.type, feed: s.feed_id }));
                }
                if (jsep) {
                    // the server offers (sendonly); we only receive
                    h.createAnswer({
                        jsep, tracks: [],
                        success: (answer) => h.send({
                            message: { request: 'start', room }, jsep: answer,
                            success: () => { st.subAnswered++; },
                            error: fail(st, 'start'),
                        }),
                        error: fail(st, 'createAnswer'),
                    });
                }
            },
        }));

        const subscribe = (publishers) => {
            const streams = (publishers ?? []).map((p) => p.id).filter((id) => !st.feeds.includes(id))
                .map((feed) => ({ feed }));

            if (!streams.length) {
                return;
            }
            st.feeds.push(...streams.map((s) => s.feed));
            if (!sub) {
                sub = subscriber(streams);
            } else {
                // more feeds on the same PeerConnection: "updated" brings a new offer
                sub.then((h) => h.send({ message: { request: 'subscribe', streams },
                                         error: fail(st, 'subscribe') }));
            }
        };

        session(st, url, () => jt.janus.attach({
            plugin: 'janus.plugin.videoroom',
            error: fail(st, 'attach publisher'),
            success: (h) => {
                jt.handles.pub = h;
                h.send({ message: { request: 'join', ptype: 'publisher', room, display },
                         error: fail(st, 'publisher join') });
            },
            webrtcState: (up, reason) => {
                st.pubUp = up;
                if (!up) {
                    st.hangup = `publisher: ${reason ?? 'down'}`;
                }
            },
            onmessage: (msg, jsep) => {
                const h = jt.handles.pub;

                if (msg.error) {
                    st.error ??= `publisher: ${msg.error_code} ${msg.error}`;
                }
                if (msg.videoroom === 'joined') {
                    st.myId = msg.id;
                    st.privateId = msg.private_id;
                    h.createOffer({
                        tracks: [{ type: 'audio', capture: true, recv: false },
                                 { type: 'video', capture: true, recv: false }],
                        success: (offer) => h.send({ message: { request, audio: true, video: true },
                                                     jsep: offer, error: fail(st, request) }),
                        error: fail(st, 'createOffer'),
                    });
                }
                if (msg.videoroom === 'joined' || msg.videoroom === 'event') {
                    subscribe(msg.publishers);
                }
                if (jsep) {
                    h.handleRemoteJsep({
                        jsep,
                        success: () => { st.pubAnswer = { type: jsep.type, e2ee: !!jsep.e2ee }; },
                        error: fail(st, 'handleRemoteJsep'),
                    });
                }
            },
        }));
    };

    /** Destroy the session, so the server forgets it now rather than at its timeout. */
    jt.destroy = () => new Promise((resolve) => {
        if (!jt.janus) {
            resolve();
            return;
        }
        jt.janus.destroy({ success: resolve, error: resolve });
    });
}

/** A server page with janus.js (from node_modules) and window.jt loaded. */
async function janusPage(ctx) {
    // the document stays the server's own page (Chrome's local-network
    // checks block WebSockets from a document the test would fabricate)
    const page = await ctx.open('index.html');

    await page.route(ctx.url('__janusjs/*'), (route) => {
        const file = FILES[new URL(route.request().url()).pathname.split('/').pop()];

        return file ? route.fulfill({ contentType: 'text/javascript', body: fs.readFileSync(file) })
            : route.fulfill({ status: 404, body: '' });
    });
    await page.addScriptTag({ url: '/__janusjs/adapter.js' });
    await page.addScriptTag({ content: `(${pageLib})();` });
    await page.evaluate(() => window.jt.init());
    return page;
}

function serverUrl(ctx, transport) {
    return transport === 'http' ? ctx.url('janus') : ctx.url('janus').replace(/^http/, 'ws');
}

const state = (page) => page.evaluate(() => window.jt.state);
const video = (page, handle) => page.evaluate((h) => window.jt.video(h), handle);

/**
 * The video `handle` of `page` receives decodes: more than 10 frames within
 * 15 s, then at least 10 more within 5 s.  Notes the decode rate.
 */
async function decodesVideo(ctx, page, handle, who) {
    const first = await until(async () => {
        const v = await video(page, handle);

        return v && v.framesDecoded > 10 && v;
    }, 15000, 200);

    assert.ok(first, `${who}: more than 10 video frames decoded within 15 s `
              + `(stats ${JSON.stringify(await video(page, handle))}, state ${JSON.stringify(await state(page))})`);

    const t0 = Date.now();
    const more = await until(async () => {
        const v = await video(page, handle);

        return v.framesDecoded >= first.framesDecoded + 10 && v;
    }, 5000, 100);

    assert.ok(more, `${who}: framesDecoded keeps growing (stuck at ${JSON.stringify(await video(page, handle))})`);
    ctx.note(`${who}: ${((more.framesDecoded - first.framesDecoded) * 1000 / (Date.now() - t0)).toFixed(1)} fps decoded`);
}

/** The page's errors, less the known late long poll. */
const problems = (page) => page.problems.filter((p) => !LATE_POLL.test(p));

async function needMedia(ctx) {
    if (!await ctx.mediaPlane()) {
        skip(NO_MEDIA);
    }
}

export const cases = [
    ...['websocket', 'http'].map((transport) => ({
        name: `stock janus.js EchoTest over ${transport}: webrtcup and the echoed video decodes`,
        timeoutMs: 60000,
        async run(ctx) {
            await needMedia(ctx);

            const page = await janusPage(ctx);

            try {
                await page.evaluate((url) => window.jt.echo(url), serverUrl(ctx, transport));

                const st = await until(async () => {
                    const s = await state(page);

                    return (s.up || s.error) && s;
                }, 10000);

                assert.ok(st, `webrtcState(true) within 10 s (state ${JSON.stringify(await state(page))})`);
                assert.equal(st.error, null);
                assert.equal(st.result, 'ok', 'echotest result ok');
                assert.deepEqual(st.answer, { type: 'answer', e2ee: false }, 'a plain answer');

                await decodesVideo(ctx, page, 'echo', `janus.js echo over ${transport}`);

                const end = await state(page);

                assert.equal(end.hangup, null, 'no hangup');
                assert.equal(end.error, null);
            } finally {
                await page.evaluate(() => window.jt.destroy()).catch(() => {});
            }
            assert.deepEqual(problems(page), []);
        },
    })),

    {
        name: 'stock janus.js VideoRoom (room 1234, multistream): two participants each decode the other',
        timeoutMs: 90000,
        async run(ctx) {
            await needMedia(ctx);

            // alice publishes with "configure" over WebSocket, bob with "publish" over HTTP
            const people = [
                { display: 'alice', transport: 'websocket', request: 'configure' },
                { display: 'bob', transport: 'http', request: 'publish' },
            ];

            try {
                for (const p of people) {
                    p.page = await janusPage(ctx);
                    await p.page.evaluate((a) => window.jt.room(a), {
                        url: serverUrl(ctx, p.transport), room: 1234, display: p.display, request: p.request,
                    });

                    const st = await until(async () => {
                        const s = await state(p.page);

                        return (s.pubUp || s.error) && s;
                    }, 15000);

                    assert.ok(st, `${p.display}: publisher webrtcup within 15 s `
                              + `(state ${JSON.stringify(await state(p.page))})`);
                    assert.equal(st.error, null, `${p.display}: no error`);
                    assert.ok(Number.isSafeInteger(st.myId) && st.myId > 0, `${p.display}: a participant id`);
                    assert.deepEqual(st.pubAnswer, { type: 'answer', e2ee: false }, `${p.display}: a plain answer`);
                    p.myId = st.myId;
                }

                for (const [p, q] of [people, [...people].reverse()]) {
                    const st = await until(async () => {
                        const s = await state(p.page);

                        return ((s.subAnswered && s.subUp) || s.error) && s;
                    }, 15000);

                    assert.ok(st, `${p.display}: subscribed and subscriber webrtcup within 15 s `
                              + `(state ${JSON.stringify(await state(p.page))})`);
                    assert.equal(st.error, null, `${p.display}: no error`);
                    assert.deepEqual(st.feeds, [q.myId], `${p.display} subscribed to ${q.display} only`);
                    assert.deepEqual(st.subStreams.filter((s) => s.type === 'video').map((s) => s.feed), [q.myId],
                                     `${p.display}'s subscription carries ${q.display}'s video`);
                }

                for (const [p, q] of [people, [...people].reverse()]) {
                    await decodesVideo(ctx, p.page, 'sub', `${p.display} decodes ${q.display} (janus.js)`);
                }

                for (const p of people) {
                    const st = await state(p.page);

                    assert.equal(st.hangup, null, `${p.display}: no hangup`);
                    assert.equal(st.error, null, `${p.display}: no error`);
                    assert.deepEqual(problems(p.page), [], `${p.display}: no page errors`);
                }
            } finally {
                for (const p of people) {
                    await p.page?.evaluate(() => window.jt.destroy()).catch(() => {});
                }
            }
        },
    },
];
