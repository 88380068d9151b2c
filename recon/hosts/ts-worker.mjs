// Bootstrap for worker threads: workers start from this plain ES module, which makes
// the thread run TypeScript and then imports the module named in workerData, so the
// engine runs unbuilt in the CLI, the tests and the app alike.
import { workerData } from 'node:worker_threads';
import './register-ts.mjs';

await import(workerData.module);
