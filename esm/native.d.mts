// Types of the ESM entry point of netstack-websocket/native: the same as the CommonJS build's.
import * as cjs from '../dist/native.js';
export * from '../dist/native.js';
export default cjs;
