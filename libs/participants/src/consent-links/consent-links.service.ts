import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { DspConfig } from '@opendsp/config';
import { GroupRedirectUrl, platformResultUrl, type ProgramGroup } from '@opendsp/groups';
import type { FieldErrors } from '@opendsp/i18n';
import { buildConsentUrl } from '../consent-url.helpers.js';
import { groupById } from '../group-lookup.helpers.js';
import { backUrlProblem, parseCustomParams } from './custom-params.rules.js';

/** A consent URL ready to hand to participants, and what it is made of. */
export interface ConsentLink {
  redirectUrl: string;
  isDefault: boolean;
  /** Canonical `custom_params` (O-Rison), or null for none. */
  customParams: string | null;
  url: string;
}

export interface ConsentLinkRequest {
  redirectUrl?: string;
  customParams?: string;
}

export type ConsentLinkOutcome =
  | { ok: true; group: ProgramGroup; link: ConsentLink; choices: ConsentLink[] }
  | { ok: false; group: ProgramGroup; errors: FieldErrors; errorParams: Record<string, Record<string, string>>; choices: ConsentLink[] };

/**
 * A group's consent links (DSP document section 3): one per registered redirect destination URL, built on
 * PUBLIC_BASE_URL. With no URL registered, the platform's result page stands in (participants land there).
 */
@Injectable()
export class ConsentLinks {
  constructor(
    private readonly em: EntityManager,
    private readonly config: DspConfig,
  ) {}

  /** The plain consent link of each of the group's redirect URLs, default first. */
  async forGroup(group: ProgramGroup): Promise<ConsentLink[]> {
    const urls = await this.em.fork().find(GroupRedirectUrl, { group: group.id }, { orderBy: { isDefault: 'desc', createdAt: 'asc' } });
    const destinations = urls.length > 0 ? urls : [{ url: platformResultUrl(this.config), isDefault: true }];
    return destinations.map(({ url, isDefault }) => ({
      redirectUrl: url,
      isDefault,
      customParams: null,
      url: buildConsentUrl(this.config.http.publicBaseUrl, { groupId: group.groupId, redirectUrl: url }),
    }));
  }

  /**
   * The consent link for a chosen redirect URL (default: the group's default) and optional `custom_params`;
   * a field error when the URL is not one of the group's or the parameters are not what the document allows.
   */
  async resolve(groupId: string, request: ConsentLinkRequest): Promise<ConsentLinkOutcome> {
    const group = await groupById(this.em.fork(), groupId);
    const choices = await this.forGroup(group);
    const chosen = request.redirectUrl ? choices.find((choice) => choice.redirectUrl === request.redirectUrl) : choices[0];
    if (!chosen) return { ok: false, group, errors: { redirectUrl: 'consent_link.redirect_url_unknown' }, errorParams: {}, choices };
    if (!request.customParams?.trim()) return { ok: true, group, link: chosen, choices };
    const parsed = parseCustomParams(request.customParams);
    if (!parsed.ok) {
      return { ok: false, group, errors: { customParams: parsed.message }, errorParams: { customParams: parsed.params ?? {} }, choices };
    }
    // The same rule /consent/start enforces: a back_url the consent page would refuse is refused here, before it is handed out.
    if (parsed.value.back_url) {
      const problem = backUrlProblem(
        parsed.value.back_url,
        choices.map((choice) => choice.redirectUrl),
        group.backLinkOrigins,
        this.config.nodeEnv,
      );
      if (problem) return { ok: false, group, errors: { customParams: `consent_link.${problem}` }, errorParams: {}, choices };
    }
    const customParams = parsed.text || null;
    const url = buildConsentUrl(this.config.http.publicBaseUrl, {
      groupId: group.groupId,
      redirectUrl: chosen.redirectUrl,
      customParams: customParams ?? undefined,
    });
    return { ok: true, group, link: { ...chosen, customParams, url }, choices };
  }
}
