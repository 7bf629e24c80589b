// Types of the ESM entry point: the same as the CommonJS build's. The default export is the
// WebSocket class (with the named exports on it), as `ws`'s.
export * from '../dist/index.js';
export { default } from '../dist/index.js';
