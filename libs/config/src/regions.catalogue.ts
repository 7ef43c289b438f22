/**
 * Where a DSP environment may serve participants.
 *
 * The five Asian, Latin American and Oceanian regions are the "Geographic Availability" table of the
 * DSP onboarding document; `us` and `europe` are the regions the OMRON Partner API itself is offered
 * in. Countries are ISO 3166-1 alpha-2 codes so configuration does not depend on spelling.
 */
export const REGIONS = {
  'latin-america': {
    name: 'Latin America',
    countries: {
      AR: 'Argentina',
      BO: 'Bolivia',
      BR: 'Brazil',
      CL: 'Chile',
      CO: 'Colombia',
      CR: 'Costa Rica',
      DO: 'Dominican Republic',
      EC: 'Ecuador',
      SV: 'El Salvador',
      GT: 'Guatemala',
      HN: 'Honduras',
      MX: 'Mexico',
      NI: 'Nicaragua',
      PA: 'Panama',
      PY: 'Paraguay',
      PE: 'Peru',
      UY: 'Uruguay',
      VE: 'Venezuela',
    },
  },
  'east-asia': {
    name: 'East Asia',
    countries: { HK: 'Hong Kong', JP: 'Japan', KR: 'Korea', MO: 'Macau', MN: 'Mongolia', TW: 'Taiwan' },
  },
  'southeast-asia': {
    name: 'Southeast Asia',
    countries: {
      KH: 'Cambodia',
      ID: 'Indonesia',
      LA: 'Laos',
      MY: 'Malaysia',
      MM: 'Myanmar',
      PH: 'Philippines',
      SG: 'Singapore',
      TH: 'Thailand',
      VN: 'Viet Nam',
    },
  },
  'south-asia': {
    name: 'South Asia',
    countries: { BD: 'Bangladesh', IN: 'India', LK: 'Sri Lanka' },
  },
  oceania: {
    name: 'Oceania',
    countries: { AU: 'Australia', NZ: 'New Zealand' },
  },
  us: {
    name: 'United States',
    countries: { US: 'United States' },
  },
  europe: {
    name: 'Europe',
    countries: {
      AT: 'Austria',
      BE: 'Belgium',
      BG: 'Bulgaria',
      CH: 'Switzerland',
      CY: 'Cyprus',
      CZ: 'Czechia',
      DE: 'Germany',
      DK: 'Denmark',
      EE: 'Estonia',
      ES: 'Spain',
      FI: 'Finland',
      FR: 'France',
      GB: 'United Kingdom',
      GR: 'Greece',
      HR: 'Croatia',
      HU: 'Hungary',
      IE: 'Ireland',
      IS: 'Iceland',
      IT: 'Italy',
      LI: 'Liechtenstein',
      LT: 'Lithuania',
      LU: 'Luxembourg',
      LV: 'Latvia',
      MT: 'Malta',
      NL: 'Netherlands',
      NO: 'Norway',
      PL: 'Poland',
      PT: 'Portugal',
      RO: 'Romania',
      SE: 'Sweden',
      SI: 'Slovenia',
      SK: 'Slovakia',
    },
  },
} as const satisfies Record<string, { name: string; countries: Record<string, string> }>;

export type RegionId = keyof typeof REGIONS;
export const REGION_IDS = Object.keys(REGIONS) as RegionId[];

/** The countries of a region, code → English name. */
export function countriesOf(region: RegionId): Readonly<Record<string, string>> {
  return REGIONS[region].countries;
}
