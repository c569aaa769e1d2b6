/** `npm run bench:import`: the import bench alone (see bench/import.ts). */
import './env.js';
import { runAlone } from './alone.js';
import { runImportBench } from './import.js';

runAlone(runImportBench);
