// The package's entry points: CommonJS and ESM for '.' and './native' with the same named
// exports, their type files, the bin, and the API docs built from the types without warnings.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, test } from 'vitest';

const run = promisify(execFile);
const root = path.resolve(__dirname, '../..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  exports: Record<string, unknown>;
  bin: Record<string, string>;
  files: string[];
};

/** The export names an ES module importer sees, from a child Node process (real ESM loader). */
async function esmNames(specifier: string): Promise<string[]> {
  const code = `const m = await import(${JSON.stringify(specifier)}); console.log(JSON.stringify(Object.keys(m).sort()));`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', code], { cwd: root });
  return JSON.parse(stdout) as string[];
}

describe('entry points', () => {
  test.each([
    ['netstack-websocket', 'dist/index.js'],
    ['netstack-websocket/native', 'dist/native.js'],
  ])('%s: ESM named exports = CommonJS exports (+ default)', async (specifier, cjsFile) => {
    const requireFromRoot = createRequire(path.join(root, 'package.json'));
    expect(requireFromRoot.resolve(specifier)).toBe(path.join(root, cjsFile));
    // '.' is the WebSocket class itself (as `ws`), carrying the named exports and `default`.
    const constants = new Set(['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED']);  // the class's own, not exports
    const cjsNames = Object.keys(requireFromRoot(specifier) as object).filter((name) => !constants.has(name));
    expect(await esmNames(specifier)).toEqual([...new Set([...cjsNames, 'default'])].sort());
  });

  test('exports map: import/require with types for . and ./native, and ./package.json', () => {
    expect(pkg.exports['./package.json']).toBe('./package.json');
    for (const [entry, base] of [['.', 'index'], ['./native', 'native']]) {
      expect(pkg.exports[entry]).toEqual({
        import: { types: `./esm/${base}.d.mts`, default: `./esm/${base}.mjs` },
        require: { types: `./dist/${base}.d.ts`, default: `./dist/${base}.js` },
      });
      for (const file of [`esm/${base}.d.mts`, `esm/${base}.mjs`, `dist/${base}.d.ts`, `dist/${base}.js`]) {
        expect(fs.existsSync(path.join(root, file)), file).toBe(true);
      }
    }
    expect(pkg.files).toEqual(expect.arrayContaining(['esm/', 'bin/']));
  });

  test('bin: netstack-websocket', () => {
    expect(pkg.bin['netstack-websocket']).toBe('bin/netstack-websocket.js');
    expect(fs.readFileSync(path.join(root, pkg.bin['netstack-websocket']), 'utf8').startsWith('#!/usr/bin/env node')).toBe(true);
  });

  test('a TypeScript consumer (node16 resolution, strict, no skipLibCheck) type-checks as ESM and as CommonJS', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netstack-ws-consumer-'));
    try {
      fs.mkdirSync(path.join(dir, 'node_modules'));
      fs.symlinkSync(root, path.join(dir, 'node_modules', 'netstack-websocket'), 'dir');
      fs.writeFileSync(path.join(dir, 'esm.mts'), [
        "import { WebSocket, connect, webSocket, ConnectError, type BusinessError } from 'netstack-websocket';",
        "import pkg from 'netstack-websocket';",
        "import { OH_Websocket_ErrCode } from 'netstack-websocket/native';",
        "const ws: WebSocket = new WebSocket('ws://x');",
        "const socket = await connect('ws://x');",
        "const oh: webSocket.WebSocket = webSocket.createWebSocket();",
        'oh.on(\'error\', (err: BusinessError) => err.code);',
        'const ok: number = OH_Websocket_ErrCode.WEBSOCKET_OK;',
        'void pkg.connect; void ws; void socket; void ok; void ConnectError;',
      ].join('\n'));
      fs.writeFileSync(path.join(dir, 'cjs.cts'), [
        "import { WebSocket, connect } from 'netstack-websocket';",
        "import native = require('netstack-websocket/native');",
        "const ws: WebSocket = new WebSocket('ws://x');",
        'void connect; void ws; void native.OH_Websocket_ErrCode;',
      ].join('\n'));
      fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({
        compilerOptions: {
          module: 'node16', moduleResolution: 'node16', target: 'ES2022', strict: true, noEmit: true, skipLibCheck: false,
          types: ['node'], typeRoots: [path.join(root, 'node_modules', '@types')],
        },
        files: ['esm.mts', 'cjs.cts'],
      }));
      const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
      await run(process.execPath, [tsc, '-p', path.join(dir, 'tsconfig.json')], { cwd: dir, timeout: 120000 });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120000);

  test('API docs (typedoc) build from the types without a warning', async () => {
    const typedoc = path.join(root, 'node_modules', 'typedoc', 'bin', 'typedoc');
    const { stdout, stderr } = await run(process.execPath, [typedoc, '--emit', 'none', '--treatWarningsAsErrors'], { cwd: root, timeout: 120000 });
    expect(`${stdout}${stderr}`).not.toMatch(/warning|error/i);
  }, 120000);
});
