#!/usr/bin/env node
// netstack-websocket <url>: connects, prints every incoming message, sends each line typed
// on stdin as a text message, and shows open / close / error with their codes.
// End of input (Ctrl-D) closes the connection with 1000; Ctrl-C too.
'use strict';
const fs = require('node:fs');
const readline = require('node:readline');
const { connect, WebSocketError } = require('../dist/index.js');

const USAGE = `usage: netstack-websocket <url> [options]

Connects to a WebSocket server, prints incoming messages ("< ..."), sends every line
read from stdin as a text message, and shows open, close and error with their codes.
End of input (Ctrl-D) or Ctrl-C closes the connection with code 1000.

options:
  -H, --header "Name: value"  add a handshake header (repeatable)
  -p, --protocol <name>       offer a subprotocol (repeatable)
      --ca <file>             trust the CA certificates in this PEM file (wss://)
  -k, --insecure              accept any server certificate (wss://; testing only)
  -h, --help                  show this help

exit status: 0 after a clean close, 1 after an error or an unclean close, 2 for bad usage.`;

function usageError(message) {
  process.stderr.write(`netstack-websocket: ${message}\n\n${USAGE}\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const options = { url: undefined, headers: [], protocols: [], ca: undefined, insecure: false };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) usageError(`${arg} needs a value`);
      i += 1;
      return argv[i];
    };
    if (arg === '-h' || arg === '--help') {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    } else if (arg === '-H' || arg === '--header') {
      const header = value();
      const colon = header.indexOf(':');
      if (colon <= 0) usageError(`--header "${header}" is not of the form "Name: value"`);
      options.headers.push([header.slice(0, colon).trim(), header.slice(colon + 1).trim()]);
    } else if (arg === '-p' || arg === '--protocol') {
      options.protocols.push(value());
    } else if (arg === '--ca') {
      options.ca = value();
    } else if (arg === '-k' || arg === '--insecure') {
      options.insecure = true;
    } else if (arg.startsWith('-')) {
      usageError(`unknown option ${arg}`);
    } else if (options.url === undefined) {
      options.url = arg;
    } else {
      usageError(`unexpected argument ${arg}`);
    }
  }
  if (options.url === undefined) usageError('no URL given');
  return options;
}

function describeError(err) {
  if (err instanceof WebSocketError) return `error ${err.code} ${err.codeName}: ${err.message}`;
  return `error: ${err && err.message ? err.message : String(err)}`;
}

function show(message) {
  if (typeof message === 'string') return `< ${message}`;
  return `< [binary ${message.length} bytes] ${message.toString('hex')}`;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const options = { headers: args.headers, protocols: args.protocols };
  if (args.ca !== undefined) {
    try {
      options.ca = fs.readFileSync(args.ca, 'utf8');
    } catch (err) {
      process.stderr.write(`netstack-websocket: cannot read --ca ${args.ca}: ${err.message}\n`);
      process.exit(2);
    }
  }
  if (args.insecure) options.rejectUnauthorized = false;

  let socket;
  try {
    socket = await connect(args.url, options);
  } catch (err) {
    process.stderr.write(`! ${describeError(err)}\n`);
    process.exitCode = err instanceof WebSocketError ? 1 : 2;
    return;
  }
  process.stdout.write(`* open ${socket.url}${socket.protocol ? ` (protocol: ${socket.protocol})` : ''}\n`);

  const input = readline.createInterface({ input: process.stdin, terminal: false });
  input.on('line', (line) => {
    if (socket.state !== 'open') return;
    socket.send(line).catch((err) => process.stderr.write(`! ${describeError(err)}\n`));
  });
  input.on('close', () => {
    if (socket.state === 'open') socket.close(1000).catch(() => undefined);
  });
  process.on('SIGINT', () => {
    if (socket.state === 'open') socket.close(1000).catch(() => undefined);
    else socket.terminate();
  });

  let failed = false;
  try {
    for await (const message of socket) process.stdout.write(`${show(message)}\n`);
  } catch (err) {
    failed = true;
    process.stderr.write(`! ${describeError(err)}\n`);
  }
  const { code, reason, wasClean } = await socket.closed;
  process.stdout.write(`* closed ${code}${reason ? ` "${reason}"` : ''}${wasClean ? '' : ' (not clean)'}\n`);
  input.close();
  process.stdin.destroy();
  process.exitCode = failed || !wasClean ? 1 : 0;
}

main().catch((err) => {
  process.stderr.write(`netstack-websocket: ${err && err.stack ? err.stack : String(err)}\n`);
  process.exit(1);
});
