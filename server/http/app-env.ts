// The Hono environment shared by every route: node bindings plus what the session middleware sets.
import type { HttpBindings } from '@hono/node-server';

export interface AppEnv {
  /** c.env.incoming / c.env.outgoing (absent under app.request() in unit tests) */
  Bindings: HttpBindings;
  Variables: {
    /** set by requireSession */
    accountId: string;
    /** SHA-256 (hex) of the session token, set by requireSession */
    sessionTokenHash: string;
  };
}
