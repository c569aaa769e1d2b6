/** `npm run bench:import`: the import bench alone (see bench/import.ts). */
import './env.js';
import { runImportBench } from './import.js';

runImportBench().then(
  (report) => {
    console.log(report);
    process.exit(0);
  },
  (err: Error) => {
    console.error(`[bench] FAILED: ${err.stack ?? err.message}`);
    process.exit(1);
  },
);
