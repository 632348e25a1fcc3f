// The approval queue: one extension window asks the user about each origin/secret pair in turn.
// Floods are capped per origin (RATE_LIMITED); clicks in the first moments of a prompt are ignored;
// closing the window answers "not now" to everything still pending (refused, nothing remembered;
// the same question is not asked again for a few seconds, so a page cannot re-open it in a loop).
import { KeyholeError } from '../../shared/errors.js';

/** `dismiss`: "not now" — the window was closed or the page went away; nothing is remembered. */
export type Decision = 'once' | 'always' | 'deny' | 'dismiss';

/** After "not now", the same origin/secret question is answered "not now" without a window for this long. */
export const NOT_NOW_QUIET_MS = 5_000;

export interface ApprovalPrompt {
  id: string;
  origin: string;
  secretName: string;
  /** every secret the call would use (`name` or `name (vault)`): the user approves them all */
  secrets?: string[];
  /** scheme://host[:port] of the destination */
  host: string;
  method: string;
}

export interface ApprovalView {
  prompts: ApprovalPrompt[];
  /** ms the current head still ignores clicks for */
  armInMs: number;
}

export interface ApprovalDeps {
  /** open the approval window; resolves with its window id */
  openWindow(): Promise<number>;
  focusWindow(windowId: number): Promise<void>;
  closeWindow(windowId: number): Promise<void>;
  now(): number;
  /** called whenever the queue changes (the window re-renders) */
  onChange?(view: ApprovalView): void;
  maxPerOrigin?: number;
  maxTotal?: number;
  clickDelayMs?: number;
}

interface Pending extends ApprovalPrompt {
  resolve(decision: Decision): void;
}

let counter = 0;

export class ApprovalQueue {
  private readonly queue: Pending[] = [];
  private windowId: number | undefined;
  private opening: Promise<number> | undefined;
  /** when the current head became visible (window shown or previous prompt answered) */
  private headShownAt = 0;
  /** origin|secret → when the user last closed the window on that question */
  private readonly dismissedAt = new Map<string, number>();
  readonly maxPerOrigin: number;
  readonly maxTotal: number;
  readonly clickDelayMs: number;

  constructor(private readonly deps: ApprovalDeps) {
    this.maxPerOrigin = deps.maxPerOrigin ?? 3;
    this.maxTotal = deps.maxTotal ?? 20;
    this.clickDelayMs = deps.clickDelayMs ?? 500;
  }

  /** Ask the user; RATE_LIMITED when this origin already has too many questions waiting. */
  ask(prompt: Omit<ApprovalPrompt, 'id'>, signal?: AbortSignal): Promise<Decision> {
    const fromOrigin = this.queue.filter((p) => p.origin === prompt.origin).length;
    if (fromOrigin >= this.maxPerOrigin || this.queue.length >= this.maxTotal) {
      return Promise.reject(new KeyholeError('RATE_LIMITED'));
    }
    const quietSince = this.dismissedAt.get(key(prompt));
    if (quietSince !== undefined && this.deps.now() - quietSince < NOT_NOW_QUIET_MS) {
      return Promise.resolve('dismiss');
    }
    const id = `a${++counter}-${this.deps.now()}`;
    return new Promise<Decision>((resolve) => {
      const pending: Pending = { ...prompt, id, resolve };
      this.queue.push(pending);
      if (this.queue.length === 1) this.headShownAt = this.deps.now();
      signal?.addEventListener('abort', () => this.settle(id, 'dismiss'));
      void this.showWindow();
      this.changed();
    });
  }

  /** The user's click, as the approval window reports it. Returns false when it was ignored. */
  decide(id: string, decision: Decision): boolean {
    const head = this.queue[0];
    // Only the visible prompt can be answered, and only once it has been on screen long enough.
    if (!head || head.id !== id) return false;
    if (this.deps.now() - this.headShownAt < this.clickDelayMs) return false;
    return this.settle(id, decision);
  }

  /** The approval window was closed: "not now" to everything pending (nothing remembered). */
  windowRemoved(windowId: number): void {
    if (windowId !== this.windowId) return;
    this.windowId = undefined;
    const now = this.deps.now();
    for (const p of [...this.queue]) {
      this.dismissedAt.set(key(p), now);
      this.settle(p.id, 'dismiss');
    }
  }

  view(): ApprovalView {
    const armInMs = Math.max(0, this.clickDelayMs - (this.deps.now() - this.headShownAt));
    return {
      prompts: this.queue.map(({ id, origin, secretName, secrets, host, method }) => ({
        id,
        origin,
        secretName,
        secrets: secrets ?? [secretName],
        host,
        method,
      })),
      armInMs,
    };
  }

  pendingCount(): number {
    return this.queue.length;
  }

  currentWindowId(): number | undefined {
    return this.windowId;
  }

  private settle(id: string, decision: Decision): boolean {
    const at = this.queue.findIndex((p) => p.id === id);
    if (at === -1) return false;
    const [p] = this.queue.splice(at, 1);
    if (at === 0) this.headShownAt = this.deps.now();
    p?.resolve(decision);
    this.changed();
    if (this.queue.length === 0 && this.windowId !== undefined) {
      const w = this.windowId;
      this.windowId = undefined;
      void this.deps.closeWindow(w).catch(() => undefined);
    }
    return true;
  }

  private changed(): void {
    this.deps.onChange?.(this.view());
  }

  private async showWindow(): Promise<void> {
    try {
      if (this.windowId !== undefined) {
        await this.deps.focusWindow(this.windowId);
        return;
      }
      if (!this.opening) {
        this.opening = this.deps.openWindow();
        const id = await this.opening;
        this.opening = undefined;
        this.windowId = id;
        // The window just appeared: its first prompt is armed only after the delay.
        this.headShownAt = this.deps.now();
        this.changed();
        if (this.queue.length === 0) {
          this.windowId = undefined;
          await this.deps.closeWindow(id);
        }
      }
    } catch {
      // No window can be shown (e.g. the browser is closing): refuse rather than wait forever.
      this.opening = undefined;
      for (const p of [...this.queue]) this.settle(p.id, 'dismiss');
    }
  }
}

function key(p: { origin: string; secretName: string }): string {
  return `${p.origin}|${p.secretName}`;
}
