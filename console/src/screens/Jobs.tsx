import { useState } from "preact/hooks";
import { api, ok } from "../api/client";
import type { Channel, Job, JobKind, JobStatus } from "../api/types";
import { time, TIME_ZONE, words } from "../format";
import { go, href } from "../router";
import { Field, JobProgress, Problem, useLoad, Loading } from "../ui";
import { finished, JobActions, jobTitle } from "./jobActions";

const STATUSES: JobStatus[] = ["queued", "running", "completed", "completed_with_errors", "failed", "cancelled", "awaiting_confirmation"];
const KINDS: JobKind[] = ["link", "relink", "reconcile", "sync", "auto_sync", "rules"];
export const LIVE_MS = 2000; // the queue is polled every 2 s while the tab is visible, never when hidden

export function Jobs({ query }: { query: URLSearchParams }) {
  const channel = query.get("channel") ?? "";
  const status = (query.get("status") ?? "") as JobStatus | "";
  const kind = (query.get("kind") ?? "") as JobKind | "";
  const channels = useLoad(() => ok<Channel[]>(api.GET("/v1/channels")), []);
  const jobs = useLoad(
    () => ok<Job[]>(api.GET("/v1/jobs", { params: { query: { limit: 100, ...(channel ? { channel } : {}), ...(status ? { status } : {}), ...(kind ? { kind } : {}) } } })),
    [channel, status, kind],
    LIVE_MS,
  );
  const [given, setGiven] = useState({ channel, status, kind });
  const apply = (e: Event) => {
    e.preventDefault();
    go(href("jobs", given));
  };
  const pick = (key: keyof typeof given, label: string, options: string[]) => (
    <Field label={label} name={key}>
      {(p) => (
        <select {...p} value={given[key]} onChange={(e) => setGiven({ ...given, [key]: e.currentTarget.value })}>
          <option value="">any</option>
          {options.map((o) => (
            <option key={o} value={o}>
              {words(o)}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
  const list = jobs.data ?? [];
  return (
    <>
      <h1>Jobs</h1>
      <form role="search" aria-label="Job filters" class="filters" onSubmit={apply}>
        {pick("channel", "Channel", [...(channels.data ?? []).map((c) => c.name), "_listings"])}
        {pick("status", "Status", STATUSES)}
        {pick("kind", "Kind", KINDS)}
        <div class="actions">
          <button type="submit" class="primary">
            Apply filters
          </button>
        </div>
      </form>
      <p class="hint">Live: refreshed every 2 seconds while this tab is visible. Times in {TIME_ZONE}.</p>
      <Problem error={jobs.error} />
      <div class="table-wrap">
        <table aria-label="Jobs">
          <thead>
            <tr>
              <th scope="col">Job</th>
              <th scope="col">Channel</th>
              <th scope="col">Status</th>
              <th scope="col">Priority</th>
              <th scope="col">Created</th>
              <th scope="col">Progress</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {list.map((job) => (
              <tr key={job.id} aria-label={`Job ${job.id.slice(0, 8)}`}>
                <th scope="row">
                  <a href={href("jobs", job.id)}>{jobTitle(job)}</a>
                  <br />
                  <small>{job.id.slice(0, 8)}</small>
                </th>
                <td>{job.channel}</td>
                <td class={`state-${job.status}`}>{words(job.status)}</td>
                <td>{job.priority}</td>
                <td>{time(job.created_at)}</td>
                <td>
                  <JobProgress label={`Progress of job ${job.id.slice(0, 8)}`} job={{ kind: job.kind, counts: job.counts, started_at: job.started_at, finished: finished(job) }} />
                </td>
                <td>
                  <JobActions job={job} after={() => void jobs.reload()} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {!jobs.data && !jobs.error && <Loading />}
      {jobs.data && list.length === 0 && <p>No job in this filter.</p>}
    </>
  );
}
