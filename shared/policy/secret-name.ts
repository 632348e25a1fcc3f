// Secret names as pages and the CLI use them (`$(secret:NAME)`, `--vault V NAME`): one rule, kept
// free of zod so the popup can check a name as it is typed.
export const SECRET_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
export const SECRET_NAME_RULE =
  'letters, digits, _ . - (at most 64), starting with a letter or digit';

export function isValidSecretName(name: string): boolean {
  return SECRET_NAME_RE.test(name);
}
