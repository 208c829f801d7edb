// A real OpenID Connect provider for the kernel's login tests (tests/e2e/oidc.rs), built on
// `oidc-provider`, the certified Node implementation: discovery, JWKS, authorization with PKCE
// required (S256), the code exchange with client_secret_basic and signed ID tokens.
//
// It behaves like the OIDC gateways Italian public bodies put in front of SPID and CIE: the ID
// token carries `fiscal_number` as "TINIT-<codice fiscale>". Nobody fills a login form: the
// interaction logs in whoever the test chose last (`POST /test/user`), so a test drives the flow
// with plain HTTP requests.
//
// With `--claims-from userinfo` it behaves like the gateways that put only `sub` in the ID token
// and release the person's data (the fiscal number among it) from the UserInfo endpoint alone.
//
// Usage: node provider.mjs --client-id ID --client-secret SECRET --redirect-uri URI
//                          [--claims-from id-token|userinfo]
// Prints "oidc provider listening on http://127.0.0.1:PORT" once it serves (port chosen by the
// system). Test-only routes, never part of a real provider:
//   POST /test/user   JSON {sub, fiscal_number, given_name, family_name, name, email}: the person
//                     the next interaction logs in.
//   POST /test/mode   JSON {tamper: "none" | "token" | "jwks" | "nonce" | "userinfo"}: "token"
//                     alters the ID token in the token response (an intermediary), "jwks"
//                     publishes another key under the signing key's id, "nonce" signs a token
//                     for another nonce, "userinfo" answers UserInfo about another subject.
//   GET  /test/seen   what the provider saw: the PKCE methods of each authorization request,
//                     and how many UserInfo requests it answered.

import http from 'node:http';
import { parseArgs } from 'node:util';
import { generateKeyPair, exportJWK } from 'jose';
import Provider from 'oidc-provider';

const { values: args } = parseArgs({
  options: {
    'client-id': { type: 'string' },
    'client-secret': { type: 'string' },
    'redirect-uri': { type: 'string', multiple: true },
    'claims-from': { type: 'string', default: 'id-token' },
  },
});
for (const required of ['client-id', 'client-secret', 'redirect-uri']) {
  if (!args[required]) {
    console.error(`missing --${required}`);
    process.exit(2);
  }
}

async function signingKey(kid) {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  return { ...(await exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' };
}

const key = await signingKey('trama-test-key');
// Same key id, another key: what a misconfigured or hostile provider would publish.
const otherKey = await signingKey('trama-test-key');
const publicOf = ({ kty, n, e, kid, alg, use }) => ({ kty, n, e, kid, alg, use });

const fromUserInfo = args['claims-from'] === 'userinfo';
const accounts = new Map();
let current = null;
let tamper = 'none';
const seen = { pkce: [], userinfo: 0 };

const configuration = {
  clients: [
    {
      client_id: args['client-id'],
      client_secret: args['client-secret'],
      redirect_uris: args['redirect-uri'],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  jwks: { keys: [key] },
  // Many SPID/CIE gateways put the person's data in the ID token; with `--claims-from
  // userinfo` oidc-provider conforms to the specification instead: an ID token issued with an
  // access token carries `sub` only, the scopes' claims coming from UserInfo.
  conformIdTokenClaims: fromUserInfo,
  // In conform mode oidc-provider still puts the `openid` scope's claims in the ID token, so
  // there the fiscal number is a `profile` claim, released by UserInfo only.
  claims: fromUserInfo
    ? {
        openid: ['sub'],
        profile: ['fiscal_number', 'given_name', 'family_name', 'name'],
        email: ['email'],
      }
    : {
        openid: ['sub', 'fiscal_number'],
        profile: ['given_name', 'family_name', 'name'],
        email: ['email'],
      },
  scopes: ['openid', 'profile', 'email'],
  pkce: { required: () => true, methods: ['S256'] },
  features: { devInteractions: { enabled: false } },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(ctx, sub) {
    const person = accounts.get(sub);
    if (!person) return undefined;
    return { accountId: sub, claims: async () => ({ ...person }) };
  },
  ttl: { AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Interaction: 600, Session: 600, Grant: 600 },
};

// The issuer names the port, so the port is taken first and the provider built on it.
const listener = http.createServer();
await new Promise((resolve) => listener.listen(0, '127.0.0.1', resolve));
const { port } = listener.address();
const issuer = `http://127.0.0.1:${port}`;
const provider = new Provider(issuer, configuration);

async function body(ctx) {
  const chunks = [];
  for await (const chunk of ctx.req) chunks.push(chunk);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? JSON.parse(text) : {};
}

function b64json(part) {
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
}

provider.use(async (ctx, next) => {
  if (ctx.path === '/test/user' && ctx.method === 'POST') {
    const person = await body(ctx);
    accounts.set(person.sub, person);
    current = person.sub;
    ctx.body = { ok: true };
    return;
  }
  if (ctx.path === '/test/mode' && ctx.method === 'POST') {
    ({ tamper } = await body(ctx));
    ctx.body = { ok: true, tamper };
    return;
  }
  if (ctx.path === '/test/seen') {
    ctx.body = seen;
    return;
  }
  if (ctx.path.startsWith('/interaction/')) {
    // No form: the person the test chose logs in and consents to what was asked.
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    if (!current) {
      ctx.status = 400;
      ctx.body = 'no test user: POST /test/user first';
      return;
    }
    const grant = new provider.Grant({ accountId: current, clientId: details.params.client_id });
    grant.addOIDCScope(details.params.scope);
    const grantId = await grant.save();
    const result = { login: { accountId: current }, consent: { grantId } };
    await provider.interactionFinished(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
    ctx.respond = false;
    return;
  }
  if (ctx.path === '/auth') {
    seen.pkce.push(ctx.query.code_challenge_method ?? null);
    if (tamper === 'nonce' && ctx.query.nonce) {
      // The provider signs, with its real key, a token for a nonce this login never sent.
      const query = new URLSearchParams(ctx.querystring);
      query.set('nonce', 'a-nonce-from-another-login');
      ctx.querystring = query.toString();
    }
  }
  await next();
  if (ctx.path === '/me' && ctx.status === 200) seen.userinfo += 1;
  if (ctx.path === '/token' && tamper === 'token' && ctx.body && ctx.body.id_token) {
    // An intermediary changes who the token is about and keeps the signature.
    const [header, payload, signature] = ctx.body.id_token.split('.');
    const claims = b64json(payload);
    claims.fiscal_number = 'TINIT-VRDGPP80A01H501U';
    claims.sub = 'someone-else';
    const altered = Buffer.from(JSON.stringify(claims)).toString('base64url');
    ctx.body = { ...ctx.body, id_token: `${header}.${altered}.${signature}` };
  }
  if (ctx.path === '/me' && tamper === 'userinfo' && ctx.body && ctx.body.sub) {
    // UserInfo about someone else than the ID token's subject (a substituted access token).
    ctx.body = { ...ctx.body, sub: 'someone-else', fiscal_number: 'TINIT-VRDGPP80A01H501U' };
  }
  if (ctx.path === '/jwks' && tamper === 'jwks') {
    ctx.body = { keys: [publicOf(otherKey)] };
  }
});

provider.on('grant.error', (ctx, err) => console.error('grant error:', err.error_detail ?? err.message));
provider.on('server_error', (ctx, err) => console.error('server error:', err));
listener.on('request', provider.callback());
console.log(`oidc provider listening on ${issuer}`);

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => listener.close(() => process.exit(0)));
}
