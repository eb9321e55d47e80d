// Allocation in the console: a channel's rules (its page), a listing's override of them and "why this
// number" (the listing's page), the channel's guard, and the syncs the guard stopped (Overview, Jobs).
import { useEffect, useId, useState } from "preact/hooks";
import { api, ok, type ApiError, type Schemas } from "../api/client";
import type { Job } from "../api/types";
import { time } from "../format";
import { href } from "../router";
import { DryRunPlan } from "./Job";
import { LIVE_MS } from "./Jobs";
import { finished } from "./jobActions";
import { Action, Field, FieldProblems, Problem, Section, useLoad, useSubmit, Loading } from "../ui";

type Rules = Schemas["Rules"];
type Override = Schemas["Override"];
type RuleName = NonNullable<Override["without"]>[number];
type RuleChange = Schemas["RuleChange"];
type OverrideChange = Schemas["OverrideChange"];
type Guard = Schemas["Guard"];
type BreakerState = Schemas["BreakerState"];
type Move = { sku: string; field: string; from_value: string | null; to_value: string | null };

interface Step {
  field: string;
  rule: string;
  source: string;
  before: string;
  after: string;
  note: string;
}

interface ChannelExplained {
  channel: string;
  linked: boolean;
  quantity: number;
  price: string | null;
  last_pushed_quantity: number | null;
  last_observed_price: string | null;
  rules: Record<string, unknown>;
  override: Record<string, unknown>;
  steps: Step[];
}

const QUANTITY_FIELDS = [
  ["reserve", "Reserve (keep back)"],
  ["percent", "Share (%)"],
  ["max_quantity", "At most"],
  ["zero_at", "Send 0 at or below"],
  ["fixed", "Fixed quantity (instead)"],
] as const;
const PRICE_FIELDS = [
  ["min_price", "Minimum price"],
  ["max_price", "Maximum price"],
] as const;
type Text = Record<string, string>;
// The rules a listing's override may do without, by the form's name (markup: either markup), in the
// order they apply
const CHANNEL_RULES = [
  ["fixed", "fixed quantity"],
  ["reserve", "reserve"],
  ["percent", "share"],
  ["max_quantity", "ceiling (at most)"],
  ["zero_at", "floor to 0"],
  ["markup", "markup"],
  ["rounding", "rounding"],
  ["max_price", "maximum price"],
  ["min_price", "minimum price"],
] as const;
const MARKUPS: RuleName[] = ["markup_percent", "markup_amount"];

function text(rules: Rules): Text {
  const shown: Text = {};
  for (const [name, value] of Object.entries(rules)) shown[name] = value == null ? "" : String(value);
  shown.markup = rules.markup_percent != null ? `${rules.markup_percent}%` : rules.markup_amount != null ? String(rules.markup_amount) : "";
  return shown;
}

/** The edit the form's values make: each rule set (a number where it is one) or null (cleared). */
function edit(values: Text): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  const value = (raw: string) => (raw.trim() === "" ? null : Number.isFinite(Number(raw)) ? Number(raw) : raw);
  for (const [name] of [...QUANTITY_FIELDS, ...PRICE_FIELDS]) body[name] = value(values[name] ?? "");
  const markup = (values.markup ?? "").trim();
  body.markup_percent = markup.endsWith("%") ? value(markup.slice(0, -1)) : null;
  body.markup_amount = markup && !markup.endsWith("%") ? value(markup) : null;
  body.rounding = values.rounding || null;
  return body;
}

/** A channel's rule change: its job, polled until it has found (and pushed) what the rules move. */
function RuleJob({ change }: { change: RuleChange }) {
  const [done, setDone] = useState(false);
  const shown = useLoad(() => ok<Job>(api.GET("/v1/jobs/{job_id}", { params: { path: { job_id: change.job.id } } })), [change.job.id], done ? 0 : LIVE_MS);
  const job = shown.data ?? (change.job as Job);
  useEffect(() => setDone(finished(job)), [job]);
  const { checked, moved, auto_pushed } = job.counts;
  return (
    <>
      <p role="status">
        {!finished(job)
          ? `${change.dry_run ? "Dry run" : "Saved"}: job ${job.id.slice(0, 8)} is checking the linked listings (${checked} so far)`
          : `${change.dry_run ? "Dry run: would move" : "Saved: moved"} ${moved} of ${checked} linked listings${change.dry_run ? ", nothing saved or pushed" : `; ${auto_pushed ?? 0} pushed now (auto sync on), the next smart sync pushes the others`}`}{" "}
        <a href={href("jobs", job.id)}>Job</a>
      </p>
      <Problem error={shown.error} />
      {finished(job) && <DryRunPlan id={job.id} ready title={change.dry_run ? "What the rules would move" : "What the rules moved"} />}
    </>
  );
}

function Moves({ change }: { change: OverrideChange }) {
  const moves = change.moves as Move[];
  return (
    <>
      <p role="status">
        {change.dry_run ? "Dry run: would move" : "Saved: moved"} {change.moved_listings} of {change.checked} linked listings
        {change.dry_run ? ", nothing saved or pushed" : `; ${change.auto_pushed ?? 0} pushed now (auto sync on), the next smart sync pushes the others`}
      </p>
      {moves.length > 0 && (
        <div class="table-wrap">
          <table aria-label={change.dry_run ? "What the rules would move" : "What the rules moved"}>
            <thead>
              <tr>
                <th scope="col">SKU</th>
                <th scope="col">Value</th>
                <th scope="col">From</th>
                <th scope="col">To</th>
              </tr>
            </thead>
            <tbody>
              {moves.map((m) => (
                <tr key={`${m.sku}-${m.field}`}>
                  <th scope="row">
                    <a href={href("listings", m.sku)}>{m.sku}</a>
                  </th>
                  <td>{m.field}</td>
                  <td>{m.from_value ?? "—"}</td>
                  <td>{m.to_value ?? "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

/** The channel's rules a listing's override does without: a box for each rule the channel sets (and
 * each the override names, so that it can be taken back), the API's refusals of `without` beside them. */
function WithoutChannelRules({ channel, sku, without, error, onChange }: { channel: string; sku: string; without: RuleName[]; error: ApiError | null; onChange: (without: RuleName[], ticked?: string) => void }) {
  const shown = useLoad(() => ok<{ rules: Rules }>(api.GET("/v1/channels/{name}/rules", { params: { path: { name: channel } } })), [channel]);
  const id = useId();
  if (!shown.data) return <>{shown.error ? <Problem error={shown.error} /> : <Loading />}</>;
  const set = text(shown.data.rules);
  const named = (rule: string): RuleName[] => (rule === "markup" ? MARKUPS : [rule as RuleName]);
  const ticked = (rule: string) => named(rule).some((name) => without.includes(name));
  const rules = CHANNEL_RULES.filter(([rule]) => set[rule] || ticked(rule));
  if (rules.length === 0) return null;
  const toggle = (rule: string, on: boolean) => {
    const others = without.filter((name) => !named(rule).includes(name));
    const name = rule === "markup" ? (shown.data?.rules.markup_amount != null ? "markup_amount" : "markup_percent") : (rule as RuleName);
    onChange(on ? [...others, name] : others, on ? rule : undefined);
  };
  const invalid = (error?.about("without") ?? []).length > 0;
  return (
    <fieldset>
      <legend>
        Do without {channel}'s rules for {sku}
      </legend>
      {rules.map(([rule, label]) => (
        <div class="field check" key={rule}>
          <input id={`${id}-${rule}`} type="checkbox" checked={ticked(rule)} aria-invalid={invalid || undefined} onChange={(e) => toggle(rule, e.currentTarget.checked)} />
          <label for={`${id}-${rule}`}>
            Do without {channel}'s {label} ({set[rule] || `${channel} sets none`})
          </label>
        </div>
      ))}
      <FieldProblems error={error} name="without" />
    </fieldset>
  );
}

/** The rules form: a channel's rules, or (with `sku`) one listing's override of them on `channel`. */
export function RulesForm({ channel, sku }: { channel: string; sku?: string }) {
  const path = sku ? ("/v1/listings/{sku}/channels/{name}/rules" as const) : ("/v1/channels/{name}/rules" as const);
  const params = { path: { name: channel, ...(sku ? { sku } : {}) } } as { path: { name: string; sku: string } };
  const shown = useLoad(() => ok<{ rules: Override }>(api.GET(path, { params })), [channel, sku]);
  const [values, setValues] = useState<Text | null>(null);
  const [without, setWithout] = useState<RuleName[] | null>(null);
  const [change, setChange] = useState<RuleChange | OverrideChange | null>(null);
  const current = values ?? (shown.data ? text(shown.data.rules) : null);
  const doneWithout = without ?? shown.data?.rules.without ?? [];
  const [dryRun, setDryRun] = useState(false);
  const { busy, error, onSubmit } = useSubmit(
    () => {
      const body = sku ? { ...edit(current ?? {}), without: doneWithout } : edit(current ?? {});
      return ok<RuleChange | OverrideChange>(api.PATCH(path, { params: { ...params, query: { dry_run: dryRun } }, body: body as never }));
    },
    (answer) => {
      setChange(answer);
      if (!answer.dry_run) void shown.reload();
    },
  );
  if (!current) return <>{shown.error ? <Problem error={shown.error} /> : <Loading />}</>;
  const set = (name: string) => (e: Event) => setValues({ ...current, [name]: (e.currentTarget as HTMLInputElement).value });
  const who = sku ? `${sku} on ${channel}` : channel;
  return (
    <form aria-label={sku ? `Override on ${channel}` : "Allocation rules"} onSubmit={(e) => (setChange(null), onSubmit(e))} noValidate>
      <p>{sku ? `Rules set here replace ${channel}'s for ${sku} alone; those left empty keep the channel's, unless ${sku} does without them (below).` : "Applied in this order to each listing's syncable balance; a fixed quantity replaces them all. Empty: no rule."}</p>
      <div class="row">
        {QUANTITY_FIELDS.map(([name, label]) => (
          <Field key={name} label={label} name={name} error={error}>
            {(p) => <input {...p} inputMode="numeric" value={current[name] ?? ""} onInput={set(name)} />}
          </Field>
        ))}
      </div>
      <div class="row">
        <Field label="Markup (10% or 2.50; negative: markdown)" name="markup_percent" error={error}>
          {(p) => <input {...p} value={current.markup ?? ""} onInput={set("markup")} />}
        </Field>
        <Field label="Rounding" name="rounding" error={error}>
          {(p) => (
            <select {...p} value={current.rounding ?? ""} onChange={set("rounding")}>
              <option value="">none</option>
              <option value="0.99">up to .99</option>
              <option value="0.95">up to .95</option>
              <option value="whole">whole amount</option>
            </select>
          )}
        </Field>
        {PRICE_FIELDS.map(([name, label]) => (
          <Field key={name} label={label} name={name} error={error}>
            {(p) => <input {...p} inputMode="decimal" value={current[name] ?? ""} onInput={set(name)} />}
          </Field>
        ))}
      </div>
      {sku && (
        <WithoutChannelRules
          channel={channel}
          sku={sku}
          without={doneWithout}
          error={error}
          onChange={(next, ticked) => {
            setWithout(next);
            if (ticked) setValues({ ...current, [ticked]: "" }); // doing without a rule: none of its own either
          }}
        />
      )}
      <Problem error={error} />
      <div class="actions">
        <button type="submit" class="primary" aria-busy={busy && !dryRun} onClick={() => setDryRun(false)}>
          {sku ? "Save override" : "Save rules"}
        </button>
        <button type="submit" aria-busy={busy && dryRun} onClick={() => setDryRun(true)}>
          Preview (dry run)
        </button>
      </div>
      {change && ("job" in change ? <RuleJob change={change} /> : <Moves change={change} />)}
      <small>Rules of {who}.</small>
    </form>
  );
}

/** A channel's guard: on or off, and the shares of its linked listings a sync may zero or change. */
export function GuardForm({ channel }: { channel: string }) {
  const shown = useLoad(() => ok<Guard>(api.GET("/v1/channels/{name}/guard", { params: { path: { name: channel } } })), [channel]);
  const [value, setValue] = useState<Guard | null>(null);
  const [said, setSaid] = useState("");
  const current = value ?? shown.data ?? null;
  const { busy, error, onSubmit } = useSubmit(
    () => ok<Guard>(api.PATCH("/v1/channels/{name}/guard", { params: { path: { name: channel } }, body: current as never })),
    () => {
      setSaid("Guard saved");
      void shown.reload();
    },
  );
  if (!current) return <>{shown.error ? <Problem error={shown.error} /> : <Loading />}</>;
  return (
    <form aria-label="Guard" onSubmit={(e) => (setSaid(""), onSubmit(e))} class="filters" noValidate>
      <div class="field check">
        <input id="guard-on" type="checkbox" checked={current.on} onChange={(e) => setValue({ ...current, on: e.currentTarget.checked })} />
        <label for="guard-on">Guard on: a sync past these shares stops before its first push and waits for confirmation</label>
      </div>
      <Field label="Most sent 0 (% of linked listings)" name="max_zeroed" error={error}>
        {(p) => <input {...p} inputMode="decimal" value={String(current.max_zeroed ?? "")} onInput={(e) => setValue({ ...current, max_zeroed: e.currentTarget.value })} />}
      </Field>
      <Field label="Most changed (% of linked listings)" name="max_changed" error={error}>
        {(p) => <input {...p} inputMode="decimal" value={String(current.max_changed ?? "")} onInput={(e) => setValue({ ...current, max_changed: e.currentTarget.value })} />}
      </Field>
      <div class="actions">
        <button type="submit" class="primary" aria-busy={busy}>
          Save guard
        </button>
        {said && (<span role="status" class="said">{said}</span>)}
      </div>
      <Problem error={error} />
    </form>
  );
}

/** Why this number: every step from on hand and from price to what each channel is sent. */
export function Explain({ sku }: { sku: string }) {
  const shown = useLoad(() => ok<{ channels: ChannelExplained[] }>(api.GET("/v1/listings/{sku}/explain", { params: { path: { sku } } })), [sku]);
  if (!shown.data) return <>{shown.error ? <Problem error={shown.error} /> : <Loading />}</>;
  if (shown.data.channels.length === 0) return <p>No channel yet.</p>;
  return (
    <>
      {shown.data.channels.map((c) => (
        <div key={c.channel}>
          <h3>
            On <a href={href("channels", c.channel)}>{c.channel}</a>: quantity <strong>{c.quantity}</strong>, price <strong>{c.price ?? "—"}</strong>
            {!c.linked && " (not linked)"}
          </h3>
          <div class="table-wrap">
            <table aria-label={`Why these numbers on ${c.channel}`}>
              <thead>
                <tr>
                  <th scope="col">Value</th>
                  <th scope="col">Step</th>
                  <th scope="col">By</th>
                  <th scope="col">From</th>
                  <th scope="col">To</th>
                  <th scope="col">How</th>
                </tr>
              </thead>
              <tbody>
                {c.steps.map((s, i) => (
                  <tr key={`${s.field}-${s.rule}-${i}`}>
                    <td>{s.field}</td>
                    <th scope="row">{s.rule.replace(/_/g, " ")}</th>
                    <td>{s.source}</td>
                    <td>{s.before}</td>
                    <td>{s.after}</td>
                    <td>{s.note}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <details>
            <summary>Override {c.channel}'s rules for {sku}</summary>
            <RulesForm channel={c.channel} sku={sku} />
          </details>
        </div>
      ))}
    </>
  );
}

/** The channels whose auto sync the breaker paused, each with the one action that resumes it (Overview). */
function PausedAutoSync({ after }: { after?: () => void }) {
  const shown = useLoad(() => ok<BreakerState[]>(api.GET("/v1/guard")), [], 5000);
  const paused = (shown.data ?? []).filter((b) => b.paused_at);
  if (paused.length === 0) return null;
  return (
    <Section title="Auto sync paused by the guard">
      <ul aria-label="Channels whose auto sync is paused">
        {paused.map((b) => (
          <li key={b.channel}>
            <a href={href("channels", b.channel)}>{b.channel}</a> since {time(b.paused_at ?? null)}, {b.held ?? 0} pushes held: {b.paused_reason}{" "}
            <Action label={`Resume auto sync on ${b.channel}`} kind="primary" run={() => ok(api.POST("/v1/channels/{name}/guard/resume", { params: { path: { name: b.channel } } }))} done={() => "resumed: the held pushes are sent"} after={() => (void shown.reload(), after?.())} />
          </li>
        ))}
      </ul>
    </Section>
  );
}

/** The syncs the guard stopped and the auto sync it paused, each with the one action that goes on (Overview). */
export function StoppedSyncs({ after }: { after?: () => void }) {
  const shown = useLoad(() => ok<Job[]>(api.GET("/v1/jobs", { params: { query: { status: "awaiting_confirmation" } } })), [], 5000);
  const waiting = shown.data ?? [];
  if (waiting.length === 0) return <PausedAutoSync after={after} />;
  return (
    <>
    <PausedAutoSync after={after} />
    <Section title="Syncs stopped by the guard">
      <ul aria-label="Syncs awaiting confirmation">
        {waiting.map((job) => (
          <li key={job.id}>
            <a href={href("jobs", job.id)}>
              {job.mode} sync on {job.channel} · {time(job.started_at ?? job.created_at)}
            </a>
            : {job.note}{" "}
            <Action label={`Confirm job ${job.id.slice(0, 8)}`} kind="primary" run={() => ok(api.POST("/v1/jobs/{job_id}/confirm", { params: { path: { job_id: job.id } } }))} done={() => "confirmed: it pushes now"} after={() => (void shown.reload(), after?.())} />
          </li>
        ))}
      </ul>
    </Section>
    </>
  );
}
