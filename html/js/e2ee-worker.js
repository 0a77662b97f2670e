/**
 * E2EE worker: SFrame for WebRTC encoded transforms.  Load it as a module
 * worker: new Worker(new URL('./e2ee-worker.js', import.meta.url), { type: 'module' }).
 *
 * Two entry points share one keyring (so send counters are shared by all
 * streams of the page):
 *  - RTCRtpScriptTransform: the browser fires `rtctransform` here with the
 *    transformer whose `options` name direction, kind, streamId, ...;
 *  - legacy createEncodedStreams(): the page posts { type: 'stream', readable,
 *    writable, ... } with both streams in the transfer list.
 * The message protocol is documented in e2ee-worker-core.js.
 */

import { E2EEWorkerCore } from './e2ee-worker-core.js';

const core = new E2EEWorkerCore({ post: (msg) => self.postMessage(msg) });

self.onmessage = (ev) => {
    core.handleMessage(ev.data);
};

self.onrtctransform = (ev) => {
    try {
        core.attachTransformer(ev.transformer);
    } catch (e) {
        self.postMessage({ type: 'error', request: 'rtctransform', error: String(e?.message ?? e), code: e?.code });
    }
};
