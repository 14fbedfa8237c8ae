/**
 * Jelou's limits, declared once: the request schema (schemas.ts) and the rules (the kernel's widget
 * user checks, src/identity/widget-users.ts) both read these. A widget user's limits are the
 * kernel's, since the import writes widget users too.
 */
export { WIDGET_USER_LIMITS as LIMITS } from '../../identity/widget-users.js';
