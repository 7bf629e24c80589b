// netstack-websocket's command line: the options, their checks and the usage text.
'use strict';

const EXIT = {
  CLEAN: 0,          // the connection closed with a closing handshake
  CONNECT_FAILED: 1, // it could not be opened (name, TCP, TLS, HTTP refusal, timeout)
  USAGE: 2,          // bad options or arguments, an unreadable file
  LOST: 3,           // it opened, then failed or ended without a closing handshake
  INTERRUPTED: 130,  // Ctrl-C a second time (or before open): dropped without a closing handshake
};

const USAGE = `usage: netstack-websocket [options] <url>

Connects to a WebSocket server (ws://, wss://, ws+unix://), prints what arrives and sends
what you type. On a terminal: line editing, history (up/down) and slash commands. With
stdin piped: every line is sent as a text message; at its end the connection is closed
(after --wait) and what arrives until the closing handshake is done is still printed.

connection:
  -H, --header "Name: value"   add a handshake header (repeatable)
  -p, --protocol <name>        offer a subprotocol (repeatable; also -s, --subprotocol)
  -o, --origin <origin>        send this Origin header
      --proxy <url>            tunnel through an HTTP proxy: http://[user:pass@]host:port
      --connect-timeout <s>    give up if not open within this many seconds (default 20)
      --no-deflate             do not offer permessage-deflate
      --max-payload <bytes>    largest message accepted (default 104857600; 0: no limit)
tls (wss://):
      --ca <file>              trust the CA certificates in this PEM file
      --cert <file>            client certificate (PEM; with --key)
      --key <file>             client private key (PEM)
      --passphrase <text>      passphrase of an encrypted --key
      --servername <name>      TLS server name (SNI and certificate check)
  -k, --insecure               accept any server certificate (testing only; also -n, --no-check)
sending:
  -x, --execute <message>      send this text message once open (repeatable), then close
  -w, --wait <s>               before closing after the last -x or the end of piped stdin,
                               wait this many seconds for replies (default 0)
      --slash                  take slash commands from piped stdin too (a terminal always does)
output:
  -P, --show-ping-pong         print pings and pongs that arrive
      --binary-format <f>      show binary messages as hex (default) or base64
      --no-color               no colours (also NO_COLOR=1); colours only on a terminal
      --no-timestamps          no time stamps; they are shown on a terminal only
  -V, --version                print the version
  -h, --help                   show this help

slash commands (on a terminal, or with --slash):
  /ping [text]                 send a ping
  /pong [text]                 send an unsolicited pong
  /close [code] [reason]       start the closing handshake (default 1000)
  /binary <hex|base64>         send a binary message (hex if it is hex, else base64)
  /help                        list these
  //text                       send "/text" as a text message

Incoming text is printed after "< " with control characters escaped (\\n, \\e, \\xNN), so a
server cannot drive your terminal; the close code and reason are shown when it closes.

exit status: ${EXIT.CLEAN} closed with a closing handshake; ${EXIT.CONNECT_FAILED} could not connect; ${EXIT.USAGE} bad usage;
${EXIT.LOST} the connection failed or was lost after it opened; ${EXIT.INTERRUPTED} interrupted (Ctrl-C twice, or
before it opened). Ctrl-C once (or Ctrl-D, or SIGTERM) closes with code 1000.`;

class UsageError extends Error {}

function seconds(name, text) {
  const value = Number(text);
  if (!(value >= 0) || !Number.isFinite(value)) throw new UsageError(`${name} takes a number of seconds, not "${text}"`);
  return value;
}

function nonNegativeInteger(name, text) {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0) throw new UsageError(`${name} takes a whole number, not "${text}"`);
  return value;
}

/** The options, or throws a UsageError. `--help` and `--version` come back as `action`. */
function parseArgs(argv) {
  const options = {
    action: 'connect', url: undefined, headers: [], protocols: [], origin: undefined, proxy: undefined,
    connectTimeout: undefined, deflate: true, maxPayload: undefined,
    ca: undefined, cert: undefined, key: undefined, passphrase: undefined, servername: undefined, insecure: false,
    execute: [], wait: 0, slash: false, showPingPong: false, binaryFormat: 'hex', color: true, timestamps: true,
  };
  for (let i = 0; i < argv.length; i += 1) {
    let arg = argv[i];
    let inline;
    if (arg.startsWith('--') && arg.includes('=')) {
      inline = arg.slice(arg.indexOf('=') + 1);
      arg = arg.slice(0, arg.indexOf('='));
    }
    const value = () => {
      if (inline !== undefined) return inline;
      if (i + 1 >= argv.length) throw new UsageError(`${arg} needs a value`);
      i += 1;
      return argv[i];
    };
    switch (arg) {
      case '-h': case '--help': options.action = 'help'; return options;
      case '-V': case '--version': options.action = 'version'; return options;
      case '-H': case '--header': {
        const header = value();
        const colon = header.indexOf(':');
        if (colon <= 0) throw new UsageError(`--header "${header}" is not of the form "Name: value"`);
        options.headers.push([header.slice(0, colon).trim(), header.slice(colon + 1).trim()]);
        break;
      }
      case '-p': case '--protocol': case '-s': case '--subprotocol': options.protocols.push(value()); break;
      case '-o': case '--origin': options.origin = value(); break;
      case '--proxy': options.proxy = value(); break;
      case '--connect-timeout': options.connectTimeout = seconds(arg, value()); break;
      case '--no-deflate': options.deflate = false; break;
      case '--max-payload': options.maxPayload = nonNegativeInteger(arg, value()); break;
      case '--ca': options.ca = value(); break;
      case '--cert': options.cert = value(); break;
      case '--key': options.key = value(); break;
      case '--passphrase': options.passphrase = value(); break;
      case '--servername': options.servername = value(); break;
      case '-k': case '--insecure': case '-n': case '--no-check': options.insecure = true; break;
      case '-x': case '--execute': options.execute.push(value()); break;
      case '-w': case '--wait': options.wait = seconds(arg, value()); break;
      case '--slash': options.slash = true; break;
      case '-P': case '--show-ping-pong': options.showPingPong = true; break;
      case '--binary-format': {
        const format = value();
        if (format !== 'hex' && format !== 'base64') throw new UsageError(`--binary-format takes hex or base64, not "${format}"`);
        options.binaryFormat = format;
        break;
      }
      case '--no-color': case '--no-colour': options.color = false; break;
      case '--no-timestamps': options.timestamps = false; break;
      default:
        if (arg.startsWith('-') && arg !== '-') throw new UsageError(`unknown option ${arg}`);
        if (options.url !== undefined) throw new UsageError(`unexpected argument ${arg}`);
        options.url = arg;
    }
  }
  if (options.url === undefined) throw new UsageError('no URL given');
  if ((options.cert === undefined) !== (options.key === undefined)) throw new UsageError('--cert and --key go together');
  return options;
}

module.exports = { EXIT, USAGE, UsageError, parseArgs };
