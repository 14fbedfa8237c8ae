/** Plazbot's limits, declared once: the request schemas (schemas.ts) and the rules (users.ts) read these. */
export const LIMITS = {
  /** A name or last name, in characters after trimming (the rule). */
  name: 100,
  /**
   * The most a name field may carry before trimming (the schema): a bound on the raw input, so that
   * padded names still reach the rule and are answered with its message.
   */
  nameInput: 1000,
  email: 320,
  /** A bound on the input; the company's password policy decides the real maximum (at most 1024). */
  password: 4096,
  company: 200,
  verificationId: 200,
} as const;
