// One page call in the background: who is calling (sender), may it use the secret(s) (or ask the
// user), is the request acceptable — then forward through the relay and stream the answer back.
import { KeyholeError } from '../../shared/errors.js';
import type { ForwardRequest } from '../../shared/protocol/forward.js';
import { bytesToBase64, isPageOp } from '../bridge/messages.js';
import type { BackgroundReply, FetchTemplate, PageOp } from '../bridge/messages.js';
import { pageErrorBody, privateAddressHint } from '../bridge/page-errors.js';
import type { Decision } from './approvals.js';
import type { CallPlan, PlannedSecret } from './call-plan.js';
import { callerOrigin, decideAccess, topOrigin } from './policy.js';
import type { SenderLike } from './policy.js';

/** A call that passed consent and every check: exactly the relay request that was judged. */
export interface ApprovedCall {
  origin: string;
  request: ForwardRequest;
}

export interface ReplySink {
  head(status: number, statusText: string, headers: [string, string][]): void;
  chunk(bytes: Uint8Array): void;
  end(): void;
}

export type PlanOp =
  { op: 'request'; params: Record<string, unknown> } | { op: 'fetch'; request: FetchTemplate };

/** What the approval window shows for one call: every secret the call would use. */
export interface AskPrompt {
  origin: string;
  /** the first secret this origin has not been allowed yet */
  secretName: string;
  /** every secret the call would use, `name` or `name (vault)` */
  secrets: string[];
  host: string;
  method: string;
  /** the top-level page's origin (set by servePagePort from the sender's tab) */
  topOrigin?: string;
}

export interface PageCallDeps {
  extensionId: string;
  isUnlocked(): Promise<boolean>;
  /** the relay request of the op for `origin`, every secret in it resolved (call-plan.ts) */
  plan(origin: string, op: PlanOp): Promise<CallPlan>;
  /** the secret `name` means for `origin` (a decoy when none; throws when ambiguous) */
  lookup(origin: string, name: string): Promise<PlannedSecret>;
  ask(prompt: AskPrompt, signal: AbortSignal): Promise<Decision>;
  allowOrigin(found: PlannedSecret, origin: string): Promise<void>;
  isDenied(origin: string, name: string): Promise<boolean>;
  addDenied(origin: string, name: string): Promise<void>;
  forward(call: ApprovedCall, sink: ReplySink, signal: AbortSignal): Promise<void>;
  /** no answer that refuses an origin comes sooner than this after the call (ms; no timing oracle) */
  refusalFloorMs?: number;
}

/**
 * Answers that refuse an origin (ORIGIN_NOT_ALLOWED, has() → false) wait until this long after
 * the call began: the work before them differs by microseconds between a name that exists and one
 * that does not (issue #11: 0.3–0.6 ms was enough to tell 7 of 7 names apart).
 */
export const REFUSAL_FLOOR_MS = 25;

function label(s: PlannedSecret): string {
  return s.vault ? `${s.payload.name} (${s.vault})` : s.payload.name;
}

/**
 * Consent on exactly the secrets of the planned relay request: each must be allowed for `origin`,
 * or approved now in one prompt that lists every secret the call would use. Missing, ambiguous
 * and refused names all answer ORIGIN_NOT_ALLOWED after the same steps (denied-list read and the
 * plan's checks for every secret, real or decoy); a prompt is shown only for a call that would
 * otherwise go, so no window is spent on junk.
 */
export async function authorise(
  deps: PageCallDeps,
  origin: string,
  plan: CallPlan,
  signal: AbortSignal,
): Promise<boolean> {
  let saved = false;
  const access: ReturnType<typeof decideAccess>[] = [];
  for (const s of plan.secrets) {
    const denied = await deps.isDenied(origin, s.payload.name);
    access.push(decideAccess(s.decoy ? undefined : s.payload, origin, denied));
  }
  let failed: unknown;
  try {
    plan.check();
  } catch (err) {
    failed = err;
  }
  if (access.includes('refuse')) throw new KeyholeError('ORIGIN_NOT_ALLOWED');
  const toAsk = plan.secrets.filter((_, i) => access[i] === 'ask');
  if (toAsk.length > 0) {
    if (failed !== undefined) throw new KeyholeError('ORIGIN_NOT_ALLOWED');
    const decision = await deps.ask(
      {
        origin,
        secretName: toAsk[0]!.payload.name,
        secrets: plan.secrets.map(label),
        ...plan.display,
      },
      signal,
    );
    if (decision === 'deny') {
      for (const s of toAsk) await deps.addDenied(origin, s.payload.name);
      throw new KeyholeError('USER_DENIED');
    }
    // "Not now" (window closed): refused this time, asked again next time.
    if (decision === 'dismiss') throw new KeyholeError('USER_DENIED');
    if (decision === 'always') {
      // Still allowed this once if saving the permission fails (e.g. the relay is down).
      for (const s of toAsk) await deps.allowOrigin(s, origin).catch(() => undefined);
      saved = true;
    }
  }
  if (failed !== undefined) throw failed;
  return saved;
}

async function runCall(
  deps: PageCallDeps,
  origin: string,
  op: PlanOp,
  sink: ReplySink,
  signal: AbortSignal,
): Promise<void> {
  if (!(await deps.isUnlocked())) throw new KeyholeError('VAULT_LOCKED');
  let plan = await deps.plan(origin, op);
  if (await authorise(deps, origin, plan, signal)) {
    // "Always allow" re-encrypted the items (new item keys): plan again from the store, and send
    // only if it still means exactly the secrets the user approved.
    const approved = plan.secrets.map((s) => `${s.vaultId}/${s.itemId}`).join(',');
    plan = await deps.plan(origin, op);
    const now = plan.secrets.map((s) => `${s.vaultId}/${s.itemId}`).join(',');
    if (now !== approved) throw new KeyholeError('ORIGIN_NOT_ALLOWED');
    plan.check();
  }
  const request = plan.forwardRequest();
  await deps.forward({ origin, request }, sink, signal);
}

async function runHas(deps: PageCallDeps, origin: string, name: string): Promise<boolean> {
  if (!(await deps.isUnlocked())) return false;
  let found: PlannedSecret;
  try {
    found = await deps.lookup(origin, name);
  } catch {
    return false;
  }
  return decideAccess(found.decoy ? undefined : found.payload, origin, false) === 'allow';
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Run one op and report through `send`; every failure becomes a page-safe error body. */
export async function runPageOp(
  deps: PageCallDeps,
  origin: string | null,
  op: PageOp,
  send: (reply: BackgroundReply) => void,
  signal: AbortSignal,
): Promise<void> {
  const sink: ReplySink = {
    head: (status, statusText, headers) => send({ t: 'head', status, statusText, headers }),
    chunk: (bytes) => send({ t: 'chunk', b64: bytesToBase64(bytes) }),
    end: () => send({ t: 'end' }),
  };
  const started = performance.now();
  const floor = async () => {
    const wait = started + (deps.refusalFloorMs ?? REFUSAL_FLOOR_MS) - performance.now();
    if (wait > 0) await sleep(wait);
  };
  try {
    if (op.op === 'has') {
      const has = origin ? await runHas(deps, origin, op.name) : false;
      if (!has) await floor();
      send({ t: 'result', data: has });
      return;
    }
    if (!origin) throw new KeyholeError('ORIGIN_NOT_ALLOWED');
    if (op.op === 'request' || op.op === 'fetch') await runCall(deps, origin, op, sink, signal);
    else throw new KeyholeError('INVALID_REQUEST');
  } catch (err) {
    if (signal.aborted) return;
    const e = err instanceof KeyholeError ? err : undefined;
    if (e?.code === 'ORIGIN_NOT_ALLOWED') await floor();
    if (signal.aborted) return;
    send({
      t: 'error',
      error: pageErrorBody(e?.code ?? 'INTERNAL', {
        status: e?.status,
        body: e?.body,
        allowPrivate: privateAddressHint(e?.details),
      }),
    });
  }
}

/** The subset of a runtime port the background uses. */
export interface PortLike {
  sender?: SenderLike;
  postMessage(message: unknown): void;
  disconnect(): void;
  onMessage: { addListener(cb: (message: unknown) => void): void };
  onDisconnect: { addListener(cb: () => void): void };
}

/** Serve one page port: the first message is the op, a later `cancel` (or a disconnect) aborts it. */
export function servePagePort(port: PortLike, pageDeps: PageCallDeps): void {
  const origin = callerOrigin(port.sender, pageDeps.extensionId);
  // The approval window names the top-level page too, and the queue limits per site by it.
  const top = topOrigin(port.sender);
  const deps: PageCallDeps = top
    ? { ...pageDeps, ask: (prompt, signal) => pageDeps.ask({ ...prompt, topOrigin: top }, signal) }
    : pageDeps;
  const abort = new AbortController();
  let started = false;
  let open = true;
  port.onDisconnect.addListener(() => {
    open = false;
    abort.abort();
  });
  const send = (reply: BackgroundReply): void => {
    if (!open) return;
    try {
      port.postMessage(reply);
    } catch {
      open = false;
    }
  };
  port.onMessage.addListener((msg) => {
    if (started) {
      if (isPageOp(msg) && msg.op === 'cancel') abort.abort();
      return;
    }
    started = true;
    if (!isPageOp(msg) || msg.op === 'cancel') {
      send({ t: 'error', error: pageErrorBody('INVALID_REQUEST') });
      return;
    }
    void runPageOp(deps, origin, msg, send, abort.signal);
  });
}
