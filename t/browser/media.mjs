// Browser cases that need media through the server.  Each first asks
// whether the server carries media at all (ctx.mediaPlane(): a plain
// EchoTest call reaching webrtcup within 10 s) and skips, with that reason,
// if it does not; so they run as soon as the media plane exists.

import assert from 'node:assert/strict';
import { until, demoState, startEcho, joinRoom, skip, NO_MEDIA } from './lib.mjs';

async function needMedia(ctx) {
    if (!await ctx.mediaPlane()) {
        skip(NO_MEDIA);
    }
}

/** A participant of a room, published and with its media up. */
async function participant(ctx, { room, display, passphrase }) {
    const page = await ctx.open(`videoroom.html?room=${room}`, { waitFor: () => window.demo });

    await joinRoom(page, { room, display, passphrase });

    const st = await until(async () => {
        const s = await demoState(page);

        return ((s.publishAnswer && s.webrtcUp) || s.error) && s;
    }, 15000);

    assert.ok(st, `${display}: published and media up within 15 s`);
    assert.equal(st.error, null, `${display}: no error`);
    page.display = display;
    page.myId = st.myId;
    return page;
}

/** Decoding counters of `page`'s subscription to `feedId`. */
async function feed(page, feedId) {
    return page.evaluate((id) => window.demo.feedStats(id), feedId);
}

async function framesDecoded(page, feedId) {
    return (await feed(page, feedId)).media.video.framesDecoded;
}

/** Wait until `page` decodes more than n frames from each of `from`. */
async function decodes(page, from, n, ms) {
    for (const other of from) {
        const ok = await until(async () => await framesDecoded(page, other.myId) > n, ms, 200);

        assert.ok(ok, `${page.display} decodes ${other.display}'s video (> ${n} frames in ${ms} ms)`);
    }
}

export const cases = [
    {
        name: 'EchoTest E2EE: the echo decodes our own encrypted frames, and survives a key rotation',
        timeoutMs: 60000,
        async run(ctx) {
            await needMedia(ctx);

            const page = await ctx.open('echotest.html', { waitFor: () => window.demo });

            await startEcho(page, { e2ee: true, passphrase: 'correct horse' });
            assert.ok(await until(async () => (await demoState(page)).webrtcUp, 10000), 'webrtcup within 10 s');

            const decoded = await until(async () => {
                const m = await page.evaluate(() => window.demo.mediaStats());

                return m.video.framesDecoded > 20 && m.audio.totalSamplesReceived > 0 && m;
            }, 10000, 200);

            assert.ok(decoded, 'video frames decoded and audio received');

            const stats = await page.evaluate(() => window.demo.e2eeStats());
            const recv = (kind) => stats.find((s) => s.direction === 'recv' && s.kind === kind);

            assert.ok(recv('video').ok > 20 && recv('audio').ok > 0, 'frames went through SFrame decryption');
            assert.equal((await demoState(page)).indicator.video.state, 'ok', 'the indicator says decrypting');

            // rotation: our receive key is installed before the sender moves on
            const before = decoded.video.framesDecoded;

            await page.evaluate(() => window.demo.rotate());

            const t0 = Date.now();
            const again = await until(async () => {
                const m = await page.evaluate(() => window.demo.mediaStats());

                return m.video.framesDecoded > before + 5;
            }, 1000, 50);
            const ms = Date.now() - t0;

            ctx.note(`EchoTest: 5 more frames decoded ${ms} ms after the rotation`);
            assert.ok(again, `frames decode under the new key within 1 s (${ms} ms)`);
            assert.equal((await demoState(page)).epoch, 1);
        },
    },

    {
        name: 'E2EE VideoRoom, three parties: the two with the right key see each other, the third sees nothing',
        timeoutMs: 120000,
        async run(ctx) {
            await needMedia(ctx);

            const alice = await participant(ctx, { room: 5678, display: 'alice', passphrase: 'right key' });
            const bob = await participant(ctx, { room: 5678, display: 'bob', passphrase: 'right key' });
            const carol = await participant(ctx, { room: 5678, display: 'carol', passphrase: 'wrong key' });
            const all = [alice, bob, carol];

            // everyone subscribed to everyone else
            for (const p of all) {
                const others = all.filter((o) => o !== p);
                const ok = await until(async () => {
                    const feeds = (await demoState(p)).feeds;

                    return others.every((o) => feeds[o.myId]?.answered);
                }, 15000);

                assert.ok(ok, `${p.display} subscribed to the two others`);
            }

            await decodes(alice, [bob], 10, 15000);
            await decodes(bob, [alice], 10, 15000);

            // carol's frames reach everyone, and nobody can decode them; nor can she decode theirs
            const videoIn = async (viewer, sender) => {
                const f = await feed(viewer, sender.myId);

                return { f, recv: f.e2ee.find((s) => s.direction === 'recv' && s.kind === 'video') };
            };
            const checkNothing = async (viewer, sender) => {
                // as long as alice and bob needed to see each other
                await until(async () => (await videoIn(viewer, sender)).recv?.failed > 10, 15000, 200);

                const { f, recv } = await videoIn(viewer, sender);

                assert.ok(recv && recv.failed > 10, `${viewer.display} gets ${sender.display}'s frames, all failing`);
                assert.ok(recv.ok === 0, `${viewer.display} decrypts none of ${sender.display}'s frames`);
                assert.ok(f.media.video.framesDecoded <= 1,
                          `${viewer.display} decodes (almost) nothing of ${sender.display} (${f.media.video.framesDecoded})`);

                const ind = (await demoState(viewer)).feeds[sender.myId].indicator;

                assert.equal(ind.state, 'failing', `${viewer.display}'s indicator for ${sender.display} says so`);
            };

            await checkNothing(carol, alice);
            await checkNothing(carol, bob);
            await checkNothing(alice, carol);
            await checkNothing(bob, carol);

            for (const [viewer, sender] of [[alice, bob], [bob, alice]]) {
                assert.equal((await demoState(viewer)).feeds[sender.myId].indicator.state, 'ok',
                             `${viewer.display}'s indicator for ${sender.display} says decrypting`);
            }
        },
    },

    {
        name: 'E2EE VideoRoom key change mid-call: a receiver that changes late decodes again within a second',
        timeoutMs: 90000,
        async run(ctx) {
            await needMedia(ctx);

            const alice = await participant(ctx, { room: 5678, display: 'alice', passphrase: 'first key' });
            const bob = await participant(ctx, { room: 5678, display: 'bob', passphrase: 'first key' });

            await decodes(bob, [alice], 10, 15000);
            await decodes(alice, [bob], 10, 15000);

            // alice moves first: bob cannot read her new frames until he changes too
            await alice.evaluate(() => window.demo.changeKey('second key'));

            const stalled = await until(async () => {
                const f = await feed(bob, alice.myId);

                return f.e2ee.find((s) => s.direction === 'recv' && s.kind === 'video')?.state === 'failing';
            }, 5000, 50);

            assert.ok(stalled, 'bob fails to decrypt alice after her change');

            const base = await framesDecoded(bob, alice.myId);
            const t0 = Date.now();

            await bob.evaluate(() => window.demo.changeKey('second key'));

            const back = await until(async () => await framesDecoded(bob, alice.myId) > base + 3, 3000, 50);
            const ms = Date.now() - t0;

            assert.ok(back, `bob decodes alice again: ${JSON.stringify(await feed(bob, alice.myId))}`);
            ctx.note(`bob decodes alice again ${ms} ms after installing the new key`);
            assert.ok(ms < 1000, `within a second of installing the key (${ms} ms)`);

            // and alice, who kept bob's old key until he moved, never stopped decoding him
            const a0 = await framesDecoded(alice, bob.myId);

            assert.ok(await until(async () => await framesDecoded(alice, bob.myId) > a0 + 5, 2000, 100),
                      'alice decodes bob under the new key');
        },
    },

    {
        name: 'plain VideoRoom (room 1234): two participants see each other',
        timeoutMs: 60000,
        async run(ctx) {
            await needMedia(ctx);

            const alice = await participant(ctx, { room: 1234, display: 'alice' });
            const bob = await participant(ctx, { room: 1234, display: 'bob' });

            for (const [p, q] of [[alice, bob], [bob, alice]]) {
                assert.ok(await until(async () => (await demoState(p)).feeds[q.myId]?.answered, 15000),
                          `${p.display} subscribed to ${q.display}`);
            }
            await decodes(alice, [bob], 10, 15000);
            await decodes(bob, [alice], 10, 15000);

            const st = await demoState(alice);

            assert.equal(st.publishAnswer.e2ee, false, 'no e2ee in the plain room');
            assert.deepEqual((await feed(alice, bob.myId)).e2ee, [], 'no SFrame streams');
        },
    },
];
