// The npm tarball as a user gets it: `npm pack` (with the prebuilt binary from
// `npm run prebuildify`), installed into an empty project on a PATH that has node and sh
// but no compiler, cmake, make or bash, then an echo round trip through the installed
// package. Also: what a user sees when no binary matches (one clear error, and the
// install script's "what it needs" line).
import { execFile, execFileSync, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEchoServer, type EchoServer } from '../helpers/ws-server';

const root = path.resolve(__dirname, '../..');
const prebuild = path.join(root, 'prebuilds', 'linux-x64', 'node.napi.glibc.node');
const smokeClient = path.join(__dirname, 'smoke-client.js');

// Everything the package may contain; anything else in the tarball fails the test.
const allowed = [
  /^package\.json$/, /^README\.md$/, /^LICENSE$/, /^THIRD-PARTY-NOTICES\.md$/,
  /^prebuilds\/linux-(x64|arm64)\/node\.napi\.glibc\.node$/,
  /^prebuilds\/(win32-x64|darwin-x64|darwin-arm64)\/node\.napi\.node$/,
  // The patched libwebsockets tree for a source build without network (scripts/vendor-lws.sh).
  /^deps\/libwebsockets\/[\w+.\/-]+$/,
  /^dist\/[\w-]+\.(js|d\.ts)$/,
  /^esm\/[\w-]+\.(mjs|d\.mts)$/,
  /^bin\/[\w-]+\.js$/,
  /^native\/(include|core|capi|addon)\/[\w-]+\.(h|cc)$/,
  /^CMakeLists\.txt$/, /^binding\.gyp$/,
  /^scripts\/(install\.js|build-native\.sh|build-lws-for-gyp\.sh|fetch-lws\.sh)$/,
  /^patches\/lws\/[\w.-]+$/,
];
const required = [
  'package.json', 'README.md', 'LICENSE', 'THIRD-PARTY-NOTICES.md',
  'prebuilds/linux-x64/node.napi.glibc.node',
  'dist/native.js', 'dist/native.d.ts', 'dist/binding.js', 'dist/binding.d.ts',
  'native/include/net_websocket.h', 'native/include/net_websocket_type.h',
  'scripts/install.js',
  'deps/libwebsockets/NETSTACK_TREE', 'deps/libwebsockets/LICENSE', 'deps/libwebsockets/CMakeLists.txt',
];

let tmp = '';
let tarball = '';
let packed: { files: Array<{ path: string; size: number }>; size: number; unpackedSize: number };
let hiddenPath = '';
let npmCli = '';
let server: EchoServer;

/** The environment of a user without build tools: PATH holds node and sh only. */
function userEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^npm_/i.test(k) && k !== 'NODE_OPTIONS' && k !== 'VITEST' && !k.startsWith('VITEST_')) env[k] = v;
  }
  env.PATH = hiddenPath;
  return env;
}

function run(cmd: string, args: string[], cwd: string, timeout = 180000): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { cwd, env: userEnv(), encoding: 'utf8', timeout });
}

function npm(args: string[], cwd: string): SpawnSyncReturns<string> {
  return run(process.execPath, [npmCli, ...args, '--no-audit', '--no-fund', '--prefer-offline'], cwd);
}

function newProject(name: string): string {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', private: true }));
  return dir;
}

interface SmokeResult { checks: Record<string, unknown>; binary: { file: string }; failed: string[] }

/** Runs the smoke client in `project` (asynchronously: the echo server lives in this process).
 * It is copied there so that `netstack-websocket` resolves to the installed copy, not to
 * this repository (a file inside a package resolves its own name to itself). */
async function smoke(project: string): Promise<SmokeResult> {
  const client = path.join(project, 'smoke-client.js');
  fs.copyFileSync(smokeClient, client);
  const { stdout, stderr } = await new Promise<{ stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, [client, JSON.stringify({ ws: server.url, worker: true })],
      { cwd: project, env: userEnv(), encoding: 'utf8', timeout: 60000 },
      (_err, stdout, stderr) => resolve({ stdout, stderr }));
  });
  const line = stdout.split('\n').find((l) => l.startsWith('SMOKE '));
  expect(line, `smoke client output:\n${stdout}\n${stderr}`).toBeDefined();
  return JSON.parse(line!.slice(6));
}

beforeAll(async () => {
  // The tarball needs the prebuilt binary (scripts/test.sh makes it first; here too if missing).
  if (!fs.existsSync(prebuild)) execFileSync('bash', ['scripts/prebuild.sh'], { cwd: root, stdio: 'inherit' });
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'netstack-pack-'));

  const out = execFileSync('npm', ['pack', '--json', '--pack-destination', tmp], { cwd: root, encoding: 'utf8' });
  [packed] = JSON.parse(out.slice(out.indexOf('[')));
  tarball = path.join(tmp, fs.readdirSync(tmp).find((f) => f.endsWith('.tgz'))!);

  // A bin dir with node and sh only (npm runs lifecycle scripts with sh).
  const bin = path.join(tmp, 'bin');
  fs.mkdirSync(bin);
  fs.symlinkSync(process.execPath, path.join(bin, 'node'));
  fs.symlinkSync('/bin/sh', path.join(bin, 'sh'));
  hiddenPath = bin;
  const npmBin = execFileSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).trim();
  npmCli = fs.realpathSync(npmBin);

  server = await startEchoServer();
}, 300000);

afterAll(async () => {
  await server?.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe('npm pack', () => {
  it('holds the prebuilt binaries, the JS and .d.ts, the C headers, the lws source, README and licences, and nothing else', () => {
    const files = packed.files.map((f) => f.path).sort();
    const unexpected = files.filter((f) => !allowed.some((re) => re.test(f)));
    expect(unexpected).toEqual([]);
    for (const f of required) expect(files).toContain(f);
    // With the three binaries (linux-x64, linux-arm64, win32-x64) and the lws source: about
    // 2.4 MB packed, 8.4 MB unpacked (README); catch accidental bloat.
    expect(packed.size).toBeLessThan(4 * 1024 * 1024);
    expect(packed.unpackedSize).toBeLessThan(14 * 1024 * 1024);
    console.log(`tarball ${path.basename(tarball)}: ${packed.size} bytes, ${packed.unpackedSize} unpacked, ${files.length} files`);
  });

  it('carries the libwebsockets licence text', () => {
    const notices = fs.readFileSync(path.join(root, 'THIRD-PARTY-NOTICES.md'), 'utf8');
    expect(notices).toContain('## MIT License applied to libwebsockets');
    expect(notices).toContain('Permission is hereby granted, free of charge');
    expect(fs.readFileSync(path.join(root, 'LICENSE'), 'utf8')).toMatch(/^MIT License/);
  });
});

describe('installed from the tarball without build tools', () => {
  it('the user PATH really has no compiler, cmake, make or bash', () => {
    for (const tool of ['cc', 'c++', 'gcc', 'g++', 'cmake', 'make', 'bash']) {
      const r = spawnSync('/bin/sh', ['-c', `command -v ${tool}`], { env: userEnv(), encoding: 'utf8' });
      expect(r.stdout.trim(), tool).toBe('');
    }
  });

  it('npm install (install script runs, finds the prebuild, builds nothing) and an echo round trip', async () => {
    const project = newProject('consumer');
    const r = npm(['install', tarball], project);
    expect(r.status, `npm install failed:\n${r.stdout}\n${r.stderr}`).toBe(0);
    const pkg = path.join(project, 'node_modules', 'netstack-websocket');
    expect(fs.existsSync(path.join(pkg, 'build'))).toBe(false);
    const result = await smoke(project);
    expect(result.binary.file).toBe(path.join('prebuilds', 'linux-x64', 'node.napi.glibc.node'));
    expect(result.failed, JSON.stringify(result.checks)).toEqual([]);
    expect(Object.keys(result.checks)).toEqual(['ws', 'worker']);
  }, 180000);

  it('npm install --ignore-scripts and an echo round trip', async () => {
    const project = newProject('consumer-ignore-scripts');
    const r = npm(['install', '--ignore-scripts', tarball], project);
    expect(r.status, `npm install failed:\n${r.stdout}\n${r.stderr}`).toBe(0);
    const result = await smoke(project);
    expect(result.failed, JSON.stringify(result.checks)).toEqual([]);
  }, 180000);

  it('the .d.ts files type-check a TypeScript consumer of netstack-websocket/native', () => {
    const project = path.join(tmp, 'consumer');
    fs.writeFileSync(path.join(project, 'app.ts'), [
      "import * as ws from 'netstack-websocket/native';",
      'const c: ws.OH_NetStack_WebsocketClient | null = ws.OH_NetStack_WebsocketClient_Construct(',
      '  (client, open) => { ws.OH_NetStack_WebSocketClient_Send(client, `code ${open.code}`, 7); },',
      '  (_client, data: Buffer, length: number) => { void data.subarray(0, length); }, null, null);',
      "const rc: number = ws.OH_WebSocketClient_Connect(c, 'ws://127.0.0.1:1', c!.RequestOptions);",
      'void rc; void ws.WebSocket_ErrCode.WEBSOCKET_OK;',
      '',
    ].join('\n'));
    const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    const r = run(process.execPath, [tsc, '--noEmit', '--strict', '--module', 'node16', '--moduleResolution', 'node16',
      '--target', 'es2022', '--types', 'node', '--typeRoots', path.join(root, 'node_modules', '@types'), 'app.ts'], project);
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
  }, 180000);
});

describe('the shipped types stand alone', () => {
  it('an app with "types": [] and skipLibCheck: false compiles and gets real types (Node\'s come with the package)', () => {
    const project = path.join(tmp, 'consumer');
    expect(fs.existsSync(path.join(project, 'node_modules', '@types', 'node', 'package.json'))).toBe(true);
    fs.writeFileSync(path.join(project, 'standalone.mts'), [
      "import { WebSocket, connect, webSocket, BusinessError, ConnectError } from 'netstack-websocket';",
      "import { OH_Websocket_ErrCode } from 'netstack-websocket/native';",
      "const ws = new WebSocket('ws://127.0.0.1:1');",
      'const state: number = ws.readyState;',
      '// @ts-expect-error: real types, not any (readyState is a number)',
      'const wrong: string = ws.readyState;',
      "const socket = await connect('ws://127.0.0.1:1').catch((err: unknown) => err instanceof ConnectError ? null : null);",
      'if (socket) for await (const message of socket) { const bytes: Buffer | string = message; void bytes; }',
      "webSocket.createWebSocket().on('error', (err: BusinessError) => { const code: number = err.code; void code; });",
      'void state; void wrong; void OH_Websocket_ErrCode.WEBSOCKET_OK;',
      '',
    ].join('\n'));
    fs.writeFileSync(path.join(project, 'tsconfig.standalone.json'), JSON.stringify({
      compilerOptions: { module: 'node16', moduleResolution: 'node16', target: 'ES2022', strict: true, noEmit: true, skipLibCheck: false, types: [] },
      files: ['standalone.mts'],
    }));
    const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    const r = run(process.execPath, [tsc, '-p', 'tsconfig.standalone.json'], project);
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
  }, 180000);

  it('BusinessError is there at run time, from require() and from import', () => {
    const project = path.join(tmp, 'consumer');
    const cjs = run(process.execPath, ['-e', "const { BusinessError, WebSocketError } = require('netstack-websocket'); console.log(BusinessError === WebSocketError)"], project, 30000);
    expect(cjs.stdout.trim(), cjs.stderr).toBe('true');
    const esm = run(process.execPath, ['--input-type=module', '-e',
      "import { webSocket, BusinessError } from 'netstack-websocket'; console.log(typeof BusinessError, typeof webSocket.createWebSocket)"], project, 30000);
    expect(esm.stdout.trim(), esm.stderr).toBe('function function');
  });
});

describe('no matching binary', () => {
  /** A copy of the installed package under another name, with `binary` as its only prebuild. */
  function copyWithout(name: string, binary: Buffer | null): string {
    const project = path.join(tmp, 'consumer');
    const dest = path.join(project, 'node_modules', name);
    fs.cpSync(path.join(project, 'node_modules', 'netstack-websocket'), dest, { recursive: true });
    fs.rmSync(path.join(dest, 'prebuilds'), { recursive: true, force: true });
    fs.rmSync(path.join(dest, 'build'), { recursive: true, force: true });
    if (binary) {
      fs.mkdirSync(path.join(dest, 'prebuilds', 'linux-x64'), { recursive: true });
      fs.writeFileSync(path.join(dest, 'prebuilds', 'linux-x64', 'node.napi.glibc.node'), binary);
    }
    return dest;
  }

  function load(name: string): SpawnSyncReturns<string> {
    return run(process.execPath, ['-e', `require('${name}/native')`], path.join(tmp, 'consumer'), 30000);
  }

  const expectedHead = new RegExp(
    `^Error: netstack-websocket: no usable native addon for ${process.platform}-${process.arch}, libc glibc [0-9.]+, ` +
      `Node ${process.version.replace(/\./g, '\\.')} \\(Node-API ${process.versions.napi}\\)`,
    'm',
  );

  it('loading with no binary at all: one clear error naming platform, arch, libc and Node-API', () => {
    copyWithout('netstack-websocket-nobinary', null);
    const r = load('netstack-websocket-nobinary');
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(expectedHead);
    expect(r.stderr).toContain('ships a prebuilt binary for linux-x64 with glibc >= 2.33');
    expect(r.stderr).toContain('Cause: No native build was found for platform=linux');
  });

  it('loading a binary that does not load (not an ELF file): the same error, dlopen message as cause', () => {
    copyWithout('netstack-websocket-badbinary', Buffer.from('this is not an ELF shared object\n'));
    const r = load('netstack-websocket-badbinary');
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(expectedHead);
    expect(r.stderr).toMatch(/Cause: .*(invalid ELF header|file too short)/);
  });

  it('the install script, with no prebuild and no build tools, says what a source build needs', () => {
    const dest = copyWithout('netstack-websocket-nobuild', null);
    const r = run(process.execPath, [path.join(dest, 'scripts', 'install.js')], dest, 60000);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`netstack-websocket: no prebuilt binary for ${process.platform}-${process.arch}; ` +
      'building from source needs cmake >= 3.16 and a C/C++ compiler: cmake was not found, ' +
      'no C compiler (cc, gcc or clang) was found, no C++ compiler (c++, g++ or clang++) was found');
  }, 180000);
});
