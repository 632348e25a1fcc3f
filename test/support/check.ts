// One fault or property checked by a reliability scenario: the row it adds to the final table.
export interface Check {
  name: string;
  pass: boolean;
  detail: string;
  /** acknowledged writes that could not be read back afterwards */
  dataLost?: number;
  /** writes acknowledged during the scenario (the denominator of dataLost) */
  acknowledged?: number;
}

/** Run a check body; an exception becomes a failed check (the run goes on to the next one). */
export async function guard(name: string, body: () => Promise<Check | Check[]>): Promise<Check[]> {
  try {
    const out = await body();
    return Array.isArray(out) ? out : [out];
  } catch (err) {
    return [
      { name, pass: false, detail: `threw: ${err instanceof Error ? err.message : String(err)}` },
    ];
  }
}
