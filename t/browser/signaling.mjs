// Browser cases that need only the Janus API (signaling), not media.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { until, demoState, startEcho, joinRoom, skip } from './lib.mjs';

const require = createRequire(import.meta.url);

const DEMO_PAGES = ['index.html', 'echotest.html', 'videoroom.html', 'videoroom.html?room=1234'];

/** Which encoded transforms the handle window.demo[getter]() put on its PeerConnection. */
function transformsOf(page, getter) {
    return page.evaluate((g) => {
        const h = window.demo[g]();

        return {
            senders: h.pc.getSenders().filter((s) => s.track).map((s) => [s.track.kind, !!s.transform]),
            receivers: h.pc.getTransceivers().filter((t) => /recv/.test(t.direction))
                .map((t) => [t.receiver.track.kind, !!t.receiver.transform]),
        };
    }, getter);
}

export const cases = [
    {
        name: 'demo pages load without errors',
        async run(ctx) {
            for (const p of DEMO_PAGES) {
                const page = await ctx.open(p);

                if (p !== 'index.html') {
                    // the page's module ran to its end
                    await page.waitForFunction(() => window.demo, null, { timeout: 10000 });
                }
                // let late module or worker errors surface
                await page.waitForLoadState('networkidle');
                assert.deepEqual(page.problems, [], `${p} has no errors`);
            }

            const index = await ctx.open('index.html');
            const links = await index.$$eval('a', (as) => as.map((a) => a.getAttribute('href')));

            for (const p of ['echotest.html', 'videoroom.html', 'videoroom.html?room=1234']) {
                assert.ok(links.includes(p), `index.html links to ${p}`);
            }
        },
    },

    ...['websocket', 'http'].map((transport) => ({
        name: `client library: session, handles and an async plugin reply over ${transport}`,
        async run(ctx) {
            const page = await ctx.open('index.html');
            const server = transport === 'http' ? ctx.url('janus') : ctx.url('janus').replace(/^http/, 'ws');
            const r = await page.evaluate(async (url) => {
                const { connect } = await import('/js/janus-client.js');
                const s = await connect(url);
                const info = await s.info();
                const h = await s.attach('janus.plugin.echotest');
                const reply = await h.send({ audio: true, video: true });
                const h2 = await s.attach('janus.plugin.echotest');
                let noPlugin = null;

                try {
                    await s.attach('janus.plugin.nosuchplugin');
                } catch (e) {
                    noPlugin = e.code;
                }
                await h2.detach();
                await h.detach();

                const out = { sid: s.id, hid: h.id, hid2: h2.id, info: info.janus, plugins: Object.keys(info.plugins ?? {}),
                              result: reply.data, transport: s.transportName, noPlugin };

                await s.destroy();
                out.closed = s.closed;
                return out;
            }, server);

            assert.equal(r.transport, transport);
            assert.ok(Number.isSafeInteger(r.sid) && r.sid > 0, 'a session id');
            assert.ok(Number.isSafeInteger(r.hid) && r.hid > 0 && r.hid !== r.hid2, 'two handle ids');
            assert.equal(r.info, 'server_info');
            assert.ok(r.plugins.includes('janus.plugin.echotest'), 'info lists the echotest');
            assert.deepEqual(r.result, { echotest: 'event', result: 'ok' }, 'the event answering the message');
            assert.equal(r.noPlugin, 460, 'an unknown plugin is error 460');
            assert.equal(r.closed, true);
            assert.deepEqual(page.problems, []);
        },
    })),

    {
        name: 'client library: e2ee flag on offers and answers, e2ee offers need receive transforms',
        async run(ctx) {
            const page = await ctx.open('index.html');
            const r = await page.evaluate(async (url) => {
                const { connect, codecOfMid } = await import('/js/janus-client.js');
                const s = await connect(url);
                const out = {};
                const code = async (fn) => {
                    try {
                        await fn();
                        return null;
                    } catch (e) {
                        return e.code ?? e.message;
                    }
                };
                const passWorker = () => new Worker(URL.createObjectURL(new Blob([
                    'onrtctransform = (e) => e.transformer.readable.pipeTo(e.transformer.writable);'],
                { type: 'text/javascript' })));
                const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });

                // an offer from another PeerConnection, flagged e2ee as a subscription's would be
                const other = new RTCPeerConnection();

                stream.getTracks().forEach((t) => other.addTransceiver(t, { direction: 'sendonly' }));
                await other.setLocalDescription();

                const remote = { type: 'offer', sdp: other.localDescription.sdp, e2ee: true };

                // the codec a receive transform falls back to where frames carry no mimeType
                out.codecs = other.getTransceivers().map((t) => codecOfMid(remote.sdp, t.mid));
                out.noCodec = codecOfMid(remote.sdp, 'nosuchmid');
                const a = await s.attach('janus.plugin.echotest');

                out.refused = await code(() => a.createAnswer({ jsep: remote }));

                const b = await s.attach('janus.plugin.echotest');
                const w = passWorker();
                const ans = await b.createAnswer({
                    jsep: remote,
                    receiverTransforms: { audio: new RTCRtpScriptTransform(w, {}), video: new RTCRtpScriptTransform(w, {}) },
                });

                out.answerE2ee = ans.e2ee;
                out.answerTransforms = b.pc.getReceivers().map((x) => !!x.transform);

                // plain offers have no flag
                const c = await s.attach('janus.plugin.echotest');
                const plain = await c.createOffer({ stream, receive: { audio: true, video: true } });

                out.plainE2ee = 'e2ee' in plain;

                // legacy TransformStream senders (Chrome's path) also flag the offer
                const d = await s.attach('janus.plugin.echotest');
                const legacy = await d.createOffer({
                    stream: stream.getVideoTracks(),
                    senderTransforms: { video: new TransformStream() },
                });

                out.legacyE2ee = legacy.e2ee;

                // fail closed: an E2EE handle must not send a kind in clear
                const e = await s.attach('janus.plugin.echotest');

                out.uncovered = await code(() => e.createOffer({
                    stream, senderTransforms: { video: new RTCRtpScriptTransform(passWorker(), {}) },
                }));

                // signatures are not in RFC 9605: refused, not ignored
                const f = await s.attach('janus.plugin.echotest');

                out.keyPair = await code(() => f.createOffer({
                    stream, sframe: { outgoingId: 1, incomingId: 1, sharedKey: 'x', keyPair: {} },
                }));

                // sframe: transforms on every sender and receiver, before negotiation
                const g = await s.attach('janus.plugin.echotest');
                const sf = await g.createOffer({
                    stream, receive: { audio: true, video: true },
                    sframe: { outgoingId: 42, incomingId: 42, sharedKey: 'correct horse' },
                });

                out.sframeE2ee = sf.e2ee;
                out.sframeTransforms = g.pc.getTransceivers().map((t) => [!!t.sender.transform, !!t.receiver.transform]);
                out.sframeVideoCodecs = [...sf.sdp.matchAll(/a=rtpmap:\d+ ([^/]+)/g)].map((m) => m[1])
                    .filter((n) => !/^(opus|red|rtx|ulpfec|flexfec-03|CN|telephone-event|G722|PCMU|PCMA)$/.test(n));
                out.audioLevelOffered = /urn:ietf:params:rtp-hdrext:ssrc-audio-level/.test(sf.sdp);

                other.close();
                stream.getTracks().forEach((t) => t.stop());
                await s.destroy();
                return out;
            }, ctx.url('janus').replace(/^http/, 'ws'));

            assert.deepEqual(r.codecs, ['audio/opus', 'video/VP8'], 'first codec of each m-line');
            assert.equal(r.noCodec, null);
            assert.equal(r.refused, 'e2ee', 'an e2ee offer without receive transforms is refused');
            assert.equal(r.answerE2ee, true, 'the answer carries e2ee: true');
            assert.deepEqual(r.answerTransforms, [true, true], 'receive transforms attached before the answer');
            assert.equal(r.plainE2ee, false, 'a plain offer has no e2ee key');
            assert.equal(r.legacyE2ee, true, 'legacy transforms flag the offer');
            assert.equal(r.uncovered, 'e2ee', 'audio without a transform on an E2EE handle is refused');
            assert.equal(r.keyPair, 'e2ee', 'sframe.keyPair is refused');
            assert.equal(r.sframeE2ee, true);
            assert.deepEqual(r.sframeTransforms, [[true, true], [true, true]], 'SFrame on both directions of both kinds');
            assert.deepEqual(r.sframeVideoCodecs, ['VP8'], 'E2EE video offers VP8 only');
            assert.equal(r.audioLevelOffered, false, 'no clear audio-level extension with E2EE');
            assert.deepEqual(page.problems, []);
        },
    },

    ...[['websocket', true], ['http', true], ['websocket', false]].map(([transport, e2ee]) => ({
        name: `EchoTest page (${e2ee ? 'E2EE' : 'plain'}, ${transport}) gets an answer${e2ee ? ' with e2ee: true' : ' without e2ee'}`,
        async run(ctx) {
            const page = await ctx.open('echotest.html', { waitFor: () => window.demo });

            await startEcho(page, { e2ee, transport });

            const st = await until(async () => {
                const s = await demoState(page);

                return (s.answer || s.error) && s;
            }, 15000);

            assert.ok(st, 'the page finished negotiating');
            assert.equal(st.error, null);
            assert.equal(st.transport, transport);
            assert.equal(st.answer.type, 'answer');
            assert.equal(st.answer.e2ee, e2ee, `answer e2ee is ${e2ee}`);

            const t = await transformsOf(page, 'handle');

            assert.deepEqual(t.senders.map((x) => x[1]), [e2ee, e2ee], `sender transforms: ${e2ee}`);
            assert.deepEqual(t.receivers.map((x) => x[1]), [e2ee, e2ee], `receiver transforms: ${e2ee}`);
            await page.evaluate(() => window.demo.stop());
            assert.equal((await demoState(page)).phase, 'stopped');
            assert.deepEqual(page.problems, []);
        },
    })),

    ...[[5678, true], [1234, false]].map(([room, e2ee]) => ({
        name: `VideoRoom page joins room ${room} and publishes: answer ${e2ee ? 'with' : 'without'} e2ee`,
        async run(ctx) {
            const page = await ctx.open(`videoroom.html?room=${room}`, { waitFor: () => window.demo });

            await joinRoom(page, { room, display: 'alice' });

            const st = await until(async () => {
                const s = await demoState(page);

                return (s.publishAnswer || s.error) && s;
            }, 15000);

            assert.ok(st, 'the page finished joining');
            if (/\(460\)/.test(st.error ?? '')) {
                skip('the server has no janus.plugin.videoroom');
            }
            assert.equal(st.error, null);
            assert.ok(Number.isSafeInteger(st.myId) && st.myId > 0, 'a participant id');
            assert.equal(st.e2ee, e2ee);
            assert.equal(st.publishAnswer.type, 'answer');
            assert.equal(st.publishAnswer.e2ee, e2ee, `answer e2ee is ${e2ee}`);
            assert.equal(st.phase, 'joined');

            const t = await transformsOf(page, 'publisher');

            assert.deepEqual(t.senders.map((x) => x[1]), [e2ee, e2ee], `sender transforms: ${e2ee}`);
            assert.deepEqual(t.receivers, [], 'a publisher receives nothing');
            await page.evaluate(() => window.demo.leave());
            assert.equal((await demoState(page)).phase, 'left');

            if (e2ee) {
                // the room requires E2EE: a publisher without it is turned away
                const code = await page.evaluate(async ({ url, room }) => {
                    const { connect } = await import('/js/janus-client.js');
                    const s = await connect(url);
                    const h = await s.attach('janus.plugin.videoroom');
                    const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });

                    await h.send({ request: 'join', ptype: 'publisher', room, display: 'plain' });

                    const offer = await h.createOffer({ stream });
                    const c = await h.send({ request: 'publish' }, offer).then(() => 'accepted', (e) => e.code);

                    stream.getTracks().forEach((t) => t.stop());
                    await s.destroy();
                    return c;
                }, { url: ctx.url('janus').replace(/^http/, 'ws'), room });

                assert.equal(code, 433, 'a plain publisher is refused with 433');
            }
            assert.deepEqual(page.problems, []);
        },
    })),

    ...[['http', false], ['websocket', true]].map(([transport, e2ee]) => ({
        name: `stock janus.js 1.4.2 attaches to the echotest over ${transport} and gets an answer`
              + `${e2ee ? ' with e2ee: true' : ''}`,
        async run(ctx) {
            const files = {
                'janus.es.js': require.resolve('janus-gateway'),
                'adapter.js': require.resolve('webrtc-adapter/out/adapter.js'),
            };
            const page = await ctx.open('index.html');

            // janus.js and its adapter come from node_modules; the document
            // stays the server's own page (Chrome's local-network checks
            // block WebSockets from a document the test would fabricate).
            await page.route(ctx.url('__janusjs/*'), (route) => {
                const file = files[new URL(route.request().url()).pathname.split('/').pop()];

                return file ? route.fulfill({ contentType: 'text/javascript', body: fs.readFileSync(file) })
                    : route.fulfill({ status: 404, body: '' });
            });
            await page.addScriptTag({ url: '/__janusjs/adapter.js' });

            const server = transport === 'http' ? ctx.url('janus') : ctx.url('janus').replace(/^http/, 'ws');
            const r = await page.evaluate(async ({ url, e2ee }) => {
                const { default: Janus } = await import('/__janusjs/janus.es.js');

                await new Promise((resolve) => Janus.init({
                    debug: false, callback: resolve,
                    dependencies: Janus.useDefaultDependencies({ adapter: window.adapter }),
                }));
                return new Promise((resolve, reject) => {
                    const timer = setTimeout(() => reject(new Error('janus.js: no answer in 15 s')), 15000);
                    // janus.js flags offers e2ee when tracks carry insertable-stream transforms
                    const transforms = () => (e2ee ? { sender: new TransformStream(), receiver: new TransformStream() }
                        : undefined);
                    let handle;
                    const janus = new Janus({
                        server: url,
                        error: (e) => reject(new Error(`janus.js session: ${e}`)),
                        success: () => janus.attach({
                            plugin: 'janus.plugin.echotest',
                            error: (e) => reject(new Error(`attach: ${e}`)),
                            success: (h) => {
                                handle = h;
                                h.createOffer({
                                    tracks: [{ type: 'audio', capture: true, recv: true, transforms: transforms() },
                                             { type: 'video', capture: true, recv: true, transforms: transforms() }],
                                    success: (jsep) => h.send({ message: { audio: true, video: true }, jsep }),
                                    error: (e) => reject(new Error(`createOffer: ${e}`)),
                                });
                            },
                            onmessage: (msg, jsep) => {
                                if (!jsep) {
                                    return;
                                }
                                handle.handleRemoteJsep({
                                    jsep,
                                    error: (e) => reject(new Error(`handleRemoteJsep: ${e}`)),
                                    success: () => {
                                        const out = { result: msg.result, type: jsep.type, e2ee: !!jsep.e2ee,
                                                      sid: janus.getSessionId() };

                                        clearTimeout(timer);
                                        janus.destroy({ success: () => resolve(out), error: () => resolve(out) });
                                    },
                                });
                            },
                        }),
                    });
                });
            }, { url: server, e2ee });

            assert.equal(r.result, 'ok', 'echotest result ok');
            assert.equal(r.type, 'answer');
            assert.equal(r.e2ee, e2ee, `answer e2ee is ${e2ee}`);
            assert.ok(r.sid > 0, 'a session id');
            // janus.js destroys its session with a long poll still open, which then
            // gets 404 (as from Janus itself): the one problem that is not ours
            assert.deepEqual(page.problems.filter((p) => !/404.*\/janus\/\d+\?rid=/.test(p)), []);
        },
    })),
];
