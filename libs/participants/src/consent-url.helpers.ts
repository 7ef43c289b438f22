/**
 * A group's consent link, the URL a partner hands to participants (DSP document, section 3):
 * `{base}/consent/start?group_id={groupId}&redirect_url={url}[&custom_params={rison}]`.
 * `redirect_url` must be one of the group's registered redirect URLs; `custom_params` is the optional
 * Rison string (`display_back:1,back_url:'…',back_url_params:'…'`).
 */
export function buildConsentUrl(publicBaseUrl: string, input: { groupId: string; redirectUrl: string; customParams?: string }): string {
  const url = new URL('/consent/start', publicBaseUrl);
  url.searchParams.set('group_id', input.groupId);
  url.searchParams.set('redirect_url', input.redirectUrl);
  if (input.customParams) url.searchParams.set('custom_params', input.customParams);
  return url.toString();
}
