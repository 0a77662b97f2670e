/**
 * The E2EE EchoTest page: one handle on janus.plugin.echotest, camera and
 * microphone sent and received on one PeerConnection, SFrame keyed from a
 * passphrase.  The echo carries our own frames back, so the handle's
 * sender id is both its outgoingId and its incomingId.
 *
 * window.demo exposes the page state for the browser tests.
 */

import { connect } from './janus-client.js';
import { $, log, serverUrl, decryptState, inboundStats, getCamera } from './demo-common.js';

const MEDIA_WAIT_MS = 10000;

const state = {
    phase: 'idle',          // idle | starting | negotiated | media | stopped | failed
    error: null,
    transport: null,
    e2ee: false,
    sessionId: null,
    handleId: null,
    answer: null,           // { type, e2ee } of the server's answer
    webrtcUp: false,
    connectionState: null,
    epoch: 0,
    indicator: {},          // kind -> { state, text }
};

let session = null;
let handle = null;
let stream = null;
let poll = null;
let prevStats = {};
let started = 0;           // when Start was pressed

function show(text) {
    $('status').textContent = text;
}

function fail(e) {
    state.phase = 'failed';
    state.error = String(e?.message ?? e);
    $('error').textContent = state.error;
    log(`error: ${state.error}`, true);
}

function setButtons(running) {
    $('start').disabled = running;
    $('stop').disabled = !running;
    $('rotate').disabled = !running || !state.e2ee;
    for (const id of ['e2ee', 'transport']) {
        $(id).disabled = running;
    }
    $('passphrase').disabled = running || !$('e2ee').checked;
}

async function start() {
    const e2ee = $('e2ee').checked;
    const passphrase = $('passphrase').value;

    if (e2ee && !passphrase) {
        $('error').textContent = 'Enter a passphrase (or turn end-to-end encryption off).';
        $('passphrase').focus();
        return;
    }
    Object.assign(state, { phase: 'starting', error: null, e2ee, transport: $('transport').value,
                           answer: null, webrtcUp: false, epoch: 0, indicator: {} });
    $('error').textContent = '';
    setButtons(true);
    try {
        stream = await getCamera();
        $('local').srcObject = stream;

        session = await connect(serverUrl(state.transport), {
            onclose: (why) => { log(`session closed: ${why}`); stop(); },
        });
        state.sessionId = session.id;
        log(`session ${session.id} over ${session.transportName}`);

        handle = await session.attach('janus.plugin.echotest', {
            onremotetrack: (track, info) => {
                const el = $('remote');

                el.srcObject ??= new MediaStream();
                el.srcObject.addTrack(track);
                log(`remote ${track.kind} track (mid ${info.mid})`);
            },
            onwebrtcup: () => {
                state.webrtcUp = true;
                state.phase = 'media';
                log('webrtcup: media connection established');
            },
            onhangup: (reason) => log(`hangup: ${reason}`),
            onmessage: (data) => log(`event: ${JSON.stringify(data)}`),
            onconnectionstate: (s) => {
                state.connectionState = s;
                log(`connection state: ${s}`);
            },
        });
        state.handleId = handle.id;

        const offer = await handle.createOffer({
            stream,
            receive: { audio: true, video: true },
            sframe: e2ee ? { outgoingId: handle.id, incomingId: handle.id, sharedKey: passphrase, context: 'echotest' }
                : undefined,
        });
        const { data, jsep } = await handle.send({ audio: true, video: true }, offer);

        await handle.handleRemoteJsep(jsep);
        state.answer = { type: jsep.type, e2ee: !!jsep.e2ee };
        state.phase = state.webrtcUp ? 'media' : 'negotiated';
        log(`echotest: ${JSON.stringify(data)}; answer${jsep.e2ee ? ' with e2ee: true' : ''}`);
        if (e2ee && !jsep.e2ee) {
            log('the server did not acknowledge e2ee in its answer', true);
        }
        poll = setInterval(update, 500);
        update();
    } catch (e) {
        fail(e);
        await stop(true);
    }
}

async function update() {
    if (!handle) {
        return;
    }

    const lines = [
        `session ${state.sessionId} (${state.transport}), handle ${state.handleId}`,
        `answer: ${state.answer ? `${state.answer.type}, e2ee: ${state.answer.e2ee}` : 'none'}`,
        `media: ${state.webrtcUp ? 'up (webrtcup)' : 'not up'}; ICE/DTLS: ${state.connectionState ?? 'new'}`,
    ];

    if (state.e2ee) {
        const stats = await handle.e2eeStats();

        for (const kind of ['video', 'audio']) {
            const cur = stats.find((s) => s.direction === 'recv' && s.kind === kind);

            state.indicator[kind] = decryptState(prevStats[kind], cur);
            prevStats[kind] = cur && { ok: cur.ok, failed: cur.failed };
        }
        lines.push(`E2EE key epoch ${state.epoch}; received video: ${state.indicator.video.text}, `
                   + `audio: ${state.indicator.audio.text}`);
    }

    const ind = $('indicator');

    if (!state.e2ee) {
        ind.className = 'indicator plain';
        ind.textContent = 'not encrypted';
    } else {
        ind.className = `indicator ${state.indicator.video.state}`;
        ind.textContent = state.indicator.video.text;
    }
    if (!state.webrtcUp && Date.now() - started > MEDIA_WAIT_MS) {
        lines.push(`No media connection after ${MEDIA_WAIT_MS / 1000} s. The call is negotiated, `
                   + 'but media needs the server\'s media plane (ICE, DTLS, SRTP).');
    }
    show(lines.join('\n'));
}

async function rotate() {
    try {
        state.epoch = await handle.setSframeKey();
        log(`now encrypting with key epoch ${state.epoch}`);
    } catch (e) {
        fail(e);
    }
}

async function stop(keepError = false) {
    clearInterval(poll);
    poll = null;
    prevStats = {};

    const s = session;

    session = null;
    handle = null;
    if (s) {
        await s.destroy().catch(() => {});
    }
    stream?.getTracks().forEach((t) => t.stop());
    stream = null;
    $('local').srcObject = null;
    $('remote').srcObject = null;
    if (state.phase !== 'failed' || !keepError) {
        state.phase = 'stopped';
    }
    setButtons(false);
    $('indicator').className = 'indicator';
    $('indicator').textContent = 'not started';
    show('Not connected.');
}

$('controls').addEventListener('submit', (ev) => {
    ev.preventDefault();
    started = Date.now();
    start();
});
$('stop').addEventListener('click', () => stop());
$('rotate').addEventListener('click', rotate);
$('e2ee').addEventListener('change', () => { $('passphrase').disabled = !$('e2ee').checked; });

window.demo = {
    state,
    handle: () => handle,
    mediaStats: () => inboundStats(handle?.pc),
    e2eeStats: () => handle?.e2eeStats() ?? [],
    rotate,
    stop,
};
