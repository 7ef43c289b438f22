/**
 * Every column that holds SecretBox ciphertext, with the logical column name bound into its associated
 * data. The re-encryption command walks this list, so a new encrypted column must be added here.
 */
export const ENCRYPTED_COLUMNS: { table: string; columns: { column: string; aad: string }[] }[] = [
  {
    table: 'omron_connection',
    columns: [
      { column: 'access_token_ciphertext', aad: 'access_token' },
      { column: 'refresh_token_ciphertext', aad: 'refresh_token' },
      { column: 'id_token_ciphertext', aad: 'id_token' },
    ],
  },
  {
    table: 'admin_account',
    columns: [{ column: 'totp_secret_ciphertext', aad: 'totp_secret' }],
  },
  {
    table: 'credential_sheet',
    columns: [{ column: 'credentials_ciphertext', aad: 'credentials' }],
  },
  {
    table: 'consent_flow',
    columns: [
      { column: 'pkce_verifier_ciphertext', aad: 'pkce_verifier' },
      { column: 'pending_tokens_ciphertext', aad: 'pending_tokens' },
    ],
  },
  {
    table: 'sftp_destination',
    columns: [
      { column: 'password_ciphertext', aad: 'password' },
      { column: 'private_key_ciphertext', aad: 'private_key' },
      { column: 'passphrase_ciphertext', aad: 'passphrase' },
    ],
  },
];
