import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { DspConfig } from '@opendsp/config';
import { GroupRedirectUrl, platformResultUrl, ProgramGroup } from '@opendsp/groups';
import { backUrlProblem, type CustomParamsProblem, readCustomParams } from '@opendsp/participants';
import type { ConsentStartQuery } from './dto/consent-start-query.dto.js';

/** A consent link that checked out: what the flow will carry. */
export interface ValidConsentLink {
  group: ProgramGroup;
  redirectUrl: string;
  callerState: string | null;
  backUrl: string | null;
}

export type ConsentLinkCheck = { ok: true; link: ValidConsentLink } | { ok: false; problem: string; params?: Record<string, string> };

const GROUP_ID = /^[0-9A-Z]{12}$/;
/** OAuth's `state` alphabet (RFC 6749 VSCHAR), within a sane length. */
const CALLER_STATE = /^[\x20-\x7e]{1,500}$/;

/** How the error page names each `custom_params` problem (consent_start.* messages). */
const CUSTOM_PARAMS_PROBLEMS: Record<CustomParamsProblem, string> = {
  too_long: 'consent_start.custom_params_syntax',
  syntax: 'consent_start.custom_params_syntax',
  unknown_keys: 'consent_start.custom_params_keys',
  display_back: 'consent_start.display_back',
  back_url: 'consent_start.back_url',
  back_url_required: 'consent_start.back_url',
  back_url_params: 'consent_start.back_url_params',
};

/**
 * Checks a consent link (`/consent/start?group_id=…&redirect_url=…[&custom_params=…][&state=…]`): an active
 * group, a redirect URL equal, character for character, to one registered for it (the platform's result
 * page when it has none), the partner's optional `state`, and `custom_params`. Nothing in it is trusted
 * later: the flow keeps what was checked here.
 */
@Injectable()
export class ConsentLinkService {
  constructor(
    private readonly em: EntityManager,
    private readonly config: DspConfig,
  ) {}

  async check(query: ConsentStartQuery): Promise<ConsentLinkCheck> {
    const { groupId, redirectUrl, state, customParams } = query;
    if (groupId === null || redirectUrl === null || state === null || customParams === null) {
      return { ok: false, problem: 'consent_start.repeated' };
    }
    if (!groupId || !GROUP_ID.test(groupId)) return { ok: false, problem: 'consent_start.unknown_group' };
    const em = this.em.fork();
    const group = await em.findOne(ProgramGroup, { groupId });
    if (!group) return { ok: false, problem: 'consent_start.unknown_group' };
    if (group.archivedAt) return { ok: false, problem: 'consent_start.archived_group' };

    if (!redirectUrl) return { ok: false, problem: 'consent_start.redirect_missing' };
    const registered = (await em.find(GroupRedirectUrl, { group }, { fields: ['url'] })).map((row) => row.url);
    const allowed = registered.length > 0 ? registered : [platformResultUrl(this.config)];
    if (!allowed.includes(redirectUrl)) return { ok: false, problem: 'consent_start.redirect_unregistered' };

    if (state !== undefined && !CALLER_STATE.test(state)) return { ok: false, problem: 'consent_start.state' };
    const custom = readCustomParams(customParams ?? '');
    if (!custom.ok) {
      return { ok: false, problem: CUSTOM_PARAMS_PROBLEMS[custom.problem], params: { keys: (custom.keys ?? []).join(', ') } };
    }
    if (custom.backUrl) {
      const problem = backUrlProblem(custom.backUrl, allowed, group.backLinkOrigins, this.config.nodeEnv);
      if (problem) return { ok: false, problem: `consent_start.${problem}` };
    }
    return { ok: true, link: { group, redirectUrl, callerState: state ?? null, backUrl: custom.backUrl } };
  }
}

/** The registered redirect URL with the outcome added: `ogsc_id` or `error`, and the partner's `state`. */
export function redirectWith(
  redirectUrl: string,
  outcome: { ogsc_id: string } | { error: 'access_denied' },
  callerState: string | null,
): string {
  const url = new URL(redirectUrl);
  for (const [name, value] of Object.entries(outcome)) url.searchParams.set(name, value);
  if (callerState !== null) url.searchParams.set('state', callerState);
  return url.toString();
}
