// Types of the ESM entry point: the same as the CommonJS build's.
import * as cjs from '../dist/index.js';
export * from '../dist/index.js';
export default cjs;
