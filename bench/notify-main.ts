/** `npm run bench:notify`: the notifications section of `npm run bench` alone (see bench/notify.ts). */
import './env.js';
import { runAlone } from './alone.js';
import { runNotifyBench } from './notify.js';

runAlone(runNotifyBench);
