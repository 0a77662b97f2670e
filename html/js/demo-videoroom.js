/**
 * The VideoRoom page: room 5678 end-to-end encrypted, room 1234 plain.
 *
 * One publisher handle (join, then publish) and one subscriber handle per
 * remote feed.  SFrame key ids come from VideoRoom participant ids: the
 * publisher's outgoingId is its own participant id, each subscription's
 * incomingId is the feed id it receives; every key is derived from the
 * room's passphrase and that id (see janus-client.js).
 *
 * window.demo exposes the page state for the browser tests.
 */

import { connect } from './janus-client.js';
import { $, log, serverUrl, decryptState, inboundStats, getCamera } from './demo-common.js';

const PLUGIN = 'janus.plugin.videoroom';
const E2EE_ROOM = 5678;
const MEDIA_WAIT_MS = 10000;

const state = {
    phase: 'idle',          // idle | joining | joined | left | failed
    error: null,
    room: null,
    e2ee: false,
    transport: null,
    myId: null,
    publishAnswer: null,    // { type, e2ee } of the server's answer to our publish offer
    webrtcUp: false,
    epoch: 0,
    feeds: {},              // feed id -> { display, offerE2ee, answered, webrtcUp, indicator, video }
    keyEvents: [],          // E2EE key events: { t, type, senderId, epoch }
};

let session = null;
let pub = null;
let stream = null;
let privateId = null;
let passphrase = null;
let poll = null;
let joinedAt = 0;
const subs = new Map();     // feed id -> { handle, tile, prev }

function fail(e) {
    state.phase = 'failed';
    state.error = String(e?.message ?? e);
    $('error').textContent = state.error;
    log(`error: ${state.error}`, true);
}

function setButtons(joined) {
    $('join').disabled = joined;
    $('leave').disabled = !joined;
    $('rekey').disabled = !joined || !state.e2ee;
    for (const id of ['room', 'display', 'passphrase', 'transport']) {
        $(id).disabled = joined;
    }
}

/** Texts and fields that depend on the room. */
function applyMode() {
    const e2ee = Number($('room').value) === E2EE_ROOM;

    $('title').textContent = e2ee ? 'E2EE VideoRoom (room 5678)' : 'Plain VideoRoom (room 1234)';
    $('intro').textContent = e2ee
        ? 'Everyone here encrypts their media end to end with a key derived from a passphrase that '
          + 'the participants share among themselves. Join with the same passphrase as the others.'
        : 'A room without end-to-end encryption: media is protected only between each browser and the server.';
    $('passphrase-label').hidden = !e2ee;
    $('rekey-row').hidden = !e2ee;
    $('visibility-e2ee').hidden = !e2ee;
    $('visibility-plain').hidden = e2ee;
}

function sframeFor(ids) {
    return state.e2ee ? { ...ids, sharedKey: passphrase, context: String(state.room), epoch: state.epoch } : undefined;
}

async function join() {
    const room = Number($('room').value);
    const e2ee = room === E2EE_ROOM;
    const display = $('display').value.trim() || `guest-${Math.floor(Math.random() * 1000)}`;

    if (e2ee && !$('passphrase').value) {
        $('error').textContent = 'Enter the room\'s passphrase.';
        $('passphrase').focus();
        return;
    }
    passphrase = $('passphrase').value;
    Object.assign(state, { phase: 'joining', error: null, room, e2ee, transport: $('transport').value,
                           myId: null, publishAnswer: null, webrtcUp: false, epoch: 0, feeds: {} });
    $('error').textContent = '';
    joinedAt = Date.now();
    setButtons(true);
    try {
        stream = await getCamera();
        $('local').srcObject = stream;

        session = await connect(serverUrl(state.transport), {
            onclose: (why) => { log(`session closed: ${why}`); leave(); },
            one2eeevent: (ev) => {
                state.keyEvents.push({ t: Date.now(), type: ev.type, senderId: String(ev.senderId), epoch: ev.epoch });
                state.keyEvents.splice(0, state.keyEvents.length - 200);
            },
        });
        log(`session ${session.id} over ${session.transportName}`);

        pub = await session.attach(PLUGIN, {
            onmessage: onRoomEvent,
            onwebrtcup: () => {
                state.webrtcUp = true;
                log('publisher: webrtcup');
            },
            onhangup: (reason) => log(`publisher hangup: ${reason}`),
        });

        const { data } = await pub.send({ request: 'join', ptype: 'publisher', room, display });

        state.myId = data.id;
        privateId = data.private_id;
        $('local-name').textContent = `${display} (id ${data.id})`;
        log(`joined room ${room} as ${data.id}; ${data.publishers?.length ?? 0} publisher(s) here`);

        const offer = await pub.createOffer({ stream, sframe: sframeFor({ outgoingId: data.id }) });
        const r = await pub.send({ request: 'publish', display }, offer);

        await pub.handleRemoteJsep(r.jsep);
        state.publishAnswer = { type: r.jsep.type, e2ee: !!r.jsep.e2ee };
        state.phase = 'joined';
        log(`publishing; answer${r.jsep.e2ee ? ' with e2ee: true' : ''}`);
        $('local-indicator').textContent = e2ee ? 'encrypting' : 'not encrypted';
        $('local-indicator').className = `indicator ${e2ee ? 'ok' : 'plain'}`;

        for (const p of data.publishers ?? []) {
            subscribe(p);
        }
        poll = setInterval(update, 500);
    } catch (e) {
        fail(e);
        await leave(true);
    }
}

function onRoomEvent(data) {
    if (!data) {
        return;
    }
    for (const p of data.publishers ?? []) {
        subscribe(p);
    }
    for (const k of ['unpublished', 'leaving', 'kicked']) {
        if (typeof data[k] === 'number') {
            removeFeed(data[k]);
        }
    }
    if (data.videoroom === 'destroyed') {
        log('the room was destroyed');
        leave();
    }
}

function newTile(id, display) {
    const tile = document.createElement('div');

    tile.className = 'tile';
    tile.id = `tile-${id}`;
    tile.innerHTML = '<h3><span class="name"></span> <span class="indicator">subscribing</span></h3>'
        + '<video autoplay playsinline></video>';
    tile.querySelector('.name').textContent = `${display ?? 'anonymous'} (id ${id})`;
    $('tiles').append(tile);
    return tile;
}

function setIndicator(tile, cls, text) {
    const ind = tile.querySelector('.indicator');

    ind.className = `indicator ${cls}`;
    ind.textContent = text;
}

async function subscribe(p) {
    if (p.id === state.myId || subs.has(p.id) || p.dummy) {
        return;
    }

    const tile = newTile(p.id, p.display);
    const feed = { display: p.display ?? null, offerE2ee: null, answered: false, webrtcUp: false,
                   indicator: { state: 'waiting', text: 'subscribing' }, video: null };
    const sub = { handle: null, tile, prev: undefined };

    subs.set(p.id, sub);
    state.feeds[p.id] = feed;
    try {
        sub.handle = await session.attach(PLUGIN, {
            onremotetrack: (track) => {
                const v = tile.querySelector('video');

                v.srcObject ??= new MediaStream();
                v.srcObject.addTrack(track);
            },
            onwebrtcup: () => {
                feed.webrtcUp = true;
                log(`feed ${p.id}: webrtcup`);
            },
            onmessage: (data, jsep) => {
                if (jsep?.type === 'offer') {
                    answer(p.id, jsep).catch((e) => log(`feed ${p.id}: ${e.message}`, true));
                }
            },
        });

        const r = await sub.handle.send({ request: 'join', ptype: 'subscriber', room: state.room,
                                          streams: [{ feed: p.id }], private_id: privateId });

        await answer(p.id, r.jsep);
    } catch (e) {
        setIndicator(tile, 'failing', `not subscribed: ${e.reason ?? e.message}`);
        log(`feed ${p.id}: ${e.message}`, true);
    }
}

async function answer(id, jsep) {
    const sub = subs.get(id);
    const feed = state.feeds[id];

    feed.offerE2ee = !!jsep.e2ee;
    if (jsep.e2ee && !state.e2ee) {
        // Nothing to decrypt with: say so instead of showing garbage.
        setIndicator(sub.tile, 'failing', 'end-to-end encrypted: no key in this room');
        await sub.handle.detach().catch(() => {});
        return;
    }

    const ans = await sub.handle.createAnswer({ jsep, sframe: sframeFor({ incomingId: id }) });

    await sub.handle.send({ request: 'start' }, ans);
    feed.answered = true;
    setIndicator(sub.tile, state.e2ee ? 'waiting' : 'plain', state.e2ee ? 'waiting for media' : 'not encrypted');
}

function removeFeed(id) {
    const sub = subs.get(id);

    if (!sub) {
        return;
    }
    subs.delete(id);
    delete state.feeds[id];
    sub.tile.remove();
    sub.handle?.detach().catch(() => {});
    log(`feed ${id} left`);
}

async function update() {
    for (const [id, sub] of subs) {
        const feed = state.feeds[id];

        if (!feed?.answered || !sub.handle) {
            continue;
        }
        feed.video = (await inboundStats(sub.handle.pc)).video;
        if (!state.e2ee) {
            continue;
        }

        const cur = (await sub.handle.e2eeStats()).find((s) => s.direction === 'recv' && s.kind === 'video');

        feed.indicator = decryptState(sub.prev, cur);
        sub.prev = cur && { ok: cur.ok, failed: cur.failed };
        setIndicator(sub.tile, feed.indicator.state, feed.indicator.text);
    }

    const lines = [
        `room ${state.room} (${state.e2ee ? 'end-to-end encrypted' : 'plain'}), you are ${state.myId}, `
        + `${subs.size} other publisher(s)`,
        `publish answer: ${state.publishAnswer ? `e2ee: ${state.publishAnswer.e2ee}` : 'none'}; `
        + `media: ${state.webrtcUp ? 'up' : 'not up'}${state.e2ee ? `; key epoch ${state.epoch}` : ''}`,
    ];

    if (!state.webrtcUp && Date.now() - joinedAt > MEDIA_WAIT_MS) {
        lines.push(`No media connection after ${MEDIA_WAIT_MS / 1000} s. Signaling works, but others see `
                   + 'you (and you see them) only once the server\'s media plane carries the streams.');
    }
    $('status').textContent = lines.join('\n');
}

/** Everyone moves to the next key epoch with a new passphrase. */
async function changeKey(newPassphrase = $('new-passphrase').value) {
    if (!newPassphrase) {
        $('error').textContent = 'Enter the new passphrase.';
        return;
    }

    const epoch = state.epoch + 1;

    try {
        // receive keys first, so nothing of ours is ahead of what we can read
        for (const sub of subs.values()) {
            if (sub.handle?.e2ee) {
                await sub.handle.setSframeKey({ sharedKey: newPassphrase, epoch });
            }
        }
        await pub.setSframeKey({ sharedKey: newPassphrase, epoch });
        passphrase = newPassphrase;
        state.epoch = epoch;
        $('new-passphrase').value = '';
        log(`key changed: epoch ${epoch}`);
    } catch (e) {
        fail(e);
    }
}

async function leave(keepError = false) {
    clearInterval(poll);
    poll = null;

    const s = session;

    session = null;
    if (s && !s.closed) {
        await pub?.send({ request: 'leave' }).catch(() => {});
        await s.destroy().catch(() => {});
    }
    pub = null;
    for (const sub of subs.values()) {
        sub.tile.remove();
    }
    subs.clear();
    stream?.getTracks().forEach((t) => t.stop());
    stream = null;
    $('local').srcObject = null;
    $('local-indicator').textContent = 'not publishing';
    $('local-indicator').className = 'indicator';
    if (state.phase !== 'failed' || !keepError) {
        state.phase = 'left';
    }
    state.feeds = {};
    setButtons(false);
    $('status').textContent = 'Not joined.';
}

const q = new URLSearchParams(location.search);

if (q.get('room') === '1234' || q.get('room') === '5678') {
    $('room').value = q.get('room');
}
applyMode();
$('room').addEventListener('change', applyMode);
$('controls').addEventListener('submit', (ev) => {
    ev.preventDefault();
    join();
});
$('leave').addEventListener('click', () => leave());
$('rekey').addEventListener('click', () => changeKey());

window.demo = {
    state,
    publisher: () => pub,
    changeKey,
    leave,
    feedStats: async (id) => {
        const h = subs.get(Number(id))?.handle;

        return { media: await inboundStats(h?.pc), e2ee: await h?.e2eeStats() ?? [] };
    },
};
