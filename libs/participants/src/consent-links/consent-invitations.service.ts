import { createHmac, hkdfSync } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { isEmail } from 'class-validator';
import { AuditLog, type AuditActor } from '@opendsp/audit';
import { DspConfig, type Language } from '@opendsp/config';
import { ProgramGroup } from '@opendsp/groups';
import { translate, type FieldErrors } from '@opendsp/i18n';
import { Mailer } from '@opendsp/mail';
import { lockGroup } from '../group-lookup.helpers.js';
import { ConsentInvitation } from './consent-invitation.entity.js';
import { ConsentLinks, type ConsentLink, type ConsentLinkOutcome, type ConsentLinkRequest } from './consent-links.service.js';

/** Addresses one submission may invite. */
export const MAX_INVITATION_RECIPIENTS = 50;
/** An address invited to a group is not mailed again for the group within this time. */
export const REINVITE_AFTER_HOURS = 24;

type RecipientsOutcome =
  | { ok: true; sent: number; skipped: number; failed: number }
  | { ok: false; errors: FieldErrors; errorParams: Record<string, Record<string, string | number>> };

/**
 * What sending invitations came to: the link the form asked for was refused (`link` carries its errors), the
 * recipients were refused (invalid addresses, too many, the hourly limit), or the mails went out.
 */
export type InvitationOutcome =
  | { kind: 'link_refused'; link: ConsentLinkOutcome }
  | {
      kind: 'recipients_refused';
      link: ConsentLinkOutcome;
      errors: FieldErrors;
      errorParams: Record<string, Record<string, string | number>>;
    }
  | { kind: 'sent'; link: ConsentLink; sent: number; skipped: number; failed: number };

/**
 * Consent-link invitation e-mails: the link a partner would otherwise send themselves (DSP document
 * section 3, step 1), mailed through the platform. Limited per group and hour (CONSENT_INVITATIONS_PER_HOUR)
 * and per address and day; each recipient is recorded as a keyed hash only, and each sending is audited.
 */
@Injectable()
export class ConsentInvitations {
  private readonly logger = new Logger(ConsentInvitations.name);
  private readonly hashKey: Buffer;

  constructor(
    private readonly em: EntityManager,
    private readonly audit: AuditLog,
    private readonly config: DspConfig,
    private readonly mailer: Mailer,
    private readonly links: ConsentLinks,
  ) {
    // A key of its own, derived from the active encryption key: hashes of addresses cannot be reversed by
    // hashing guessed addresses without it. (Rotating the key restarts the once-a-day check; nothing else.)
    const active = config.encryption.keys.find((key) => key.id === config.encryption.activeKeyId)!;
    this.hashKey = Buffer.from(hkdfSync('sha256', active.key, Buffer.alloc(0), 'opendsp consent invitation recipient', 32));
  }

  /** Splits a recipients field (one address per line, or separated by commas, semicolons or spaces) into distinct addresses. */
  static addresses(text: string): string[] {
    return [
      ...new Set(
        text
          .split(/[\s,;]+/)
          .map((address) => address.trim().toLowerCase())
          .filter(Boolean),
      ),
    ];
  }

  /** Mails the group's consent link for `request` (a redirect URL of the group, `custom_params`) to the recipients. */
  async send(
    groupId: string,
    request: ConsentLinkRequest,
    input: { recipients: string; language: Language },
    actor: AuditActor,
  ): Promise<InvitationOutcome> {
    const link = await this.links.resolve(groupId, request);
    if (!link.ok) return { kind: 'link_refused', link };
    const outcome = await this.sendLink(link.group, link.link, input, actor);
    if (!outcome.ok) return { kind: 'recipients_refused', link, errors: outcome.errors, errorParams: outcome.errorParams };
    return { kind: 'sent', link: link.link, sent: outcome.sent, skipped: outcome.skipped, failed: outcome.failed };
  }

  private async sendLink(
    group: ProgramGroup,
    link: ConsentLink,
    input: { recipients: string; language: Language },
    actor: AuditActor,
  ): Promise<RecipientsOutcome> {
    const addresses = ConsentInvitations.addresses(input.recipients);
    if (addresses.length === 0) return { ok: false, errors: { recipients: 'form.required' }, errorParams: {} };
    if (addresses.length > MAX_INVITATION_RECIPIENTS) {
      return {
        ok: false,
        errors: { recipients: 'consent_link.too_many_recipients' },
        errorParams: { recipients: { max: MAX_INVITATION_RECIPIENTS } },
      };
    }
    const invalid = addresses.find((address) => address.length > 320 || !isEmail(address));
    if (invalid !== undefined) {
      return { ok: false, errors: { recipients: 'consent_link.recipient_invalid' }, errorParams: { recipients: { address: invalid } } };
    }
    const limit = this.config.participants.consentInvitationsPerHour;

    const planned = await this.em.fork().transactional(async (em) => {
      // One group's invitations take turns, so two submissions cannot both pass the hourly limit.
      await lockGroup(em, group);
      const hashes = new Map(addresses.map((address) => [address, this.hash(address)]));
      const recent = await em.find(
        ConsentInvitation,
        {
          group: group.id,
          recipientHash: { $in: [...hashes.values()] },
          sentAt: { $gt: new Date(Date.now() - REINVITE_AFTER_HOURS * 3_600_000) },
        },
        { fields: ['recipientHash'] },
      );
      const recentHashes = new Set(recent.map((row) => row.recipientHash));
      const due = addresses.filter((address) => !recentHashes.has(hashes.get(address)!));
      const lastHour = await em.count(ConsentInvitation, { group: group.id, sentAt: { $gt: new Date(Date.now() - 3_600_000) } });
      if (lastHour + due.length > limit) return { limited: true as const, remaining: Math.max(0, limit - lastHour) };
      const rows = due.map((address) => {
        const row = new ConsentInvitation(
          em.getReference(ProgramGroup, group.id),
          hashes.get(address)!,
          link.redirectUrl,
          actor.adminId ?? null,
        );
        em.persist(row);
        return { address, row };
      });
      this.audit.record(em, {
        action: 'participants.invitations_sent',
        actor,
        target: { type: 'group', id: group.groupId },
        detail: {
          recipients: due.length,
          skippedRecentlyInvited: addresses.length - due.length,
          redirectUrl: link.redirectUrl,
          customParams: link.customParams,
          language: input.language,
        },
      });
      return { limited: false as const, rows };
    });
    if (planned.limited) {
      return {
        ok: false,
        errors: { recipients: 'consent_link.rate_limited' },
        errorParams: { recipients: { limit, remaining: planned.remaining } },
      };
    }

    const failedIds: string[] = [];
    for (const { address, row } of planned.rows) {
      try {
        await this.mailer.send({
          to: address,
          subject: translate(input.language, 'mail.consent_invite.subject', { group: group.displayName }),
          text: translate(input.language, 'mail.consent_invite.body', {
            group: group.displayName,
            partner: this.config.environment.partnerName,
            link: link.url,
          }),
        });
      } catch (error) {
        failedIds.push(row.id);
        this.logger.error({ err: error, groupId: group.groupId }, 'consent invitation could not be sent');
      }
    }
    // A message that never left is not an invitation: it neither counts in the funnel nor blocks a retry.
    if (failedIds.length > 0) await this.em.fork().nativeDelete(ConsentInvitation, { id: { $in: failedIds } });
    return {
      ok: true,
      sent: planned.rows.length - failedIds.length,
      skipped: addresses.length - planned.rows.length,
      failed: failedIds.length,
    };
  }

  private hash(address: string): string {
    return createHmac('sha256', this.hashKey).update(address).digest('hex');
  }
}
