/** `npm run bench:inbound`: the inbound mail section of `npm run bench` alone (see bench/inbound.ts). */
import './env.js';
import { runAlone } from './alone.js';
import { runInboundBench } from './inbound.js';

runAlone(runInboundBench);
