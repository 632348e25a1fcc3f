// The approval queue: one extension window asks the user about each origin/secret pair in turn.
// The queue is shared fairly per site (extension/background/site.ts): each site — the calling
// frame's and the top-level page's — may have a few questions waiting, a full queue makes room for
// a site with fewer by refusing the newest question of the site with the most, and the window
// shows the sites in turn. Clicks in the first moments of a prompt are ignored. Closing the window
// answers "not now" to everything still pending (nothing remembered); closing it or denying makes
// that site quiet for a while (5 s, doubling with each further close or deny, up to 5 min), so
// neither the page nor its fresh subdomains can re-open the window in a loop.
import { KeyholeError } from '../../shared/errors.js';
import { siteOf } from './site.js';

/** `dismiss`: "not now" — the window was closed or the page went away; nothing is remembered. */
export type Decision = 'once' | 'always' | 'deny' | 'dismiss';

/** After "not now" or a deny, the site's questions are answered "not now" without a window for this long (the first time). */
export const NOT_NOW_QUIET_MS = 5_000;
/** Each further close or deny doubles the quiet time, up to this. */
export const MAX_QUIET_MS = 5 * 60_000;
/** Strikes older than this are forgotten. */
const STRIKE_MEMORY_MS = 10 * 60_000;

export interface ApprovalPrompt {
  id: string;
  origin: string;
  secretName: string;
  /** every secret the call would use (`name` or `name (vault)`): the user approves them all */
  secrets?: string[];
  /** scheme://host[:port] of the destination */
  host: string;
  method: string;
  /** origin of the top-level page (the tab) when the caller is a frame inside another page */
  topOrigin?: string;
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
  /** questions one site (frame or top-level page) may have waiting */
  maxPerOrigin?: number;
  maxTotal?: number;
  clickDelayMs?: number;
}

interface Pending extends ApprovalPrompt {
  resolve(decision: Decision): void;
  reject(err: KeyholeError): void;
  /** the calling frame's site and the top-level page's */
  sites: string[];
  /** fairness group: the top-level page's site, else the frame's */
  group: string;
}

let counter = 0;

export class ApprovalQueue {
  private readonly queue: Pending[] = [];
  private windowId: number | undefined;
  private opening: Promise<number> | undefined;
  /** when the current head became visible (window shown or previous prompt answered) */
  private headShownAt = 0;
  /** site → quiet until, and how many closes/denies lately */
  private readonly quiet = new Map<string, { until: number; strikes: number; last: number }>();
  readonly maxPerOrigin: number;
  readonly maxTotal: number;
  readonly clickDelayMs: number;

  constructor(private readonly deps: ApprovalDeps) {
    this.maxPerOrigin = deps.maxPerOrigin ?? 3;
    this.maxTotal = deps.maxTotal ?? 20;
    this.clickDelayMs = deps.clickDelayMs ?? 500;
  }

  /**
   * Ask the user. "not now" at once while one of the caller's sites is quiet; RATE_LIMITED when a
   * site already has too many questions waiting, or the queue is full of sites with no more
   * questions than this one.
   */
  ask(prompt: Omit<ApprovalPrompt, 'id'>, signal?: AbortSignal): Promise<Decision> {
    const now = this.deps.now();
    const frameSite = siteOf(prompt.origin);
    const topSite = prompt.topOrigin ? siteOf(prompt.topOrigin) : frameSite;
    const sites = frameSite === topSite ? [frameSite] : [frameSite, topSite];
    if (sites.some((site) => (this.quiet.get(site)?.until ?? 0) > now)) {
      return Promise.resolve('dismiss');
    }
    for (const site of sites) {
      if (this.queue.filter((p) => p.sites.includes(site)).length >= this.maxPerOrigin)
        return Promise.reject(new KeyholeError('RATE_LIMITED'));
    }
    const group = topSite;
    if (this.queue.length >= this.maxTotal && !this.makeRoomFor(group)) {
      return Promise.reject(new KeyholeError('RATE_LIMITED'));
    }
    const id = `a${++counter}-${now}`;
    return new Promise<Decision>((resolve, reject) => {
      const pending: Pending = { ...prompt, id, resolve, reject, sites, group };
      this.insertFairly(pending);
      if (this.queue.length === 1) this.headShownAt = now;
      // A page that takes its question back also quiets its site: ask-and-abort in a loop would
      // flash the window at the user.
      signal?.addEventListener('abort', () => {
        if (this.queue.includes(pending)) this.strike(pending);
        this.settle(id, 'dismiss');
      });
      void this.showWindow();
      this.changed();
    });
  }

  /**
   * A full queue: the group with the most questions waiting gives up its newest (RATE_LIMITED
   * for that caller) if it has at least two more than `group`. The visible head is never taken.
   */
  private makeRoomFor(group: string): boolean {
    const counts = new Map<string, number>();
    for (const p of this.queue) counts.set(p.group, (counts.get(p.group) ?? 0) + 1);
    let top: string | undefined;
    for (const [g, n] of counts) if (top === undefined || n > counts.get(top)!) top = g;
    if (top === undefined || counts.get(top)! < (counts.get(group) ?? 0) + 2) return false;
    for (let i = this.queue.length - 1; i >= 1; i--) {
      const p = this.queue[i]!;
      if (p.group !== top) continue;
      this.queue.splice(i, 1);
      p.reject(new KeyholeError('RATE_LIMITED'));
      return true;
    }
    return false;
  }

  /**
   * Round robin between groups: a question goes before the first waiting question (after the
   * visible head) that is later in its own group's line than this one is in its own.
   */
  private insertFairly(p: Pending): void {
    const rankOf = (i: number): number => {
      let r = 0;
      for (let j = 0; j < i; j++) if (this.queue[j]!.group === this.queue[i]!.group) r++;
      return r;
    };
    const mine = this.queue.filter((q) => q.group === p.group).length;
    for (let i = 1; i < this.queue.length; i++) {
      if (rankOf(i) > mine) {
        this.queue.splice(i, 0, p);
        return;
      }
    }
    this.queue.push(p);
  }

  /** A close or a deny: the sites of that question stay quiet for a while (doubling). */
  private strike(p: Pending): void {
    const now = this.deps.now();
    for (const site of p.sites) {
      const q = this.quiet.get(site);
      const strikes = q && now - q.last < STRIKE_MEMORY_MS ? q.strikes + 1 : 1;
      const ms = Math.min(MAX_QUIET_MS, NOT_NOW_QUIET_MS * 2 ** (strikes - 1));
      this.quiet.set(site, { until: now + ms, strikes, last: now });
    }
  }

  /** The user's click, as the approval window reports it. Returns false when it was ignored. */
  decide(id: string, decision: Decision): boolean {
    const head = this.queue[0];
    // Only the visible prompt can be answered, and only once it has been on screen long enough.
    if (!head || head.id !== id) return false;
    if (this.deps.now() - this.headShownAt < this.clickDelayMs) return false;
    if (decision === 'deny') this.strike(head);
    return this.settle(id, decision);
  }

  /** The approval window was closed: "not now" to everything pending (nothing remembered). */
  windowRemoved(windowId: number): void {
    if (windowId !== this.windowId) return;
    this.windowId = undefined;
    for (const p of [...this.queue]) {
      this.strike(p);
      this.settle(p.id, 'dismiss');
    }
  }

  view(): ApprovalView {
    const armInMs = Math.max(0, this.clickDelayMs - (this.deps.now() - this.headShownAt));
    return {
      prompts: this.queue.map(({ id, origin, secretName, secrets, host, method, topOrigin }) => ({
        id,
        origin,
        secretName,
        secrets: secrets ?? [secretName],
        host,
        method,
        ...(topOrigin !== undefined && topOrigin !== origin ? { topOrigin } : {}),
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
