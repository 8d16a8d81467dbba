// A certified OpenID Connect provider for the tests: panva's oidc-provider, installed from the
// npm registry through the project's package.json (make assets), in its standard configuration.
//
// Nothing is bent: ID tokens carry only the standard claims (the rest is at UserInfo, OpenID
// Connect Core 5.4), the provider's own development login and consent pages are used, and the
// broker's API is a resource server (RFC 8707) whose access tokens are JWTs typed at+jwt (RFC 9068).
//
// Usage: node tests/support/oidc_provider.mjs CONFIG.json
// CONFIG: {"issuer": "http://127.0.0.1:PORT", "port": PORT,
//          "clients": [<client metadata>...],
//          "accounts": {"<sub>": {"preferred_username": "...", "name": "..."}},
//          "api": {"resource": "<URI>", "scope": "broker"}}
// It prints one line, "listening <issuer>", when it is ready.
import { readFileSync } from 'node:fs';

import Provider, { errors } from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));

const provider = new Provider(config.issuer, {
  clients: config.clients,
  claims: { openid: ['sub'], profile: ['name', 'preferred_username'] },
  async findAccount(ctx, id) {
    const claims = config.accounts[id];
    if (!claims) return undefined;
    return { accountId: id, async claims() { return { sub: id, ...claims }; } };
  },
  features: {
    resourceIndicators: {
      enabled: true,
      async getResourceServerInfo(ctx, resourceIndicator) {
        if (resourceIndicator !== config.api.resource) throw new errors.InvalidTarget();
        return { scope: config.api.scope, accessTokenFormat: 'jwt', accessTokenTTL: 600 };
      },
    },
  },
});

const server = provider.listen(config.port, '127.0.0.1', () => {
  process.stdout.write(`listening ${config.issuer}\n`);
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
