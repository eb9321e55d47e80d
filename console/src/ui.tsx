// The page's few building blocks: labelled fields that show the API's refusal of them, actions that
// confirm when destructive and show their outcome, live polling while the tab is visible, progress.
import type { ComponentChildren, JSX } from "preact";
import { createContext } from "preact";
import { useCallback, useContext, useEffect, useId, useRef, useState } from "preact/hooks";
import { ApiError } from "./api/client";
import type { Session } from "./api/auth";
import type { JobCounts } from "./api/types";
import { duration } from "./format";

export const SessionContext = createContext<Session | null>(null);

export function useOperator(): boolean {
  return useContext(SessionContext)?.role === "operator";
}

export function asApiError(error: unknown): ApiError {
  return error instanceof ApiError ? error : new ApiError(0, String(error));
}

export interface Loaded<T> {
  data: T | undefined;
  error: ApiError | null;
  loading: boolean;
  reload: () => Promise<void>;
}

/** Load once per change of `deps`; with `every` (ms), again on that interval while the tab is visible. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[], every = 0): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<ApiError | null>(null);
  const [loading, setLoading] = useState(true);
  const latest = useRef(0);
  const reload = useCallback(async () => {
    const mine = ++latest.current;
    setLoading(true);
    try {
      const value = await load();
      if (mine === latest.current) {
        setData(value);
        setError(null);
      }
    } catch (failed) {
      if (mine === latest.current) setError(asApiError(failed));
    } finally {
      if (mine === latest.current) setLoading(false);
    }
  }, deps);
  useEffect(() => {
    void reload();
    if (!every) return;
    let timer = 0;
    const tick = () => {
      window.clearTimeout(timer);
      if (document.visibilityState !== "visible") return; // hidden: no requests until visible again
      timer = window.setTimeout(async () => {
        await reload();
        tick();
      }, every);
    };
    const visible = () => {
      if (document.visibilityState === "visible") void reload().then(tick);
      else window.clearTimeout(timer);
    };
    tick();
    document.addEventListener("visibilitychange", visible);
    return () => {
      window.clearTimeout(timer);
      document.removeEventListener("visibilitychange", visible);
      latest.current++;
    };
  }, [reload, every]);
  return { data, error, loading, reload };
}

/** The API's refusal as a whole: its message, for what no field shows. */
export function Problem({ error }: { error: ApiError | null | undefined }) {
  if (!error) return null;
  return (
    <p class="problem" role="alert">
      {error.status === 403 ? "Refused (403): " : error.status ? `Refused (${error.status}): ` : ""}
      {error.message}
    </p>
  );
}

interface FieldProps {
  label: string;
  name: string; // the API's field: its refusals of it are shown here
  error?: ApiError | null;
  hint?: string;
  children: (props: { id: string; name: string; "aria-invalid"?: boolean; "aria-describedby"?: string }) => JSX.Element;
}

/** A labelled control, its hint, and the API's problems with its field beside it. */
export function Field({ label, name, error, hint, children }: FieldProps) {
  const id = useId();
  const problems = error?.about(name) ?? [];
  const described = [hint ? `${id}-hint` : "", problems.length ? `${id}-error` : ""].filter(Boolean).join(" ");
  return (
    <div class={`field${problems.length ? " invalid" : ""}`}>
      <label for={id}>{label}</label>
      {children({ id, name, "aria-invalid": problems.length ? true : undefined, "aria-describedby": described || undefined })}
      {hint && (
        <small id={`${id}-hint`} class="hint">
          {hint}
        </small>
      )}
      {problems.length > 0 && (
        <span id={`${id}-error`} class="field-error">
          {problems.join("; ")}
        </span>
      )}
    </div>
  );
}

/** Problems with a group of fields ("priorities"), shown at the group. */
export function FieldProblems({ error, name }: { error: ApiError | null | undefined; name: string }) {
  const problems = error?.about(name) ?? [];
  if (!problems.length) return null;
  return (
    <p class="field-error" role="alert">
      {problems.join("; ")}
    </p>
  );
}

interface ConfirmState {
  question: string;
  yes: string;
  resolve: (answer: boolean) => void;
}

/** A modal question: `ask("Cancel job X?", "Cancel job")` resolves true on yes. */
export function useConfirm(): [JSX.Element | null, (question: string, yes: string) => Promise<boolean>] {
  const [state, setState] = useState<ConfirmState | null>(null);
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    if (state && dialog.current && !dialog.current.open) dialog.current.showModal();
  }, [state]);
  const ask = (question: string, yes: string) => new Promise<boolean>((resolve) => setState({ question, yes, resolve }));
  const answer = (value: boolean) => {
    state?.resolve(value);
    dialog.current?.close();
    setState(null);
  };
  const element = state && (
    <dialog ref={dialog} aria-labelledby="confirm-question" onCancel={() => answer(false)}>
      <p id="confirm-question">{state.question}</p>
      <div class="actions">
        <button type="button" class="danger" onClick={() => answer(true)}>
          {state.yes}
        </button>
        <button type="button" onClick={() => answer(false)} autofocus>
          Keep it
        </button>
      </div>
    </dialog>
  );
  return [element, ask];
}

interface ActionProps {
  label: string;
  run: () => Promise<unknown>;
  confirm?: string; // asked first: destructive actions
  done?: (result: unknown) => string | void; // what to say when it worked
  after?: () => void;
  kind?: "primary" | "danger" | "";
  describedBy?: string;
  report?: (outcome: string) => void; // the outcome said elsewhere: an action in a row its own run removes
}

/** A button that calls the API: busy while it runs, then its outcome or the API's refusal beside it. */
export function Action({ label, run, confirm, done, after, kind = "", describedBy, report }: ActionProps) {
  const operator = useOperator();
  const [busy, setBusy] = useState(false);
  const [said, setSaid] = useState("");
  const [error, setError] = useState<ApiError | null>(null);
  const [dialog, ask] = useConfirm();
  const click = async () => {
    if (busy) return;
    if (confirm && !(await ask(confirm, label))) return;
    setBusy(true);
    setError(null);
    setSaid("");
    try {
      const result = await run();
      const outcome = done?.(result) || `${label}: done`;
      if (report) report(outcome);
      else setSaid(outcome);
      after?.();
    } catch (failed) {
      setError(asApiError(failed));
    } finally {
      setBusy(false);
    }
  };
  return (
    <span class="action">
      <button
        type="button"
        class={kind}
        onClick={click}
        aria-busy={busy}
        aria-describedby={describedBy}
        title={operator ? undefined : "viewers read only: the API refuses changes"}
        data-readonly={operator ? undefined : "true"}
      >
        {busy ? `${label}…` : label}
      </button>
      {dialog}
      {said && (<span role="status" class="said">{said}</span>)}
      <Problem error={error} />
    </span>
  );
}

/** A form whose submit calls the API; the refusal goes to each field (through `error`) and on top. */
export function useSubmit<T>(submit: () => Promise<T>, onDone?: (result: T) => void) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const onSubmit = async (event: Event) => {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      onDone?.(await submit());
    } catch (failed) {
      setError(asApiError(failed));
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, setError, onSubmit };
}

interface Progressed {
  kind: string;
  counts: JobCounts;
  started_at: string | null;
  finished: boolean;
}

// What a job that pushes nothing counts as its work, by kind.
const WORK: Record<string, (keyof JobCounts)[]> = {
  link: ["read", "linked", "already_linked", "duplicate", "no_match", "empty_value", "variant_gone"],
  relink: ["read", "linked", "duplicate", "no_match", "empty_value"],
  reconcile: ["checked", "compared", "out_of_sync"],
  auto_sync: ["matched", "flags_changed"],
  rules: ["checked", "moved", "changes", "auto_pushed"],
};

/** A sync: done of planned as a bar, its counts and an ETA from the rate so far. Other jobs: a bar
 * with no end known until they finish, and what they counted. */
export function JobProgress({ label, job }: { label: string; job: Progressed }) {
  const { planned, pushed, skipped, failed } = job.counts;
  const work = WORK[job.kind];
  if (work) {
    const seen = work.filter((k) => job.counts[k]).map((k) => `${k.replace(/_/g, " ")} ${job.counts[k]}`);
    return (
      <div class="progress">
        {job.finished ? <progress aria-label={label} max={1} value={1} /> : <progress aria-label={label} />}
        <small>{seen.join(" · ") || (job.finished ? "nothing counted" : "starting")}</small>
      </div>
    );
  }
  const done = pushed + skipped + failed;
  const total = Math.max(planned, done);
  const elapsed = job.started_at ? (Date.now() - new Date(job.started_at).getTime()) / 1000 : 0;
  const eta = !job.finished && done > 0 && total > done ? ((total - done) * elapsed) / done : NaN;
  return (
    <div class="progress">
      <progress aria-label={label} max={total || 1} value={job.finished ? total || 1 : done} />
      <small>
        {done}/{total} · pushed {pushed} · skipped {skipped} · failed {failed}
        {Number.isFinite(eta) && ` · ETA ${duration(eta)}`}
      </small>
    </div>
  );
}

export function Section({ title, children, actions }: { title: string; children: ComponentChildren; actions?: ComponentChildren }) {
  return (
    <section aria-label={title}>
      <div class="section-head">
        <h2>{title}</h2>
        {actions}
      </div>
      {children}
    </section>
  );
}

export function Loading() {
  return <p class="hint">Loading…</p>;
}
