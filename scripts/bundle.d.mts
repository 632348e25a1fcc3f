// Types of scripts/bundle.mjs (imported by the test helpers that spawn the built relay).
export function freshEntry(name: 'cli' | 'server'): string | null;
export function build(options?: { quiet?: boolean }): Promise<string>;
export function bundleEntry(name: 'cli' | 'server'): Promise<string>;
