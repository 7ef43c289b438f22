import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { DspConfig } from '@opendsp/config';
import { GroupRedirectUrl, platformResultUrl, ProgramGroup } from '@opendsp/groups';
import { buildConsentUrl, consentQrPng, consentQrSvg } from '@opendsp/participants';
import type { ApiPrincipal } from '../auth/api-principal.types.js';
import type { ConsentLinkDto, GroupDto, GroupPageDto } from '../dto/groups.dto.js';
import { GROUP_ID_FORMAT } from '../dto/validators.decorators.js';
import { ApiProblem } from '../problems/api-problem.exception.js';
import { clientSeesGroup } from './client-groups.helpers.js';

import { decodeCursor, encodeCursor, isoOrNull } from './cursor.helpers.js';

/** Groups as the API shows them: only those the client may see; any other is "not found". */
@Injectable()
export class GroupsApiService {
  constructor(
    private readonly em: EntityManager,
    private readonly config: DspConfig,
  ) {}

  /** A group the client may see, by its public ID; 404 `group_not_found` for unknown ones and others' alike. */
  async visibleGroup(em: EntityManager, principal: ApiPrincipal, groupId: string): Promise<ProgramGroup> {
    const group = GROUP_ID_FORMAT.test(groupId) ? await em.findOne(ProgramGroup, { groupId }) : null;
    if (!group || !clientSeesGroup(principal, group.id))
      throw new ApiProblem('group_not_found', `No group ${groupId} is visible to this client.`);
    return group;
  }

  /** Groups ordered by group ID, a page at a time. */
  async list(principal: ApiPrincipal, query: { cursor?: string; limit: number }): Promise<GroupPageDto> {
    const em = this.em.fork();
    const [after] = decodeCursor(query.cursor, [GROUP_ID_FORMAT]) ?? [];
    const groups = await em.find(
      ProgramGroup,
      {
        ...(principal.allGroups ? {} : { id: { $in: principal.groupIds } }),
        ...(after ? { groupId: { $gt: after } } : {}),
      },
      { orderBy: { groupId: 'asc' }, limit: query.limit + 1 },
    );
    const shown = groups.slice(0, query.limit);
    const urls = shown.length
      ? await em.find(GroupRedirectUrl, { group: { $in: shown } }, { orderBy: { isDefault: 'desc', createdAt: 'asc' } })
      : [];
    return {
      data: shown.map((group) => this.view(group, urls)),
      nextCursor: groups.length > query.limit ? encodeCursor([shown.at(-1)!.groupId]) : null,
    };
  }

  async get(principal: ApiPrincipal, groupId: string): Promise<GroupDto> {
    const em = this.em.fork();
    const group = await this.visibleGroup(em, principal, groupId);
    const urls = await em.find(GroupRedirectUrl, { group }, { orderBy: { isDefault: 'desc', createdAt: 'asc' } });
    return this.view(group, urls);
  }

  /**
   * The consent link for a registered redirect URL (the default one unless named). A URL the group has not
   * registered is refused: the consent flow would refuse it too, and a partner should learn that now.
   */
  async consentLink(principal: ApiPrincipal, groupId: string, redirectUrl?: string): Promise<ConsentLinkDto> {
    const em = this.em.fork();
    const group = await this.visibleGroup(em, principal, groupId);
    const urls = await em.find(GroupRedirectUrl, { group });
    let target: string;
    if (redirectUrl !== undefined) {
      if (!urls.some((url) => url.url === redirectUrl)) {
        throw ApiProblem.validation([
          {
            field: 'redirectUrl',
            code: 'redirect_url_not_registered',
            message: 'redirectUrl must be one of the redirect URLs registered for the group',
          },
        ]);
      }
      target = redirectUrl;
    } else {
      target = urls.find((url) => url.isDefault)?.url ?? platformResultUrl(this.config);
    }
    return {
      groupId: group.groupId,
      url: buildConsentUrl(this.config.http.publicBaseUrl, { groupId: group.groupId, redirectUrl: target }),
      redirectUrl: target,
    };
  }

  /** The consent link as a QR code, PNG (512 px) or SVG. */
  async consentQr(
    principal: ApiPrincipal,
    groupId: string,
    redirectUrl: string | undefined,
    format: 'png' | 'svg',
  ): Promise<{ contentType: string; body: Buffer | string }> {
    const { url } = await this.consentLink(principal, groupId, redirectUrl);
    return format === 'svg'
      ? { contentType: 'image/svg+xml', body: await consentQrSvg(url) }
      : { contentType: 'image/png', body: await consentQrPng(url) };
  }

  private view(group: ProgramGroup, urls: GroupRedirectUrl[]): GroupDto {
    return {
      groupId: group.groupId,
      displayName: group.displayName,
      description: group.description,
      createdAt: group.createdAt.toISOString(),
      archivedAt: isoOrNull(group.archivedAt),
      redirectUrls: urls.filter((url) => url.group.id === group.id).map((url) => ({ url: url.url, isDefault: url.isDefault })),
    };
  }
}
