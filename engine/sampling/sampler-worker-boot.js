'use strict';
// Entry of a SamplerPool worker thread. From TypeScript sources (tsx, jest) the worker body is a .ts file, so
// tsx's CommonJS hook is registered first (worker threads do not inherit the parent's loader); from compiled
// JavaScript the body loads as is.
const { workerData } = require('node:worker_threads');
if (workerData.entry.endsWith('.ts')) require('tsx/cjs/api').register();
require(workerData.entry);
