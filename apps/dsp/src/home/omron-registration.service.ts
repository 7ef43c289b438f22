import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { DspConfig } from '@opendsp/config';
import { consentScopes, dataScopesOf } from '@opendsp/consent';
import { ProgramGroup } from '@opendsp/groups';
import { NOTIFICATION_PATH } from '@opendsp/sync';

/** One line of the registration sheet: a label key, the value to send, and an optional note key. */
export interface RegistrationValue {
  id: string;
  label: string;
  value: string;
  note?: string;
}

export interface RegistrationSheet {
  /** What OMRON's Partner API registration asks for ("Before You Begin"), with this environment's values. */
  omronApp: RegistrationValue[];
  /** The scopes each active group's consent asks for (groups have no scope setting: all of them). */
  groups: { groupId: string; name: string; scopes: string }[];
  /** The DSP onboarding document's "Required Information" for this environment. */
  environment: RegistrationValue[];
  notificationSecretMissing: boolean;
}

/**
 * Everything the partner sends OMRON for this environment, from the Partner API's registration facts and the
 * DSP document's "Schedule and Required Information", filled in from the configuration and the groups.
 */
@Injectable()
export class OmronRegistrationService {
  constructor(
    private readonly config: DspConfig,
    private readonly em: EntityManager,
  ) {}

  async sheet(): Promise<RegistrationSheet> {
    const { environment, http, notifications } = this.config;
    const region = environment.region.id;
    const base = http.publicBaseUrl;
    const secret = notifications.sharedSecret;
    const notificationUri = `${base}${NOTIFICATION_PATH}${secret ? `?secret=${encodeURIComponent(secret)}` : ''}`;
    const groups = await this.em.fork().find(ProgramGroup, { archivedAt: null }, { orderBy: { displayName: 'asc' } });
    const value = (id: string, label: string, text: string, note?: string): RegistrationValue => ({ id, label, value: text, note });
    return {
      omronApp: [
        value('app-name', 'registration.app_name', environment.partnerName),
        value('redirect-uri', 'registration.redirect_uri', `${base}/consent/callback`),
        value(
          'notification-uri',
          'registration.notification_uri',
          notificationUri,
          secret ? 'registration.notification_secret_note' : undefined,
        ),
        // The region's data types (DSP_REGION): temperature and oxygen are offered in Europe only.
        value('requested-scopes', 'registration.requested_scopes', dataScopesOf(consentScopes(region)).join(' ')),
        value('oauth-scope', 'registration.oauth_scope', consentScopes(region)),
        value('company-name', 'registration.company_name', environment.partnerName),
        value('contact-name', 'registration.contact_name', environment.partnerAdmin.name),
        value('contact-email', 'registration.contact_email', environment.partnerAdmin.email),
      ],
      groups: groups.map((group) => ({
        groupId: group.groupId,
        name: group.displayName,
        scopes: dataScopesOf(consentScopes(region, group.dataTypes)).join(' '),
      })),
      environment: [
        value('environment-type', 'environment.type', `${environment.type} (${environment.id})`),
        value(
          'region',
          'environment.region',
          `${environment.region.name}: ${environment.countries.map((country) => country.code).join(', ')}`,
        ),
        value('language', 'environment.language', environment.language.toUpperCase()),
        value('timezone', 'environment.timezone', environment.timezone),
        value('partner-name', 'environment.partner_name', environment.partnerName),
        value('admin-name', 'registration.admin_name', environment.partnerAdmin.name),
        value('admin-id', 'registration.admin_id', environment.partnerAdmin.id),
        value('admin-email', 'registration.admin_email', environment.partnerAdmin.email),
        value('source-ips', 'environment.allowed_ips', environment.allowedSourceIps.join(', ')),
        value('transfer-methods', 'environment.transfer_methods', environment.dataTransferMethods.join(', ')),
      ],
      notificationSecretMissing: !secret,
    };
  }
}
