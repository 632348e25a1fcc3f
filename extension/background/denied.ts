// Origin/secret pairs the user denied in this browser session: asked again only after a restart or
// after "forget" in the popup, so a page cannot keep opening windows.
import { getSession, KEYS, setSession } from './storage.js';

type Pair = [origin: string, name: string];

async function all(): Promise<Pair[]> {
  return (await getSession<Pair[]>(KEYS.denied)) ?? [];
}

export async function isDenied(origin: string, name: string): Promise<boolean> {
  return (await all()).some(([o, n]) => o === origin && n === name);
}

export async function addDenied(origin: string, name: string): Promise<void> {
  const list = await all();
  if (!list.some(([o, n]) => o === origin && n === name)) list.push([origin, name]);
  await setSession(KEYS.denied, list.slice(-500));
}

export async function forgetDenied(origin: string, name: string): Promise<void> {
  await setSession(
    KEYS.denied,
    (await all()).filter(([o, n]) => !(o === origin && n === name)),
  );
}

export async function listDenied(): Promise<{ origin: string; name: string }[]> {
  return (await all()).map(([origin, name]) => ({ origin, name }));
}
