/**
 * Credentials written into an admin URL (`http://user:password@host:9080`). dgate-cli never
 * sends them (credentials come from the environment), and a URL is printed in plan headers,
 * errors, saved plans and the journal, so such a URL is refused, and shown only redacted.
 */
export function hasCredentials(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.username !== '' || parsed.password !== '';
  } catch {
    return userInfo.test(url);
  }
}

/**
 * The text with everything between `scheme://` and its last `@` replaced by `***`. Up to the
 * last `@`, not the first `/`: a password may hold either, and a URL that does not parse is
 * shown too.
 */
export function redactCredentials(text: string): string {
  return text.replace(userInfo, '$1***@');
}

const userInfo = /^([a-z][a-z0-9+.-]*:\/\/)\S*@/i;

export const credentialsHint =
  'write the URL without them, and give the credentials in the environment: DGATE_ADMIN_USER and DGATE_ADMIN_PASSWORD (basic auth) or DGATE_ADMIN_KEY';
