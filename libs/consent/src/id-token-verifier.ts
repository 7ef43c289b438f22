import { Injectable } from '@nestjs/common';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { DspConfig } from '@opendsp/config';

/** The id_token did not verify: bad signature, wrong issuer or audience, expired, or no subject. */
export class IdTokenRejectedError extends Error {
  override name = 'IdTokenRejectedError';
}

/**
 * Verifies OMRON's id_token (Partner API spec: "an id_token containing information about the user,
 * primarily the user identifier"): RS256 signature by a key of OMRON's JWKS (fetched and cached by jose),
 * `iss` = OMRON_ID_TOKEN_ISSUER, `aud` = our client ID, `exp` not passed (with the configured clock skew).
 */
@Injectable()
export class IdTokenVerifier {
  private readonly keys: ReturnType<typeof createRemoteJWKSet>;

  constructor(private readonly config: DspConfig) {
    this.keys = createRemoteJWKSet(new URL(config.omron.jwksUrl), { timeoutDuration: 10_000 });
  }

  /** The OMRON user ID (`sub`) of a verified id_token. */
  async subjectOf(idToken: string | undefined): Promise<string> {
    if (!idToken) throw new IdTokenRejectedError('OMRON sent no id_token');
    try {
      const { payload } = await jwtVerify(idToken, this.keys, {
        issuer: this.config.omron.idTokenIssuer,
        audience: this.config.omron.clientId,
        algorithms: ['RS256'],
        clockTolerance: this.config.tokens.clockSkewSeconds,
        requiredClaims: ['sub', 'exp'],
      });
      if (typeof payload.sub !== 'string' || payload.sub.length === 0 || payload.sub.length > 200) throw new Error('no usable sub');
      return payload.sub;
    } catch (error) {
      throw new IdTokenRejectedError(`id_token refused: ${(error as Error).message}`);
    }
  }
}
