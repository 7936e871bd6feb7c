/**
 * Real notification receivers on loopback, for the channel tests (no mocks):
 * - an HTTP receiver that verifies the Standard Webhooks signature of every request (HMAC-SHA256 of
 *   `{webhook-id}.{webhook-timestamp}.{body}` with the shared secret), can fail the first N requests
 *   of each notification with a 503, and keeps the notifications it accepted deduplicated by `webhook-id`, as a receiver
 *   should;
 * - an SMTP server (smtp-server) requiring a login, whose mailbox holds each message parsed by
 *   mailparser (text and HTML parts, Message-ID).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface HttpDelivery {
  id: string;
  timestamp: number;
  body: unknown;
  signatureValid: boolean;
}

export interface HttpReceiver {
  url: string;
  /** Every request, in order (refused ones included). */
  requests: HttpDelivery[];
  /** Accepted notifications by `webhook-id`: a repeat of an id is acknowledged and not kept again. */
  accepted: Map<string, HttpDelivery>;
  close(): Promise<void>;
}

function verify(secret: string | undefined, id: string, timestamp: string, body: string, header: string): boolean {
  if (secret === undefined) return true;
  const key = secret.startsWith('whsec_') ? Buffer.from(secret.slice(6), 'base64') : Buffer.from(secret, 'utf8');
  const expected = Buffer.from(`v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`);
  return header.split(' ').some((candidate) => {
    const given = Buffer.from(candidate);
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

/** `secret`: verify signatures with it (a bad one answers 401); `failFirst`: answer the first that many
 * requests of each `webhook-id` with a 503. */
export async function startHttpReceiver(opts: { secret?: string; failFirst?: number } = {}): Promise<HttpReceiver> {
  const requests: HttpDelivery[] = [];
  const accepted = new Map<string, HttpDelivery>();
  const failures = new Map<string, number>();
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const id = String(request.headers['webhook-id'] ?? '');
      const timestamp = String(request.headers['webhook-timestamp'] ?? '');
      const signatureValid = verify(opts.secret, id, timestamp, raw, String(request.headers['webhook-signature'] ?? ''));
      const delivery: HttpDelivery = { id, timestamp: Number(timestamp), body: JSON.parse(raw) as unknown, signatureValid };
      requests.push(delivery);
      if (!signatureValid) return void response.writeHead(401).end();
      const failed = failures.get(id) ?? 0;
      if (failed < (opts.failFirst ?? 0)) {
        failures.set(id, failed + 1);
        return void response.writeHead(503).end('try later');
      }
      if (!accepted.has(id)) accepted.set(id, delivery);
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    requests,
    accepted,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface Mailbox {
  port: number;
  messages: ParsedMail[];
  logins: string[];
  close(): Promise<void>;
}

export async function startMailbox(login: { user: string; password: string }): Promise<Mailbox> {
  const messages: ParsedMail[] = [];
  const logins: string[] = [];
  const server = new SMTPServer({
    secure: false,
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    authMethods: ['PLAIN', 'LOGIN'],
    onAuth(auth, _session, callback) {
      if (auth.username === login.user && auth.password === login.password) {
        logins.push(auth.username ?? '');
        callback(null, { user: auth.username });
      } else {
        callback(new Error('535 authentication failed'));
      }
    },
    onData(stream, _session, callback) {
      simpleParser(stream)
        .then((mail) => {
          messages.push(mail);
          callback();
        })
        .catch((error: Error) => callback(error));
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.server.address() as AddressInfo).port,
    messages,
    logins,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
