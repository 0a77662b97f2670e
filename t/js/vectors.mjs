// Loads the RFC 9605 test vectors shipped next to the tests (t/js/vectors/).
import { readFileSync } from 'node:fs';

const FILE = new URL('./vectors/test-vectors-025d568.json', import.meta.url);

/**
 * The vector file with `kid` and `ctr` as BigInt: they reach 2^64-1, which
 * JSON.parse would round, so they are quoted before parsing.
 */
export function loadVectors() {
    const text = readFileSync(FILE, 'utf8').replace(/"(kid|ctr)"\s*:\s*(\d+)/g, '"$1": "$2"');
    const v = JSON.parse(text);

    for (const list of [v.header, v.sframe]) {
        for (const e of list) {
            e.kid = BigInt(e.kid);
            e.ctr = BigInt(e.ctr);
        }
    }
    return v;
}
