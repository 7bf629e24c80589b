// netstack-websocket's output: how messages, events and errors are shown; control characters
// of anything the server sent escaped; colours and time stamps on a terminal only.
'use strict';

// C0 and C1 controls, DEL, and the Unicode line separators and bidi overrides that can
// reorder or hide what the terminal shows. Tab stays.
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const NAMED = { '\n': '\\n', '\r': '\\r', '\u001b': '\\e', '\b': '\\b', '\f': '\\f', '\v': '\\v', '\0': '\\0' };

/** `text` with every control character written as an escape (\n, \e, \x07, \u202e). */
function escapeControls(text) {
  return text.replace(CONTROL, (c) => {
    if (NAMED[c]) return NAMED[c];
    const code = c.charCodeAt(0);
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

const STYLES = { incoming: '36', info: '32', warn: '33', error: '31', dim: '2' };

class Output {
  /**
   * @param {{ stdout: NodeJS.WriteStream, stderr: NodeJS.WriteStream, color: boolean,
   *   timestamps: boolean, binaryFormat: 'hex'|'base64' }} settings
   */
  constructor(settings) {
    this.stdout = settings.stdout;
    this.stderr = settings.stderr;
    const tty = Boolean(settings.stdout.isTTY);
    this.color = tty && settings.color && !process.env.NO_COLOR;
    this.timestamps = tty && settings.timestamps;
    this.binaryFormat = settings.binaryFormat;
    /** Set by the interactive session: redraws the prompt around a printed line. */
    this.aroundPrompt = undefined;
  }

  #style(kind, text) {
    return this.color ? `\u001b[${STYLES[kind]}m${text}\u001b[0m` : text;
  }

  #line(stream, kind, text) {
    const stamp = this.timestamps ? this.#style('dim', `${new Date().toISOString().slice(11, 23)} `) : '';
    const line = `${stamp}${this.#style(kind, text.slice(0, 2))}${text.slice(2)}\n`;
    if (this.aroundPrompt) this.aroundPrompt(() => stream.write(line));
    else stream.write(line);
  }

  #bytes(data) {
    return this.binaryFormat === 'base64' ? data.toString('base64') : data.toString('hex');
  }

  message(data, isBinary) {
    if (isBinary) this.#line(this.stdout, 'incoming', `< [binary ${data.length} bytes] ${this.#bytes(data)}`);
    else this.#line(this.stdout, 'incoming', `< ${escapeControls(data.toString('utf8'))}`);
  }

  /** A ping or pong that arrived (-P). */
  control(kind, data) {
    this.#line(this.stdout, 'dim', `< [${kind}${data.length ? ` ${data.length} bytes] ${this.#bytes(data)}` : ']'}`);
  }

  info(text) {
    this.#line(this.stdout, 'info', `* ${escapeControls(text)}`);
  }

  closed(code, reason, wasClean) {
    const why = reason ? ` "${escapeControls(reason)}"` : '';
    this.#line(this.stdout, wasClean ? 'info' : 'warn', `* closed ${code}${why}${wasClean ? '' : ' (not clean)'}`);
  }

  error(text) {
    this.#line(this.stderr, 'error', `! ${escapeControls(text)}`);
  }
}

module.exports = { Output, escapeControls };
