// The opening handshake of a fuzz case: what the client offers (subprotocols,
// permessage-deflate parameters, limits) and how the raw peer answers: a correct 101 in one
// of many spellings, or a broken one (bad accept key, missing headers, another status, an
// unrequested subprotocol or extension, bad deflate parameters, HTTP/1.0, garbage, a
// truncated head...), with what a correct client must do about it.
import type { PerMessageDeflateOptions } from '../../lib/options';
import { acceptKeyFor, type NegotiatedDeflate } from '../conformance/raw-server';
import { TRAITS, type ClientPlan, type Face } from './faces';
import type { Rng } from './rng';

/** What a correct client does with the answer: open, fail the handshake, or either. */
export type HandshakeVerdict = 'open' | 'fail' | 'either';

export interface HandshakePlan {
  /** The answer, given the request's Sec-WebSocket-Key; null: the server never answers. */
  response: ((key: string) => Buffer) | null;
  verdict: HandshakeVerdict;
  /** After a 101 the client must accept: the negotiation's result. */
  protocol: string;
  deflate: NegotiatedDeflate | null;
  /** The offer the client's request must carry ('' for none), to catch a drifting harness. */
  offer: string;
  /** The client's limit on received messages. */
  maxPayload: number;
  /** false: if the client opens, the negotiation may differ from `protocol` and `deflate`
   *  (a mutated 101), so what follows is not judged message by message. */
  trusted: boolean;
  /** The answer is a whole HTTP response head: a client that refuses it must close the TCP
   *  connection itself (it may wait for more of a truncated or garbled one). */
  wholeHead: boolean;
  label: string;
}

interface Offer {
  serverNoContextTakeover: boolean;
  clientNoContextTakeover: boolean;
  serverMaxWindowBits?: number;
  /** true: offered without a value; a number: offered with it; false: not offered. */
  clientMaxWindowBits: boolean | number;
}

const PROTOCOLS = ['chat', 'superchat', 'v1.fuzz', 'mqtt', 'soap'];

/** The offer the client sends for a perMessageDeflate option (the same spelling as lib/options). */
function offerText(offer: Offer | null): string {
  if (!offer) return '';
  const parts = ['permessage-deflate'];
  if (offer.clientNoContextTakeover) parts.push('client_no_context_takeover');
  if (offer.serverNoContextTakeover) parts.push('server_no_context_takeover');
  if (offer.serverMaxWindowBits !== undefined) parts.push(`server_max_window_bits=${offer.serverMaxWindowBits}`);
  if (offer.clientMaxWindowBits === true) parts.push('client_max_window_bits');
  else if (offer.clientMaxWindowBits !== false) parts.push(`client_max_window_bits=${offer.clientMaxWindowBits}`);
  return parts.join('; ');
}

function chooseDeflateOption(rng: Rng): { option: ClientPlan['perMessageDeflate']; offer: Offer | null } {
  const kind = rng.weighted({ default: 50, off: 15, params: 35 });
  if (kind === 'default') {
    return { option: undefined, offer: { serverNoContextTakeover: false, clientNoContextTakeover: false, clientMaxWindowBits: true } };
  }
  if (kind === 'off') return { option: false, offer: null };
  const option: PerMessageDeflateOptions = { threshold: rng.pick([0, 1, 64, 1024, 1 << 20]) };
  if (rng.chance(0.3)) option.serverNoContextTakeover = true;
  if (rng.chance(0.3)) option.clientNoContextTakeover = true;
  if (rng.chance(0.4)) option.serverMaxWindowBits = rng.int(8, 15);
  const client = rng.weighted({ absent: 1, flag: 2, value: 2, off: 1 });
  if (client === 'flag') option.clientMaxWindowBits = true;
  else if (client === 'value') option.clientMaxWindowBits = rng.int(8, 15);
  else if (client === 'off') option.clientMaxWindowBits = false;
  return {
    option,
    offer: {
      serverNoContextTakeover: option.serverNoContextTakeover ?? false,
      clientNoContextTakeover: option.clientNoContextTakeover ?? false,
      serverMaxWindowBits: option.serverMaxWindowBits,
      clientMaxWindowBits: option.clientMaxWindowBits ?? true,
    },
  };
}

/** A valid acceptance of `offer`: its text and what it negotiates. */
function acceptOffer(rng: Rng, offer: Offer): { text: string; negotiated: NegotiatedDeflate } {
  const negotiated: NegotiatedDeflate = { serverNoContextTakeover: false, clientNoContextTakeover: false, serverMaxWindowBits: 15, clientMaxWindowBits: 15 };
  const params: string[] = [];
  const value = (n: number) => (rng.chance(0.15) ? `"${n}"` : String(n));
  if (offer.serverNoContextTakeover || rng.chance(0.3)) {
    params.push('server_no_context_takeover');
    negotiated.serverNoContextTakeover = true;
  }
  if (offer.clientNoContextTakeover || rng.chance(0.3)) {
    params.push('client_no_context_takeover');
    negotiated.clientNoContextTakeover = true;
  }
  if (offer.serverMaxWindowBits !== undefined || rng.chance(0.3)) {
    negotiated.serverMaxWindowBits = rng.int(8, offer.serverMaxWindowBits ?? 15);
    params.push(`server_max_window_bits=${value(negotiated.serverMaxWindowBits)}`);
  }
  if (offer.clientMaxWindowBits !== false && rng.chance(0.4)) {
    negotiated.clientMaxWindowBits = rng.int(8, offer.clientMaxWindowBits === true ? 15 : offer.clientMaxWindowBits);
    params.push(`client_max_window_bits=${value(negotiated.clientMaxWindowBits)}`);
  }
  shuffle(rng, params);
  const separator = rng.pick(['; ', ';', ' ; ']);
  return { text: ['permessage-deflate', ...params].join(separator), negotiated };
}

/** An answer to `offer` (null: nothing offered) that a client must refuse. */
function badExtensions(rng: Rng, offer: Offer | null): { text: string; label: string } {
  const choices: Array<[string, string]> = [
    ['unknown-extension', rng.pick(['x-unknown-extension', 'x-webkit-deflate-frame', 'permessage-bzip2'])],
    ['two-extensions', 'permessage-deflate, permessage-deflate'],
    ['deflate-unknown-param', 'permessage-deflate; unknown_parameter=1'],
    ['deflate-bad-window', `permessage-deflate; server_max_window_bits=${rng.pick(['7', '16', '0', '08', 'abc', '""', '1e1'])}`],
    ['deflate-window-without-value', 'permessage-deflate; server_max_window_bits'],
    ['deflate-flag-with-value', `permessage-deflate; ${rng.pick(['server', 'client'])}_no_context_takeover=1`],
    ['deflate-duplicate-param', 'permessage-deflate; client_no_context_takeover; client_no_context_takeover'],
  ];
  if (!offer) choices.push(['deflate-not-offered', 'permessage-deflate']);
  else {
    if (offer.clientMaxWindowBits === false) choices.push(['deflate-client-window-not-offered', 'permessage-deflate; client_max_window_bits=10']);
    if (typeof offer.clientMaxWindowBits === 'number' && offer.clientMaxWindowBits < 15) {
      choices.push(['deflate-client-window-larger', `permessage-deflate; client_max_window_bits=${offer.clientMaxWindowBits + 1}`]);
    }
    if (offer.serverMaxWindowBits !== undefined && offer.serverMaxWindowBits < 15) {
      choices.push(['deflate-server-window-larger', `permessage-deflate; server_max_window_bits=${offer.serverMaxWindowBits + 1}`]);
    }
  }
  const [label, text] = rng.pick(choices);
  return { text, label };
}

function shuffle<T>(rng: Rng, items: T[]): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [items[i], items[j]] = [items[j], items[i]];
  }
}

/** A header value, or one computed from the request's Sec-WebSocket-Key. */
type HeaderValue = string | ((key: string) => string);

/** A response decided at generation time; only the accept key is filled in at run time. */
interface ResponseTemplate {
  statusLine: string;
  headers: Array<[string, HeaderValue]>;
  body?: string;
}

function render(template: ResponseTemplate, key: string): Buffer {
  const lines = [template.statusLine, ...template.headers.map(([n, v]) => `${n}: ${typeof v === 'string' ? v : v(key)}`)];
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n${template.body ?? ''}`, 'latin1');
}

function randomCase(rng: Rng, name: string): string {
  const kind = rng.weighted({ canonical: 6, lower: 2, upper: 1, mixed: 1 });
  if (kind === 'canonical') return name;
  if (kind === 'lower') return name.toLowerCase();
  if (kind === 'upper') return name.toUpperCase();
  return [...name].map((c) => (rng.chance(0.5) ? c.toUpperCase() : c.toLowerCase())).join('');
}

interface Answer {
  protocol?: string;
  extensions?: string;
}

/** The headers of a 101 in a random but valid spelling. */
function validHeaders(rng: Rng, answer: Answer): Array<[string, HeaderValue]> {
  const headers: Array<[string, HeaderValue]> = [
    [randomCase(rng, 'Upgrade'), rng.pick(['websocket', 'WebSocket', 'websocket', ' websocket '])],
    [randomCase(rng, 'Connection'), rng.pick(['Upgrade', 'upgrade', 'keep-alive, Upgrade', 'Upgrade'])],
    [randomCase(rng, 'Sec-WebSocket-Accept'), acceptKeyFor],
  ];
  if (answer.protocol !== undefined) headers.push([randomCase(rng, 'Sec-WebSocket-Protocol'), answer.protocol]);
  if (answer.extensions !== undefined) headers.push([randomCase(rng, 'Sec-WebSocket-Extensions'), answer.extensions]);
  if (rng.chance(0.3)) headers.push(['Server', 'netstack-fuzz']);
  if (rng.chance(0.2)) headers.push(['X-Fuzz', 'x'.repeat(rng.int(0, 200))]);
  shuffle(rng, headers);
  return headers;
}

const BROKEN_WEIGHTS = {
  'bad-accept': 3, 'missing-accept': 2, 'no-upgrade': 1, 'upgrade-h2c': 1, 'no-connection': 1, 'connection-keep-alive': 1,
  status: 4, 'http-1.0': 4, 'protocol-not-offered': 2, 'two-protocols': 1, extensions: 6, garbage: 2, truncated: 3,
  silent: 1, 'huge-headers': 2, 'mutated-head': 3,
} as const;
type Broken = keyof typeof BROKEN_WEIGHTS;

export function generateHandshake(rng: Rng, face: Face): { plan: Omit<ClientPlan, 'face' | 'path' | 'tls'>; handshake: HandshakePlan } {
  const traits = TRAITS[face];
  const plan: Omit<ClientPlan, 'face' | 'path' | 'tls'> = { protocols: [] };
  if (traits.protocols && rng.chance(0.4)) {
    const list = [...PROTOCOLS];
    shuffle(rng, list);
    plan.protocols = list.slice(0, rng.int(1, 3));
  }
  let offer: Offer | null = null;
  if (traits.deflate) {
    const chosen = chooseDeflateOption(rng);
    if (chosen.option !== undefined) plan.perMessageDeflate = chosen.option;
    offer = chosen.offer;
  }
  let maxPayload = traits.defaultMaxPayload;
  if (traits.limits && rng.chance(0.4)) {
    maxPayload = rng.pick([16, 125, 1000, 4096, 65535, 65536, 200_000, 1 << 20]);
    plan.maxPayload = maxPayload;
  }
  const base = { offer: offerText(offer), maxPayload, trusted: true, wholeHead: true };

  // The valid answer's negotiation (also the starting point of most broken ones).
  const answer: Answer = {};
  let protocol = '';
  if (plan.protocols.length && rng.chance(0.6)) {
    protocol = rng.pick(plan.protocols);
    answer.protocol = protocol;
  }
  let deflate: NegotiatedDeflate | null = null;
  if (offer && rng.chance(0.75)) {
    const accepted = acceptOffer(rng, offer);
    answer.extensions = accepted.text;
    deflate = accepted.negotiated;
  }

  const valid = (): ResponseTemplate => ({
    statusLine: rng.chance(0.1) ? 'HTTP/1.1 101 Web Socket Protocol Handshake' : 'HTTP/1.1 101 Switching Protocols',
    headers: validHeaders(rng, answer),
  });
  const result = (label: string, verdict: HandshakeVerdict, response: HandshakePlan['response'], trusted = true) => ({
    plan, handshake: { ...base, response, verdict, protocol, deflate, trusted, label: `handshake:${label}`, wholeHead: !['garbage', 'truncated', 'silent', 'mutated-head'].includes(label) },
  });
  if (!rng.chance(0.18)) {
    const template = valid();
    // RFC 6455 lets the server choose none of the offered subprotocols; this client (as `ws`)
    // refuses that: both are correct.
    if (plan.protocols.length && !answer.protocol) return result('no-protocol-chosen', 'either', (key) => render(template, key));
    return result('valid', 'open', (key) => render(template, key));
  }

  let kind: Broken = rng.weighted(BROKEN_WEIGHTS);
  if (kind === 'silent' && !traits.limits) kind = 'truncated';
  /** A valid 101 changed by `edit`: the client must refuse it. */
  const broken = (label: string, edit: (template: ResponseTemplate) => void, verdict: HandshakeVerdict = 'fail') => {
    const template = valid();
    edit(template);
    return result(label, verdict, (key) => render(template, key));
  };
  const drop = (t: ResponseTemplate, name: string) => {
    t.headers = t.headers.filter(([n]) => n.toLowerCase() !== name.toLowerCase());
  };
  const replace = (t: ResponseTemplate, name: string, value: HeaderValue) => {
    drop(t, name);
    t.headers.push([name, value]);
  };

  switch (kind) {
    case 'bad-accept': {
      const value: HeaderValue = rng.chance(0.5) ? 'dGhlIHNhbXBsZSBub25jZQ==' : (key) => acceptKeyFor(`${key}x`);
      return broken(kind, (t) => replace(t, 'Sec-WebSocket-Accept', value));
    }
    case 'missing-accept':
      return broken(kind, (t) => drop(t, 'Sec-WebSocket-Accept'));
    case 'no-upgrade':
      return broken(kind, (t) => drop(t, 'Upgrade'));
    case 'upgrade-h2c':
      return broken(kind, (t) => replace(t, 'Upgrade', 'h2c'));
    case 'no-connection':
      return broken(kind, (t) => drop(t, 'Connection'));
    case 'connection-keep-alive':
      return broken(kind, (t) => replace(t, 'Connection', 'keep-alive'));
    case 'status': {
      const status = rng.pick([200, 301, 400, 401, 403, 404, 426, 500, 503]);
      const body = rng.chance(0.5) ? 'not a websocket server\n'.repeat(rng.int(1, 50)) : '';
      const headers: Array<[string, HeaderValue]> = status === 301 ? [['Location', '/elsewhere']] : [];
      headers.push(['Content-Length', String(body.length)]);
      const template: ResponseTemplate = { statusLine: `HTTP/1.1 ${status} Status`, headers, body };
      return result(`status-${status}`, 'fail', (key) => render(template, key));
    }
    case 'http-1.0':
      return broken(kind, (t) => { t.statusLine = 'HTTP/1.0 101 Switching Protocols'; });
    case 'protocol-not-offered': {
      const value = plan.protocols.length ? 'not-offered' : 'chat';
      return broken(kind, (t) => replace(t, 'Sec-WebSocket-Protocol', value));
    }
    case 'two-protocols': {
      const value = plan.protocols.length >= 2 ? plan.protocols.slice(0, 2).join(', ') : 'chat, superchat';
      return broken(plan.protocols.length >= 2 ? kind : 'protocol-not-offered', (t) => replace(t, 'Sec-WebSocket-Protocol', value));
    }
    case 'extensions': {
      const bad = badExtensions(rng, offer);
      return broken(bad.label, (t) => replace(t, 'Sec-WebSocket-Extensions', bad.text));
    }
    case 'garbage': {
      const bytes = rng.chance(0.5) ? Buffer.from('SSH-2.0-OpenSSH_9.2\r\n\r\n') : rng.bytes(rng.int(1, 300));
      return result(kind, 'fail', () => bytes);
    }
    case 'truncated': {
      const template = valid();
      const fraction = rng.float();
      return result(kind, 'fail', (key) => {
        const full = render(template, key);
        return full.subarray(0, 1 + Math.floor(fraction * (full.length - 3)));
      });
    }
    case 'silent':
      plan.handshakeTimeoutMs = rng.int(100, 600);
      return result(kind, 'fail', null);
    case 'huge-headers': {
      const filler: Array<[string, HeaderValue]> = [];
      if (rng.chance(0.5)) for (let i = rng.int(100, 400); i > 0; i--) filler.push([`X-Filler-${i}`, 'y'.repeat(rng.int(1, 60))]);
      else filler.push(['X-Huge', 'z'.repeat(rng.int(4000, 40000))]);
      return broken(kind, (t) => t.headers.push(...filler), 'either');
    }
    case 'mutated-head': {
      const template = valid();
      const flips = Array.from({ length: rng.int(1, 3) }, () => ({ at: rng.float(), bit: rng.int(0, 7) }));
      return result(kind, 'either', (key) => {
        const bytes = Buffer.from(render(template, key));
        for (const flip of flips) bytes[Math.floor(flip.at * (bytes.length - 4))] ^= 1 << flip.bit;
        return bytes;
      }, false);
    }
  }
}
