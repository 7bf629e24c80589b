// The error classes: OpenHarmony codes and names, class hierarchy, cause, and that the C
// API codes match the ones the native side reports.
import { describe, expect, test } from 'vitest';
import {
  AlreadyConnectedError, CertificateFileError, ConnectError, ConnectionClosedError, ConnectionLostError, ConnectTimeoutError,
  ErrorCode, errorCodeName, InvalidArgumentError, InvalidUrlError, MessageTooBigError, ProtocolError, WebSocketError,
} from '../../lib/errors';
import { OH_Websocket_ErrCode } from '../../lib/native';

describe('error codes', () => {
  test('the C API codes are the native OH_Websocket_ErrCode values (released names)', () => {
    for (const [name, value] of Object.entries(ErrorCode)) {
      if (value >= 1000 && value < 2000) expect(OH_Websocket_ErrCode[name as keyof typeof OH_Websocket_ErrCode], name).toBe(value);
    }
  });

  test('the ArkTS codes of @ohos.net.webSocket', () => {
    expect(ErrorCode).toMatchObject({
      PARAMETER_ERROR: 401, WEBSOCKET_URL_ERROR: 2302001, WEBSOCKET_CERT_FILE_NOT_EXIST: 2302002,
      WEBSOCKET_CONNECTION_ALREADY_EXISTS: 2302003, WEBSOCKET_UNKNOWN_ERROR: 2302999,
    });
  });

  test('errorCodeName', () => {
    expect(errorCodeName(1009)).toBe('WEBSOCKET_PROTOCOL_ERROR');
    expect(errorCodeName(12345)).toBe('WEBSOCKET_UNKNOWN_ERROR');
  });
});

describe('error classes', () => {
  const cause = new Error('underlying');
  const cases: Array<[WebSocketError, string, number, Array<abstract new (...args: never[]) => unknown>]> = [
    [new InvalidArgumentError('m', { cause }), 'InvalidArgumentError', 401, []],
    [new InvalidUrlError('u', 'm', { cause }), 'InvalidUrlError', 2302001, []],
    [new CertificateFileError('/p', 'm', { cause }), 'CertificateFileError', 2302002, []],
    [new AlreadyConnectedError('m', { cause }), 'AlreadyConnectedError', 2302003, []],
    [new ConnectError('m', { cause }), 'ConnectError', 1003, []],
    [new ConnectTimeoutError(5, 'm', { cause }), 'ConnectTimeoutError', 1003, [ConnectError]],
    [new ConnectionLostError('m', { cause }), 'ConnectionLostError', 1003, []],
    [new ProtocolError('m', { cause }), 'ProtocolError', 1009, []],
    [new MessageTooBigError('m', { cause }), 'MessageTooBigError', 1012, []],
    [new ConnectionClosedError('m', { cause }), 'ConnectionClosedError', 1017, []],
  ];
  test.each(cases)('%s', (error, name, code, parents) => {
    expect(error).toBeInstanceOf(Error);
    expect(error).toBeInstanceOf(WebSocketError);
    for (const parent of parents) expect(error).toBeInstanceOf(parent);
    expect(error.name).toBe(name);
    expect(error.code).toBe(code);
    expect(error.codeName).toBe(errorCodeName(code));
    expect(error.cause).toBe(cause);
    expect(error.message).toBe('m');
    expect(JSON.parse(JSON.stringify(error))).toEqual({ name, code, codeName: errorCodeName(code), message: 'm' });
    expect(String(error)).toBe(`${name}: m`);
  });

  test('extra fields: url, path, timeout, response', () => {
    expect(new InvalidUrlError('ws://x#', 'm').url).toBe('ws://x#');
    expect(new CertificateFileError('/c.pem', 'm').path).toBe('/c.pem');
    expect(new ConnectTimeoutError(250, 'm').timeout).toBe(250);
    expect(new ConnectError('m', { response: { status: 401, headers: { a: 'b' } } }).response).toEqual({ status: 401, headers: { a: 'b' } });
  });
});
