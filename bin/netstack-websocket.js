#!/usr/bin/env node
// netstack-websocket <url>: a WebSocket client for the terminal and for scripts (see
// `netstack-websocket --help`). On a terminal it is interactive (readline: editing, history,
// a prompt kept below what arrives, slash commands); with stdin piped it sends every line and,
// at the end of input, closes and prints what still arrives until the closing handshake is
// done. It drives the engine socket directly (lib/engine.ts): unlike the WHATWG face, which
// drops messages once closing (as the spec says), it shows them, and it sees pings and pongs.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const readline = require('node:readline');
const { EXIT, USAGE, UsageError, parseArgs } = require('./cli-args');
const { Output } = require('./cli-output');

const dist = path.join(__dirname, '..', 'dist');
const { EngineSocket } = require(path.join(dist, 'engine.js'));
const { engineConfig } = require(path.join(dist, 'options.js'));
const { checkProtocols, parseWebSocketUrl } = require(path.join(dist, 'validate.js'));
const { InvalidArgumentError, WebSocketError } = require(path.join(dist, 'errors.js'));

function usageExit(message) {
  process.stderr.write(`netstack-websocket: ${message}\n(netstack-websocket --help lists the options)\n`);
  process.exit(EXIT.USAGE);
}

function readFile(option, file) {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${option} ${file}: ${err.message}`);
  }
}

/** The engine settings for the command line's options (throws UsageError). */
function settingsOf(args) {
  const fail = (message) => new InvalidArgumentError(message);
  let url;
  try {
    url = parseWebSocketUrl(args.url, fail);
  } catch (err) {
    throw new UsageError(err.message);
  }
  const options = { headers: args.headers, perMessageDeflate: args.deflate };
  if (args.origin !== undefined) options.origin = args.origin;
  if (args.proxy !== undefined) options.proxy = args.proxy;
  if (args.connectTimeout !== undefined) options.handshakeTimeout = Math.round(args.connectTimeout * 1000);
  if (args.maxPayload !== undefined) options.maxPayload = args.maxPayload;
  if (args.ca !== undefined) options.ca = readFile('--ca', args.ca);
  if (args.cert !== undefined) options.cert = readFile('--cert', args.cert);
  if (args.key !== undefined) options.key = readFile('--key', args.key);
  if (args.passphrase !== undefined) options.passphrase = args.passphrase;
  if (args.servername !== undefined) options.servername = args.servername;
  if (args.insecure) options.rejectUnauthorized = false;
  try {
    return engineConfig(url, checkProtocols(args.protocols, fail), options, fail);
  } catch (err) {
    throw new UsageError(err.message);
  }
}

/** "/binary <data>": hex when it is hex, else base64 (strict); undefined if neither. */
function binaryArgument(text) {
  const data = text.trim().replace(/^0x/i, '');
  if (/^([0-9a-f]{2})*$/i.test(data)) return Buffer.from(data, 'hex');
  if (/^[A-Za-z0-9+/]*={0,2}$/.test(data) && data.length % 4 === 0) return Buffer.from(data, 'base64');
  return undefined;
}

function describeError(err) {
  if (err instanceof WebSocketError) return `error ${err.code} ${err.codeName}: ${err.message}`;
  return `error: ${err && err.message ? err.message : String(err)}`;
}

class Session {
  constructor(args, config) {
    this.args = args;
    this.output = new Output({
      stdout: process.stdout, stderr: process.stderr, color: args.color, timestamps: args.timestamps,
      binaryFormat: args.binaryFormat,
    });
    this.interactive = Boolean(process.stdin.isTTY && process.stdout.isTTY) && args.execute.length === 0;
    this.slash = this.interactive || args.slash;
    this.opened = false;
    this.failed = false;
    this.interrupts = 0;
    this.rl = undefined;
    this.early = [];
    this.socket = new EngineSocket(config, {
      open: (info) => this.onOpen(info),
      message: (data, isBinary) => this.output.message(data, isBinary),
      error: (error) => this.onError(error),
      close: (info) => this.onClose(info),
      pong: (data) => { if (args.showPingPong) this.output.control('pong', data); },
      ping: (data) => { if (args.showPingPong) this.output.control('ping', data); },
    });
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => this.interrupt());
    if (!this.interactive && args.execute.length === 0) this.readPipe();
  }

  onOpen(info) {
    this.opened = true;
    const details = [info.protocol && `protocol: ${info.protocol}`, info.extensions && `extensions: ${info.extensions}`].filter(Boolean);
    this.output.info(`open ${this.socket.url}${details.length ? ` (${details.join(', ')})` : ''}`);
    if (this.args.execute.length > 0) {
      for (const text of this.args.execute) this.sendText(text);
      this.closeAfterWait();
    } else if (this.interactive) {
      this.output.info('type a message and Enter to send it; /help for commands; Ctrl-C or Ctrl-D closes');
      this.startPrompt();
    } else {
      for (const line of this.early.splice(0)) this.onLine(line);
      if (this.inputEnded) this.closeAfterWait();  // piped input that ended before open
    }
  }

  onError(error) {
    this.failed = true;
    this.output.error(describeError(error));
  }

  onClose(info) {
    if (this.rl) {
      this.output.aroundPrompt = undefined;
      this.rl.close();
      process.stdout.write('\n');
    }
    if (this.opened) this.output.closed(info.code, info.reason, info.wasClean);
    clearTimeout(this.closeTimer);
    process.stdin.destroy();
    let status = EXIT.CLEAN;
    if (!this.opened) status = this.interrupts > 0 ? EXIT.INTERRUPTED : EXIT.CONNECT_FAILED;
    else if (this.interrupts > 1) status = EXIT.INTERRUPTED;
    else if (this.failed || !info.wasClean) status = EXIT.LOST;
    // No process.exit(): output still on its way to a pipe must get there. Nothing is left
    // to keep the loop alive.
    process.exitCode = status;
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.removeAllListeners(signal);
  }

  /** Ctrl-C, SIGTERM, SIGHUP: the first closes with 1000, a second drops the connection. */
  interrupt() {
    this.interrupts += 1;
    if (this.interrupts === 1 && this.opened) {
      this.output.info('closing (1000); Ctrl-C again drops the connection');
      this.socket.close(1000, '');
    } else {
      this.socket.terminate();
    }
  }

  sendText(text) {
    this.socket.send(text, false, Buffer.byteLength(text), (err) => { if (err) this.output.error(describeError(err)); });
  }

  closeAfterWait() {
    if (this.closeScheduled) return;
    this.closeScheduled = true;
    // After the messages queued before it; what arrives until the server's close is shown.
    this.closeTimer = setTimeout(() => this.socket.close(1000, ''), this.args.wait * 1000);
  }

  /** A line typed or piped: a slash command, or a text message. */
  onLine(line) {
    if (this.slash && line.startsWith('/') && !line.startsWith('//')) {
      this.command(line);
    } else {
      this.sendText(this.slash && line.startsWith('//') ? line.slice(1) : line);
    }
  }

  command(line) {
    const [name, ...rest] = line.slice(1).split(' ');
    const argument = rest.join(' ');
    switch (name) {
      case 'ping':
      case 'pong': {
        const data = Buffer.from(argument, 'utf8');
        if (data.length > 125) {
          this.output.error(`/${name}: at most 125 bytes of data`);
          return;
        }
        if (name === 'ping') this.socket.ping(data);
        else this.socket.pong(data);
        return;
      }
      case 'close': {
        const [codeText, ...reasonWords] = rest;
        const code = codeText === undefined || codeText === '' ? 1000 : Number(codeText);
        const reason = reasonWords.join(' ');
        if (!(code === 1000 || (code >= 3000 && code <= 4999)) || !Number.isInteger(code)) {
          this.output.error('/close [code] [reason]: the code is 1000 or 3000-4999');
          return;
        }
        if (Buffer.byteLength(reason) > 123) {
          this.output.error('/close: the reason is at most 123 bytes');
          return;
        }
        this.socket.close(code, reason);
        return;
      }
      case 'binary': {
        const data = binaryArgument(argument);
        if (!data) {
          this.output.error('/binary <hex|base64>: give the bytes as hex (cafe) or base64 (yv4=)');
          return;
        }
        this.socket.send(data, true, data.length, (err) => { if (err) this.output.error(describeError(err)); });
        return;
      }
      case 'help':
        for (const help of USAGE.split('\n').filter((l) => /^ {2}\/{1,2}[a-z]/.test(l))) this.output.info(help.trim());
        return;
      default:
        this.output.error(`unknown command /${name} (/help lists them; //text sends "/text")`);
    }
  }

  startPrompt() {
    this.rl = readline.createInterface({ input: process.stdin, output: process.stdout, terminal: true, historySize: 1000, prompt: '> ' });
    // Lines that arrive are printed above the prompt, which is then drawn again with what was typed.
    this.output.aroundPrompt = (write) => {
      readline.clearLine(process.stdout, 0);
      readline.cursorTo(process.stdout, 0);
      write();
      this.rl.prompt(true);
    };
    this.rl.on('line', (line) => {
      if (line !== '') this.onLine(line);
      this.rl.prompt();
    });
    this.rl.on('SIGINT', () => this.interrupt());  // readline takes Ctrl-C on a terminal
    this.rl.on('close', () => { if (this.socket.state === 'open') this.socket.close(1000, ''); });  // Ctrl-D
    this.rl.prompt();
  }

  readPipe() {
    // Lines are taken from the start (queued until open); the end of input closes after --wait.
    const input = readline.createInterface({ input: process.stdin, terminal: false });
    input.on('line', (line) => {
      if (this.opened) this.onLine(line);
      else this.early.push(line);  // sent once open, in order
    });
    input.on('close', () => {
      this.inputEnded = true;
      if (this.opened) this.closeAfterWait();
    });
  }
}

function main() {
  let args;
  let config;
  try {
    args = parseArgs(process.argv.slice(2));
    if (args.action === 'help') {
      process.stdout.write(`${USAGE}\n`);
      return;
    }
    if (args.action === 'version') {
      const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8'));
      process.stdout.write(`netstack-websocket ${pkg.version} (Node ${process.version})\n`);
      return;
    }
    config = settingsOf(args);
  } catch (err) {
    if (err instanceof UsageError) usageExit(err.message);
    throw err;
  }
  new Session(args, config);  // lives through its socket's callbacks
}

main();
