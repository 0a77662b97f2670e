// The VideoRoom flow driven by Janode, a Janus client written by others,
// against the server.  Two participants on two WebSocket connections:
// alice publishes, bob sees her in "publishers", subscribes to her feed
// and answers the server's offer; then alice unpublishes and leaves, and
// bob is told each time.  Prints one JSON line; exits 1 on a failure.
//
//   node t/clients/janode-videoroom.mjs ws://127.0.0.1:PORT/janus ROOM OFFER.sdp

import { readFileSync } from 'node:fs';
import Janode from 'janode';
import VideoRoomPlugin from 'janode/plugins/videoroom';

const [url, roomArg, offerFile] = process.argv.slice(2);
const room = Number(roomArg);
const offer = readFileSync(offerFile, 'utf8');
const steps = [];

Janode.Logger.setLevel('none');

function check(cond, what) {
  steps.push(what);
  if (!cond) {
    throw new Error(`failed: ${what}`);
  }
}

function waitEvent(handle, name, ms = 5000) {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no ${name} event`)), ms);
    handle.once(name, data => {
      clearTimeout(t);
      resolve(data);
    });
  });
}

// An answer to the server's subscriber offer, as a receive-only browser
// would write it: same m-lines and codecs, our own ICE and DTLS values.
function answerTo(sdp) {
  const fp = Array.from({ length: 32 }, (_, i) =>
    ((i * 7 + 3) & 255).toString(16).padStart(2, '0').toUpperCase()).join(':');
  const out = [];
  for (const line of sdp.split(/\r?\n/)) {
    if (line === '') continue;
    if (/^a=(ssrc|ssrc-group|msid|candidate|end-of-candidates|ice-lite)/.test(line)) continue;
    if (line.startsWith('o=')) { out.push('o=- 4242 2 IN IP4 127.0.0.1'); continue; }
    if (line.startsWith('a=ice-ufrag:')) { out.push('a=ice-ufrag:janode1'); continue; }
    if (line.startsWith('a=ice-pwd:')) { out.push('a=ice-pwd:janodejanodejanodejanode'); continue; }
    if (line.startsWith('a=fingerprint:')) { out.push(`a=fingerprint:sha-256 ${fp}`); continue; }
    if (line === 'a=setup:actpass') { out.push('a=setup:active'); continue; }
    if (line === 'a=sendonly') { out.push('a=recvonly'); continue; }
    out.push(line);
  }
  return out.join('\r\n') + '\r\n';
}

async function main() {
  const connA = await Janode.connect({ address: { url } });
  const connB = await Janode.connect({ address: { url } });

  const sessA = await connA.create();
  const sessB = await connB.create();

  const alice = await sessA.attach(VideoRoomPlugin);
  const bob = await sessB.attach(VideoRoomPlugin);

  const exists = await alice.exists({ room });
  check(exists.exists === true, `room ${room} exists`);

  const list = await alice.list();
  check(list.list.some(r => r.room === room), 'the room is listed');

  const missing = await alice.joinPublisher({ room: 999999, display: 'x' })
    .then(() => null, e => e);
  check(missing && /426/.test(String(missing.message || missing)),
        'joining a room that does not exist fails with 426');

  const joinedA = await alice.joinPublisher({ room, display: 'alice' });
  check(joinedA.feed > 0, 'alice joined as a publisher');

  const joinedB = await bob.joinPublisher({ room, display: 'bob' });
  check(joinedB.feed > 0 && joinedB.feed !== joinedA.feed, 'bob joined too');

  const bobSeesAlice = waitEvent(bob, VideoRoomPlugin.EVENT.VIDEOROOM_PUB_LIST);

  const published = await alice.publish({ jsep: { type: 'offer', sdp: offer } });
  check(published.configured === 'ok', 'alice published');
  check(published.jsep && published.jsep.type === 'answer', 'with an answer');
  check(/\r\na=ice-lite\r\n/.test(published.jsep.sdp), 'the answer is ice-lite');
  check(/\r\na=recvonly\r\n/.test(published.jsep.sdp), 'the server receives');

  const pubList = await bobSeesAlice;
  check(pubList.publishers.some(p => p.feed === joinedA.feed),
        'bob is told about alice\'s feed');

  const participants = await bob.listParticipants({ room });
  const a = participants.participants.find(p => p.feed === joinedA.feed);
  check(a && a.publisher === true, 'listparticipants shows alice publishing');

  const sub = await sessB.attach(VideoRoomPlugin);
  const attached = await sub.joinSubscriber({ room, streams: [{ feed: joinedA.feed }] });
  check(attached.jsep && attached.jsep.type === 'offer', 'the subscriber gets an offer');
  check(/\r\na=setup:actpass\r\n/.test(attached.jsep.sdp), 'offering actpass');
  check(/\r\na=sendonly\r\n/.test(attached.jsep.sdp), 'sending alice\'s streams');

  const started = await sub.start({ jsep: { type: 'answer', sdp: answerTo(attached.jsep.sdp) } });
  check(started.started === 'ok', 'the subscription started');

  const unpublished = waitEvent(bob, VideoRoomPlugin.EVENT.VIDEOROOM_UNPUBLISHED);
  await alice.unpublish();
  const u = await unpublished;
  check(u.feed === joinedA.feed, 'bob is told alice unpublished');

  const leaving = waitEvent(bob, VideoRoomPlugin.EVENT.VIDEOROOM_LEAVING);
  await alice.leave();
  const l = await leaving;
  check(l.feed === joinedA.feed, 'bob is told alice left');

  await sub.detach();
  await bob.leave();
  await sessA.destroy();
  await sessB.destroy();
  await connA.close();
  await connB.close();
}

main().then(() => {
  console.log(JSON.stringify({ ok: true, steps }));
  process.exit(0);
}, e => {
  console.log(JSON.stringify({ ok: false, steps, error: String(e && e.message || e) }));
  process.exit(1);
});
