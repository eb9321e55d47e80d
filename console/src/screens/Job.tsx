import { useEffect, useState } from "preact/hooks";
import { api, ok } from "../api/client";
import type { Job, PlanChange } from "../api/types";
import { count, time, TIME_ZONE, words } from "../format";
import { href } from "../router";
import { JobProgress, Problem, Section, useLoad, Loading } from "../ui";
import { finished, JobActions, jobTitle } from "./jobActions";
import { LIVE_MS } from "./Jobs";

interface Plan {
  job_id: string;
  changes: PlanChange[];
  next: string | null;
}

/** The plan, read again once the job has finished making it (`ready`). */
export function DryRunPlan({ id, ready, title = "Dry run plan" }: { id: string; ready: boolean; title?: string }) {
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors[cursors.length - 1];
  const plan = useLoad(() => ok<Plan>(api.GET("/v1/jobs/{job_id}/plan", { params: { path: { job_id: id }, query: { limit: 50, ...(cursor ? { cursor } : {}) } } })), [id, cursor, ready]);
  const changes = plan.data?.changes ?? [];
  return (
    <Section title={title}>
      <Problem error={plan.error} />
      <div class="table-wrap">
        <table aria-label="Planned changes">
          <thead>
            <tr>
              <th scope="col">SKU</th>
              <th scope="col">Field</th>
              <th scope="col">From</th>
              <th scope="col">To</th>
            </tr>
          </thead>
          <tbody>
            {changes.map((c, i) => (
              <tr key={`${c.sku}-${c.field}-${i}`}>
                <th scope="row">
                  <a href={href("listings", c.sku)}>{c.sku}</a>
                </th>
                <td>{c.field}</td>
                <td>{c.from_value ?? "—"}</td>
                <td>{c.to_value}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {!ready && <p>The plan is being made: it shows here when the job ends.</p>}
      {ready && plan.data && changes.length === 0 && <p>The plan changes nothing.</p>}
      <nav aria-label="Plan pages" class="actions">
        {cursors.length > 0 && (
          <button type="button" onClick={() => setCursors(cursors.slice(0, -1))}>
            Previous changes
          </button>
        )}
        {plan.data?.next && (
          <button type="button" onClick={() => setCursors([...cursors, plan.data!.next!])}>
            Next changes
          </button>
        )}
      </nav>
    </Section>
  );
}

function planTitle(job: Job): string {
  if (job.kind === "rules") return job.dry_run ? "What the rules would move" : "What the rules moved";
  return job.dry_run ? "Dry run plan" : "Plan the guard checked";
}

const SHOWN_COUNTS = ["planned", "pushed", "skipped", "failed", "conflicts", "read", "linked", "already_linked", "no_match", "duplicate", "empty_value", "variant_gone", "value_changed", "checked", "out_of_sync", "compared", "changes", "unchanged", "zeroed", "moved", "matched", "flags_changed", "auto_pushed"] as const;

export function JobPage({ id }: { id: string }) {
  const [done, setDone] = useState(false); // a finished job changes no more: its page stops polling
  const shown = useLoad(() => ok<Job>(api.GET("/v1/jobs/{job_id}", { params: { path: { job_id: id } } })), [id], done ? 0 : LIVE_MS);
  const job = shown.data;
  useEffect(() => setDone(!!job && job.id === id && finished(job)), [job, id]);
  return (
    <>
      <p>
        <a href="#/jobs">Jobs</a> › {id.slice(0, 8)}
      </p>
      <h1>{job ? `Job: ${jobTitle(job)} on ${job.channel}` : "Job"}</h1>
      <Problem error={shown.error} />
      {!job && !shown.error && <Loading />}
      {job && (
        <>
          <Section title="Status">
            <p>
              <strong class={`state-${job.status}`}>{words(job.status)}</strong> · priority {job.priority} · created {time(job.created_at)} · started {time(job.started_at)} · finished{" "}
              {time(job.finished_at)} <small>({TIME_ZONE})</small>
            </p>
            {job.rerun_of && (
              <p>
                Re-run of <a href={href("jobs", job.rerun_of)}>{job.rerun_of.slice(0, 8)}</a>
              </p>
            )}
            {job.note && <p>{job.note}</p>}
            {job.error && (
              <p class="problem" role="alert">
                {job.error}
              </p>
            )}
            <JobProgress label="Job progress" job={{ kind: job.kind, counts: job.counts, started_at: job.started_at, finished: finished(job) }} />
            <dl class="numbers">
              {SHOWN_COUNTS.filter((k) => job.counts[k] || ["planned", "pushed", "skipped", "failed"].includes(k)).map((k) => (
                <div key={k}>
                  <dt>{words(k)}</dt>
                  <dd>{count(job.counts[k])}</dd>
                </div>
              ))}
            </dl>
            <div class="actions">
              <JobActions job={job} after={() => void shown.reload()} />
            </div>
          </Section>
          <Section title="Failures">
            {job.failures.length === 0 ? (
              <p>No failure.</p>
            ) : (
              <div class="table-wrap">
                <table aria-label="Failures">
                  <thead>
                    <tr>
                      <th scope="col">SKU</th>
                      <th scope="col">What happened and the fix</th>
                    </tr>
                  </thead>
                  <tbody>
                    {job.failures.map((f, i) => (
                      <tr key={`${f.sku}-${i}`}>
                        <th scope="row">{f.sku ? <a href={href("listings", f.sku)}>{f.sku}</a> : "—"}</th>
                        <td>{f.message}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </Section>
          {(job.dry_run || job.kind === "rules" || job.status === "awaiting_confirmation" || job.guard === "confirmed") && <DryRunPlan id={id} ready={finished(job) || job.status === "awaiting_confirmation"} title={planTitle(job)} />}
        </>
      )}
    </>
  );
}
