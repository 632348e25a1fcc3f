// hmac signing against published vectors (Binance's signed-endpoint example) and the Coinbase
// formula computed independently; placement order of timestamp and signature.
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseDestination } from '../../shared/policy/index.js';
import { HmacConfig } from '../../shared/protocol/secret-configs.js';
import { signHmac } from './sign-hmac.js';
import type { OutgoingRequest } from './substitute.js';

function outgoing(url: string, method: OutgoingRequest['method'], body: string | null) {
  const dest = parseDestination(url);
  return {
    dest,
    method,
    path: `${dest.url.pathname}${dest.url.search}`,
    headers: {} as Record<string, string>,
    body,
  } satisfies OutgoingRequest;
}

describe('signHmac', () => {
  it('exchange style reproduces the Binance documentation vector', () => {
    // https://developers.binance.com/docs/binance-spot-api-docs/rest-api — "SIGNED endpoint examples"
    const cfg = HmacConfig.parse({
      key: 'NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j',
      message: '{query}{body}',
      signatureQuery: 'signature',
      timestampQuery: 'timestamp',
      timestampUnit: 'ms',
    });
    const req = outgoing(
      'https://api.binance.com/api/v3/order?symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000',
      'POST',
      null,
    );
    signHmac(req, cfg, 1499827319559, 'n');
    expect(req.path).toBe(
      '/api/v3/order?symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559&signature=c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71',
    );
  });

  it('Coinbase style: base64 HMAC with the base64-decoded key, timestamp header in seconds', () => {
    const key = Buffer.from('0123456789abcdef0123456789abcdef').toString('base64');
    const cfg = HmacConfig.parse({
      key,
      keyEncoding: 'base64',
      message: '{timestamp}{method}{path}{body}',
      encoding: 'base64',
      signatureHeader: 'CB-ACCESS-SIGN',
      timestampHeader: 'CB-ACCESS-TIMESTAMP',
    });
    const req = outgoing('https://api.exchange.coinbase.com/orders?x=1', 'POST', '{"size":"1"}');
    signHmac(req, cfg, 1_700_000_000_123, 'n');
    const want = createHmac('sha256', Buffer.from(key, 'base64'))
      .update('1700000000POST/orders?x=1{"size":"1"}')
      .digest('base64');
    expect(req.headers['cb-access-timestamp']).toBe('1700000000');
    expect(req.headers['cb-access-sign']).toBe(want);
  });

  it('sha512, hex key, nonce and host; unknown variables are refused by the schema', () => {
    const cfg = HmacConfig.parse({
      key: 'a1b2',
      keyEncoding: 'hex',
      algorithm: 'sha512',
      message: '{nonce}:{host}:{method}:{query}',
      signatureHeader: 'X-Sig',
      nonceHeader: 'X-Nonce',
    });
    const req = outgoing('http://localhost:8080/p?a=b', 'GET', null);
    signHmac(req, cfg, 0, 'abc');
    const want = createHmac('sha512', Buffer.from('a1b2', 'hex'))
      .update('abc:localhost:8080:GET:a=b')
      .digest('hex');
    expect(req.headers).toEqual({ 'x-nonce': 'abc', 'x-sig': want });
    expect(HmacConfig.safeParse({ ...cfg, message: '{secret}' }).success).toBe(false);
    expect(HmacConfig.safeParse({ ...cfg, signatureQuery: 's' }).success).toBe(false);
    expect(HmacConfig.safeParse({ ...cfg, key: 'zz' }).success).toBe(false);
  });
});
